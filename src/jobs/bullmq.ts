// The queue at scale: BullMQ on Redis. BullMQ does the distributed part (locks, stalled-job
// recovery, retries with backoff, priorities, delays, events over a Redis stream); this file maps
// it onto our Queue: typed errors carried as JSON in the failure reason, checkpoints kept in the
// job's own data, and cancel delivered to whichever worker holds the job through a custom event.
import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Queue as BullQueue,
  QueueEvents,
  QueueEventsProducer,
  UnrecoverableError,
  WaitingError,
  Worker as BullWorker,
  type Job,
} from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { PortraitistError } from '../errors/index.js';
import {
  cancelledError,
  checkEnqueueNumbers,
  checkJobId,
  checkPayload,
  checkQueueName,
  decodeJobError,
  encodeJobError,
  fromJobError,
  jsonSafe,
  shutdownError,
  toJobError,
  type JobError,
} from './job-error.js';
import { isRetryable } from './retry.js';
import type {
  CloseOptions,
  EnqueueOptions,
  JobContext,
  JobCounts,
  JobEvent,
  JobHandle,
  JobHandler,
  JobInfo,
  JobState,
  ProcessOptions,
  Queue,
  QueueOptions,
  Worker,
  WorkerStatus,
} from './types.js';

/** Options of the BullMQ queue. */
export interface BullQueueOptions<P, R> extends QueueOptions<P, R> {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  readonly connection: string;
  /** Key prefix in Redis (default `portraitist`): queues of one deployment share it. */
  readonly prefix?: string;
  /** How long a worker's lock on a job lasts before it must be renewed (default 30 s). */
  readonly lockMs?: number;
  /** How often workers look for jobs whose worker died (default 30 s). */
  readonly stalledIntervalMs?: number;
  /** How many times a job may stall before it fails for good (default 5). */
  readonly maxStalledCount?: number;
  /** Which failures get another attempt (default: `isRetryable`). */
  readonly retryIf?: (error: JobError) => boolean;
  /** How many finished jobs Redis keeps for `get` (default 1000 of each). */
  readonly keepFinished?: number;
  /** How long `openBullQueue` waits for Redis (default 10 s). */
  readonly openTimeoutMs?: number;
  /** How long `cancel` waits for a running handler to stop (default 60 s). */
  readonly cancelTimeoutMs?: number;
}

/** A worker of the BullMQ queue. */
export interface BullQueueWorker extends Worker {
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>;
}

/** The BullMQ queue, with its worker type. */
export interface BullMqQueue<P, R> extends Queue<P, R> {
  process(handler: JobHandler<P, R>, options?: ProcessOptions): BullQueueWorker;
}

const envelopeSchema = z.object({
  payload: z.unknown(),
  checkpoints: z.record(z.string(), z.unknown()),
});
type Envelope = z.infer<typeof envelopeSchema>;

const cancelEvent = 'portraitist-cancel';
/** The event stream that carries cancels to workers: a companion of the queue's own. */
const controlName = (queue: string) => `${queue}--control`;
const cancelledEvent = 'portraitist-cancelled';
const retryingEvent = 'portraitist-retrying';
const markEvent = 'portraitist-mark';
const cancelReason = 'portraitist:cancel';
const maxEvents = 10_000;

/**
 * One Redis connection, owned by whoever made it (BullMQ leaves a passed-in client open, and its
 * own loader cannot work under native ESM). Commands wait for a reconnect rather than fail.
 */
function redisClient(url: string, onError: (error: Error) => void): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on('error', onError);
  return client;
}

async function quit(clients: readonly Redis[]): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      // A client still trying to connect would wait for Redis to come back before quitting.
      if (client.status !== 'ready') {
        client.disconnect();
        return;
      }
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    }),
  );
}

function stateOf(bullState: string): JobState {
  switch (bullState) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'delayed':
      return 'delayed';
    case 'active':
      return 'active';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    default:
      return 'unknown';
  }
}

interface ActiveRun {
  readonly controller: AbortController;
  handBack: boolean;
}

class BullWorkerHandle<P, R> implements BullQueueWorker {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly worker: BullWorker;
  private readonly control: QueueEvents;
  private lastError: string | undefined;
  private closing: Promise<void> | undefined;
  private readonly clients: Redis[];

  constructor(
    private readonly owner: BullMq<P, R>,
    private readonly handler: JobHandler<P, R>,
    private readonly concurrency: number,
  ) {
    const o = owner.options;
    const onError = (error: Error) => {
      this.lastError = error.message;
    };
    const connection = redisClient(o.connection, onError);
    const controlConnection = redisClient(o.connection, onError);
    this.clients = [connection, controlConnection];
    this.worker = new BullWorker(
      owner.name,
      (job: Job, token?: string, signal?: AbortSignal) => this.run(job, token, signal),
      {
        connection,
        prefix: owner.prefix,
        concurrency,
        lockDuration: o.lockMs ?? 30_000,
        stalledInterval: o.stalledIntervalMs ?? 30_000,
        maxStalledCount: o.maxStalledCount ?? 5,
      },
    );
    this.worker.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    // Cancels come on a stream of their own, so a worker does not read every job's events.
    this.control = new QueueEvents(controlName(owner.name), {
      connection: controlConnection,
      prefix: owner.prefix,
    });
    this.control.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    (this.control as unknown as EventEmitter).on(cancelEvent, (args: { jobId?: string }) => {
      if (typeof args.jobId === 'string') this.worker.cancelJob(args.jobId, cancelReason);
    });
  }

  async ready(): Promise<void> {
    await Promise.all([this.worker.waitUntilReady(), this.control.waitUntilReady()]);
  }

  status(): WorkerStatus {
    return {
      running: [...this.runs.keys()],
      concurrency: this.concurrency,
      closed: this.closing !== undefined,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= (async () => {
      const finished = this.worker.close();
      if (options.graceMs !== undefined && this.runs.size > 0) {
        const timer = new AbortController();
        const outcome = await Promise.race([
          finished.then(() => 'done' as const),
          sleep(options.graceMs, 'expired' as const, { signal: timer.signal }).catch(
            () => 'done' as const,
          ),
        ]);
        timer.abort();
        if (outcome === 'expired') {
          for (const [jobId, run] of this.runs) {
            run.handBack = true;
            run.controller.abort(shutdownError(jobId));
          }
        }
      }
      await finished;
      await this.control.close();
      await quit(this.clients);
      this.owner.forget(this);
    })();
    return this.closing;
  }

  private async run(job: Job, token: string | undefined, signal: AbortSignal | undefined) {
    const id = String(job.id);
    const o = this.owner.options;
    const envelope = envelopeSchema.safeParse(job.data);
    if (!envelope.success) {
      throw new UnrecoverableError(
        encodeJobError({
          code: 'INTERNAL',
          message: `job ${id} in queue ${this.owner.name} holds no Portraitist envelope`,
          issues: [{ path: 'data', message: 'expected { payload, checkpoints }' }],
        }),
      );
    }
    const checkpoints: Record<string, unknown> = { ...envelope.data.checkpoints };
    const stored: Envelope = { payload: envelope.data.payload, checkpoints };
    const run: ActiveRun = { controller: new AbortController(), handBack: false };
    this.runs.set(id, run);
    let cancelled = false;
    const onAbort = () => {
      if (signal?.reason === cancelReason) {
        cancelled = true;
        run.controller.abort(cancelledError(id));
      } else {
        // BullMQ aborts when the lock is lost: someone else will run the job.
        run.handBack = true;
        run.controller.abort(shutdownError(id));
      }
    };
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let writes: Promise<void> = Promise.resolve();
    try {
      const payload = checkPayload(o.payload, envelope.data.payload, `job ${id}`);
      const context: JobContext<P> = {
        id,
        payload,
        attempt: job.attemptsStarted,
        signal: run.controller.signal,
        progress: (event) => job.updateProgress(jsonSafe(event, 'progress') as object),
        checkpoint: async (key, value) => {
          checkpoints[key] = jsonSafe(value, `checkpoint.${key}`);
          // One write at a time: each carries every checkpoint so far.
          const snapshot: Envelope = { payload: stored.payload, checkpoints: { ...checkpoints } };
          // A failed write fails its own call only; the next one still carries everything.
          writes = writes.catch(() => undefined).then(() => job.updateData(snapshot));
          await writes;
        },
        checkpoints: () => ({ ...checkpoints }),
      };
      const result = await this.handler(context);
      return jsonSafe(result, 'result');
    } catch (thrown) {
      if (cancelled) {
        throw new UnrecoverableError(
          JSON.stringify({ portraitistJobError: toJobError(cancelledError(id)), cancelled: true }),
        );
      }
      if (run.handBack) {
        if (token !== undefined) await job.moveToWait(token).catch(() => undefined);
        throw new WaitingError();
      }
      const error = toJobError(thrown);
      const retryIf = o.retryIf ?? isRetryable;
      if (!retryIf(error)) throw new UnrecoverableError(encodeJobError(error));
      if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
        await this.owner.publish({
          eventName: retryingEvent,
          jobId: id,
          error: encodeJobError(error),
        });
      }
      throw new Error(encodeJobError(error));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await writes.catch(() => undefined);
      this.runs.delete(id);
    }
  }
}

interface Waiter<R> {
  onEvent(event: JobEvent<R>): void;
  onClose(error: PortraitistError): void;
}

class BullMq<P, R> implements BullMqQueue<P, R> {
  readonly name: string;
  readonly prefix: string;
  private readonly queue: BullQueue;
  private readonly producer: QueueEventsProducer;
  private readonly controlProducer: QueueEventsProducer;
  private events: QueueEvents | undefined;
  private readonly listeners = new Set<(event: JobEvent<R>) => void>();
  /** `result()` calls waiting, by job id. */
  private readonly waiters = new Map<string, Set<Waiter<R>>>();
  private readonly workers = new Set<BullWorkerHandle<P, R>>();
  private closed = false;
  private readonly clients: Redis[] = [];
  /** The last connection error seen, for health reports. */
  lastError: string | undefined;

  constructor(readonly options: BullQueueOptions<P, R>) {
    this.name = checkQueueName(options.name);
    this.prefix = options.prefix ?? 'portraitist';
    const connection = this.client();
    this.queue = new BullQueue(this.name, { connection, prefix: this.prefix });
    this.producer = new QueueEventsProducer(this.name, { connection, prefix: this.prefix });
    this.controlProducer = new QueueEventsProducer(controlName(this.name), {
      connection,
      prefix: this.prefix,
    });
    const onError = (error: Error) => {
      this.lastError = error.message;
    };
    this.queue.on('error', onError);
    (this.producer as unknown as EventEmitter).on('error', onError);
    (this.controlProducer as unknown as EventEmitter).on('error', onError);
  }

  private client(): Redis {
    const client = redisClient(this.options.connection, (error) => {
      this.lastError = error.message;
    });
    this.clients.push(client);
    return client;
  }

  /** Connects, and starts reading events from a marker so none published after open is missed. */
  async open(): Promise<void> {
    await Promise.all([
      this.queue.waitUntilReady(),
      this.producer.waitUntilReady(),
      this.controlProducer.waitUntilReady(),
    ]);
    const marker = await this.queue.backend.publishEvent({ event: markEvent }, maxEvents);
    const events = new QueueEvents(this.name, {
      connection: this.client(),
      prefix: this.prefix,
      lastEventId: marker,
    });
    events.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.events = events;
    events.on('active', ({ jobId }) => this.emit({ type: 'active', jobId }));
    events.on('progress', ({ jobId, data }) =>
      this.emit({ type: 'progress', jobId, progress: data }),
    );
    events.on('completed', ({ jobId, returnvalue }) => {
      let result: R;
      try {
        result = this.checkResult(returnvalue, jobId);
      } catch (error) {
        this.emit({ type: 'failed', jobId, error: toJobError(error) });
        return;
      }
      this.emit({ type: 'completed', jobId, result });
    });
    events.on('failed', ({ jobId, failedReason }) => {
      if (isCancelReason(failedReason)) return; // cancel() announces it once the job is gone
      this.emit({ type: 'failed', jobId, error: decodeJobError(failedReason) });
    });
    const custom = events as unknown as EventEmitter;
    custom.on(retryingEvent, (args: { jobId: string; error: string }) =>
      this.emit({ type: 'retrying', jobId: args.jobId, error: decodeJobError(args.error) }),
    );
    custom.on(cancelledEvent, (args: { jobId: string }) =>
      this.emit({ type: 'cancelled', jobId: args.jobId }),
    );
    await events.waitUntilReady();
  }

  async enqueue(payload: P, options: EnqueueOptions = {}): Promise<JobHandle<R>> {
    this.open_();
    checkEnqueueNumbers(options);
    const checked = checkPayload(
      this.options.payload,
      jsonSafe(payload, 'payload'),
      `queue ${this.name}`,
    );
    const jobId = options.jobId === undefined ? undefined : checkJobId(options.jobId);
    const keep = this.options.keepFinished ?? 1000;
    const envelope: Envelope = { payload: checked, checkpoints: {} };
    const job = await this.queue.add('job', envelope, {
      ...(jobId === undefined ? {} : { jobId }),
      // BullMQ runs un-prioritised jobs before prioritised ones: give both classes a priority.
      priority: options.priority === 'interactive' ? 1 : 2,
      ...((options.delayMs ?? 0) > 0 ? { delay: options.delayMs } : {}),
      attempts: options.attempts ?? 1,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
      removeOnComplete: { count: keep },
      removeOnFail: { count: keep },
    });
    const id = String(job.id);
    return { id, result: () => this.result(id) };
  }

  process(handler: JobHandler<P, R>, options: ProcessOptions = {}): BullQueueWorker {
    this.open_();
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
    const worker = new BullWorkerHandle(this, handler, concurrency);
    this.workers.add(worker);
    return worker;
  }

  subscribe(listener: (event: JobEvent<R>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async cancel(jobId: string): Promise<void> {
    this.open_();
    const deadline = Date.now() + (this.options.cancelTimeoutMs ?? 60_000);
    let requested = false;
    for (;;) {
      const job = await this.queue.getJob(jobId);
      if (job === undefined || job === null) break;
      const state = stateOf(await job.getState());
      if (state === 'completed' || state === 'failed') {
        if (!requested) return; // finished before the cancel: left as it is
        await job.remove().catch(() => undefined);
        continue;
      }
      if (state === 'waiting' || state === 'delayed' || state === 'unknown') {
        // Fails when a worker took the job meanwhile: go round again and signal that worker.
        await job.remove().catch(() => undefined);
        continue;
      }
      requested = true;
      // Re-sent until the job stops: a worker that picked it up a moment ago also hears it.
      await this.controlProducer.publishEvent({ eventName: cancelEvent, jobId }, 1000);
      if (Date.now() > deadline) {
        throw new PortraitistError(
          'INTERNAL',
          `job ${jobId} was still running ${this.options.cancelTimeoutMs ?? 60_000} ms after its cancel`,
          { issues: [{ path: 'jobId', message: 'the handler did not honour job.signal' }] },
        );
      }
      await sleep(50);
    }
    await this.publish({ eventName: cancelledEvent, jobId });
  }

  async get(jobId: string): Promise<JobInfo<P, R> | undefined> {
    // State first: a job read before it finished would show completed with no result yet.
    const state = stateOf(await this.queue.getJobState(jobId));
    if (state === 'unknown') return undefined;
    const job = await this.queue.getJob(jobId);
    if (job === undefined || job === null) return undefined;
    const envelope = envelopeSchema.safeParse(job.data);
    if (!envelope.success) {
      throw new PortraitistError('INTERNAL', `job ${jobId} holds no Portraitist envelope`, {
        issues: [{ path: 'data', message: 'expected { payload, checkpoints }' }],
      });
    }
    const payload = checkPayload(this.options.payload, envelope.data.payload, `job ${jobId}`);
    const progress = job.progress as unknown;
    const hasProgress = !(progress === 0 || progress === undefined || progress === null);
    return {
      id: jobId,
      state,
      payload,
      priority: job.priority === 1 ? 'interactive' : 'batch',
      attemptsStarted: job.attemptsStarted,
      ...(hasProgress ? { progress } : {}),
      ...(state === 'completed' ? { result: this.checkResult(job.returnvalue, jobId) } : {}),
      ...(state === 'failed' ? { error: decodeJobError(job.failedReason) } : {}),
      checkpoints: { ...envelope.data.checkpoints },
    };
  }

  async counts(): Promise<JobCounts> {
    const c = await this.queue.getJobCounts(
      'waiting',
      'prioritized',
      'waiting-children',
      'delayed',
      'active',
      'completed',
      'failed',
    );
    return {
      waiting: (c['waiting'] ?? 0) + (c['prioritized'] ?? 0) + (c['waiting-children'] ?? 0),
      delayed: c['delayed'] ?? 0,
      active: c['active'] ?? 0,
      completed: c['completed'] ?? 0,
      failed: c['failed'] ?? 0,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((worker) => worker.close({ graceMs: 0 })));
    await this.events?.close();
    await this.producer.close();
    await this.controlProducer.close();
    await this.queue.close();
    await quit(this.clients);
    this.listeners.clear();
    // The jobs live on in Redis; only this handle on them is gone.
    for (const [jobId, waiters] of [...this.waiters]) {
      const closed = new PortraitistError(
        'ABORTED',
        `queue ${this.name} closed while waiting for job ${jobId}`,
      );
      for (const waiter of [...waiters]) waiter.onClose(closed);
    }
  }

  /** Publishes a custom event on the queue's event stream. */
  async publish(event: { eventName: string } & Record<string, string>): Promise<void> {
    await this.producer.publishEvent(event, maxEvents);
  }

  forget(worker: BullWorkerHandle<P, R>): void {
    this.workers.delete(worker);
  }

  private open_(): void {
    if (this.closed) throw new PortraitistError('USAGE', `queue ${this.name} is closed`);
  }

  private checkResult(value: unknown, jobId: string): R {
    if (this.options.result === undefined) return value as R;
    const parsed = this.options.result.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new PortraitistError(
      'INTERNAL',
      `job ${jobId}: its stored result does not match the schema`,
      {
        issues: parsed.error.issues.map((i) => ({
          path: ['result', ...i.path.map(String)].join('.'),
          message: i.message,
        })),
      },
    );
  }

  private result(id: string): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const settle = (action: () => void) => {
        if (settled) return;
        settled = true;
        const set = this.waiters.get(id);
        set?.delete(waiter);
        if (set?.size === 0) this.waiters.delete(id);
        action();
      };
      const waiter: Waiter<R> = {
        onEvent: (event) => {
          if (event.type === 'completed') settle(() => resolve(event.result));
          else if (event.type === 'failed') settle(() => reject(fromJobError(event.error)));
          else if (event.type === 'cancelled') settle(() => reject(cancelledError(id)));
        },
        onClose: (error) => settle(() => reject(error)),
      };
      // Listen first, then look: an event between the two is caught by one or the other.
      const set = this.waiters.get(id) ?? new Set();
      set.add(waiter);
      this.waiters.set(id, set);
      this.queue
        .getJobState(id)
        .then(async (state) => {
          if (state === 'unknown') return settle(() => reject(cancelledError(id)));
          if (state !== 'completed' && state !== 'failed') return;
          const info = await this.get(id);
          if (info?.state === 'completed') settle(() => resolve(info.result as R));
          else if (info?.error !== undefined) {
            const error = info.error;
            settle(() => reject(fromJobError(error)));
          }
        })
        .catch((error: unknown) => settle(() => reject(error)));
    });
  }

  private emit(event: JobEvent<R>): void {
    for (const waiter of [...(this.waiters.get(event.jobId) ?? [])]) waiter.onEvent(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function isCancelReason(reason: string): boolean {
  try {
    return (JSON.parse(reason) as { cancelled?: unknown }).cancelled === true;
  } catch {
    return false;
  }
}

/** Opens a BullMQ queue on Redis (connected, and listening for events) — at scale, many hosts. */
export async function openBullQueue<P, R>(
  options: BullQueueOptions<P, R>,
): Promise<BullMqQueue<P, R>> {
  const queue = new BullMq(options);
  const limit = options.openTimeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const opening = queue.open();
  opening.catch(() => undefined); // a late failure after the timeout is already reported
  try {
    await Promise.race([
      opening,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis did not answer within ${limit} ms`)),
          limit,
        );
      }),
    ]);
  } catch (error) {
    await queue.close().catch(() => undefined);
    throw new PortraitistError(
      'ENGINE_UNREACHABLE',
      `could not open queue ${options.name} on Redis`,
      {
        issues: [{ path: 'connection', message: 'a reachable Redis URL' }],
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
  }
  return queue;
}
