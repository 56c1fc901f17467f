// The queue every caller talks to (in-process by default, BullMQ on Redis at scale). Jobs carry
// JSON payloads checked by a zod schema given per queue; progress events and results are JSON.
import type { z } from 'zod';
import type { JobError } from './job-error.js';

/** How urgent a job is: an interactive preview runs before queued batch work. */
export type JobPriority = 'interactive' | 'batch';

/** Options of one enqueue. */
export interface EnqueueOptions {
  /** Default `batch`. */
  readonly priority?: JobPriority;
  /** Start no earlier than this many milliseconds from now. */
  readonly delayMs?: number;
  /** A caller-chosen id (idempotency: a second enqueue with the same id returns the first job). */
  readonly jobId?: string;
  /** How many times the handler may run before the job fails for good (default 1). */
  readonly attempts?: number;
  /** Wait before retry n: `backoffMs * 2^(n-1)` (exponential; default 1000). */
  readonly backoffMs?: number;
}

/** Where a job stands. `unknown` when the queue holds no job with that id (never enqueued or cancelled). */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'unknown';

/** What the queue knows about one job. */
export interface JobInfo<P, R> {
  readonly id: string;
  readonly state: JobState;
  readonly payload: P;
  readonly priority: JobPriority;
  /** How many times a handler has started it (a stalled job picked up again counts). */
  readonly attemptsStarted: number;
  /** The last progress event reported, if any. */
  readonly progress?: unknown;
  readonly result?: R;
  readonly error?: JobError;
  /** Checkpoints written so far (remote job ids and the like). */
  readonly checkpoints: Readonly<Record<string, unknown>>;
}

/** A job the caller enqueued. */
export interface JobHandle<R> {
  readonly id: string;
  /**
   * Resolves with the result; rejects with the job's typed error (`ABORTED` when it is cancelled
   * or the queue handle is closed first).
   */
  result(): Promise<R>;
}

/** Everything a handler gets for one run of a job. */
export interface JobContext<P> {
  readonly id: string;
  readonly payload: P;
  /** 1 on the first run; higher on a retry or when a stalled job is picked up again. */
  readonly attempt: number;
  /**
   * Aborted when the job is cancelled (`reason` is a `PortraitistError` with code `ABORTED`) or
   * when the worker shuts down and hands the job back (the job then runs again elsewhere).
   */
  readonly signal: AbortSignal;
  /** Reports a JSON-safe progress event to every subscriber. */
  progress(event: unknown): Promise<void>;
  /**
   * Stores a JSON value with the job, durably, before resolving: write a remote job id here
   * before waiting on it, so that a replayed run collects it instead of queueing again.
   */
  checkpoint(key: string, value: unknown): Promise<void>;
  /** Checkpoints written by this or an earlier run of the job. */
  checkpoints(): Readonly<Record<string, unknown>>;
}

/** A job handler: resolves with a JSON-safe result or throws (a `PortraitistError` keeps its code). */
export type JobHandler<P, R> = (job: JobContext<P>) => Promise<R>;

/** Options of `Queue.process`. */
export interface ProcessOptions {
  /** How many jobs this worker runs at once (default 1). */
  readonly concurrency?: number;
}

/** Options of `Worker.close`. */
export interface CloseOptions {
  /**
   * How long running jobs may take to finish (default: as long as they need). When it runs out,
   * their signals are aborted and the jobs are handed back to the queue, not failed.
   */
  readonly graceMs?: number;
}

/** What a worker is doing, for health pages. */
export interface WorkerStatus {
  readonly running: readonly string[];
  readonly concurrency: number;
  readonly closed: boolean;
  /** The last connection or internal error the worker saw, if any. */
  readonly lastError?: string;
}

/** A consumer taking jobs off one queue. */
export interface Worker {
  status(): WorkerStatus;
  /** Stops taking jobs; finishes (or, after `graceMs`, hands back) the running ones. */
  close(options?: CloseOptions): Promise<void>;
}

/** One event of a queue, as every subscriber (in any process) sees it. */
export type JobEvent<R> =
  | { readonly type: 'active'; readonly jobId: string }
  | { readonly type: 'progress'; readonly jobId: string; readonly progress: unknown }
  | { readonly type: 'completed'; readonly jobId: string; readonly result: R }
  /** A run failed and another attempt is scheduled. */
  | { readonly type: 'retrying'; readonly jobId: string; readonly error: JobError }
  /** The job failed for good. */
  | { readonly type: 'failed'; readonly jobId: string; readonly error: JobError }
  | { readonly type: 'cancelled'; readonly jobId: string };

/** Job counts by state. */
export interface JobCounts {
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
  readonly completed: number;
  readonly failed: number;
}

/** A queue of jobs of one kind. */
export interface Queue<P, R> {
  readonly name: string;
  enqueue(payload: P, options?: EnqueueOptions): Promise<JobHandle<R>>;
  /** Starts a worker in this process that runs `handler` on jobs of this queue. */
  process(handler: JobHandler<P, R>, options?: ProcessOptions): Worker;
  /** Subscribes to events of every job; returns the unsubscribe function. */
  subscribe(listener: (event: JobEvent<R>) => void): () => void;
  /**
   * Cancels a job: a waiting one is removed; a running one sees `job.signal` abort, and this
   * resolves once it has stopped and the job is gone from the queue. Unknown ids are a no-op.
   */
  cancel(jobId: string): Promise<void>;
  get(jobId: string): Promise<JobInfo<P, R> | undefined>;
  counts(): Promise<JobCounts>;
  /** Closes the queue and every worker it started (running jobs are handed back). */
  close(): Promise<void>;
}

/** What every queue implementation is given. */
export interface QueueOptions<P, R> {
  /** Queue name: letters, digits, `-` and `_`. */
  readonly name: string;
  readonly payload: z.ZodType<P>;
  /** Checked when a result is read back (from Redis, say); optional. */
  readonly result?: z.ZodType<R>;
}
