// The AUTOMATIC1111/Forge HTTP API as backends.md §2 documents it: zod schemas for every answer the
// engine reads, and the two error shapes (§2.6) turned into a message and issues with paths.
import { z } from 'zod';
import { formatPath, type Issue } from '../../errors/index.js';
import type { RemoteErrorDetail } from '../remote/http.js';

/** GET /sdapi/v1/samplers: `[{name, aliases, options}]`. */
export const samplersSchema = z.array(
  z.object({
    name: z.string(),
    aliases: z.array(z.string()).nullable().optional(),
  }),
);

/** GET /sdapi/v1/schedulers (v1.9+): `[{name, label, aliases, default_rho, need_inner_model}]`. */
export const schedulersSchema = z.array(
  z.object({
    name: z.string(),
    label: z.string().optional(),
    aliases: z.array(z.string()).nullable().optional(),
  }),
);

/** GET /sdapi/v1/sd-models: `[{title, model_name, hash, sha256, filename, config}]`. */
export const sdModelsSchema = z.array(z.object({ title: z.string(), model_name: z.string() }));

/** GET /controlnet/model_list (Mikubill and Forge). */
export const controlnetModelsSchema = z.object({ model_list: z.array(z.string()) });

/** GET /controlnet/module_list (Mikubill and Forge). */
export const controlnetModulesSchema = z.object({ module_list: z.array(z.string()) });

/** GET /sdapi/v1/progress (§2.4); global state, one job at a time. */
export const progressSchema = z.object({
  progress: z.number(),
  state: z
    .object({
      sampling_step: z.number().optional(),
      sampling_steps: z.number().optional(),
      // What moves between jobs and batches: read for the idle check (§2.4).
      job: z.string().optional(),
      job_no: z.number().optional(),
      job_count: z.number().optional(),
      job_timestamp: z.string().optional(),
    })
    .optional(),
});

/** POST /sdapi/v1/txt2img|img2img: `info` is a JSON-encoded string (§2.1). */
export const generationSchema = z.object({
  images: z.array(z.string()),
  info: z.string(),
});

/** The keys of the parsed `info` string the engine reads (`Processed.js()` in processing.py). */
export const infoSchema = z.object({
  all_seeds: z.array(z.number().int()),
  index_of_first_image: z.number().int().min(0),
  sampler_name: z.string().nullable().optional(),
  sd_model_name: z.string().nullable().optional(),
  sd_model_hash: z.string().nullable().optional(),
  version: z.string().nullable().optional(),
});

/** The parsed `info` of a generation answer. */
export type GenerationInfo = z.infer<typeof infoSchema>;

// §2.6: HTTPExceptions and crashes come back as {error, detail, body, errors}.
const middlewareError = z.object({
  error: z.string(),
  detail: z.unknown().optional(),
  errors: z.unknown().optional(),
});
// FastAPI's own RequestValidationError handler: 422 {detail: [{loc, msg, type}]}.
const validationError = z.object({
  detail: z.array(
    z.object({
      loc: z.array(z.union([z.string(), z.number()])),
      msg: z.string(),
      type: z.string().optional(),
    }),
  ),
});
// FastAPI's default for an unknown route: 404 {detail: "Not Found"}.
const plainError = z.object({ detail: z.string() });

const text = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : value === undefined || value === null
      ? ''
      : JSON.stringify(value);

const firstLine = (body: string): string => {
  const line = body.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
};

/** Reads an A1111/Forge error body (both §2.6 shapes) into a message and the request fields it blames. */
export function describeA1111Error(_status: number, body: string): RemoteErrorDetail {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { message: firstLine(body) || '(empty body)' };
  }
  const validation = validationError.safeParse(value);
  if (validation.success) {
    const issues = validation.data.detail.map((entry): Issue => {
      // loc starts with where FastAPI found the field ("body", "query"); the rest is the field's path.
      const loc =
        entry.loc[0] === 'body' || entry.loc[0] === 'query' ? entry.loc.slice(1) : entry.loc;
      const path = formatPath(loc);
      const kind = entry.type === undefined ? '' : ` (${entry.type})`;
      return { path, message: `the server refused \`${path || '(body)'}\`: ${entry.msg}${kind}` };
    });
    return {
      message: `invalid request: ${issues.map((i) => i.message.replace(/^the server refused /, '')).join('; ')}`,
      issues,
    };
  }
  const middleware = middlewareError.safeParse(value);
  if (middleware.success) {
    const { error, detail, errors } = middleware.data;
    const said = text(detail) || text(errors);
    return { message: said === '' ? error : `${error}: ${said}` };
  }
  const plain = plainError.safeParse(value);
  if (plain.success) return { message: plain.data.detail };
  return { message: firstLine(body) || '(empty body)' };
}
