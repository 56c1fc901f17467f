// The zod schemas of every HTTP request and answer. They validate requests at the edge and are
// the only source of the OpenAPI document (openapi.ts): nothing about the API is written twice.
import { z } from 'zod';
import { briefPatchSchema, briefSchema, targetIds } from '../brief/index.js';
import type { ErrorCode } from '../errors/index.js';
import { blobIdSchema } from './blobs.js';
import { httpStatuses } from './errors.js';

// Every code the project's errors carry: the keys of the status table, so none is left out.
const errorCodes = Object.keys(httpStatuses) as [ErrorCode, ...ErrorCode[]];

/** One problem with its dotted field path. */
export const issueSchema = z.object({
  path: z.string().describe('Dotted path of the offending field; empty for the whole input.'),
  message: z.string(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});

/** The body of every error answer. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(errorCodes),
    message: z.string(),
    source: z.string().optional(),
    issues: z.array(issueSchema),
  }),
});

export const healthSchema = z.object({
  ok: z.literal(true),
  version: z.string(),
  vision: z.enum(['idle', 'loaded']).describe('Whether the vision models are in memory yet.'),
});

// Briefs arrive as objects (aliases allowed, defaults optional) and are checked by the brief
// loader itself, which reports every issue with its path; so the request schema only asks for an
// object here and the full Brief schema is the answer's.
const briefInput = z
  .record(z.string(), z.unknown())
  .describe(
    'A brief as an object (YAML/JSON file content); checked by the brief loader with issue paths.',
  );

export const briefSourceSchema = z.union([
  z.strictObject({ brief: briefInput }),
  z.strictObject({
    text: z
      .string()
      .max(1024 * 1024)
      .describe('Brief file text, YAML or JSON.'),
  }),
]);

export const validateResponseSchema = z.object({
  valid: z.boolean(),
  brief: briefSchema.nullable().describe('The brief with defaults filled in, when valid.'),
  issues: z.array(issueSchema),
});

export const compileRequestSchema = z.strictObject({
  brief: briefInput,
  target: z
    .enum(targetIds)
    .optional()
    .describe("Model family; the brief's output.target if absent."),
});

const pillarSchema = z.enum([
  'subject',
  'expression',
  'posture',
  'light',
  'camera',
  'aesthetic',
  'authenticity',
  'references',
  'output',
]);

export const nudgeSchema = z.object({
  pillar: pillarSchema,
  rule: z.string(),
  severity: z.enum(['info', 'warning']),
  message: z.string(),
  patch: briefPatchSchema,
});

const sectionIds = [
  'shot',
  'subject',
  'expression',
  'light',
  'posture',
  'camera',
  'atmosphere',
  'aesthetic',
  'authenticity',
  'quality',
  'overflow',
] as const;

export const compiledPromptSchema = z.object({
  target: z.enum(targetIds),
  positive: z.string(),
  negative: z.string().nullable(),
  sections: z.array(
    z.object({
      id: z.enum(sectionIds),
      pillar: pillarSchema,
      text: z.string(),
      essential: z.boolean(),
      tokens: z.number().int(),
      windows: z.tuple([z.number().int(), z.number().int()]),
    }),
  ),
  tokens: z.object({
    positive: z.number().int(),
    negative: z.number().int(),
    windows: z.number().int(),
    essential: z.number().int(),
  }),
  pushedOut: z.array(
    z.object({
      section: z.enum(sectionIds),
      text: z.string(),
      reason: z.enum(['later-window', 'dropped']),
    }),
  ),
  params: z.object({
    width: z.number().nullable(),
    height: z.number().nullable(),
    aspectRatio: z.string(),
    count: z.number().int(),
    seed: z.number().nullable(),
    steps: z.number().nullable(),
    guidance: z.number().nullable(),
    sampler: z.string().nullable(),
    scheduler: z.string().nullable(),
    extra: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  }),
  controls: z.array(
    z.object({
      role: z.string(),
      image: z.string(),
      mechanism: z.string(),
      preprocess: z.enum(['openpose-skeleton', 'face-crop', 'none']),
      weight: z.number(),
    }),
  ),
  nudges: z.array(nudgeSchema),
  notes: z.array(z.string()),
});

export const compileResponseSchema = z.object({
  brief: briefSchema,
  prompt: compiledPromptSchema,
});

export const lintRequestSchema = z.strictObject({ brief: briefInput });
export const lintResponseSchema = z.object({ nudges: z.array(nudgeSchema) });

export const patchRequestSchema = z.strictObject({ brief: briefInput, patch: briefPatchSchema });
export const patchResponseSchema = z.object({ brief: briefSchema });

export const templatesResponseSchema = z.object({
  templates: z.array(
    z.object({
      file: z.string(),
      title: z.string(),
      text: z.string().describe('The file as shipped (YAML).'),
      brief: briefSchema,
    }),
  ),
});

const vocabEntrySchema = z.object({
  id: z.string(),
  name: z.string(),
  effect: z.string().describe('One line: what it visibly does.'),
});

export const vocabularyResponseSchema = z.object({
  fields: z
    .record(z.string(), z.array(vocabEntrySchema))
    .describe('Vocabulary entries by the brief field that takes them, e.g. `light.rig`.'),
  targets: z.array(z.enum(targetIds)),
  schema: z.record(z.string(), z.unknown()).describe('The JSON Schema of a brief file.'),
});

export const blobParamsSchema = z.strictObject({ id: blobIdSchema });

export const uploadQuerySchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('File name of the upload, for messages and provenance.'),
});

export const referenceSchema = z.object({
  blob: blobIdSchema,
  name: z.string(),
  format: z.enum(['jpeg', 'png', 'webp', 'avif']),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
});

export const overlayQuerySchema = z.strictObject({
  maxSize: z.coerce
    .number()
    .int()
    .min(64)
    .max(4096)
    .optional()
    .describe('Longest side of the overlay in pixels (default 1600).'),
});

// The Blueprint as vision returns it (see vision/types.ts), for the answer's schema.
const box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
const swatch = z.object({
  hex: z.string(),
  lab: z.tuple([z.number(), z.number(), z.number()]),
  weight: z.number(),
});
const nullableNumber = z.number().nullable();

export const blueprintSchema = z.object({
  version: z.literal(1),
  source: z.string(),
  image: z.object({ width: z.number(), height: z.number(), format: z.string() }),
  // How the photo was turned to read it upright (quarter turns), and what was tried.
  orientation: z.object({
    quarterTurns: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
    tried: z.array(z.number()),
  }),
  faces: z.array(
    z.object({
      box,
      score: z.number(),
      mesh: z.array(z.tuple([z.number(), z.number(), z.number()])),
      headPose: z.object({ yaw: z.number(), pitch: z.number(), roll: z.number() }),
      gaze: z.object({
        horizontal: z.number(),
        vertical: z.number(),
        label: z.enum(['camera', 'off-camera-left', 'off-camera-right', 'down', 'up']),
      }),
      expression: z.looseObject({
        lipCornerLift: z.number(),
        lipsParted: z.number(),
        browRaise: z.number(),
        browFurrow: z.number(),
        eyeAperture: z.number(),
        asymmetry: z.number(),
      }),
      emotions: z.record(z.string(), z.number()),
      descriptor: z.array(z.number()),
      heightFraction: z.number(),
      cut: z.boolean(),
    }),
  ),
  faceIndex: z.number().int().nullable(),
  body: z
    .object({
      score: z.number(),
      box,
      keypoints: z.array(
        z.object({ part: z.string(), x: z.number(), y: z.number(), score: z.number() }),
      ),
      posture: z.looseObject({
        shoulderAngle: nullableNumber,
        headTilt: z.number(),
        headTurn: z.number(),
      }),
    })
    .nullable(),
  light: z
    .looseObject({
      azimuth: z.number(),
      elevation: z.number(),
      fillRatio: z.number(),
      softness: z.number(),
      confidence: z.number(),
      colorTemperature: z.number(),
    })
    .nullable(),
  palette: z.object({ frame: z.array(swatch), background: z.array(swatch) }),
  composition: z
    .looseObject({
      eyeCentre: z.object({ x: z.number(), y: z.number() }),
      nearestThird: z.object({ x: z.number(), y: z.number(), distance: z.number() }),
      headroom: z.number(),
      shot: z.string(),
      aspectRatio: z.string(),
    })
    .nullable(),
  quality: z.looseObject({ noise: z.number() }),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
  // How sure each reading is: an unsure one is shown as "could not measure".
  readings: z.record(
    z.string(),
    z.object({
      status: z.enum(['measured', 'unsure', 'not-applicable']),
      confidence: z.number(),
      reason: z.string().nullable(),
    }),
  ),
  timings: z.record(z.string(), z.number()),
});

export const blueprintResponseSchema = z.object({
  blob: blobIdSchema,
  blueprint: blueprintSchema,
  brief: briefSchema.describe('A brief read off this photo ("make a brief from this photo").'),
});

export const briefTextRequestSchema = z.strictObject({
  brief: briefInput,
  format: z.enum(['yaml', 'json']).optional().describe('File format (default yaml).'),
});
export const briefTextResponseSchema = z.object({
  text: z.string().describe('The brief as a file, defaults filled in.'),
});

// ---- Sessions, rounds, candidates, picks, library search ----

const isoDate = z.string().describe('An ISO 8601 date and time.');
const score = z.number().min(0).max(1).nullable();
const scoreNamesList = [
  'expression',
  'posture',
  'light',
  'aesthetic',
  'authenticity',
  'overall',
] as const;

export const sessionSchema = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: isoDate,
  updatedAt: isoDate,
  latestBriefVersion: z.number().int().min(1),
});

export const sessionsResponseSchema = z.object({ sessions: z.array(sessionSchema) });
export const sessionsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const createSessionRequestSchema = z.strictObject({
  title: z.string().min(1).max(200).optional(),
  brief: briefInput,
});

export const idParamsSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'expected a library id' }),
});

export const briefChangeSchema = z.object({
  path: z.string(),
  kind: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});

export const roundSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  number: z.number().int().min(1),
  briefVersion: z.number().int().min(1),
  engine: z.string(),
  count: z.number().int(),
  seed: z.number().int(),
  nudges: z.array(z.unknown()),
  status: z.enum(['running', 'done', 'failed', 'cancelled']),
  startedAt: isoDate,
  finishedAt: isoDate.nullable(),
});

export const pickSchema = z.object({
  verdict: z.enum(['pick', 'reject']).nullable(),
  stars: z.number().int().min(1).max(5).nullable(),
  note: z.string().nullable(),
  updatedAt: isoDate,
});

export const candidateSchema = z.object({
  id: z.string(),
  roundId: z.string(),
  sessionId: z.string(),
  index: z.number().int().min(0),
  engine: z.string(),
  seed: z.number().int(),
  image: blobIdSchema,
  scores: z.object(
    Object.fromEntries(scoreNamesList.map((n) => [n, score])) as Record<
      (typeof scoreNamesList)[number],
      typeof score
    >,
  ),
  pillars: z
    .array(
      z.object({
        pillar: z.string(),
        score: z.number(),
        wanted: z.string(),
        measured: z.string(),
        reason: z.string(),
      }),
    )
    .describe("The critic's pillars (camera and identity included where measured)."),
  flags: z.array(z.string()).describe('Problems that disqualify a candidate whatever its scores.'),
  nudges: z.array(nudgeSchema),
  createdAt: isoDate,
  pick: pickSchema.nullable(),
});

export const sessionDetailSchema = sessionSchema.extend({
  briefVersions: z.array(
    z.object({
      version: z.number().int().min(1),
      brief: z.unknown(),
      note: z.string().nullable(),
      createdAt: isoDate,
      changes: z
        .array(briefChangeSchema)
        .describe('What changed from the version before (empty for version 1).'),
    }),
  ),
  references: z.array(
    z.object({
      id: z.string(),
      role: z.string(),
      name: z.string(),
      blob: blobIdSchema,
      createdAt: isoDate,
    }),
  ),
  rounds: z.array(roundSchema),
  candidates: z.array(candidateSchema),
});

export const candidatesResponseSchema = z.object({ candidates: z.array(candidateSchema) });

export const pickRequestSchema = z.strictObject({
  verdict: z.enum(['pick', 'reject']).nullable().optional(),
  stars: z
    .number()
    .int({ error: 'expected a whole number of stars from 1 to 5, or null' })
    .min(1, { error: 'expected a whole number of stars from 1 to 5, or null' })
    .max(5, { error: 'expected a whole number of stars from 1 to 5, or null' })
    .nullable()
    .optional(),
  note: z.string().max(4000).nullable().optional(),
});
export const pickResponseSchema = z.object({ candidateId: z.string(), pick: pickSchema });

export const searchQuerySchema = z.strictObject({
  pillar: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('Score conditions such as expression>=0.8 (repeatable).'),
  engine: z.string().optional(),
  since: z.string().optional().describe('An age (30m, 12h, 7d, 2w) or a date.'),
  session: z.string().optional(),
  verdict: z.string().optional(),
  stars: z.string().optional(),
  sort: z.string().optional(),
  limit: z.string().optional(),
});

export const startRoundRequestSchema = z.strictObject({
  engine: z
    .enum(['local', 'comfyui', 'a1111', 'openai'])
    .optional()
    .describe('One of the engines the operator configured (default: the configured one).'),
  count: z.number().int().min(1).max(16).optional(),
  seed: z.number().int().min(0).optional(),
  brief: briefInput
    .optional()
    .describe(
      'A new brief version to store first and generate (an edited brief, or a nudge applied).',
    ),
  note: z.string().max(500).optional(),
  nudges: z
    .array(nudgeSchema)
    .optional()
    .describe('The nudges applied to make this brief, recorded with the round.'),
});
export const roundResponseSchema = z.object({ round: roundSchema });

const darkroomSettingsSchema = z.strictObject({
  key: z
    .strictObject({
      rig: z.string().min(1).describe('A light rig of the vocabulary (loop, rembrandt, split …).'),
      side: z.enum(['left', 'right']).describe("The subject's side the key comes from."),
      intensity: z.number().min(0).max(1),
      fill: z.number().min(1).max(32).optional().describe("Key:fill ratio (default the rig's)."),
      softness: z
        .number()
        .min(0)
        .max(1)
        .optional()
        .describe("0 hard .. 1 very soft (default the rig's)."),
      rim: z.boolean().optional().describe("A rim light behind the subject (default the rig's)."),
      temperature: z
        .number()
        .min(1500)
        .max(15000)
        .optional()
        .describe("The key's colour temperature in kelvin (default the rig's)."),
    })
    .optional(),
  smile: z.number().min(-1).max(1).optional().describe('Lip corners up (+) or down (−).'),
  aperture: z.number().min(0.95).max(22).optional().describe('f-number of the simulated lens.'),
  grade: z
    .strictObject({
      grade: z.string().optional().describe('A grade of the vocabulary.'),
      film: z.string().optional().describe('A film stock of the vocabulary.'),
      temperature: z.number().min(2000).max(15000).optional(),
      contrast: z.number().min(-1).max(1).optional(),
      saturation: z.number().min(-1).max(1).optional(),
    })
    .optional(),
});

export const darkroomPreviewRequestSchema = z.strictObject({
  blob: blobIdSchema.describe('The photo: a reference or a candidate image.'),
  settings: darkroomSettingsSchema,
  maxSize: z
    .number()
    .int()
    .min(64)
    .max(1600)
    .optional()
    .describe('Long side of the preview in pixels: the viewport (default and at most 1600).'),
});

export const darkroomExportRequestSchema = z.strictObject({
  blob: blobIdSchema,
  settings: darkroomSettingsSchema,
});

export const darkroomExportResponseSchema = z.object({
  blob: blobIdSchema.describe('The full-resolution PNG, stored in the library.'),
  width: z.number().int(),
  height: z.number().int(),
});
