// An in-process AUTOMATIC1111 / Forge server for tests, reproducing backends.md §2: the routes the
// engine uses, `info` as a JSON string, grids and ControlNet maps around the results, the silent
// sampler fallback, Mikubill's disabled-by-default units, Basic auth, both error shapes, and
// injected faults. It is stricter than the real server where the real one would hide a client bug
// (unknown fields, image URLs): those answer 422 so a wrong request fails its test.
import { performance } from 'node:perf_hooks';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createFakeRenderer } from './render.js';

/** A fault the next generation request (txt2img/img2img) meets. */
export type FakeA1111Fault =
  /** 500 `{error:'OutOfMemoryError', detail:'', body:'', errors:'CUDA out of memory'}`. */
  | 'oom'
  /** 422 in FastAPI's `{detail:[{loc,msg,type}]}` shape, blaming `steps`. */
  | 'validation'
  /** 200 with a body cut off mid-JSON. */
  | 'malformed-json'
  /** 200 whose `info` is infotext rather than a JSON string. */
  | 'bad-info'
  /** 200 whose images are base64 of something that is not an image. */
  | 'not-image'
  /** The connection is destroyed once the request has arrived. */
  | 'drop'
  /** No answer at all, until the fake is closed; /progress shows no job (a silent server). */
  | 'hang'
  /** 200 headers, then the body one byte every 50 ms (slowloris), until the fake is closed. */
  | 'trickle';

/** Options of {@link startFakeA1111}. */
export interface FakeA1111Options {
  /** `a1111` (Mikubill ControlNet, pydantic checks) or `forge` (built-in ControlNet, no checks). Default a1111. */
  readonly flavour?: 'a1111' | 'forge';
  /** The server's `samples_format`: what the images are encoded as. Default png. */
  readonly format?: 'png' | 'jpeg' | 'webp';
  /** A build before v1.9: no /schedulers, no `scheduler` field, schedules baked into sampler names. */
  readonly legacy?: boolean;
  /** Sampler names offered (default: A1111's list for the build). */
  readonly samplers?: readonly string[];
  /** Checkpoint titles offered; the first is loaded. */
  readonly checkpoints?: readonly string[];
  /** Whether the ControlNet API exists (default true). */
  readonly controlnet?: boolean;
  /** ControlNet model names offered. */
  readonly controlnetModels?: readonly string[];
  /**
   * Prepends a grid when a request makes 2 or more images (`info.index_of_first_image` 1). The real
   * server does this only with save_images:true and return_grid on (§2.3); a client must slice anyway.
   */
  readonly returnGrid?: boolean;
  /** Requires HTTP Basic auth on /sdapi/v1/* (`--api-auth`). */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Each GET /progress advances the running job by one step; the job ends at its last step or on /interrupt. */
  readonly advanceOnPoll?: boolean;
}

/** One request as it reached the fake. */
export interface FakeA1111Request {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body, or undefined when there was none (or it was not JSON). */
  readonly json: unknown;
  readonly authorization: string | undefined;
}

/** A ControlNet unit the fake applied to a generation. */
export interface FakeA1111Unit {
  readonly module: string;
  readonly model: string;
  readonly weight: number;
  /** The decoded control image. */
  readonly image: Uint8Array;
}

/** A running fake server. */
export interface FakeA1111 {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: readonly FakeA1111Request[];
  /** The ControlNet units applied, one list per generation that finished. */
  readonly applied: ReadonlyArray<readonly FakeA1111Unit[]>;
  /** Milliseconds the server spent on each txt2img it answered, in order. */
  readonly serverMs: readonly number[];
  /** Generations the server ran (each POST that reached sampling), for "paid twice" checks. */
  generationCount(): number;
  /** The `force_task_id` of every generation request received, in order (undefined when absent). */
  readonly taskIds: ReadonlyArray<string | undefined>;
  /** The next `times` generation requests meet `fault` (Infinity: all of them). */
  failNext(fault: FakeA1111Fault, times?: number): void;
  close(): Promise<void>;
}

const modernSamplers = [
  ['DPM++ 2M', ['k_dpmpp_2m']],
  ['DPM++ SDE', ['k_dpmpp_sde']],
  ['DPM++ 2M SDE', ['k_dpmpp_2m_sde']],
  ['DPM++ 3M SDE', ['k_dpmpp_3m_sde']],
  ['Euler a', ['k_euler_a']],
  ['Euler', ['k_euler']],
  ['LMS', ['k_lms']],
  ['Heun', ['k_heun']],
  ['DPM2', ['k_dpm_2']],
  ['DPM2 a', ['k_dpm_2_a']],
  ['DDIM', []],
  ['UniPC', []],
  ['LCM', []],
] as const;

const legacySamplers = [
  'Euler a',
  'Euler',
  'LMS',
  'Heun',
  'DPM2',
  'DPM2 a',
  'DPM++ 2M',
  'DPM++ SDE',
  'DPM++ 2M Karras',
  'DPM++ SDE Karras',
  'DPM++ 2M SDE Karras',
  'DPM++ 2M SDE Exponential',
  'LMS Karras',
  'DDIM',
  'UniPC',
];

const schedulers = [
  ['automatic', 'Automatic'],
  ['uniform', 'Uniform'],
  ['karras', 'Karras'],
  ['exponential', 'Exponential'],
  ['polyexponential', 'Polyexponential'],
  ['sgm_uniform', 'SGM Uniform'],
  ['kl_optimal', 'KL Optimal'],
  ['align_your_steps', 'Align Your Steps'],
  ['simple', 'Simple'],
  ['normal', 'Normal'],
  ['ddim', 'DDIM'],
  ['beta', 'Beta'],
] as const;

const defaultCheckpoints = [
  'realisticVisionV60B1_v51VAE.safetensors [15012c538f]',
  'juggernautXL_v9Rundiffusionphoto2.safetensors [c9e3e68f89]',
];

const defaultControlNets = [
  'control_v11p_sd15_canny [d14c016b]',
  'control_v11p_sd15_openpose [cab727d4]',
  'thibaud_xl_openpose [c7b9cadd]',
];

const modules = {
  a1111: ['none', 'canny', 'openpose', 'openpose_full', 'ip-adapter_face_id'],
  forge: ['None', 'canny', 'openpose', 'openpose_full', 'InsightFace (IPAdapter)'],
} as const;

const versions = { a1111: 'v1.10.1', forge: 'f2.0.1v1.10.1-previous-669-gdfdcbab6' } as const;

// --- request models (modules/api/models.py), strict so typos fail ------------------------------

const int = z.number().int();
const base = {
  prompt: z.string(),
  negative_prompt: z.string(),
  styles: z.array(z.string()),
  seed: int,
  subseed: int,
  subseed_strength: z.number(),
  sampler_name: z.string(),
  sampler_index: z.string(),
  batch_size: int.min(1),
  n_iter: int.min(1),
  steps: int.min(1),
  cfg_scale: z.number(),
  width: int.min(8),
  height: int.min(8),
  restore_faces: z.boolean(),
  tiling: z.boolean(),
  denoising_strength: z.number().min(0).max(1),
  override_settings: z.record(z.string(), z.unknown()),
  override_settings_restore_afterwards: z.boolean(),
  send_images: z.boolean(),
  save_images: z.boolean(),
  alwayson_scripts: z.record(z.string(), z.object({ args: z.array(z.unknown()) })),
  force_task_id: z.string(),
};
const modern = { scheduler: z.string() };
const hires = {
  enable_hr: z.boolean(),
  hr_scale: z.number(),
  hr_upscaler: z.string(),
  hr_second_pass_steps: int,
};
const img2imgOnly = {
  init_images: z.array(z.string()),
  mask: z.string(),
  resize_mode: int.min(0).max(3),
  include_init_images: z.boolean(),
};

function requestSchema(kind: 'txt2img' | 'img2img', legacy: boolean) {
  return z
    .strictObject({
      ...base,
      ...(legacy ? {} : modern),
      ...(kind === 'txt2img' ? hires : img2imgOnly),
    })
    .partial();
}

// Every field any build accepts; the per-build schema above decides which a request may use.
const anyRequest = z.strictObject({ ...base, ...modern, ...hires, ...img2imgOnly }).partial();
type GenerationBody = z.infer<typeof anyRequest>;

// Mikubill's ControlNetUnit (internal_controlnet/args.py) with its ranges.
const mikubillUnit = z
  .strictObject({
    enabled: z.boolean(),
    module: z.string(),
    model: z.string(),
    image: z.union([
      z.string(),
      z.object({ image: z.string(), mask: z.string().optional() }),
      z.array(z.string()),
    ]),
    weight: z.number().min(0).max(2),
    resize_mode: z.union([
      z.enum(['Just Resize', 'Crop and Resize', 'Resize and Fill']),
      int.min(0).max(2),
    ]),
    processor_res: int,
    threshold_a: z.number(),
    threshold_b: z.number(),
    guidance_start: z.number().min(0).max(1),
    guidance_end: z.number().min(0).max(1),
    pixel_perfect: z.boolean(),
    control_mode: z.union([
      z.enum(['Balanced', 'My prompt is more important', 'ControlNet is more important']),
      int.min(0).max(2),
    ]),
    save_detected_map: z.boolean(),
    low_vram: z.boolean(),
    hr_option: z.enum(['Both', 'Low res only', 'High res only']),
  })
  .partial();

interface FastApiDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

// Pydantic v1 wording, as FastAPI's RequestValidationError handler shows it.
function fastApiDetails(error: z.ZodError, prefix: Array<string | number>): FastApiDetail[] {
  return error.issues.flatMap((issue): FastApiDetail[] => {
    const loc = [
      'body',
      ...prefix,
      ...issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    ];
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        loc: [...loc, key],
        msg: 'extra fields not permitted',
        type: 'value_error.extra',
      }));
    if (issue.code === 'invalid_type') {
      const kind =
        issue.expected === 'number' || issue.expected === 'int'
          ? issue.expected === 'int'
            ? ['value is not a valid integer', 'type_error.integer']
            : ['value is not a valid float', 'type_error.float']
          : issue.expected === 'string'
            ? ['str type expected', 'type_error.str']
            : issue.expected === 'boolean'
              ? ['value could not be parsed to a boolean', 'type_error.bool']
              : [issue.message, `type_error.${issue.expected}`];
      return [{ loc, msg: kind[0] ?? '', type: kind[1] ?? '' }];
    }
    return [{ loc, msg: issue.message, type: `value_error.${issue.code}` }];
  });
}

// --- helpers -------------------------------------------------------------------------------------

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

// api.py: api_middleware.handle_exception (§2.6).
function middlewareError(
  res: ServerResponse,
  status: number,
  error: string,
  detail: string,
  errors?: string,
): void {
  sendJson(res, status, {
    error,
    detail,
    body: '',
    errors: errors ?? (error === 'HTTPException' ? `${status}: ${detail}` : detail),
  });
}

function validationError(res: ServerResponse, detail: FastApiDetail[]): void {
  sendJson(res, 422, { detail });
}

function imageKind(bytes: Uint8Array): 'png' | 'jpeg' | 'webp' | null {
  const b = Buffer.from(bytes);
  if (
    b.length >= 8 &&
    b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 12 &&
    b.toString('latin1', 0, 4) === 'RIFF' &&
    b.toString('latin1', 8, 12) === 'WEBP'
  )
    return 'webp';
  return null;
}

/** Decodes an image field the way decode_base64_to_image does, refusing URLs (see the header). */
function decodeImageField(
  value: string,
): { bytes: Uint8Array } | { url: true } | { invalid: true } {
  if (/^https?:\/\//i.test(value)) return { url: true };
  const bytes = new Uint8Array(
    Buffer.from(value.replace(/^data:image\/[\w+.-]+;base64,/, ''), 'base64'),
  );
  return imageKind(bytes) === null ? { invalid: true } : { bytes };
}

const modelName = (title: string): string =>
  title.replace(/\s*\[[0-9a-f]+\]$/i, '').replace(/\.[^.]+$/, '');
const modelHash = (title: string): string | null => /\[([0-9a-f]+)\]$/i.exec(title)?.[1] ?? null;

// --- the server ----------------------------------------------------------------------------------

interface Job {
  readonly steps: number;
  step: number;
  interrupted: boolean;
  wake: () => void;
}

/** Starts a fake A1111/Forge server on 127.0.0.1 (a free port). */
export async function startFakeA1111(options: FakeA1111Options = {}): Promise<FakeA1111> {
  const flavour = options.flavour ?? 'a1111';
  const legacy = options.legacy ?? false;
  const format = options.format ?? 'png';
  const samplerList: Array<{ name: string; aliases: string[] }> =
    options.samplers !== undefined
      ? options.samplers.map((name) => ({ name, aliases: [] }))
      : legacy
        ? legacySamplers.map((name) => ({ name, aliases: [] }))
        : modernSamplers.map(([name, aliases]) => ({ name, aliases: [...aliases] }));
  const checkpoints = [...(options.checkpoints ?? defaultCheckpoints)];
  const hasControlNet = options.controlnet ?? true;
  const controlnetModels = [...(options.controlnetModels ?? defaultControlNets)];
  // Forge lists its "None" entry among the models (lib_controlnet/global_state.py).
  const modelList = flavour === 'forge' ? ['None', ...controlnetModels] : controlnetModels;
  const moduleList: readonly string[] = modules[flavour];
  const renderer = createFakeRenderer();

  const requests: FakeA1111Request[] = [];
  const serverMs: number[] = [];
  const taskIds: Array<string | undefined> = [];
  let generations = 0;
  const applied: FakeA1111Unit[][] = [];
  const faults: Array<{ fault: FakeA1111Fault; left: number }> = [];
  const hanging = new Set<() => void>();
  let loaded = checkpoints[0] ?? 'none';
  let job: Job | undefined;
  let lock: Promise<void> = Promise.resolve();
  let closed = false;

  // One generation at a time, like the server's queue_lock.
  const exclusive = <T>(run: () => Promise<T>): Promise<T> => {
    const result = lock.then(run);
    lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  function takeFault(): FakeA1111Fault | undefined {
    const next = faults[0];
    if (next === undefined) return undefined;
    next.left -= 1;
    if (next.left <= 0) faults.shift();
    return next.fault;
  }

  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    if (options.auth === undefined) return true;
    const header = req.headers.authorization;
    const expected = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
    if (header === expected) return true;
    // HTTPBasic raises "Not authenticated" without credentials; api.py's check says the rest.
    const detail = header === undefined ? 'Not authenticated' : 'Incorrect username or password';
    sendJson(
      res,
      401,
      { error: 'HTTPException', detail, body: '', errors: `401: ${detail}` },
      { 'www-authenticate': 'Basic' },
    );
    return false;
  }

  async function generate(
    kind: 'txt2img' | 'img2img',
    json: unknown,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const parsed = requestSchema(kind, legacy).safeParse(json);
    if (!parsed.success) return validationError(res, fastApiDetails(parsed.error, []));
    // Passed the build's own schema, so it passes the union of all fields too (and gets its type).
    const body: GenerationBody = anyRequest.parse(parsed.data);

    if (kind === 'img2img') {
      const init = body.init_images ?? [];
      if (init.length === 0)
        return middlewareError(res, 404, 'HTTPException', 'Init image not found');
      for (const [i, value] of init.entries()) {
        const decoded = decodeImageField(value);
        if ('url' in decoded)
          return validationError(res, [
            {
              loc: ['body', 'init_images', i],
              msg: 'image URLs are refused here: the server would download them itself (SSRF, backends.md §2.7); send base64',
              type: 'value_error.url',
            },
          ]);
        if ('invalid' in decoded)
          return middlewareError(res, 500, 'HTTPException', 'Invalid encoded image');
      }
    }

    // ControlNet (§2.5): unknown scripts are refused; units are checked per implementation.
    const units: FakeA1111Unit[] = [];
    for (const [title, script] of Object.entries(body.alwayson_scripts ?? {})) {
      if (title.toLowerCase() !== 'controlnet' || !hasControlNet)
        return middlewareError(res, 422, 'HTTPException', `always on script ${title} not found`);
      for (const [i, raw] of script.args.entries()) {
        const loc = ['alwayson_scripts', title, 'args', i];
        const unit =
          flavour === 'a1111' ? checkMikubillUnit(raw, loc, res) : checkForgeUnit(raw, loc, res);
        if (unit === 'answered') return;
        if (unit !== null) units.push(unit);
      }
    }

    taskIds.push(body.force_task_id);
    const fault = takeFault();
    if (fault === 'trickle') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const text = '{"images": [], "info": "{}"}';
      for (let i = 0; ; i++) {
        const closed = await new Promise<boolean>((resolve) => {
          const release = () => {
            clearTimeout(timer);
            resolve(true);
          };
          const timer = setTimeout(() => {
            hanging.delete(release);
            resolve(false);
          }, 50);
          hanging.add(release);
        });
        if (closed || res.destroyed) return;
        res.write(text[i % text.length] ?? ' ');
      }
    }
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault === 'hang') {
      await new Promise<void>((resolve) => hanging.add(resolve));
      return;
    }
    if (fault === 'oom')
      return middlewareError(res, 500, 'OutOfMemoryError', '', 'CUDA out of memory');
    if (fault === 'validation')
      return validationError(res, [
        { loc: ['body', 'steps'], msg: 'value is not a valid integer', type: 'type_error.integer' },
      ]);
    if (fault === 'malformed-json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"images": ["iVBORw0KGgo');
      return;
    }

    await exclusive(async () => {
      generations++;
      const steps = body.steps ?? 50;
      await run(steps);
      const answer = await render(body, units, fault);
      applied.push(units);
      sendJson(res, 200, answer);
    });
  }

  // The job's sampling steps: instant, or one per progress poll (so tests see progress without timing).
  async function run(steps: number): Promise<void> {
    await new Promise<void>((resolve) => {
      job = { steps, step: 0, interrupted: false, wake: resolve };
      if (!(options.advanceOnPoll ?? false) || closed) {
        job.step = steps;
        resolve();
      }
    });
    job = undefined;
  }

  function checkMikubillUnit(
    raw: unknown,
    loc: Array<string | number>,
    res: ServerResponse,
  ): FakeA1111Unit | null | 'answered' {
    const parsed = mikubillUnit.safeParse(raw);
    if (!parsed.success) {
      validationError(res, fastApiDetails(parsed.error, loc));
      return 'answered';
    }
    const unit = parsed.data;
    const module = unit.module ?? 'none';
    const model = unit.model ?? 'None';
    const notFound = (field: string, value: string): 'answered' => {
      validationError(res, [
        { loc: ['body', ...loc, field], msg: `${field} '${value}' not found`, type: 'value_error' },
      ]);
      return 'answered';
    };
    if (!moduleList.includes(module)) return notFound('module', module);
    if (model !== 'None' && !modelList.includes(model)) return notFound('model', model);
    // Mikubill's default is enabled:false: such a unit does nothing.
    if (unit.enabled !== true) return null;
    return withImage(unit.image, [...loc, 'image'], res, module, model, unit.weight ?? 1);
  }

  function checkForgeUnit(
    raw: unknown,
    loc: Array<string | number>,
    res: ServerResponse,
  ): FakeA1111Unit | null | 'answered' {
    // Forge takes what it gets (unknown keys dropped) and fails later, as a 500, on what it cannot use.
    const unit = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (unit['enabled'] === false) return null;
    const module = typeof unit['module'] === 'string' ? unit['module'] : 'None';
    const model = typeof unit['model'] === 'string' ? unit['model'] : 'None';
    if (!moduleList.includes(module)) {
      middlewareError(
        res,
        500,
        'AttributeError',
        '',
        "'NoneType' object has no attribute 'slider_resolution'",
      );
      return 'answered';
    }
    if (!modelList.includes(model)) {
      middlewareError(res, 500, 'AssertionError', '', `Recognizing Control Model failed: ${model}`);
      return 'answered';
    }
    const weight = typeof unit['weight'] === 'number' ? unit['weight'] : 1;
    return withImage(unit['image'], [...loc, 'image'], res, module, model, weight);
  }

  function withImage(
    image: unknown,
    loc: Array<string | number>,
    res: ServerResponse,
    module: string,
    model: string,
    weight: number,
  ): FakeA1111Unit | 'answered' {
    const value =
      typeof image === 'string'
        ? image
        : typeof image === 'object' &&
            image !== null &&
            'image' in image &&
            typeof image.image === 'string'
          ? image.image
          : undefined;
    if (value === undefined) {
      middlewareError(
        res,
        500,
        'ValueError',
        '',
        'controlnet is enabled but no input image is given',
      );
      return 'answered';
    }
    const decoded = decodeImageField(value);
    if ('url' in decoded) {
      validationError(res, [
        {
          loc: ['body', ...loc],
          msg: 'image URLs are refused here: the server would download them itself (SSRF, backends.md §2.7); send base64',
          type: 'value_error.url',
        },
      ]);
      return 'answered';
    }
    if ('invalid' in decoded) {
      middlewareError(res, 500, 'HTTPException', 'Invalid encoded image');
      return 'answered';
    }
    return { module, model, weight, image: decoded.bytes };
  }

  function resolveSampler(body: GenerationBody): { sampler: string; scheduler: string } {
    const find = (name: string) =>
      samplerList.find(
        (s) =>
          s.name.toLowerCase() === name.toLowerCase() ||
          s.aliases.some((a) => a.toLowerCase() === name.toLowerCase()),
      );
    let name = body.sampler_name || body.sampler_index || 'Euler';
    let scheduler = 'automatic';
    if (!legacy) {
      const wanted = body.scheduler;
      const byName = schedulers.find(
        ([id, label]) =>
          wanted !== undefined &&
          (id === wanted.toLowerCase() || label.toLowerCase() === wanted.toLowerCase()),
      );
      if (byName !== undefined) scheduler = byName[0];
      // v1.9+ splits a trailing schedule label off the name ("DPM++ 2M Karras").
      if (find(name) === undefined)
        for (const [id, label] of schedulers)
          if (name.endsWith(` ${label}`)) {
            name = name.slice(0, -(label.length + 1));
            scheduler = id;
            break;
          }
    }
    // The server's silent fallback for a name it does not know (§2.1).
    return { sampler: find(name)?.name ?? 'Euler', scheduler };
  }

  async function render(
    body: GenerationBody,
    units: readonly FakeA1111Unit[],
    fault: FakeA1111Fault | undefined,
  ) {
    const width = body.width ?? 512;
    const height = body.height ?? 512;
    const count = (body.batch_size ?? 1) * (body.n_iter ?? 1);
    const seed =
      body.seed === undefined || body.seed === -1
        ? Math.floor(Math.random() * 4294967294)
        : body.seed;
    const seeds = Array.from({ length: count }, (_, k) => seed + k);
    const { sampler, scheduler } = resolveSampler(body);
    const override = body.override_settings ?? {};
    const wantedModel = override['sd_model_checkpoint'];
    // An unknown checkpoint in override_settings leaves the loaded one in place.
    const model =
      typeof wantedModel === 'string' && checkpoints.includes(wantedModel) ? wantedModel : loaded;

    const encode = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    const results =
      fault === 'not-image'
        ? seeds.map(() =>
            Buffer.from('<html><body>502 Bad Gateway</body></html>').toString('base64'),
          )
        : await Promise.all(
            seeds.map(async (s) => encode(await renderer.render(s, width, height, format))),
          );
    const grid = (options.returnGrid ?? false) && count >= 2;
    const images = [
      ...(grid ? [encode(await renderer.render(seed + 7_000_000, width * 2, height, format))] : []),
      ...results,
      // Mikubill honours save_detected_map; Forge appends its extra_result_images regardless.
      ...units
        .filter((_unit, i) => flavour === 'forge' || readSaveMap(body, i))
        .map((u) => encode(u.image)),
    ];
    const prompt = body.prompt ?? '';
    const negative = body.negative_prompt ?? '';
    const extra: Record<string, string> = {};
    if (scheduler !== 'automatic')
      extra['Schedule type'] = schedulers.find(([id]) => id === scheduler)?.[1] ?? scheduler;
    units.forEach((u, i) => {
      extra[`ControlNet ${i}`] = `Module: ${u.module}, Model: ${u.model}, Weight: ${u.weight}`;
    });
    const infotext = (s: number) =>
      `${prompt}\nNegative prompt: ${negative}\nSteps: ${body.steps ?? 50}, Sampler: ${sampler}, CFG scale: ${body.cfg_scale ?? 7}, Seed: ${s}, Size: ${width}x${height}, Model: ${modelName(model)}`;
    const info = {
      prompt,
      all_prompts: seeds.map(() => prompt),
      negative_prompt: negative,
      all_negative_prompts: seeds.map(() => negative),
      seed,
      all_seeds: seeds,
      subseed: 99,
      all_subseeds: seeds.map(() => 99),
      subseed_strength: 0,
      width,
      height,
      sampler_name: sampler,
      cfg_scale: body.cfg_scale ?? 7,
      steps: body.steps ?? 50,
      batch_size: body.batch_size ?? 1,
      restore_faces: false,
      face_restoration_model: null,
      sd_model_name: modelName(model),
      sd_model_hash: modelHash(model),
      sd_vae_name: null,
      sd_vae_hash: null,
      seed_resize_from_w: -1,
      seed_resize_from_h: -1,
      denoising_strength: body.denoising_strength ?? null,
      extra_generation_params: extra,
      index_of_first_image: grid ? 1 : 0,
      infotexts: [...(grid ? [infotext(seed)] : []), ...seeds.map(infotext)],
      styles: [],
      job_timestamp: '20250101120000',
      clip_skip: 1,
      is_using_inpainting_conditioning: false,
      version: versions[flavour],
    };
    return {
      images,
      parameters: { ...body, seed, sampler_name: sampler },
      info: fault === 'bad-info' ? infotext(seed) : JSON.stringify(info),
    };
  }

  function readSaveMap(body: GenerationBody, index: number): boolean {
    const args = body.alwayson_scripts?.['controlnet']?.args ?? [];
    const enabled = args.filter(
      (a) =>
        typeof a === 'object' && a !== null && (a as Record<string, unknown>)['enabled'] === true,
    );
    const unit = enabled[index] as Record<string, unknown> | undefined;
    return unit?.['save_detected_map'] !== false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    let json: unknown;
    let badJson = false;
    if (raw.length > 0)
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        badJson = true;
      }
    requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      json,
      authorization: req.headers.authorization,
    });
    if (path.startsWith('/sdapi/v1/') && !authorized(req, res)) return;
    if (badJson)
      return validationError(res, [
        { loc: ['body', 0], msg: 'Expecting value', type: 'value_error.jsondecode' },
      ]);

    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /sdapi/v1/samplers':
        return sendJson(
          res,
          200,
          samplerList.map((s) => ({ name: s.name, aliases: s.aliases, options: {} })),
        );
      case 'GET /sdapi/v1/schedulers':
        if (legacy) return sendJson(res, 404, { detail: 'Not Found' });
        return sendJson(
          res,
          200,
          schedulers.map(([name, label]) => ({
            name,
            label,
            aliases: null,
            default_rho: -1,
            need_inner_model: false,
          })),
        );
      case 'GET /sdapi/v1/sd-models':
        return sendJson(
          res,
          200,
          checkpoints.map((title) => ({
            title,
            model_name: modelName(title),
            hash: modelHash(title),
            sha256: null,
            filename: `/models/Stable-diffusion/${title.replace(/\s*\[.*$/, '')}`,
            config: null,
          })),
        );
      case 'GET /sdapi/v1/options':
        return sendJson(res, 200, {
          sd_model_checkpoint: loaded,
          samples_format: format === 'jpeg' ? 'jpg' : format,
          return_grid: options.returnGrid ?? false,
          CLIP_stop_at_last_layers: 1,
        });
      case 'POST /sdapi/v1/options': {
        const wanted = (json as Record<string, unknown> | undefined)?.['sd_model_checkpoint'];
        if (typeof wanted === 'string') {
          if (!checkpoints.includes(wanted))
            return middlewareError(
              res,
              500,
              'RuntimeError',
              '',
              `model ${JSON.stringify(wanted)} not found`,
            );
          loaded = wanted;
        }
        return sendJson(res, 200, null);
      }
      case 'GET /sdapi/v1/progress': {
        const current = job;
        if (current !== undefined && (options.advanceOnPoll ?? false)) {
          current.step = Math.min(current.steps, current.step + 1);
          if (current.step >= current.steps) current.wake();
        }
        const step = current?.step ?? 0;
        const steps = current?.steps ?? 0;
        return sendJson(res, 200, {
          progress: steps > 0 ? step / steps : 0,
          eta_relative: 0,
          state: {
            skipped: false,
            interrupted: current?.interrupted ?? false,
            stopping_generation: false,
            job: current === undefined ? '' : 'scripts_txt2img',
            job_count: current === undefined ? 0 : 1,
            job_timestamp: '20250101120000',
            job_no: 0,
            sampling_step: step,
            sampling_steps: steps,
          },
          current_image: null,
          textinfo: null,
        });
      }
      case 'POST /sdapi/v1/interrupt':
        if (job !== undefined) {
          job.interrupted = true;
          job.wake();
        }
        return sendJson(res, 200, {});
      case 'POST /sdapi/v1/txt2img': {
        // The server's own time per generation, queue lock included.
        const began = performance.now();
        res.once('finish', () => serverMs.push(performance.now() - began));
        return generate('txt2img', json, req, res);
      }
      case 'POST /sdapi/v1/img2img':
        return generate('img2img', json, req, res);
      case 'GET /controlnet/model_list':
        if (!hasControlNet) break;
        return sendJson(res, 200, { model_list: modelList });
      case 'GET /controlnet/module_list':
        if (!hasControlNet) break;
        return sendJson(res, 200, {
          module_list: moduleList,
          ...(flavour === 'a1111' ? { module_detail: {} } : {}),
        });
    }
    const known = [
      '/sdapi/v1/samplers',
      '/sdapi/v1/options',
      '/sdapi/v1/txt2img',
      '/sdapi/v1/img2img',
      '/sdapi/v1/interrupt',
    ];
    if (known.includes(path)) return sendJson(res, 405, { detail: 'Method Not Allowed' });
    return sendJson(res, 404, { detail: 'Not Found' });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
        middlewareError(
          res,
          500,
          'Exception',
          '',
          error instanceof Error ? error.message : String(error),
        );
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    applied,
    serverMs,
    generationCount: () => generations,
    taskIds,
    failNext(fault, times = 1) {
      faults.push({ fault, left: times });
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const release of hanging) release();
        hanging.clear();
        job?.wake();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
