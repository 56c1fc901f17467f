// Candidate jobs on a pool of engine servers: one job per candidate of a round, one
// `queue.process()` per server with that server's concurrency, so whichever server is free takes
// the next job. Each step is idempotent: the remote job id is checkpointed with the server it went
// to before the engine waits on it, a replay collects it there instead of queueing again, and the
// library keeps one candidate per (round, index).
import { z } from 'zod';
import { referenceRoles, targetIds, validateBrief } from '../brief/index.js';
import {
  candidateFileBytes,
  createA1111Engine,
  createComfyEngine,
  provenanceModes,
  remoteJobRefSchema,
  type Engine,
  type EngineProgress,
  type GenerationRequest,
  type RemoteJobRef,
} from '../engines/index.js';
import { PortraitistError, isPortraitistError } from '../errors/index.js';
import {
  openBullQueue,
  type CloseOptions,
  type EnqueueOptions,
  type JobContext,
  type JobHandle,
  type JobPriority,
  type Queue,
  type Worker,
} from '../jobs/index.js';
import {
  openFileBlobStore,
  type BlobStore,
  type CandidateRecord,
  type Store,
} from '../library/index.js';
import type { CompiledPrompt } from '../prompt/index.js';
import { workerEngineKinds, type WorkerEngineKind } from './choices.js';
import { openSharedStore } from './shared-library.js';

export { workerEngineKinds, type WorkerEngineKind };

// The fields of a compiled prompt the engines read; the rest travels as it is.
const compiledPromptSchema = z
  .object({
    target: z.enum(targetIds),
    positive: z.string(),
    negative: z.string().nullable(),
    sections: z.array(z.unknown()),
    tokens: z.unknown(),
    pushedOut: z.array(z.unknown()),
    params: z.looseObject({}),
    controls: z.array(z.looseObject({ mechanism: z.string() })),
    nudges: z.array(z.unknown()),
    notes: z.array(z.string()),
  })
  .loose();

/** The payload of one candidate job: which candidate of which round, and the request to render it. */
export const candidateJobSchema = z
  .object({
    sessionId: z.string().min(1),
    roundId: z.string().min(1),
    /** 0-based index of the candidate within its round; it renders with seed `seed + index`. */
    index: z.number().int().nonnegative(),
    engine: z.enum(workerEngineKinds),
    /** Seed of the round's first candidate. */
    seed: z.number().int().nonnegative(),
    brief: z.unknown(),
    compiled: compiledPromptSchema,
    references: z
      .array(
        z
          .object({
            role: z.enum(referenceRoles),
            source: z.string(),
            base64: z.base64(),
          })
          .strict(),
      )
      .default([]),
    /** As a local run: the stored image carries no metadata at all (default false). */
    stripMetadata: z.boolean().default(false),
    /** As a local run: how reference photos appear in the embedded provenance (default hashed). */
    provenance: z.enum(provenanceModes).default('hashed'),
  })
  .strict();

/** A candidate job's payload. */
export type CandidateJob = z.infer<typeof candidateJobSchema>;

/** What a candidate job resolves with. */
export const candidateJobResultSchema = z
  .object({
    candidateId: z.string(),
    index: z.number().int().nonnegative(),
    image: z.string(),
    /** The server that rendered it; absent when the candidate was already in the library. */
    server: z.string().optional(),
  })
  .strict();

/** A candidate job's result. */
export type CandidateJobResult = z.infer<typeof candidateJobResultSchema>;

/** The queue every worker and every studio of one deployment share for candidate jobs. */
export const candidateQueueName = 'candidates';

/** The checkpoint of a candidate job: its remote job and the server holding it. */
const remoteCheckpointSchema = z
  .object({ server: z.string().min(1), ref: remoteJobRefSchema })
  .strict();
type RemoteCheckpoint = z.infer<typeof remoteCheckpointSchema>;

/** How a candidate job is enqueued: retried on other servers when one goes down. */
export const candidateJobDefaults = { attempts: 20, backoffMs: 100 } as const;

/** The job id of a candidate (a second enqueue of the same candidate is a no-op). */
export function candidateJobId(job: Pick<CandidateJob, 'roundId' | 'index'>): string {
  return `${job.roundId}-${job.index}`;
}

/** Enqueues one job per candidate of a round; `priority` `interactive` for a preview. */
export async function enqueueCandidates(
  queue: Queue<CandidateJob, CandidateJobResult>,
  jobs: readonly CandidateJob[],
  options: { readonly priority?: JobPriority } = {},
): Promise<JobHandle<CandidateJobResult>[]> {
  const handles: JobHandle<CandidateJobResult>[] = [];
  for (const job of jobs) {
    const enqueue: EnqueueOptions = {
      ...candidateJobDefaults,
      jobId: candidateJobId(job),
      priority: options.priority ?? 'batch',
    };
    handles.push(await queue.enqueue(job, enqueue));
  }
  return handles;
}

/** Cancels every candidate job of a round (running ones stop their remote prompt). */
export async function cancelCandidates(
  queue: Queue<CandidateJob, CandidateJobResult>,
  roundId: string,
  count: number,
): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, index) => queue.cancel(candidateJobId({ roundId, index }))),
  );
}

/** One engine server of the pool. */
export interface EngineServer {
  readonly url: string;
  /** How many candidates it renders at once (default 1). */
  readonly concurrency?: number;
  readonly engine: Engine;
}

/** How one server of the pool is doing. */
export interface ServerHealth {
  readonly url: string;
  readonly state: 'busy' | 'idle' | 'down';
  readonly running: number;
  readonly concurrency: number;
  readonly jobsDone: number;
  readonly lastError?: string;
  readonly lastErrorAt?: string;
}

/** Options of {@link startCandidateWorker}. */
export interface CandidateWorkerOptions {
  readonly queue: Queue<CandidateJob, CandidateJobResult>;
  readonly kind: WorkerEngineKind;
  readonly servers: readonly EngineServer[];
  readonly store: Store;
  readonly blobs: BlobStore;
  /** Whether a server that went down answers again (default: GET the URL). */
  readonly probe?: (url: string, signal: AbortSignal) => Promise<boolean>;
  /** How often a down server is probed (default 2 s). */
  readonly probeMs?: number;
  /**
   * At most one progress write per job in this many ms (default 100): each is a queue round trip,
   * and an engine reports many events a second; the latest event of a burst is the one sent.
   */
  readonly progressMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
  /** Told when a server goes down or comes back. */
  readonly onServerChange?: (health: ServerHealth) => void;
}

/** A worker over a pool of engine servers. */
export interface CandidateWorker {
  /** Per server: busy, idle or down, the last error, the jobs done. */
  health(): ServerHealth[];
  /** Resolves once every server's consumer takes jobs. */
  ready(): Promise<void>;
  /** Stops taking jobs; finishes running ones, or after `graceMs` hands them back to the queue. */
  close(options?: CloseOptions): Promise<void>;
}

interface Slot {
  readonly server: EngineServer;
  readonly concurrency: number;
  running: number;
  jobsDone: number;
  down: boolean;
  lastError?: string;
  lastErrorAt?: string;
  consumer?: Worker;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const unreachable = (error: unknown): boolean =>
  isPortraitistError(error) && error.code === 'ENGINE_UNREACHABLE';

function requestOf(job: CandidateJob): GenerationRequest {
  return {
    brief: validateBrief(job.brief),
    // Checked by candidateJobSchema for what the engines read; the rest is the compiler's own.
    compiled: job.compiled as unknown as CompiledPrompt,
    references: job.references.map((r) => ({
      role: r.role,
      source: r.source,
      image: new Uint8Array(Buffer.from(r.base64, 'base64')),
    })),
    count: 1,
    seed: job.seed + job.index,
  };
}

/** Starts one consumer per engine server on the candidate queue; see the file header. */
export function startCandidateWorker(options: CandidateWorkerOptions): CandidateWorker {
  if (options.servers.length === 0)
    throw new PortraitistError('USAGE', 'a worker needs at least one engine server', {
      issues: [{ path: 'url', message: 'expected at least one `--url` but received none' }],
    });
  const now = options.now ?? (() => new Date());
  const fetcher = options.fetch ?? globalThis.fetch;
  const probeMs = options.probeMs ?? 2000;
  const progressMs = options.progressMs ?? 100;
  const probe =
    options.probe ??
    (async (url: string, signal: AbortSignal) => {
      try {
        const answer = await fetcher(url, { signal });
        await answer.body?.cancel();
        return true;
      } catch {
        return false;
      }
    });
  const stopping = new AbortController();
  const slots: Slot[] = options.servers.map((server) => ({
    server,
    concurrency: server.concurrency ?? 1,
    running: 0,
    jobsDone: 0,
    down: false,
  }));
  const probes = new Set<Promise<void>>();

  const healthOf = (slot: Slot): ServerHealth => ({
    url: slot.server.url,
    state: slot.down ? 'down' : slot.running > 0 ? 'busy' : 'idle',
    running: slot.running,
    concurrency: slot.concurrency,
    jobsDone: slot.jobsDone,
    ...(slot.lastError === undefined ? {} : { lastError: slot.lastError }),
    ...(slot.lastErrorAt === undefined ? {} : { lastErrorAt: slot.lastErrorAt }),
  });
  const failed = (slot: Slot, error: unknown) => {
    slot.lastError = message(error);
    slot.lastErrorAt = now().toISOString();
  };

  // A server that does not answer stops taking jobs (the one it holds goes back to the queue and
  // is retried by the others) until a probe finds it answering again.
  const markDown = (slot: Slot, error: unknown) => {
    failed(slot, error);
    if (slot.down || stopping.signal.aborted) return;
    slot.down = true;
    options.onServerChange?.(healthOf(slot));
    const consumer = slot.consumer;
    slot.consumer = undefined;
    // Not awaited: closing waits for running handlers, one of which is the caller.
    const closing = consumer?.close() ?? Promise.resolve();
    const watch = (async () => {
      await closing.catch(() => undefined);
      while (!stopping.signal.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, probeMs);
          stopping.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (stopping.signal.aborted) return;
        if (
          await probe(
            slot.server.url,
            AbortSignal.any([stopping.signal, AbortSignal.timeout(5000)]),
          )
        ) {
          if (stopping.signal.aborted) return; // closed while the probe ran
          slot.down = false;
          slot.consumer = consume(slot);
          options.onServerChange?.(healthOf(slot));
          return;
        }
      }
    })();
    probes.add(watch);
    void watch.finally(() => probes.delete(watch));
  };

  const render = async (
    job: JobContext<CandidateJob>,
    on: Slot,
    resume: RemoteJobRef | undefined,
  ): Promise<CandidateJobResult> => {
    const payload = job.payload;
    const request = requestOf(payload);
    let stored: CandidateRecord | undefined;
    // Progress is coalesced: the first event goes at once, later ones at most every progressMs,
    // the latest of each burst kept; nothing is sent once the candidate is done.
    let lastSent = -Infinity;
    let pending: EngineProgress | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const send = (progress: EngineProgress) => {
      lastSent = performance.now();
      job
        .progress({ ...progress, index: payload.index, server: on.server.url })
        .catch(() => undefined);
    };
    const onProgress = (progress: EngineProgress) => {
      const wait = lastSent + progressMs - performance.now();
      if (wait <= 0 && timer === undefined) return send(progress);
      pending = progress;
      timer ??= setTimeout(
        () => {
          timer = undefined;
          const next = pending;
          pending = undefined;
          if (next !== undefined) send(next);
        },
        Math.max(0, wait),
      );
    };
    try {
      await on.server.engine.generate(request, {
        signal: job.signal,
        ...(resume === undefined ? {} : { resume: [resume] }),
        onRemoteJob: (ref) => job.checkpoint('remote', { server: on.server.url, ref }),
        onProgress,
        // Stored before the engine clears the server's history: a run killed after this point
        // finds the candidate in the library, one killed before finds the prompt on the server.
        // The same bytes and rows as runSessionRound stores for an in-process round.
        onCandidate: async (candidate) => {
          const bytes = candidateFileBytes(candidate, {
            stripMetadata: payload.stripMetadata,
            provenance: payload.provenance,
          });
          const image = await options.blobs.put(bytes);
          stored = await options.store.addCandidate(payload.roundId, {
            index: payload.index,
            engine: candidate.engine,
            seed: candidate.seed,
            parameters: candidate.parameters,
            provenance: candidate.provenance,
            image,
          });
        },
      });
    } finally {
      clearTimeout(timer);
    }
    if (stored === undefined)
      throw new PortraitistError('ENGINE_FAILED', `${on.server.url} returned no candidate`);
    return {
      candidateId: stored.id,
      index: payload.index,
      image: stored.image,
      server: on.server.url,
    };
  };

  const handlerFor =
    (slot: Slot) =>
    async (job: JobContext<CandidateJob>): Promise<CandidateJobResult> => {
      const payload = job.payload;
      slot.running++;
      try {
        if (payload.engine !== options.kind)
          throw new PortraitistError(
            'ENGINE_CAPABILITY',
            `this worker drives ${options.kind} servers, not ${payload.engine}`,
            {
              issues: [
                {
                  path: 'engine',
                  message: `expected ${options.kind} for \`engine\` but received ${payload.engine}`,
                },
              ],
            },
          );
        // Stored by an earlier run that died before the queue heard of it: done already.
        const stored = (await options.store.listCandidates(payload.roundId)).find(
          (c) => c.index === payload.index,
        );
        if (stored !== undefined)
          return { candidateId: stored.id, index: payload.index, image: stored.image };
        const raw = job.checkpoints()['remote'];
        const saved: RemoteCheckpoint | undefined =
          raw === undefined ? undefined : remoteCheckpointSchema.parse(raw);
        let on = slot;
        if (saved !== undefined && saved.server !== slot.server.url) {
          // Collect where it was queued while that server is up; else queue it here, same id.
          const origin = slots.find((s) => s.server.url === saved.server);
          if (origin !== undefined && !origin.down) on = origin;
          else await job.checkpoint('remote', { server: slot.server.url, ref: saved.ref });
        }
        try {
          const result = await render(job, on, saved?.ref);
          slot.jobsDone++;
          return result;
        } catch (error) {
          if (on === slot || !unreachable(error) || job.signal.aborted) throw error;
          markDown(on, error);
          if (saved !== undefined)
            await job.checkpoint('remote', { server: slot.server.url, ref: saved.ref });
          const result = await render(job, slot, saved?.ref);
          slot.jobsDone++;
          return result;
        }
      } catch (error) {
        if (!job.signal.aborted) {
          if (unreachable(error)) markDown(slot, error);
          else failed(slot, error);
        }
        throw error;
      } finally {
        slot.running--;
      }
    };

  const consume = (slot: Slot): Worker =>
    options.queue.process(handlerFor(slot), { concurrency: slot.concurrency });
  for (const slot of slots) slot.consumer = consume(slot);

  return {
    health: () => slots.map(healthOf),
    async ready() {
      await Promise.all(
        slots.map(async (slot) => {
          const consumer = slot.consumer as (Worker & { ready?: () => Promise<void> }) | undefined;
          await consumer?.ready?.();
        }),
      );
    },
    async close(closeOptions) {
      stopping.abort();
      await Promise.all(slots.map((slot) => slot.consumer?.close(closeOptions)));
      await Promise.all([...probes]);
    },
  };
}

/** Options of {@link openCandidateWorker}: what `portraitist worker` is given. */
export interface OpenWorkerOptions {
  readonly kind: WorkerEngineKind;
  readonly urls: readonly string[];
  readonly concurrency?: number;
  /** Redis URL of the queue. */
  readonly queue: string;
  /** Key prefix of the deployment in Redis (default `portraitist`). */
  readonly prefix?: string;
  /** `postgres://…` (shared between hosts) or a SQLite file path (this host only). */
  readonly library: string;
  /** The content-addressed blob folder; on a folder every host mounts when there are several. */
  readonly blobs: string;
  readonly onServerChange?: (health: ServerHealth) => void;
}

/** A worker opened from flags, with what it owns. */
export interface OpenedWorker extends CandidateWorker {
  /** Closes the worker, then the engines, the queue and the library. */
  shutdown(options?: CloseOptions): Promise<void>;
}

/** Opens the queue, the library and one engine per URL, and starts a worker on them. */
export async function openCandidateWorker(options: OpenWorkerOptions): Promise<OpenedWorker> {
  const queue = await openBullQueue({
    name: candidateQueueName,
    payload: candidateJobSchema,
    result: candidateJobResultSchema,
    connection: options.queue,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
  let store: Store | undefined;
  const engines: Engine[] = [];
  try {
    store = await openSharedStore(options.library);
    const servers = options.urls.map((url) => {
      // A cancel waits up to 10 s for the running prompt to stop (the engine's default is 30 s,
      // which a server that went down spends in full before its job moves on).
      const engine =
        options.kind === 'comfyui'
          ? createComfyEngine({ url, cancelWaitMs: 10_000 })
          : createA1111Engine({ url });
      engines.push(engine);
      return { url, engine, concurrency: options.concurrency ?? 1 };
    });
    const worker = startCandidateWorker({
      queue,
      kind: options.kind,
      servers,
      store,
      blobs: openFileBlobStore({ root: options.blobs }),
      ...(options.onServerChange === undefined ? {} : { onServerChange: options.onServerChange }),
    });
    const opened = store;
    return {
      ...worker,
      async shutdown(closeOptions) {
        try {
          await worker.close(closeOptions);
        } finally {
          await Promise.allSettled(engines.map((e) => e.dispose()));
          await queue.close();
          await opened.close();
        }
      },
    };
  } catch (error) {
    await Promise.allSettled(engines.map((e) => e.dispose()));
    await store?.close();
    await queue.close();
    throw error;
  }
}
