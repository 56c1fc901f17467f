// The route table: each route names its schemas once; app.ts validates with them and openapi.ts
// documents them, so the document cannot drift from what the server accepts and answers.
import type { z } from 'zod';
import type { Target } from '../brief/index.js';
import {
  blobParamsSchema,
  blueprintResponseSchema,
  briefTextRequestSchema,
  briefTextResponseSchema,
  briefSourceSchema,
  compileRequestSchema,
  compileResponseSchema,
  healthSchema,
  lintRequestSchema,
  lintResponseSchema,
  overlayQuerySchema,
  patchRequestSchema,
  patchResponseSchema,
  referenceSchema,
  templatesResponseSchema,
  uploadQuerySchema,
  validateResponseSchema,
  vocabularyResponseSchema,
  candidatesResponseSchema,
  createSessionRequestSchema,
  idParamsSchema,
  pickRequestSchema,
  pickResponseSchema,
  roundResponseSchema,
  searchQuerySchema,
  sessionDetailSchema,
  sessionSchema,
  sessionsQuerySchema,
  sessionsResponseSchema,
  startRoundRequestSchema,
  darkroomPreviewRequestSchema,
  darkroomExportRequestSchema,
  darkroomExportResponseSchema,
} from './schemas.js';
import type { PickInput } from '../studio/index.js';
import type { StartRoundInput } from './sessions.js';
import type { BriefSource, StudioApi } from './studio-api.js';

/** What a handler answers: JSON checked against the route's schema, or bytes of a media type. */
export type RouteAnswer =
  | { readonly json: unknown; readonly status?: number }
  | { readonly bytes: Uint8Array; readonly mediaType: string; readonly status?: number }
  | { readonly stream: ReadableStream<Uint8Array>; readonly mediaType: string };

/** A request body: JSON with a schema, or raw bytes of some media types under a byte cap. */
export type RouteBody =
  | { readonly kind: 'json'; readonly schema: z.ZodType; readonly id: string }
  | { readonly kind: 'binary'; readonly mediaTypes: readonly string[] };

/** One route of the API. Paths use OpenAPI's `{name}` parameters. */
export interface RouteDefinition {
  readonly operationId: string;
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: RouteBody;
  readonly answer:
    | {
        readonly kind: 'json';
        readonly status: 200 | 201;
        readonly schema: z.ZodType;
        readonly id: string;
      }
    | { readonly kind: 'binary'; readonly status: 200; readonly mediaTypes: readonly string[] };
  /** Error statuses this route can answer besides the ones every route can (401, 403, 500). */
  readonly errors: readonly number[];
  readonly handle: (
    input: { params: unknown; query: unknown; body: unknown },
    api: StudioApi,
  ) => Promise<RouteAnswer> | RouteAnswer;
}

/** The media types accepted as reference photos; the bytes themselves decide the format. */
export const imageMediaTypes = ['image/jpeg', 'image/png', 'image/webp', 'image/avif'] as const;

const json = (schema: z.ZodType, id: string, status: 200 | 201 = 200) =>
  ({ kind: 'json', status, schema, id }) as const;
const jsonBody = (schema: z.ZodType, id: string) => ({ kind: 'json', schema, id }) as const;

/** Builds the route table for a server version. */
export function routeTable(version: string): RouteDefinition[] {
  return [
    {
      operationId: 'health',
      method: 'get',
      path: '/api/health',
      summary: 'Whether the server is up, and whether vision is loaded.',
      tag: 'server',
      answer: json(healthSchema, 'Health'),
      errors: [],
      handle: (_input, api) => ({ json: { ok: true, version, vision: api.visionState() } }),
    },
    {
      operationId: 'validateBrief',
      method: 'post',
      path: '/api/briefs/validate',
      summary: 'Validate a brief; every issue comes back with its field path.',
      tag: 'briefs',
      body: jsonBody(briefSourceSchema, 'BriefSource'),
      answer: json(validateResponseSchema, 'BriefValidation'),
      errors: [400, 413],
      handle: ({ body }, api) => ({ json: api.validateBrief(body as BriefSource) }),
    },
    {
      operationId: 'compileBrief',
      method: 'post',
      path: '/api/briefs/compile',
      summary:
        'Compile a brief for a model family: prompt sections, CLIP windows, pushed-out text.',
      tag: 'briefs',
      body: jsonBody(compileRequestSchema, 'CompileRequest'),
      answer: json(compileResponseSchema, 'CompileResponse'),
      errors: [400, 413, 422],
      handle: async ({ body }, api) => {
        const { brief, target } = body as { brief: unknown; target?: Target };
        return { json: await api.compileBrief(brief, target) };
      },
    },
    {
      operationId: 'lintBrief',
      method: 'post',
      path: '/api/briefs/lint',
      summary: 'Contradictions a photographer would catch, each with a patch that fixes it.',
      tag: 'briefs',
      body: jsonBody(lintRequestSchema, 'LintRequest'),
      answer: json(lintResponseSchema, 'LintResponse'),
      errors: [400, 413, 422],
      handle: ({ body }, api) => ({
        json: { nudges: api.lintBrief((body as { brief: unknown }).brief) },
      }),
    },
    {
      operationId: 'patchBrief',
      method: 'post',
      path: '/api/briefs/patch',
      summary: "Apply a nudge's patch to a brief; the result is validated again.",
      tag: 'briefs',
      body: jsonBody(patchRequestSchema, 'PatchRequest'),
      answer: json(patchResponseSchema, 'PatchResponse'),
      errors: [400, 413, 422],
      handle: ({ body }, api) => {
        const { brief, patch } = body as z.output<typeof patchRequestSchema>;
        return { json: { brief: api.patchBrief(brief, patch) } };
      },
    },
    {
      operationId: 'briefText',
      method: 'post',
      path: '/api/briefs/text',
      summary: 'The brief as a YAML or JSON file, to save.',
      tag: 'briefs',
      body: jsonBody(briefTextRequestSchema, 'BriefTextRequest'),
      answer: json(briefTextResponseSchema, 'BriefText'),
      errors: [400, 413, 422],
      handle: ({ body }, api) => {
        const { brief, format } = body as z.output<typeof briefTextRequestSchema>;
        return { json: { text: api.briefText(brief, format) } };
      },
    },
    {
      operationId: 'listTemplates',
      method: 'get',
      path: '/api/templates',
      summary: 'The example briefs shipped with Portraitist, to start from.',
      tag: 'briefs',
      answer: json(templatesResponseSchema, 'Templates'),
      errors: [],
      handle: async (_input, api) => ({ json: { templates: await api.templates() } }),
    },
    {
      operationId: 'vocabulary',
      method: 'get',
      path: '/api/vocabulary',
      summary: "The brief's vocabularies with one-line descriptions, and the brief's JSON Schema.",
      tag: 'briefs',
      answer: json(vocabularyResponseSchema, 'Vocabulary'),
      errors: [],
      handle: (_input, api) => ({ json: api.vocabulary() }),
    },
    {
      operationId: 'uploadReference',
      method: 'post',
      path: '/api/references',
      summary:
        'Upload a reference photo (raw bytes). Size, format and pixel count are checked from the header before decoding.',
      tag: 'references',
      query: uploadQuerySchema,
      body: { kind: 'binary', mediaTypes: imageMediaTypes },
      answer: json(referenceSchema, 'Reference', 201),
      errors: [400, 413, 415, 422],
      handle: async ({ query, body }, api) => ({
        status: 201,
        json: await api.addReference(body as Uint8Array, (query as { name?: string }).name),
      }),
    },
    {
      operationId: 'referenceBlueprint',
      method: 'get',
      path: '/api/references/{id}/blueprint',
      summary: 'What the photo shows, pillar by pillar, and a brief read off it.',
      tag: 'references',
      params: blobParamsSchema,
      answer: json(blueprintResponseSchema, 'BlueprintAnswer'),
      errors: [400, 404, 422],
      handle: async ({ params }, api) => {
        const { id } = params as { id: string };
        return { json: { blob: id, ...(await api.blueprint(id)) } };
      },
    },
    {
      operationId: 'referenceOverlay',
      method: 'get',
      path: '/api/references/{id}/overlay.png',
      summary:
        'The photo with its blueprint drawn over it (thirds, mesh, head pose, body, light, palette).',
      tag: 'references',
      params: blobParamsSchema,
      query: overlayQuerySchema,
      answer: { kind: 'binary', status: 200, mediaTypes: ['image/png'] },
      errors: [400, 404, 422],
      handle: async ({ params, query }, api) => {
        const { id } = params as { id: string };
        const { maxSize } = query as { maxSize?: number };
        const bytes = await api.overlay(id, maxSize === undefined ? {} : { maxSize });
        return { bytes, mediaType: 'image/png' };
      },
    },
    {
      operationId: 'getBlob',
      method: 'get',
      path: '/api/blobs/{id}',
      summary: 'A stored image by its content hash.',
      tag: 'blobs',
      params: blobParamsSchema,
      answer: {
        kind: 'binary',
        status: 200,
        mediaTypes: [...imageMediaTypes, 'application/octet-stream'],
      },
      errors: [400, 404],
      handle: async ({ params }, api) => api.blob((params as { id: string }).id),
    },
    {
      operationId: 'darkroomPreview',
      method: 'post',
      path: '/api/darkroom/preview',
      summary:
        'The darkroom sliders rendered on a photo at screen size (JPEG); the photo, its face mesh and mask are cached, so a change re-renders only.',
      tag: 'darkroom',
      body: jsonBody(darkroomPreviewRequestSchema, 'DarkroomPreviewRequest'),
      answer: { kind: 'binary', status: 200, mediaTypes: ['image/jpeg'] },
      errors: [400, 404, 413, 422],
      handle: async ({ body }, api) => {
        const request = body as z.output<typeof darkroomPreviewRequestSchema>;
        const preview = await api.darkroomPreview(
          request.blob,
          request.settings,
          request.maxSize === undefined ? {} : { maxSize: request.maxSize },
        );
        return { bytes: preview.jpeg, mediaType: 'image/jpeg' };
      },
    },
    {
      operationId: 'darkroomExport',
      method: 'post',
      path: '/api/darkroom/export',
      summary: 'The darkroom sliders rendered at full resolution, stored as a PNG blob.',
      tag: 'darkroom',
      body: jsonBody(darkroomExportRequestSchema, 'DarkroomExportRequest'),
      answer: json(darkroomExportResponseSchema, 'DarkroomExport', 201),
      errors: [400, 404, 413, 422],
      handle: async ({ body }, api) => {
        const request = body as z.output<typeof darkroomExportRequestSchema>;
        return { status: 201, json: await api.darkroomExport(request.blob, request.settings) };
      },
    },
    {
      operationId: 'listSessions',
      method: 'get',
      path: '/api/sessions',
      summary: 'Sessions in the library, most recently updated first.',
      tag: 'sessions',
      query: sessionsQuerySchema,
      answer: json(sessionsResponseSchema, 'Sessions'),
      errors: [400],
      handle: async ({ query }, api) => ({
        json: { sessions: await api.listSessions((query as { limit?: number }).limit) },
      }),
    },
    {
      operationId: 'createSession',
      method: 'post',
      path: '/api/sessions',
      summary: 'Start a session from a brief (stored as its version 1).',
      tag: 'sessions',
      body: jsonBody(createSessionRequestSchema, 'CreateSession'),
      answer: json(sessionSchema, 'Session', 201),
      errors: [400, 413, 422],
      handle: async ({ body }, api) => ({
        status: 201,
        json: await api.createSession(body as z.output<typeof createSessionRequestSchema>),
      }),
    },
    {
      operationId: 'getSession',
      method: 'get',
      path: '/api/sessions/{id}',
      summary: 'A session: brief versions with the diff to the one before, rounds, candidates.',
      tag: 'sessions',
      params: idParamsSchema,
      answer: json(sessionDetailSchema, 'SessionDetail'),
      errors: [400, 404],
      handle: async ({ params }, api) => ({
        json: await api.session((params as { id: string }).id),
      }),
    },
    {
      operationId: 'startRound',
      method: 'post',
      path: '/api/sessions/{id}/rounds',
      summary:
        "Start the session's next round on a configured engine (optionally storing an edited brief first). Progress: GET /api/rounds/{id}/events.",
      tag: 'rounds',
      params: idParamsSchema,
      body: jsonBody(startRoundRequestSchema, 'StartRound'),
      answer: json(roundResponseSchema, 'RoundAnswer', 201),
      errors: [400, 404, 413, 422, 502],
      handle: async ({ params, body }, api) => ({
        status: 201,
        json: {
          round: await api.startRound((params as { id: string }).id, body as StartRoundInput),
        },
      }),
    },
    {
      operationId: 'cancelRound',
      method: 'post',
      path: '/api/rounds/{id}/cancel',
      summary: 'Cancel a running round; the candidates stored so far are kept.',
      tag: 'rounds',
      params: idParamsSchema,
      answer: json(roundResponseSchema, 'RoundAnswer'),
      errors: [400, 404],
      handle: async ({ params }, api) => ({
        json: { round: await api.cancelRound((params as { id: string }).id) },
      }),
    },
    {
      operationId: 'resumeRound',
      method: 'post',
      path: '/api/rounds/{id}/resume',
      summary:
        'Continue a round an interrupted server left running: stored candidates are kept, recorded engine jobs collected (never paid twice), the missing ones made. Progress: GET /api/rounds/{id}/events.',
      tag: 'rounds',
      params: idParamsSchema,
      answer: json(roundResponseSchema, 'RoundAnswer'),
      errors: [400, 404, 422, 502],
      handle: async ({ params }, api) => ({
        json: { round: await api.resumeRound((params as { id: string }).id) },
      }),
    },
    {
      operationId: 'roundEvents',
      method: 'get',
      path: '/api/rounds/{id}/events',
      summary:
        'Server-Sent Events of a round: started, progress (with sampling steps and previews where the engine sends them), candidate, finished.',
      tag: 'rounds',
      params: idParamsSchema,
      answer: { kind: 'binary', status: 200, mediaTypes: ['text/event-stream'] },
      errors: [400, 404],
      handle: async ({ params }, api) => ({
        stream: await api.roundEvents((params as { id: string }).id),
        mediaType: 'text/event-stream',
      }),
    },
    {
      operationId: 'roundCandidates',
      method: 'get',
      path: '/api/rounds/{id}/candidates',
      summary: "A round's candidates with per-pillar scores, flags and picks.",
      tag: 'candidates',
      params: idParamsSchema,
      answer: json(candidatesResponseSchema, 'Candidates'),
      errors: [400, 404],
      handle: async ({ params }, api) => ({
        json: { candidates: await api.candidates((params as { id: string }).id) },
      }),
    },
    {
      operationId: 'setPick',
      method: 'post',
      path: '/api/candidates/{id}/pick',
      summary: 'Pick or reject a candidate, give it 1–5 stars, or a note; null clears a field.',
      tag: 'picks',
      params: idParamsSchema,
      body: jsonBody(pickRequestSchema, 'PickRequest'),
      answer: json(pickResponseSchema, 'PickAnswer'),
      errors: [400, 404, 413],
      handle: async ({ params, body }, api) => ({
        json: await api.setPick(
          (params as { id: string }).id,
          // The schema allows 1..5 whole stars only, which is the Store's Stars.
          body as PickInput,
        ),
      }),
    },
    {
      operationId: 'searchLibrary',
      method: 'get',
      path: '/api/library/search',
      summary:
        'Search candidates by pillar score (pillar=expression>=0.8), engine, age, verdict, stars.',
      tag: 'library',
      query: searchQuerySchema,
      answer: json(candidatesResponseSchema, 'Candidates'),
      errors: [400],
      handle: async ({ query }, api) => {
        const q = query as z.output<typeof searchQuerySchema>;
        const { pillar, ...rest } = q;
        const words = Object.fromEntries(
          Object.entries(rest).filter(([, v]) => v !== undefined),
        ) as Record<string, string>;
        return {
          json: {
            candidates: await api.search({
              ...words,
              ...(pillar === undefined
                ? {}
                : { pillar: Array.isArray(pillar) ? pillar : [pillar] }),
            }),
          },
        };
      },
    },
  ];
}
