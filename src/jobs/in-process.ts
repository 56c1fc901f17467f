// The in-process queue: the default on one machine. Everything lives in this object (no module
// state); every timer it sets is cleared by cancel or close, so a CLI run exits when it is done.
import { PortraitistError } from '../errors/index.js';
import {
  cancelledError,
  checkEnqueueNumbers,
  checkJobId,
  checkPayload,
  checkQueueName,
  fromJobError,
  jsonSafe,
  shutdownError,
  toJobError,
  type JobError,
} from './job-error.js';
import { backoffDelay, isRetryable } from './retry.js';
import type {
  CloseOptions,
  EnqueueOptions,
  JobContext,
  JobCounts,
  JobEvent,
  JobHandle,
  JobHandler,
  JobInfo,
  JobPriority,
  JobState,
  ProcessOptions,
  Queue,
  QueueOptions,
  Worker,
  WorkerStatus,
} from './types.js';

/** The timer functions the queue uses (injected so tests and hosts can control them). */
export interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: Timers = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of the in-process queue. */
export interface InProcessQueueOptions<P, R> extends QueueOptions<P, R> {
  readonly timers?: Timers;
  /** Which failures get another attempt (default: `isRetryable`). */
  readonly retryIf?: (error: JobError) => boolean;
  /** How many finished jobs are kept for `get` (oldest dropped first; default 1000). */
  readonly keepFinished?: number;
}

/** A worker of the in-process queue. */
export interface InProcessWorker extends Worker {
  /**
   * Stops at once, as a crashed process would: running jobs are neither finished nor failed but
   * go back to the queue for another worker (their handlers' signals abort; later calls throw).
   */
  kill(): void;
}

/** The in-process queue, with its worker type. */
export interface InProcessQueue<P, R> extends Queue<P, R> {
  process(handler: JobHandler<P, R>, options?: ProcessOptions): InProcessWorker;
}

interface Run {
  readonly controller: AbortController;
  readonly worker: LocalWorker;
  /** Set when the job is cancelled, handed back or its worker killed: results are dropped. */
  stale: boolean;
  handBack: boolean;
  settled: Promise<void>;
}

interface JobRecord<P, R> {
  readonly id: string;
  readonly payload: P;
  readonly priority: JobPriority;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly seq: number;
  state: Exclude<JobState, 'unknown'>;
  attemptsStarted: number;
  attemptsFailed: number;
  progress?: unknown;
  result?: R;
  error?: JobError;
  checkpoints: Record<string, unknown>;
  timer?: unknown;
  run?: Run;
  waiters: Array<{ resolve: (value: R) => void; reject: (error: unknown) => void }>;
}

class LocalWorker implements InProcessWorker {
  readonly running = new Map<string, Run>();
  closed = false;
  constructor(
    readonly handler: JobHandler<unknown, unknown>,
    readonly concurrency: number,
    private readonly owner: InProcess<unknown, unknown>,
  ) {}

  status(): WorkerStatus {
    return {
      running: [...this.running.keys()],
      concurrency: this.concurrency,
      closed: this.closed,
    };
  }

  async close(options: CloseOptions = {}): Promise<void> {
    this.closed = true;
    const settled = Promise.all([...this.running.values()].map((run) => run.settled));
    if (options.graceMs === undefined) {
      await settled;
    } else if (this.running.size > 0) {
      let timer: unknown;
      const expired = new Promise<'expired'>((resolve) => {
        timer = this.owner.timers.setTimeout(() => resolve('expired'), options.graceMs ?? 0);
      });
      const outcome = await Promise.race([settled.then(() => 'done' as const), expired]);
      this.owner.timers.clearTimeout(timer);
      if (outcome === 'expired') {
        for (const [jobId, run] of this.running) {
          run.handBack = true;
          run.controller.abort(shutdownError(jobId));
        }
        await Promise.all([...this.running.values()].map((run) => run.settled));
      }
    }
    this.owner.forget(this);
  }

  kill(): void {
    this.closed = true;
    for (const jobId of [...this.running.keys()]) this.owner.abandon(jobId);
    this.owner.forget(this);
  }
}

class InProcess<P, R> implements InProcessQueue<P, R> {
  readonly name: string;
  readonly timers: Timers;
  private readonly jobs = new Map<string, JobRecord<P, R>>();
  private readonly ready: Record<JobPriority, JobRecord<P, R>[]> = { interactive: [], batch: [] };
  private readonly finished: string[] = [];
  private readonly workers = new Set<LocalWorker>();
  private readonly listeners = new Set<(event: JobEvent<R>) => void>();
  private seq = 0;
  private closed = false;

  constructor(private readonly options: InProcessQueueOptions<P, R>) {
    this.name = checkQueueName(options.name);
    this.timers = options.timers ?? systemTimers;
  }

  async enqueue(payload: P, options: EnqueueOptions = {}): Promise<JobHandle<R>> {
    this.open();
    checkEnqueueNumbers(options);
    const checked = checkPayload(
      this.options.payload,
      jsonSafe(payload, 'payload'),
      `queue ${this.name}`,
    );
    const id = options.jobId === undefined ? `job-${++this.seq}` : checkJobId(options.jobId);
    if (!this.jobs.has(id)) {
      const record: JobRecord<P, R> = {
        id,
        payload: checked,
        priority: options.priority ?? 'batch',
        attempts: options.attempts ?? 1,
        backoffMs: options.backoffMs ?? 1000,
        seq: ++this.seq,
        state: 'waiting',
        attemptsStarted: 0,
        attemptsFailed: 0,
        checkpoints: {},
        waiters: [],
      };
      this.jobs.set(id, record);
      if ((options.delayMs ?? 0) > 0) this.delay(record, options.delayMs ?? 0);
      else this.makeReady(record);
    }
    return { id, result: () => this.result(id) };
  }

  process(handler: JobHandler<P, R>, options: ProcessOptions = {}): InProcessWorker {
    this.open();
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new PortraitistError(
        'USAGE',
        `expected \`concurrency\` ≥ 1, but received ${concurrency}`,
        {
          issues: [{ path: 'concurrency', message: 'an integer ≥ 1' }],
        },
      );
    }
    const worker = new LocalWorker(
      handler as JobHandler<unknown, unknown>,
      concurrency,
      this as unknown as InProcess<unknown, unknown>,
    );
    this.workers.add(worker);
    queueMicrotask(() => this.pump());
    return worker;
  }

  subscribe(listener: (event: JobEvent<R>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async cancel(jobId: string): Promise<void> {
    const record = this.jobs.get(jobId);
    if (record === undefined) return;
    if (record.state === 'completed' || record.state === 'failed') return;
    if (record.state === 'active' && record.run !== undefined) {
      const run = record.run;
      run.stale = true;
      run.controller.abort(cancelledError(jobId));
      await run.settled;
    }
    this.timers.clearTimeout(record.timer);
    this.jobs.delete(jobId);
    for (const waiter of record.waiters.splice(0)) waiter.reject(cancelledError(jobId));
    this.emit({ type: 'cancelled', jobId });
    this.pump();
  }

  async get(jobId: string): Promise<JobInfo<P, R> | undefined> {
    const record = this.jobs.get(jobId);
    if (record === undefined) return undefined;
    return {
      id: record.id,
      state: record.state,
      payload: record.payload,
      priority: record.priority,
      attemptsStarted: record.attemptsStarted,
      ...(record.progress === undefined ? {} : { progress: record.progress }),
      ...(record.result === undefined ? {} : { result: record.result }),
      ...(record.error === undefined ? {} : { error: record.error }),
      checkpoints: { ...record.checkpoints },
    };
  }

  async counts(): Promise<JobCounts> {
    const counts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
    for (const record of this.jobs.values()) counts[record.state] += 1;
    return counts;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((worker) => worker.close({ graceMs: 0 })));
    for (const record of this.jobs.values()) {
      this.timers.clearTimeout(record.timer);
      const closed = new PortraitistError(
        'ABORTED',
        `queue ${this.name} closed before job ${record.id} finished`,
      );
      for (const waiter of record.waiters.splice(0)) waiter.reject(closed);
    }
    this.listeners.clear();
  }

  /** Drops a closed worker. */
  forget(worker: LocalWorker): void {
    this.workers.delete(worker);
  }

  /** A killed worker's job: back to the queue, as a stalled job would be. */
  abandon(jobId: string): void {
    const record = this.jobs.get(jobId);
    const run = record?.run;
    if (record === undefined || run === undefined) return;
    run.stale = true;
    run.worker.running.delete(jobId);
    run.controller.abort(shutdownError(jobId));
    record.run = undefined;
    this.makeReady(record);
  }

  private open(): void {
    if (this.closed) throw new PortraitistError('USAGE', `queue ${this.name} is closed`);
  }

  private result(id: string): Promise<R> {
    const record = this.jobs.get(id);
    if (record === undefined) return Promise.reject(cancelledError(id));
    if (record.state === 'completed') return Promise.resolve(record.result as R);
    if (record.state === 'failed' && record.error !== undefined)
      return Promise.reject(fromJobError(record.error));
    return new Promise<R>((resolve, reject) => record.waiters.push({ resolve, reject }));
  }

  private delay(record: JobRecord<P, R>, ms: number): void {
    record.state = 'delayed';
    record.timer = this.timers.setTimeout(() => {
      record.timer = undefined;
      if (this.jobs.get(record.id) === record && record.state === 'delayed') this.makeReady(record);
    }, ms);
  }

  private makeReady(record: JobRecord<P, R>): void {
    record.state = 'waiting';
    this.ready[record.priority].push(record);
    queueMicrotask(() => this.pump());
  }

  private nextReady(): JobRecord<P, R> | undefined {
    for (const priority of ['interactive', 'batch'] as const) {
      const list = this.ready[priority];
      while (list.length > 0) {
        const record = list.shift() as JobRecord<P, R>;
        // Cancelled or re-queued entries are left behind in the list; skip them.
        if (
          this.jobs.get(record.id) === record &&
          record.state === 'waiting' &&
          record.run === undefined
        )
          return record;
      }
    }
    return undefined;
  }

  private pump(): void {
    if (this.closed) return;
    for (const worker of this.workers) {
      while (!worker.closed && worker.running.size < worker.concurrency) {
        const record = this.nextReady();
        if (record === undefined) return;
        this.start(worker, record);
      }
    }
  }

  private start(worker: LocalWorker, record: JobRecord<P, R>): void {
    const controller = new AbortController();
    const run: Run = {
      controller,
      worker,
      stale: false,
      handBack: false,
      settled: Promise.resolve(),
    };
    record.state = 'active';
    record.run = run;
    record.attemptsStarted += 1;
    worker.running.set(record.id, run);
    const live = () => {
      if (run.stale) {
        throw new PortraitistError('ABORTED', `job ${record.id} is no longer held by this worker`);
      }
    };
    const context: JobContext<P> = {
      id: record.id,
      payload: record.payload,
      attempt: record.attemptsStarted,
      signal: controller.signal,
      progress: async (event) => {
        live();
        const progress = jsonSafe(event, 'progress');
        record.progress = progress;
        this.emit({ type: 'progress', jobId: record.id, progress });
      },
      checkpoint: async (key, value) => {
        live();
        record.checkpoints[key] = jsonSafe(value, `checkpoint.${key}`);
      },
      checkpoints: () => ({ ...record.checkpoints }),
    };
    this.emit({ type: 'active', jobId: record.id });
    const handler = worker.handler as JobHandler<P, R>;
    run.settled = (async () => {
      let outcome: { ok: true; value: R } | { ok: false; error: unknown };
      try {
        await Promise.resolve();
        outcome = { ok: true, value: await handler(context) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      worker.running.delete(record.id);
      if (run.stale) return;
      record.run = undefined;
      if (run.handBack) {
        this.makeReady(record);
      } else if (outcome.ok) {
        this.complete(record, outcome.value);
      } else {
        this.fail(record, outcome.error);
      }
      this.pump();
    })();
  }

  private complete(record: JobRecord<P, R>, value: R): void {
    let result: R;
    try {
      result = jsonSafe(value, 'result') as R;
    } catch (error) {
      this.fail(record, error);
      return;
    }
    record.state = 'completed';
    record.result = result;
    this.finish(record);
    for (const waiter of record.waiters.splice(0)) waiter.resolve(result);
    this.emit({ type: 'completed', jobId: record.id, result });
  }

  private fail(record: JobRecord<P, R>, thrown: unknown): void {
    const error = toJobError(thrown);
    record.attemptsFailed += 1;
    const retryIf = this.options.retryIf ?? isRetryable;
    if (record.attemptsFailed < record.attempts && retryIf(error)) {
      this.emit({ type: 'retrying', jobId: record.id, error });
      this.delay(record, backoffDelay(record.backoffMs, record.attemptsFailed));
      return;
    }
    record.state = 'failed';
    record.error = error;
    this.finish(record);
    for (const waiter of record.waiters.splice(0)) waiter.reject(fromJobError(error));
    this.emit({ type: 'failed', jobId: record.id, error });
  }

  private finish(record: JobRecord<P, R>): void {
    this.finished.push(record.id);
    const keep = this.options.keepFinished ?? 1000;
    while (this.finished.length > keep) {
      const old = this.finished.shift() as string;
      const gone = this.jobs.get(old);
      if (gone !== undefined && (gone.state === 'completed' || gone.state === 'failed'))
        this.jobs.delete(old);
    }
  }

  private emit(event: JobEvent<R>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A listener's bug must not corrupt the queue's state; surface it as an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/** The in-process queue: jobs, workers and events in this process, nothing persisted. */
export function createInProcessQueue<P, R>(
  options: InProcessQueueOptions<P, R>,
): InProcessQueue<P, R> {
  return new InProcess(options);
}
