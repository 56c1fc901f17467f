// A round's candidates rendered through the candidate queue instead of in this process: one job
// per candidate not yet in the library, taken by whichever worker's engine server is free. The
// workers store each candidate (blob and row, as an in-process round would); this side follows
// the jobs' events for progress, hands each finished candidate on to be critiqued, and on a cancel
// cancels the round's jobs, which interrupts the prompts running on the servers. A job that failed
// for good is enqueued again under a new id when the round is continued (`--resume`); the stored
// candidates are never rendered again.
import {
  engineProgressSchema,
  type EngineProgress,
  type ProvenanceMode,
} from '../engines/index.js';
import type { ReferenceImage } from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';
import {
  openBullQueue,
  type JobEvent,
  type JobHandle,
  type JobPriority,
  type Queue,
} from '../jobs/index.js';
import type { CandidateRecord, Store } from '../library/index.js';
import type { CompiledPrompt } from '../prompt/index.js';
import type { Brief } from '../brief/index.js';
import {
  candidateJobDefaults,
  candidateJobId,
  candidateJobResultSchema,
  candidateJobSchema,
  candidateQueueName,
  workerEngineKinds,
  type CandidateJob,
  type CandidateJobResult,
  type WorkerEngineKind,
} from './worker.js';

/** The queue a studio renders its rounds on, and which engine kind its workers drive. */
export interface RoundQueue {
  readonly queue: Queue<CandidateJob, CandidateJobResult>;
  readonly kind: WorkerEngineKind;
  /** `interactive` puts this studio's jobs ahead of batch work (default `batch`). */
  readonly priority?: JobPriority;
  /** Runs a candidate job may take before it fails for good (default candidateJobDefaults). */
  readonly attempts?: number;
  /** Wait before the first retry, doubling after (default candidateJobDefaults). */
  readonly backoffMs?: number;
}

/** One round's rendering on the queue (what runSessionRound hands over). */
export interface QueuedRenderOptions {
  readonly queue: RoundQueue;
  readonly store: Store;
  readonly sessionId: string;
  readonly roundId: string;
  readonly count: number;
  readonly seed: number;
  readonly brief: Brief;
  readonly compiled: CompiledPrompt;
  readonly references: readonly ReferenceImage[];
  readonly stripMetadata: boolean;
  readonly provenance: ProvenanceMode;
  /** Indices stored already: not enqueued. */
  readonly skipIndices: ReadonlySet<number>;
  readonly signal?: AbortSignal;
  /** Engine progress of any of the round's jobs, `done` counting the finished candidates. */
  readonly onProgress?: (progress: EngineProgress, index: number) => void;
  /** A candidate a worker stored, in the order they finish (awaited before the next one). */
  readonly onCandidate: (candidate: CandidateRecord) => Promise<void>;
}

/** The queue's engine kind for an engine id; USAGE naming `queue` when workers cannot drive it. */
export function queueKindOf(engineId: string): WorkerEngineKind {
  const kind = workerEngineKinds.find((k) => k === engineId);
  if (kind === undefined)
    throw new PortraitistError('USAGE', `workers on a queue drive remote engine servers only`, {
      issues: [
        {
          path: 'queue',
          message: `expected --engine ${workerEngineKinds.join(' or ')} with --queue but received ${engineId}`,
        },
      ],
    });
  return kind;
}

// A job that failed for good keeps its id in the queue (as a record of the failure); its rerun
// takes the first free `<id>-rerun-<n>`.
async function freshJobId(queue: RoundQueue['queue'], base: string): Promise<string> {
  for (let n = 0; ; n++) {
    const id = n === 0 ? base : `${base}-rerun-${n}`;
    const info = await queue.get(id);
    if (info?.state !== 'failed') return id;
  }
}

const plainProgress = (value: unknown): { progress: EngineProgress; index: number } | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  // The worker adds the candidate's index and server to the engine's own event.
  const rest: Record<string, unknown> = { ...value };
  const index = rest['index'];
  delete rest['index'];
  delete rest['server'];
  const parsed = engineProgressSchema.safeParse(rest);
  if (!parsed.success || typeof index !== 'number') return undefined;
  return { progress: parsed.data as EngineProgress, index };
};

/**
 * Renders the round's missing candidates on the queue and resolves once each is stored and handed
 * to `onCandidate`. Throws the first job's typed error once every job has settled (the round stays
 * running, so a resume enqueues the failed ones again), or ABORTED after cancelling the jobs.
 */
export async function renderRoundOnQueue(options: QueuedRenderOptions): Promise<void> {
  const { queue, kind } = options.queue;
  const signal = options.signal;
  const aborted = () =>
    new PortraitistError('ABORTED', `round ${options.roundId} was cancelled`, {
      issues: [{ path: 'round', message: 'its candidate jobs were cancelled' }],
    });
  // A function, not a narrowed property: the signal aborts while this awaits.
  const cancelled = () => signal?.aborted === true;
  if (cancelled()) throw aborted();
  const references = options.references.map((r) => ({
    role: r.role,
    source: r.source,
    base64: Buffer.from(r.image).toString('base64'),
  }));
  // Plain JSON, as it travels; the worker checks it again when it takes the job.
  const compiled = JSON.parse(JSON.stringify(options.compiled)) as CandidateJob['compiled'];
  const indices = Array.from({ length: options.count }, (_, i) => i).filter(
    (i) => !options.skipIndices.has(i),
  );
  const byJob = new Map<string, number>();
  let finished = options.skipIndices.size;
  // Subscribed before the first enqueue, so no event of these jobs is missed.
  const unsubscribe = queue.subscribe((event: JobEvent<CandidateJobResult>) => {
    if (event.type !== 'progress' || !byJob.has(event.jobId)) return;
    const plain = plainProgress(event.progress);
    if (plain === undefined) return;
    options.onProgress?.({ ...plain.progress, done: finished, total: options.count }, plain.index);
  });
  const handles: Array<{ index: number; handle: JobHandle<CandidateJobResult> }> = [];
  const cancelAll = async () => {
    await Promise.all([...byJob.keys()].map((id) => queue.cancel(id).catch(() => undefined)));
  };
  const onAbort = () => void cancelAll();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (const index of indices) {
      const job: CandidateJob = candidateJobSchema.parse({
        sessionId: options.sessionId,
        roundId: options.roundId,
        index,
        engine: kind,
        seed: options.seed,
        brief: options.brief,
        compiled,
        references,
        stripMetadata: options.stripMetadata,
        provenance: options.provenance,
      });
      const jobId = await freshJobId(queue, candidateJobId(job));
      byJob.set(jobId, index);
      handles.push({
        index,
        handle: await queue.enqueue(job, {
          attempts: options.queue.attempts ?? candidateJobDefaults.attempts,
          backoffMs: options.queue.backoffMs ?? candidateJobDefaults.backoffMs,
          jobId,
          priority: options.queue.priority ?? 'batch',
        }),
      });
      if (cancelled()) break;
    }
    if (cancelled()) {
      await cancelAll();
      throw aborted();
    }
    // Candidates are handed on one at a time, in the order they finish.
    let chain: Promise<void> = Promise.resolve();
    const errors: unknown[] = [];
    await Promise.all(
      handles.map(({ handle }) =>
        handle.result().then(
          (result) => {
            chain = chain.then(async () => {
              const stored = await options.store.getCandidate(result.candidateId);
              if (stored === undefined)
                throw new PortraitistError(
                  'LIBRARY_CORRUPT',
                  `job ${handle.id} names candidate ${result.candidateId}, which the library lacks`,
                );
              finished++;
              await options.onCandidate(stored);
            });
            return chain;
          },
          (error: unknown) => {
            errors.push(error);
          },
        ),
      ),
    );
    await chain;
    if (cancelled()) {
      await cancelAll();
      throw aborted();
    }
    if (errors.length > 0) throw errors[0];
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

/** Options of {@link openRoundQueue}: what `direct --queue` and `serve --queue` are given. */
export interface OpenRoundQueueOptions {
  /** Redis URL of the queue. */
  readonly url: string;
  /** Key prefix of the deployment in Redis (default `portraitist`, as the workers'). */
  readonly prefix?: string;
  readonly kind: WorkerEngineKind;
  readonly priority?: JobPriority;
  readonly attempts?: number;
}

/** A round queue on Redis, with the handle that closes it. */
export interface OpenedRoundQueue extends RoundQueue {
  close(): Promise<void>;
}

/** Opens the candidate queue the workers of a deployment take jobs from. */
export async function openRoundQueue(options: OpenRoundQueueOptions): Promise<OpenedRoundQueue> {
  const queue = await openBullQueue({
    name: candidateQueueName,
    payload: candidateJobSchema,
    result: candidateJobResultSchema,
    connection: options.url,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
  return {
    queue,
    kind: options.kind,
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
    close: () => queue.close(),
  };
}
