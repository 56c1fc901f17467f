// The zod schemas of every HTTP request and answer. They validate requests at the edge and are
// the only source of the OpenAPI document (openapi.ts): nothing about the API is written twice.
import { z } from 'zod';
import { briefPatchSchema, briefSchema, targetIds } from '../brief/index.js';
import { blobIdSchema } from './blobs.js';

const errorCodes = [
  'BRIEF_INVALID',
  'BRIEF_PARSE',
  'BRIEF_VERSION',
  'FILE_NOT_FOUND',
  'FILE_READ',
  'OUTPUT_EXISTS',
  'OUTPUT_FAILED',
  'DISK_FULL',
  'IMAGE_TOO_LARGE',
  'IMAGE_CORRUPT',
  'IMAGE_TRUNCATED',
  'IMAGE_UNSUPPORTED',
  'IMAGE_EMPTY',
  'TARGET_UNKNOWN',
  'TOKENIZER_LOAD',
  'NO_FACE',
  'USAGE',
  'VISION_LOAD',
  'VISION_FAILED',
  'ABORTED',
  'ENGINE_CAPABILITY',
  'ENGINE_FAILED',
  'ENGINE_UNREACHABLE',
  'ENGINE_TIMEOUT',
  'ENGINE_REJECTED',
  'HOST_FORBIDDEN',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'ENGINE_URL_REFUSED',
  'INTERNAL',
] as const;

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
