// AUTOMATIC1111 and Forge as an Engine, following the source-checked contract in backends.md §2:
// POST /sdapi/v1/txt2img (one request per batch), names checked against the server's lists before
// anything is generated (an unknown sampler silently falls back, §2.1), pose through a ControlNet
// unit in `alwayson_scripts` (§2.5), results sliced out of `images` by `info` (§2.3), progress polled
// from the global /progress (§2.4), and /interrupt when we stop waiting.
//
// Identity and style references are refused, not approximated: A1111 has no built-in identity or
// style adapter, the Mikubill IP-Adapter modules are not part of the checked contract, and img2img
// from the reference photo would copy its framing, light and expression over what the brief
// directs. So describe() says identityReference: false and img2img: false.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { PortraitistError, isPortraitistError, type Issue } from '../../errors/index.js';
import type { ControlRequest } from '../../prompt/index.js';
import type { Vision } from '../../vision/index.js';
import { poseSkeleton, poseSkeletonFromVision, type PoseSkeletonSource } from '../controls.js';
import { createRemoteClient } from '../remote/http.js';
import { candidatePng } from '../remote/images.js';
import { describeValue, parseAnswer } from '../remote/validate.js';
import { checkCount, checkSeedRange, makeCandidate, planRun, throwIfAborted } from '../request.js';
import type {
  Candidate,
  Engine,
  EngineCapabilities,
  EngineProgress,
  GenerateOptions,
  GenerationRequest,
} from '../types.js';
import {
  controlnetModelsSchema,
  controlnetModulesSchema,
  describeA1111Error,
  generationSchema,
  infoSchema,
  progressSchema,
  samplersSchema,
  schedulersSchema,
  sdModelsSchema,
  type GenerationInfo,
} from './api.js';
import { chooseSampler, type SamplerChoice, type ServerSamplers } from './samplers.js';

/** Options of {@link createA1111Engine}. */
export interface A1111EngineOptions {
  /** The server, e.g. `http://127.0.0.1:7860`; `user:pass@` in it becomes Basic auth (`--api-auth`). */
  readonly url: string;
  /** A title from GET /sdapi/v1/sd-models, sent as `override_settings.sd_model_checkpoint`; default: the loaded model. */
  readonly checkpoint?: string;
  /** A name from GET /controlnet/model_list for pose control; default: an OpenPose model of the target family. */
  readonly controlnetModel?: string;
  /** Draws the OpenPose skeleton of a pose reference. */
  readonly vision?: Vision;
  /** Draws pose skeletons instead of `vision`. */
  readonly poseSkeleton?: PoseSkeletonSource;
  /** Images per request (`batch_size`, default 4); more candidates take several requests. */
  readonly maxBatch?: number;
  readonly fetch?: typeof globalThis.fetch;
  /** Time allowed for one generation request (default 30 min): the server holds the connection for the whole run (§2.7). */
  readonly timeoutMs?: number;
  /**
   * Longest time a generation may show no sign of life (default 5 min): /progress unchanged or
   * unanswered. The server holds the connection for the whole run and sends nothing until the end,
   * so silence on the socket is normal; a job that stops moving is not.
   */
  readonly idleTimeoutMs?: number;
  /** Time allowed for an answer's body once its headers came (default 2 min): a trickle is cut off. */
  readonly bodyTimeoutMs?: number;
  /** Task ids sent as `force_task_id` (§2.1); injectable for tests. */
  readonly randomId?: () => string;
  /** How often progress is polled during a generation (default 500 ms). */
  readonly pollMs?: number;
  /** Extra attempts after a connection error (default 3). */
  readonly retries?: number;
  /** First backoff delay between attempts (default 250 ms). */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => Date;
}

const service = 'A1111';
const engineId = 'a1111';
const maxCount = 64;
const sizes = { min: 64, max: 2048, multipleOf: 8 } as const;

interface ControlNetServer {
  readonly models: readonly string[];
  readonly modules: readonly string[];
}

/** What a request becomes once checked locally, before the server is asked anything. */
interface Plan {
  readonly target: 'sd15' | 'sdxl';
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly cfg: number;
  readonly sampler: string;
  readonly scheduler: string | null;
  readonly clipSkip: number | undefined;
  readonly pose: ControlRequest | undefined;
}

/** An Engine that renders on an AUTOMATIC1111 or Forge server through its `/sdapi/v1` API. */
export function createA1111Engine(options: A1111EngineOptions): Engine {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const pollMs = options.pollMs ?? 500;
  const idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000;
  const randomId = options.randomId ?? (() => randomUUID());
  const maxBatch = options.maxBatch ?? 4;
  const now = options.now ?? (() => new Date());
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw usage(
      `expected a whole number of at least 1 for \`maxBatch\` but received ${maxBatch}`,
      'maxBatch',
    );
  const skeletons =
    options.poseSkeleton ??
    (options.vision === undefined ? undefined : poseSkeletonFromVision(options.vision));
  const shared = {
    service,
    baseUrl: options.url,
    describeError: describeA1111Error,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
  };
  const client = createRemoteClient({
    ...shared,
    timeoutMs,
    ...(options.retries === undefined ? {} : { retries: options.retries }),
  });
  // Progress polls and /interrupt are best effort: never retried, never waited on for long.
  const sideClient = createRemoteClient({
    ...shared,
    timeoutMs: Math.min(timeoutMs, 10_000),
    retries: 0,
  });
  const listTimeoutMs = Math.min(timeoutMs, 60_000);

  // What the server offers, learned once per engine instance: make a new engine after adding models.
  let samplers: ServerSamplers | undefined;
  let checkpoints: readonly string[] | undefined;
  let controlnet: ControlNetServer | null | undefined;

  async function serverSamplers(signal: AbortSignal | undefined): Promise<ServerSamplers> {
    samplers ??= {
      samplers: await client.json('/sdapi/v1/samplers', samplersSchema, {
        signal,
        timeoutMs: listTimeoutMs,
      }),
      // v1.9 added a separate scheduler; older builds answer 404 and want "DPM++ 2M Karras".
      schedulers: await orNullWhenMissing(
        client.json('/sdapi/v1/schedulers', schedulersSchema, { signal, timeoutMs: listTimeoutMs }),
      ),
    };
    return samplers;
  }

  async function serverCheckpoints(signal: AbortSignal | undefined): Promise<readonly string[]> {
    checkpoints ??= (
      await client.json('/sdapi/v1/sd-models', sdModelsSchema, { signal, timeoutMs: listTimeoutMs })
    ).map((m) => m.title);
    return checkpoints;
  }

  async function serverControlNet(
    signal: AbortSignal | undefined,
  ): Promise<ControlNetServer | null> {
    if (controlnet !== undefined) return controlnet;
    const models = await orNullWhenMissing(
      client.json('/controlnet/model_list', controlnetModelsSchema, {
        signal,
        timeoutMs: listTimeoutMs,
      }),
    );
    const modules =
      models === null
        ? null
        : await client.json('/controlnet/module_list', controlnetModulesSchema, {
            signal,
            timeoutMs: listTimeoutMs,
          });
    controlnet =
      models === null || modules === null
        ? null
        : { models: models.model_list, modules: modules.module_list };
    return controlnet;
  }

  /** Everything the server must offer for this plan, or one ENGINE_CAPABILITY error listing all that is missing. */
  async function resolve(plan: Plan, signal: AbortSignal | undefined) {
    const issues: Issue[] = [];
    const choice = chooseSampler(plan.sampler, plan.scheduler, await serverSamplers(signal));
    if (Array.isArray(choice)) issues.push(...choice);
    if (options.checkpoint !== undefined) {
      const titles = await serverCheckpoints(signal);
      if (!titles.includes(options.checkpoint))
        issues.push({
          path: 'checkpoint',
          message: `expected one of ${list(titles)} (titles from /sdapi/v1/sd-models) for \`checkpoint\` but received ${JSON.stringify(options.checkpoint)}`,
        });
    }
    let unit: { module: string; model: string } | undefined;
    if (plan.pose !== undefined)
      unit = pickControlNet(issues, plan.target, await serverControlNet(signal));
    if (issues.length > 0 || Array.isArray(choice))
      throw new PortraitistError(
        'ENGINE_CAPABILITY',
        `the ${service} server at ${client.origin} cannot run this request: ${issues.map((i) => i.path).join(', ')} not available`,
        { issues, source: client.origin },
      );
    return { choice, unit };
  }

  function pickControlNet(
    issues: Issue[],
    target: 'sd15' | 'sdxl',
    server: ControlNetServer | null,
  ): { module: string; model: string } | undefined {
    if (server === null) {
      issues.push({
        path: 'controlnet',
        message:
          'expected the ControlNet API (/controlnet/model_list) for `controlnet` to follow a pose reference but the server has none; install sd-webui-controlnet (Forge has it built in)',
      });
      return undefined;
    }
    // The pass-through preprocessor: "none" in Mikubill, "None" in Forge (§2.5); Forge finds
    // preprocessors by exact name, so the wrong case fails there.
    const module =
      server.modules.find((m) => m === 'none') ?? server.modules.find((m) => m === 'None');
    if (module === undefined)
      issues.push({
        path: 'controlnet',
        message: `expected a pass-through preprocessor ("none" or "None") in /controlnet/module_list for \`controlnet\` but received ${list(server.modules)}`,
      });
    const models = server.models.filter((m) => m.toLowerCase() !== 'none');
    if (options.controlnetModel !== undefined) {
      if (!models.includes(options.controlnetModel)) {
        issues.push({
          path: 'controlnetModel',
          message: `expected one of ${list(models)} for \`controlnetModel\` but received ${JSON.stringify(options.controlnetModel)}`,
        });
        return undefined;
      }
      return module === undefined ? undefined : { module, model: options.controlnetModel };
    }
    // An OpenPose model of the right family, by name: a canny or SD1.5 model would mislead.
    const openpose = models.filter((m) => /openpose/i.test(m));
    const model = openpose.find((m) => /xl/i.test(m) === (target === 'sdxl')) ?? openpose[0];
    if (model === undefined) {
      issues.push({
        path: 'controlnet',
        message: `expected an OpenPose ControlNet model for \`controlnet\` but received none among ${list(models)}; pass \`controlnetModel\` to choose one`,
      });
      return undefined;
    }
    return module === undefined ? undefined : { module, model };
  }

  async function interrupt(): Promise<void> {
    try {
      // Global: it stops whatever job the server is running (§2.4), which is ours while we wait.
      await sideClient.send('/sdapi/v1/interrupt', {
        method: 'POST',
        idempotent: true,
        timeoutMs: 5000,
      });
    } catch {
      // Best effort: the server may be gone, and the caller's error says what happened.
    }
  }

  /**
   * Polls the global /progress (§2.4) for the fraction, and stops the wait (`idle`) when the job
   * shows no sign of life for idleTimeoutMs: no answer, or the same step, job and progress.
   */
  async function pollProgress(
    stop: AbortSignal,
    idle: AbortController,
    onFraction: (fraction: number) => void,
  ): Promise<void> {
    let lastSign = '';
    let lastChange = performance.now();
    for (;;) {
      try {
        await delay(Math.min(pollMs, idleTimeoutMs), undefined, { signal: stop });
        const answer = await sideClient.json('/sdapi/v1/progress', progressSchema, {
          query: { skip_current_image: true },
          signal: stop,
          timeoutMs: Math.min(10_000, idleTimeoutMs),
        });
        const steps = answer.state?.sampling_steps ?? 0;
        const step = answer.state?.sampling_step ?? 0;
        const fraction = steps > 0 ? step / steps : answer.progress;
        if (fraction > 0) onFraction(Math.min(1, fraction));
        // eta_relative is left out: it grows with the clock even when nothing moves.
        const sign = JSON.stringify([
          answer.progress,
          step,
          steps,
          answer.state?.job_no,
          answer.state?.job_count,
          answer.state?.job,
          answer.state?.job_timestamp,
        ]);
        if (sign !== lastSign) {
          lastSign = sign;
          lastChange = performance.now();
        }
      } catch {
        // Stopped, or a poll failed: progress is only a hint, the generation's answer is what counts.
        if (stop.aborted) return;
      }
      if (performance.now() - lastChange >= idleTimeoutMs) {
        idle.abort();
        return;
      }
    }
  }

  async function post(
    body: Record<string, unknown>,
    signal: AbortSignal | undefined,
    onFraction: (fraction: number) => void,
  ) {
    const stop = new AbortController();
    const idle = new AbortController();
    const polling = pollProgress(stop.signal, idle, onFraction);
    const both = signal === undefined ? idle.signal : AbortSignal.any([signal, idle.signal]);
    try {
      // Safe to send again after a dropped connection: the seed is fixed, so a repeat gives the same
      // images, and save_images:false writes nothing on the server. The worst case is the GPU
      // rendering the batch twice, which beats failing a run over a blip.
      return await client.json('/sdapi/v1/txt2img', generationSchema, {
        method: 'POST',
        json: body,
        signal: both,
        idempotent: true,
        // The answer carries the images as base64: room for each (under the 64 MiB image cap,
        // a third more as base64), never the client-wide 20 MiB JSON cap nor an unbounded one.
        maxBytes: answerBytes(Number(body['batch_size'] ?? 1)),
      });
    } catch (error) {
      const silent = idle.signal.aborted && signal?.aborted !== true;
      // The server keeps generating when we stop waiting; stop it so the GPU is free.
      if (
        silent ||
        (isPortraitistError(error) && (error.code === 'ABORTED' || error.code === 'ENGINE_TIMEOUT'))
      )
        await interrupt();
      if (silent)
        throw new PortraitistError(
          'ENGINE_TIMEOUT',
          `${service} at ${client.origin} showed no progress on POST /sdapi/v1/txt2img for ${idleTimeoutMs} ms (idleTimeoutMs); it was asked to interrupt`,
          { source: client.origin, cause: error },
        );
      throw error;
    } finally {
      stop.abort();
      await polling;
    }
  }

  return {
    id: engineId,
    describe(): EngineCapabilities {
      return {
        id: engineId,
        targets: ['sd15', 'sdxl'],
        poseControl: true,
        identityReference: false,
        img2img: false,
        needsReferencePhoto: false,
        maxCount,
        sizes,
      };
    },

    async generate(
      request: GenerationRequest,
      generateOptions: GenerateOptions = {},
    ): Promise<Candidate[]> {
      const { signal, onProgress } = generateOptions;
      throwIfAborted(signal);
      const plan = planFor(request);
      const run = planRun(request, generateOptions, engineId, 'a1111-task');
      if (run.indices.length === 0) return [];
      const { choice, unit } = await resolve(plan, signal);
      const skeleton =
        plan.pose === undefined
          ? undefined
          : await poseSkeleton(request, plan.pose, engineId, skeletons, {
              width: plan.width,
              height: plan.height,
            });
      throwIfAborted(signal);

      // Nothing is reported once cancelled: the caller has moved on.
      const report = (progress: EngineProgress) => {
        if (signal?.aborted !== true) onProgress?.(progress);
      };
      const total = request.count;
      const override: Record<string, string | number> = {
        ...(options.checkpoint === undefined ? {} : { sd_model_checkpoint: options.checkpoint }),
        ...(plan.clipSkip === undefined ? {} : { CLIP_stop_at_last_layers: plan.clipSkip }),
      };
      const controlUnit =
        unit === undefined || skeleton === undefined || plan.pose === undefined
          ? undefined
          : {
              // Mikubill's units default to disabled (§2.5): without this the pose is silently ignored.
              enabled: true,
              module: unit.module,
              model: unit.model,
              // Base64, never a URL: the server would fetch URLs itself (SSRF, §2.7).
              image: Buffer.from(skeleton).toString('base64'),
              weight: plan.pose.weight,
              resize_mode: 'Crop and Resize',
              guidance_start: 0,
              guidance_end: 1,
              pixel_perfect: false,
              control_mode: 'Balanced',
              save_detected_map: false,
            };
      const base: Record<string, unknown> = {
        prompt: request.compiled.positive,
        negative_prompt: request.compiled.negative ?? '',
        width: plan.width,
        height: plan.height,
        steps: plan.steps,
        cfg_scale: plan.cfg,
        sampler_name: choice.samplerName,
        ...(choice.scheduler === undefined ? {} : { scheduler: choice.scheduler }),
        n_iter: 1,
        send_images: true,
        save_images: false,
        ...(Object.keys(override).length === 0 ? {} : { override_settings: override }),
        ...(controlUnit === undefined
          ? {}
          : { alwayson_scripts: { controlnet: { args: [controlUnit] } } }),
      };

      // Batches are runs of consecutive indices still to make (seeds are consecutive in a batch).
      const batches: number[][] = [];
      for (const k of run.indices) {
        const last = batches[batches.length - 1];
        const tail = last?.[last.length - 1];
        if (last !== undefined && tail === k - 1 && last.length < maxBatch) last.push(k);
        else batches.push([k]);
      }
      const candidates: Candidate[] = [];
      let done = total - run.indices.length;
      report({ stage: 'sampling', done, total, fraction: 0 });
      for (const batch of batches) {
        throwIfAborted(signal);
        const start = batch[0] as number;
        const size = batch.length;
        const seed = request.seed + start;
        // A1111 answers only on the connection that asked (§2.1, §2.7): a job of a run that
        // crashed cannot be collected, so a resumed batch is sent again under a new task id.
        const taskId = `task(${randomId()})`;
        for (const k of batch)
          await run.record({ index: k, engine: engineId, kind: 'a1111-task', id: taskId });
        throwIfAborted(signal);
        const began = now().getTime();
        let shown = 0;
        const answer = await post(
          { ...base, seed, batch_size: size, force_task_id: taskId },
          signal,
          (fraction) => {
            if (fraction <= shown) return;
            shown = fraction;
            report({ stage: 'sampling', done, total, fraction });
          },
        );
        const info = parseInfo(answer.info);
        const images = pickImages(answer.images, info, seed, size, choice);
        const elapsed = now().getTime() - began;
        const parameters = {
          sampler: choice.samplerName,
          ...(choice.scheduler === undefined ? {} : { scheduler: choice.scheduler }),
          steps: plan.steps,
          cfg: plan.cfg,
          width: plan.width,
          height: plan.height,
          batchSize: size,
          ...(info.sd_model_name == null ? {} : { model: info.sd_model_name }),
          ...(info.sd_model_hash == null ? {} : { modelHash: info.sd_model_hash }),
          ...(info.version == null ? {} : { version: info.version }),
          ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
          ...(plan.clipSkip === undefined ? {} : { clipSkip: plan.clipSkip }),
          ...(controlUnit === undefined
            ? {}
            : {
                controlnet: controlUnit.model,
                controlnetModule: controlUnit.module,
                controlnetWeight: controlUnit.weight,
              }),
          taskId,
          server: client.origin,
        };
        for (const [i, encoded] of images.entries()) {
          const image = await candidatePng(
            decodeBase64(encoded),
            service,
            `image ${i + 1} of ${size} (seed ${seed + i})`,
          );
          const candidate = makeCandidate(request, {
            engine: engineId,
            image,
            seed: seed + i,
            parameters,
            totalMs: elapsed / size,
            createdAt: now(),
          });
          candidates.push(candidate);
          await run.deliver(candidate, start + i);
          done++;
          throwIfAborted(signal);
          report({ stage: 'sampling', done, total, fraction: 1 });
        }
      }
      return candidates;
    },

    async dispose(): Promise<void> {
      // Nothing to release: no connection outlives a call, and the lists are plain data.
    },
  };
}

/** The largest txt2img answer accepted for a batch: 24 MiB per image, plus 1 MiB for the rest. */
export function answerBytes(batchSize: number): number {
  return (Math.max(1, batchSize) * 24 + 1) * 1024 * 1024;
}

/** The local checks: target, count, seed, size and controls, before the server is asked anything. */
function planFor(request: GenerationRequest): Plan {
  const { compiled } = request;
  const target = compiled.target;
  if (target !== 'sd15' && target !== 'sdxl') {
    const message = `expected one of sd15, sdxl for \`target\` but received ${target}`;
    throw new PortraitistError(
      'ENGINE_CAPABILITY',
      `${service} renders sd15 and sdxl checkpoints here; compile the brief for one of them (received ${target})`,
      { issues: [{ path: 'target', message }] },
    );
  }
  checkCount(request.count, maxCount);
  checkSeedRange(request.seed, request.count);
  const { params } = compiled;
  const width = checkSize(params.width, 'params.width');
  const height = checkSize(params.height, 'params.height');
  const steps = required(params.steps, 'params.steps');
  if (!Number.isInteger(steps) || steps < 1 || steps > 10_000)
    throw usage(
      `expected a whole number from 1 to 10000 for \`params.steps\` but received ${steps}`,
      'params.steps',
    );
  const cfg = required(params.guidance, 'params.guidance');
  if (!(cfg >= 0 && cfg <= 100))
    throw usage(
      `expected a number from 0 to 100 for \`params.guidance\` but received ${cfg}`,
      'params.guidance',
    );
  const sampler = required(params.sampler, 'params.sampler');
  const clip = params.extra['clipSkip'];
  const clipSkip =
    typeof clip === 'number' && Number.isInteger(clip) && clip >= 1 ? clip : undefined;

  // Every control is wired or refused: a reference dropped in silence would be a lie.
  let pose: ControlRequest | undefined;
  const issues: Issue[] = [];
  compiled.controls.forEach((control, index) => {
    if (control.mechanism === 'controlnet-openpose' && pose === undefined) {
      pose = control;
      return;
    }
    const why =
      control.mechanism === 'controlnet-openpose'
        ? 'one pose reference (this engine sends one ControlNet unit)'
        : 'controlnet-openpose: A1111 has no built-in identity or style adapter, and img2img from the photo would override the directed light and expression';
    issues.push({
      path: `controls[${index}]`,
      message: `expected ${why} for \`controls[${index}]\` but received ${control.mechanism} (${control.role} reference ${control.image})`,
    });
  });
  if (issues.length > 0)
    throw new PortraitistError(
      'ENGINE_CAPABILITY',
      `${service} cannot honour ${issues.length === 1 ? 'a reference' : `${issues.length} references`} of this brief, and dropping ${issues.length === 1 ? 'it' : 'them'} silently would mislead: ${issues.map((i) => i.path).join(', ')}`,
      { issues },
    );
  return {
    target,
    width,
    height,
    steps,
    cfg,
    sampler,
    scheduler: params.scheduler,
    clipSkip,
    pose,
  };
}

function checkSize(value: number | null, path: string): number {
  const size = required(value, path);
  if (
    !Number.isInteger(size) ||
    size < sizes.min ||
    size > sizes.max ||
    size % sizes.multipleOf !== 0
  )
    throw usage(
      `expected a multiple of ${sizes.multipleOf} from ${sizes.min} to ${sizes.max} for \`${path}\` but received ${size}`,
      path,
    );
  return size;
}

function required<T>(value: T | null, path: string): T {
  if (value === null)
    throw usage(
      `expected a value for \`${path}\` but received null (the compiled prompt has none)`,
      path,
    );
  return value;
}

function usage(message: string, path: string): PortraitistError {
  return new PortraitistError('USAGE', message, { issues: [{ path, message }] });
}

function list(values: readonly string[]): string {
  if (values.length === 0) return '(none on the server)';
  const shown = values.slice(0, 8).map((v) => JSON.stringify(v));
  return values.length > 8 ? `${shown.join(', ')} … (${values.length} in all)` : shown.join(', ');
}

/** null when the route does not exist (404): an older build or a missing extension. */
async function orNullWhenMissing<T>(answer: Promise<T>): Promise<T | null> {
  try {
    return await answer;
  } catch (error) {
    // http.ts words the status into the message: "A1111 answered 404 to GET /…".
    if (
      isPortraitistError(error) &&
      error.code === 'ENGINE_REJECTED' &&
      / answered 404 to /.test(error.message)
    )
      return null;
    throw error;
  }
}

/** `info` is a JSON document inside a string (§2.1). */
function parseInfo(raw: string): GenerationInfo {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    const message = `expected a JSON-encoded string for \`info\` but received ${describeValue(raw)}`;
    throw new PortraitistError('ENGINE_FAILED', `${service} sent an \`info\` that is not JSON`, {
      issues: [{ path: 'info', message }],
    });
  }
  return parseAnswer(
    z.object({ info: infoSchema }),
    { info: value },
    `${service} (POST /sdapi/v1/txt2img)`,
  ).info;
}

/** This batch's images: a grid may come first and ControlNet maps after (§2.3). */
function pickImages(
  images: readonly string[],
  info: GenerationInfo,
  seed: number,
  size: number,
  choice: SamplerChoice,
): string[] {
  const expected = Array.from({ length: size }, (_, k) => seed + k);
  const seeds = info.all_seeds;
  if (seeds.length !== size || seeds.some((s, k) => s !== expected[k])) {
    const message = `expected [${expected.join(', ')}] for \`info.all_seeds\` but received [${seeds.join(', ')}]`;
    throw new PortraitistError(
      'ENGINE_FAILED',
      `${service} did not render the seeds it was asked for`,
      {
        issues: [{ path: 'info.all_seeds', message }],
      },
    );
  }
  // A second guard against the silent sampler fallback, in case a server lists what it cannot run.
  if (
    info.sampler_name != null &&
    info.sampler_name.toLowerCase() !== choice.samplerName.toLowerCase()
  ) {
    const message = `expected ${JSON.stringify(choice.samplerName)} for \`info.sampler_name\` but received ${JSON.stringify(info.sampler_name)}`;
    throw new PortraitistError(
      'ENGINE_FAILED',
      `${service} sampled with ${JSON.stringify(info.sampler_name)} instead of the asked ${JSON.stringify(choice.samplerName)}`,
      { issues: [{ path: 'info.sampler_name', message }] },
    );
  }
  const first = info.index_of_first_image;
  const picked = images.slice(first, first + size);
  if (picked.length !== size) {
    const message = `expected ${size} images from index ${first} (info.index_of_first_image) for \`images\` but received ${images.length} in all`;
    throw new PortraitistError('ENGINE_FAILED', `${service} sent fewer images than it reported`, {
      issues: [{ path: 'images', message }],
    });
  }
  return picked;
}

function decodeBase64(value: string): Uint8Array {
  // The API sends raw base64; a data: prefix is tolerated as the server tolerates it on input.
  return new Uint8Array(Buffer.from(value.replace(/^data:[^,]*,/, ''), 'base64'));
}
