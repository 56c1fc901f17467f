// The ComfyUI engine: discover what the server has, build (or bind) one graph per candidate, upload
// control images, connect the WebSocket, queue every candidate, follow progress, confirm each result
// in /history, download it from /view. Cancellation interrupts the running prompt and removes the
// queued ones; clean-up deletes our history entries so other clients cannot read them (§1.11).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Target } from '../../brief/index.js';
import { PortraitistError } from '../../errors/index.js';
import { stripPngMetadata } from '../../image/index.js';
import type { ControlRequest } from '../../prompt/index.js';
import type { Vision } from '../../vision/index.js';
import {
  poseSkeleton,
  poseSkeletonFromVision,
  referenceFor,
  type PoseSkeletonSource,
} from '../controls.js';
import { candidatePng, engineImagePixels } from '../remote/images.js';
import { checkCount, checkSeedRange, makeCandidate, planRun, throwIfAborted } from '../request.js';
import type {
  Candidate,
  Engine,
  EngineCapabilities,
  GenerateOptions,
  EngineProgress,
  GenerationRequest,
} from '../types.js';
import {
  createComfyClient,
  type ComfyClient,
  type ComfyFile,
  type ComfyHistoryEntry,
  type ComfySocket,
} from './client.js';
import {
  bindTemplate,
  buildGraph,
  discoveredNodeClasses,
  modelsFromObjectInfo,
  templatePlaceholders,
  type ComfyGraph,
  type ServerModels,
} from './graph.js';

/** Options of {@link createComfyEngine}. */
export interface ComfyEngineOptions {
  /** The server, e.g. http://127.0.0.1:8188 (`user:pass@` becomes Basic auth for a proxy). */
  readonly url: string;
  /** Checkpoint file name as the server lists it; by default the first that fits the target family. */
  readonly checkpoint?: string;
  /** ControlNet for pose references; by default an OpenPose model of the right family. */
  readonly controlnet?: string;
  /** An API-format workflow with `{{…}}` placeholders, run instead of the built graph. */
  readonly template?: unknown;
  /** Draws pose skeletons; given `vision`, one is made from it. */
  readonly vision?: Vision;
  readonly poseSkeleton?: PoseSkeletonSource;
  /** Time allowed for one HTTP request (default 60 s). */
  readonly timeoutMs?: number;
  /** Time allowed for one candidate from queueing to its image (default 30 min). */
  readonly jobTimeoutMs?: number;
  /** How often /history is polled while waiting, as the source of truth behind the events (default 1 s). */
  readonly pollMs?: number;
  readonly retries?: number;
  readonly backoffMs?: number;
  /** How long a cancel waits for the running prompt to stop before leaving its history entry (default 30 s). */
  readonly cancelWaitMs?: number;
  /** Told what clean-up could not do (a history entry left behind); the error says it too. */
  readonly onWarning?: (message: string) => void;
  /** Largest image accepted from /view, in pixels, checked from its header before decoding (default 4096 × 4096). */
  readonly maxImagePixels?: number;
  /** Leave our prompts in the server's history (by default they are deleted after download). */
  readonly keepHistory?: boolean;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
  /** Unguessable ids for the client and prompts (§1.11); injectable for tests. */
  readonly randomId?: () => string;
}

const comfyTargets: readonly Target[] = ['sd15', 'sdxl', 'flux'];

/** Picks a checkpoint for the target family by name, or names what is there. */
function defaultCheckpoint(target: Target, checkpoints: readonly string[]): string {
  const family = (name: string): Target =>
    /flux/i.test(name) ? 'flux' : /xl|pony|illustrious/i.test(name) ? 'sdxl' : 'sd15';
  const found = checkpoints.find((name) => family(name) === target);
  if (found !== undefined) return found;
  // Say what the server does have, by family, and which --target would use it.
  const families = [...new Set(checkpoints.map(family))];
  const listed =
    checkpoints.length === 0
      ? 'none'
      : checkpoints
          .slice(0, 8)
          .map((name) => `${name} (${family(name)})`)
          .join(', ') + (checkpoints.length > 8 ? ` and ${checkpoints.length - 8} more` : '');
  const suggestion =
    families.length === 0
      ? 'put a checkpoint in ComfyUI/models/checkpoints'
      : `pass one with --checkpoint, or compile for a family it has: ${families.map((f) => `--target ${f}`).join(' or ')}`;
  const message = `expected a ${target} checkpoint for \`checkpoint\` but the server lists ${listed}; ${suggestion}`;
  throw new PortraitistError(
    'ENGINE_CAPABILITY',
    `no ${target} checkpoint on the ComfyUI server; ${suggestion}`,
    { issues: [{ path: 'checkpoint', message }] },
  );
}

/** The ComfyUI engine (see {@link ComfyEngineOptions}). */
export function createComfyEngine(options: ComfyEngineOptions): Engine {
  const client: ComfyClient = createComfyClient({
    baseUrl: options.url,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.retries === undefined ? {} : { retries: options.retries }),
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
  });
  const now = options.now ?? (() => new Date());
  const randomId = options.randomId ?? (() => randomUUID());
  const pollMs = options.pollMs ?? 1_000;
  const jobTimeoutMs = options.jobTimeoutMs ?? 30 * 60_000;
  // How long clean-up after a cancel may wait for the interrupted prompt to stop (§1.6: ComfyUI
  // checks for an interrupt between sampling steps only, which take tens of seconds on a CPU).
  const cancelWaitMs = options.cancelWaitMs ?? 30_000;
  const imageLimits = { maxPixels: options.maxImagePixels ?? engineImagePixels };
  const skeletons =
    options.poseSkeleton ??
    (options.vision === undefined ? undefined : poseSkeletonFromVision(options.vision));
  const template = options.template;
  const placeholders = template === undefined ? [] : templatePlaceholders(template);
  let discovery: Promise<ServerModels> | undefined;

  const capabilities: EngineCapabilities = {
    id: 'comfyui',
    targets: comfyTargets,
    poseControl: true,
    identityReference: template !== undefined && placeholders.includes('image:identity'),
    img2img: template !== undefined && placeholders.some((p) => p.startsWith('image:')),
    needsReferencePhoto: template !== undefined && !placeholders.includes('positive'),
    maxCount: 10_000,
    sizes: { min: 16, max: 16384, multipleOf: 8 },
  };

  async function models(signal: AbortSignal | undefined): Promise<ServerModels> {
    discovery ??= client
      .objectInfo(discoveredNodeClasses, signal)
      .then((info) => modelsFromObjectInfo(info));
    try {
      return await discovery;
    } catch (error) {
      discovery = undefined; // a failed discovery is tried again next time
      throw error;
    }
  }

  return {
    id: 'comfyui',
    describe: () => capabilities,
    async generate(request: GenerationRequest, generateOptions: GenerateOptions = {}) {
      const { signal, onProgress } = generateOptions;
      throwIfAborted(signal);
      checkCount(request.count, capabilities.maxCount);
      checkSeedRange(request.seed, request.count);
      const { compiled } = request;
      if (!comfyTargets.includes(compiled.target))
        throw new PortraitistError(
          'ENGINE_CAPABILITY',
          `ComfyUI renders sd15, sdxl and flux prompts, not ${compiled.target}`,
          {
            issues: [
              {
                path: 'target',
                message: `expected one of sd15, sdxl, flux for \`target\` but received ${compiled.target}`,
              },
            ],
          },
        );
      const run = planRun(request, generateOptions, 'comfyui', 'comfyui-prompt');
      if (run.indices.length === 0) return [];
      const total = request.count;
      // `done` counts finished candidates: events of a later prompt may arrive before an earlier
      // one is downloaded, and the count must never go back.
      let completed = total - run.indices.length;
      const report = (progress: Omit<EngineProgress, 'done' | 'total'>) =>
        onProgress?.({ ...progress, done: completed, total });
      report({ stage: 'discovering the server' });
      const began = performance.now();
      const server = await models(signal);
      const job = randomId().replace(/-/g, '').slice(0, 16);
      const width = compiled.params.width ?? 1024;
      const height = compiled.params.height ?? 1024;
      const pose = compiled.controls.find((c) => c.mechanism === 'controlnet-openpose');
      const checkpoint =
        template === undefined
          ? (options.checkpoint ?? defaultCheckpoint(compiled.target, server.checkpoints))
          : undefined;
      const graphFor = (seed: number, index: number, uploads: UploadedImages): ComfyGraph =>
        template === undefined
          ? buildGraph(compiled, {
              checkpoint: checkpoint ?? '',
              models: server,
              seed,
              batchSize: 1,
              ...(uploads.pose === undefined ? {} : { poseImage: uploads.pose }),
              ...(options.controlnet === undefined ? {} : { controlnet: options.controlnet }),
              filenamePrefix: `portraitist/${job}/c${index}`,
            })
          : bindTemplate(template, {
              positive: compiled.positive,
              negative: compiled.negative ?? '',
              seed,
              width,
              height,
              batchSize: 1,
              images: uploads.byName,
            });
      // Check the graph against the server before uploading anything: fail early, leave nothing behind.
      graphFor(request.seed, 0, placeholderUploads(pose, placeholders));
      throwIfAborted(signal);
      const clientId = randomId();
      // Our own prompt ids (§1.1): each is recorded before it is posted, so a replay can find it.
      const promptIds = new Map<number, string>(
        run.indices.map((k) => [k, run.resumed.get(k)?.id ?? randomId()]),
      );
      const ids = [...promptIds.values()];
      const indexOf = new Map([...promptIds].map(([k, id]) => [id, k]));
      const graphs = new Map<number, ComfyGraph>();
      const finished = new Set<string>();
      const watches = new Map<string, PromptWatch>();
      let socket: ComfySocket | undefined;
      let unfollow: () => void = () => undefined;
      let ownsAny = false;
      try {
        // A recorded prompt the server still knows (queued, running or in /history) is collected,
        // never posted again. /queue is read before /history: ComfyUI writes the history entry
        // before it takes a prompt off the running list, so nothing falls between the two reads.
        const toQueue = await unknownPrompts(run.indices.filter((k) => run.resumed.has(k)));
        for (const k of run.indices) if (!run.resumed.has(k)) toQueue.push(k);
        toQueue.sort((x, y) => x - y);
        ownsAny = toQueue.length < run.indices.length;
        socket = await client.connect(clientId, signal).catch((error: unknown) => {
          if (error instanceof PortraitistError && error.code === 'ABORTED') throw error;
          // Without events the run still completes: /history is polled either way.
          return undefined;
        });
        unfollow = follow(socket);
        if (toQueue.length > 0) {
          report({ stage: 'uploading references' });
          const uploads = await uploadImages(request, pose, { width, height }, job, signal);
          for (const k of toQueue) graphs.set(k, graphFor(request.seed + k, k, uploads));
          report({ stage: 'queueing' });
          for (const k of toQueue) {
            const promptId = promptIds.get(k) as string;
            if (!run.resumed.has(k))
              await run.record({
                index: k,
                engine: 'comfyui',
                kind: 'comfyui-prompt',
                id: promptId,
              });
            throwIfAborted(signal);
            ownsAny = true;
            await client.queue(graphs.get(k) as ComfyGraph, { clientId, promptId }, signal);
          }
        }
        const candidates: Candidate[] = [];
        for (const k of run.indices) {
          const promptId = promptIds.get(k) as string;
          const started = performance.now();
          const entry = await waitForPrompt(promptId, k);
          finished.add(promptId);
          const file = pickImage(entry, promptId);
          report({ stage: 'downloading', fraction: 1 });
          // SaveImage embeds the graph (with our job's file prefix): drop it, so a candidate is its
          // pixels and our provenance only, and the same seed gives the same bytes.
          const png = stripPngMetadata(
            await candidatePng(
              await client.view(file, signal),
              'ComfyUI',
              `the image ${file.subfolder === '' ? '' : `${file.subfolder}/`}${file.filename}`,
              imageLimits,
            ),
          );
          const candidate = makeCandidate(request, {
            engine: 'comfyui',
            image: png,
            seed: request.seed + k,
            parameters: {
              ...(checkpoint === undefined ? { workflow: 'template' } : { checkpoint }),
              ...(compiled.params.sampler === null ? {} : { sampler: compiled.params.sampler }),
              ...(compiled.params.scheduler === null
                ? {}
                : { scheduler: compiled.params.scheduler }),
              ...(compiled.params.steps === null ? {} : { steps: compiled.params.steps }),
              ...(compiled.params.guidance === null ? {} : { guidance: compiled.params.guidance }),
              ...(pose === undefined || template !== undefined ? {} : { poseControl: true }),
              promptId,
              server: client.origin,
            },
            // The first candidate also carries discovery and upload; later ones their own wait.
            totalMs:
              candidates.length === 0 ? performance.now() - began : performance.now() - started,
            createdAt: now(),
          });
          candidates.push(candidate);
          await run.deliver(candidate, k);
          completed++;
          report({ stage: 'candidate done', fraction: 1 });
        }
        return candidates;
      } catch (error) {
        const unfinished = ids.filter((id) => !finished.has(id));
        let warning: string | undefined;
        if (ownsAny && unfinished.length > 0) {
          // Stop what we started: interrupt the one running (a no-op for the others), drop the rest.
          await Promise.allSettled(unfinished.map((id) => client.interrupt(id)));
          await client.deleteQueued(unfinished).catch(() => undefined);
          // ComfyUI checks for an interrupt only between sampling steps, and the interrupted prompt
          // reaches /history only once it has stopped: wait for it (up to cancelWaitMs) so the
          // clean-up below can delete its entry, and say so when it is left behind.
          if (options.keepHistory !== true) warning = await settled(unfinished);
          if (warning !== undefined) options.onWarning?.(warning);
        }
        if (
          signal?.aborted === true &&
          !(error instanceof PortraitistError && error.code === 'ABORTED')
        )
          throw new PortraitistError(
            'ABORTED',
            `generation was cancelled${warning === undefined ? '' : `; ${warning}`}`,
            { cause: error },
          );
        if (warning !== undefined && error instanceof PortraitistError)
          throw new PortraitistError(error.code, `${error.message}; ${warning}`, {
            issues: error.issues,
            ...(error.source === undefined ? {} : { source: error.source }),
            cause: error,
          });
        throw error;
      } finally {
        unfollow();
        socket?.close();
        if (options.keepHistory !== true && ownsAny)
          await client.deleteHistory(ids).catch(() => undefined);
      }

      /** The resumed indices whose prompt the server has never heard of (or has forgotten). */
      async function unknownPrompts(indices: readonly number[]): Promise<number[]> {
        if (indices.length === 0) return [];
        const queue = await client.queued(signal);
        const unknown: number[] = [];
        for (const k of indices) {
          const id = promptIds.get(k) as string;
          if (queue.running.includes(id) || queue.pending.includes(id)) continue;
          if ((await client.history(id, signal)) !== undefined) continue;
          unknown.push(k);
        }
        return unknown;
      }

      /**
       * Waits up to `cancelWaitMs` for our running prompt to stop (its `execution_interrupted`
       * event wakes the wait; /queue says when it has left the running list). Returns a warning when
       * it did not stop in time: its history entry will then appear after our clean-up.
       */
      async function settled(unfinished: readonly string[]): Promise<string | undefined> {
        const deadline = performance.now() + cancelWaitMs;
        for (;;) {
          // Bounded by what is left of the wait: a hanging server must not stretch it.
          const left0 = Math.max(1, Math.ceil(deadline - performance.now()));
          const queue = await client.queued(AbortSignal.timeout(left0)).catch(() => undefined);
          const running =
            queue === undefined ? undefined : unfinished.find((id) => queue.running.includes(id));
          if (queue !== undefined && running === undefined) return undefined;
          const left = deadline - performance.now();
          if (left <= 0)
            return `ComfyUI did not stop ${running === undefined ? 'our running prompt' : `prompt ${running}`} within ${cancelWaitMs} ms (cancelWaitMs)${queue === undefined ? ', or its queue could not be read' : ''}; its history entry, with the prompt text, stays on ${client.origin} until deleted there`;
          const watch = running === undefined ? undefined : watchOf(running);
          if (watch?.interrupted === true && watch.signalled) {
            // The event came: the entry follows at once; poll quickly for it.
            watch.signalled = false;
            await delay(Math.min(20, left));
            continue;
          }
          const nap = new AbortController();
          if (watch !== undefined) watch.sleeper = () => nap.abort();
          await delay(Math.min(pollMs, 250, left), undefined, { signal: nap.signal }).catch(
            () => undefined,
          );
          if (watch !== undefined) watch.sleeper = undefined;
        }
      }

      /** Routes WebSocket events of our prompts to progress reports and to the waiting loop. */
      function follow(socket: ComfySocket | undefined): () => void {
        if (socket === undefined) return () => undefined;
        let current: string | undefined = ids[0];
        const title = (index: number, id: string | null) => {
          const node = id === null ? undefined : graphs.get(index)?.[id];
          return node === undefined ? undefined : (node._meta?.title ?? node.class_type);
        };
        return socket.listen((event) => {
          if (event.type === 'status') return;
          const promptId = event.promptId ?? current;
          const index = promptId === undefined ? undefined : indexOf.get(promptId);
          if (index === undefined || promptId === undefined) return;
          const watch = watchOf(promptId);
          switch (event.type) {
            case 'preview':
              report({
                stage: 'sampling',
                preview: {
                  format: event.format,
                  base64: Buffer.from(event.image).toString('base64'),
                },
              });
              break;
            case 'execution_start':
              current = promptId;
              report({ stage: 'running', fraction: 0 });
              break;
            case 'executing': {
              const node = title(index, event.node);
              if (event.node === null) watch.wake();
              else report({ stage: 'running', ...(node ? { node } : {}) });
              break;
            }
            case 'progress': {
              const node = title(index, event.node);
              report({
                stage: 'sampling',
                fraction: event.value / event.max,
                step: event.value,
                steps: event.max,
                ...(node ? { node } : {}),
              });
              break;
            }
            case 'execution_error':
              watch.failure = new PortraitistError(
                'ENGINE_FAILED',
                `ComfyUI failed in node ${event.nodeId} (${event.nodeType}): ${event.message}`,
                { source: client.origin },
              );
              watch.wake();
              break;
            case 'execution_interrupted':
              watch.interrupted = true;
              watch.wake();
              break;
            case 'execution_success':
              watch.wake();
              break;
            case 'executed':
              break;
          }
        });
      }

      function watchOf(promptId: string): PromptWatch {
        let watch = watches.get(promptId);
        if (watch === undefined) {
          const created: PromptWatch = {
            signalled: false,
            wake() {
              created.signalled = true;
              created.sleeper?.();
            },
          };
          watch = created;
          watches.set(promptId, watch);
        }
        return watch;
      }

      /** Waits for one prompt: events make it prompt, /history is the source of truth. */
      async function waitForPrompt(promptId: string, index: number): Promise<ComfyHistoryEntry> {
        const watch = watchOf(promptId);
        const deadline = performance.now() + jobTimeoutMs;
        report({ stage: 'queued' });
        for (;;) {
          if (watch.failure !== undefined) throw watch.failure;
          // An event may arrive while /history is being read: remember it, so no poll interval is lost.
          watch.signalled = false;
          const entry = await client.history(promptId, signal);
          if (entry !== undefined && (entry.status.completed || entry.status.statusStr === 'error'))
            return checkEntry(entry, promptId);
          if (performance.now() > deadline)
            throw new PortraitistError(
              'ENGINE_TIMEOUT',
              `ComfyUI did not finish candidate ${index + 1} within ${jobTimeoutMs} ms (jobTimeoutMs)`,
              { source: client.origin },
            );
          if (watch.signalled) continue;
          // Sleep until the next poll, or until an event says the prompt is done.
          const nap = new AbortController();
          watch.sleeper = () => nap.abort();
          const napSignal =
            signal === undefined ? nap.signal : AbortSignal.any([signal, nap.signal]);
          await delay(pollMs, undefined, { signal: napSignal }).catch(() => undefined);
          watch.sleeper = undefined;
          throwIfAborted(signal);
        }
      }
    },
    async dispose() {
      discovery = undefined;
    },
  };

  /** Uploads what the graph takes: the pose skeleton, and reference photos a template names. */
  async function uploadImages(
    request: GenerationRequest,
    pose: ControlRequest | undefined,
    size: { width: number; height: number },
    job: string,
    signal: AbortSignal | undefined,
  ): Promise<UploadedImages> {
    // A per-job random subfolder and server-side names: never a client-supplied path (§1.11).
    const subfolder = `portraitist/${job}`;
    const put = async (image: Uint8Array): Promise<string> => {
      const file = await client.upload(image, { name: `${randomId()}.png`, subfolder }, signal);
      return file.subfolder === '' ? file.filename : `${file.subfolder}/${file.filename}`;
    };
    const wantsSkeleton =
      (template === undefined && pose !== undefined) ||
      placeholders.includes('image:pose-skeleton');
    let skeleton: string | undefined;
    if (wantsSkeleton && pose !== undefined)
      skeleton = await put(await poseSkeleton(request, pose, 'ComfyUI', skeletons, size));
    const byName: Record<string, string> = {};
    if (skeleton !== undefined) byName['pose-skeleton'] = skeleton;
    for (const name of placeholders) {
      if (!name.startsWith('image:') || name === 'image:pose-skeleton') continue;
      const role = name.slice('image:'.length);
      const reference = referenceFor(
        request,
        {
          role: role as ControlRequest['role'],
          image: role,
          mechanism: 'template',
          preprocess: 'none',
          weight: 1,
        },
        'ComfyUI',
      );
      byName[role] = await put(reference.image);
    }
    return {
      ...(template === undefined && skeleton !== undefined ? { pose: skeleton } : {}),
      byName,
    };
  }
}

/** What the waiting loop knows of one prompt from the event stream. */
interface PromptWatch {
  signalled: boolean;
  /** `execution_interrupted` came for it (a broadcast, §1.8). */
  interrupted?: boolean;
  failure?: PortraitistError;
  sleeper?: () => void;
  wake(): void;
}

interface UploadedImages {
  /** LoadImage name of the pose skeleton for the built graph. */
  readonly pose?: string;
  /** LoadImage names for a template's `{{image:<name>}}` placeholders. */
  readonly byName: Readonly<Record<string, string>>;
}

/** Stand-in upload names, to check a graph against the server before uploading. */
function placeholderUploads(
  pose: ControlRequest | undefined,
  placeholders: readonly string[],
): UploadedImages {
  const byName: Record<string, string> = {};
  for (const name of placeholders)
    if (name.startsWith('image:')) byName[name.slice('image:'.length)] = 'pending.png';
  return { ...(pose === undefined ? {} : { pose: 'pending.png' }), byName };
}

function checkEntry(entry: ComfyHistoryEntry, promptId: string): ComfyHistoryEntry {
  if (entry.interrupted)
    throw new PortraitistError(
      'ENGINE_FAILED',
      `ComfyUI interrupted prompt ${promptId} (someone pressed cancel or called /interrupt)`,
    );
  if (entry.status.statusStr === 'error' || entry.error !== undefined) {
    const error = entry.error;
    throw new PortraitistError(
      'ENGINE_FAILED',
      error === undefined
        ? `ComfyUI reported an error for prompt ${promptId}`
        : `ComfyUI failed in node ${error.nodeId} (${error.nodeType}): ${error.message}`,
    );
  }
  return entry;
}

/** The saved image of a run: SaveImage outputs first, then previews. */
function pickImage(entry: ComfyHistoryEntry, promptId: string): ComfyFile {
  const files = Object.values(entry.outputs).flat();
  const file = files.find((f) => f.type === 'output') ?? files[0];
  if (file === undefined)
    throw new PortraitistError(
      'ENGINE_FAILED',
      `ComfyUI finished prompt ${promptId} without an image output (does the graph end in SaveImage?)`,
    );
  return file;
}
