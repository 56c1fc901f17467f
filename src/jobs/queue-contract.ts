// The contract every Queue passes (vitest; registered from each implementation's test file and
// left out of the build). A subject opens fresh queues and can crash a worker mid-job.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PortraitistError } from '../errors/index.js';
import type { JobEvent, Queue, QueueOptions } from './types.js';

/** The payload of the crash drill. */
export const crashPayload = z.object({ label: z.string() });
export type CrashPayload = z.infer<typeof crashPayload>;

/** What one implementation gives the contract. */
export interface QueueSubject {
  /** A new, empty queue (a unique name per call). */
  open<P, R>(options: QueueOptions<P, R>): Promise<Queue<P, R>>;
  /**
   * Runs a worker that takes job `jobId`, writes checkpoint `remote` = `remote-<jobId>`, reports
   * progress `{ stage: 'submitted' }` and then dies without finishing (for BullMQ: a child
   * process killed with SIGKILL). Resolves once it is dead.
   */
  crashMidJob(queue: Queue<CrashPayload, unknown>, jobId: string): Promise<void>;
  dispose(): Promise<void>;
}

const numberPayload = z.object({ n: z.number().int() });
type NumberPayload = z.infer<typeof numberPayload>;

/** Resolves when `check` holds, polling; fails after `timeoutMs` with `what`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise with its resolve function outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function rejection(promise: Promise<unknown>): Promise<PortraitistError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitistError);
    return error as PortraitistError;
  }
  throw new Error('expected the promise to reject');
}

/** Waits for `signal` to abort and rejects with its reason. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Registers the queue contract for one implementation. */
export function queueContract(name: string, setup: () => Promise<QueueSubject>): void {
  describe(`queue contract: ${name}`, () => {
    let subject: QueueSubject;
    const open = <P, R>(options: QueueOptions<P, R>) => subject.open(options);
    const recorder = <R>(queue: Queue<unknown, R> | Queue<never, R>) => {
      const events: JobEvent<R>[] = [];
      (queue as Queue<unknown, R>).subscribe((event) => events.push(event));
      return events;
    };

    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(async () => {
      await subject.dispose();
    });

    it('runs an enqueued job and reports active, progress (JSON) and completion', async () => {
      const queue = await open({ name: 'basic', payload: numberPayload });
      const events = recorder(queue);
      const worker = queue.process(async (job) => {
        await job.progress({
          stage: 'generate',
          done: 1,
          total: 2,
          preview: { format: 'png', base64: 'iVBO' },
        });
        return { doubled: job.payload.n * 2, attempt: job.attempt };
      });
      const handle = await queue.enqueue({ n: 21 });
      expect(await handle.result()).toEqual({ doubled: 42, attempt: 1 });
      await eventually(() => events.some((e) => e.type === 'completed'), 'the completed event');
      const mine = events.filter((e) => e.jobId === handle.id).map((e) => e.type);
      expect(mine).toEqual(['active', 'progress', 'completed']);
      const progress = events.find((e) => e.type === 'progress');
      expect(progress).toMatchObject({
        progress: {
          stage: 'generate',
          done: 1,
          total: 2,
          preview: { format: 'png', base64: 'iVBO' },
        },
      });
      const info = await queue.get(handle.id);
      expect(info).toMatchObject({
        state: 'completed',
        payload: { n: 21 },
        result: { doubled: 42 },
      });
      await worker.close();
    });

    it('refuses a payload that does not match the schema, naming the field', async () => {
      const queue = await open({ name: 'invalid', payload: numberPayload });
      const error = await rejection(queue.enqueue({ n: 'x' } as unknown as NumberPayload));
      expect(error.code).toBe('USAGE');
      expect(error.issues[0]?.path).toBe('payload.n');
      expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    });

    it('fails a job with its typed error: code, message and field survive the trip', async () => {
      const queue = await open({ name: 'failure', payload: numberPayload });
      const events = recorder(queue);
      queue.process(async () => {
        throw new PortraitistError(
          'ENGINE_REJECTED',
          'the server refused `light.rig` "rembrandt2"',
          {
            issues: [{ path: 'light.rig', message: 'expected a known rig' }],
            source: 'brief.yaml',
          },
        );
      });
      const handle = await queue.enqueue({ n: 1 }, { attempts: 3, backoffMs: 10 });
      const error = await rejection(handle.result());
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).toBe('the server refused `light.rig` "rembrandt2"');
      expect(error.issues).toEqual([{ path: 'light.rig', message: 'expected a known rig' }]);
      expect(error.source).toBe('brief.yaml');
      await eventually(() => events.some((e) => e.type === 'failed'), 'the failed event');
      const failed = events.find((e) => e.type === 'failed');
      expect(failed).toMatchObject({ jobId: handle.id, error: { code: 'ENGINE_REJECTED' } });
      // A refusal is never retried: one attempt although three were allowed.
      expect(events.filter((e) => e.type === 'active')).toHaveLength(1);
      const info = await queue.get(handle.id);
      expect(info?.state).toBe('failed');
      expect(info?.error?.issues[0]?.path).toBe('light.rig');
    });

    it('reports an untyped throw as INTERNAL with its message', async () => {
      const queue = await open({ name: 'untyped', payload: numberPayload });
      queue.process(async () => {
        throw new Error('boom in handler');
      });
      const error = await rejection((await queue.enqueue({ n: 1 })).result());
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toBe('boom in handler');
    });

    it('retries a transient failure with backoff and then succeeds', async () => {
      const queue = await open({ name: 'retry', payload: numberPayload });
      const events = recorder(queue);
      const starts: Array<{ attempt: number; at: number }> = [];
      queue.process(async (job) => {
        starts.push({ attempt: job.attempt, at: Date.now() });
        if (job.attempt < 3) throw new PortraitistError('ENGINE_UNREACHABLE', 'connection refused');
        return 'ok';
      });
      const handle = await queue.enqueue({ n: 1 }, { attempts: 3, backoffMs: 60 });
      expect(await handle.result()).toBe('ok');
      expect(starts.map((s) => s.attempt)).toEqual([1, 2, 3]);
      // Exponential: at least 60 ms before the 2nd run and 120 ms before the 3rd.
      const [a, b, c] = starts;
      expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(55);
      expect((c?.at ?? 0) - (b?.at ?? 0)).toBeGreaterThanOrEqual(115);
      await eventually(
        () => events.filter((e) => e.type === 'retrying').length === 2,
        'two retrying events',
      );
      expect(events.find((e) => e.type === 'retrying')).toMatchObject({
        error: { code: 'ENGINE_UNREACHABLE' },
      });
    });

    it('fails for good once the attempts are spent', async () => {
      const queue = await open({ name: 'spent', payload: numberPayload });
      let runs = 0;
      queue.process(async () => {
        runs += 1;
        throw new PortraitistError('ENGINE_TIMEOUT', 'no answer');
      });
      const error = await rejection(
        (await queue.enqueue({ n: 1 }, { attempts: 2, backoffMs: 10 })).result(),
      );
      expect(error.code).toBe('ENGINE_TIMEOUT');
      expect(runs).toBe(2);
    });

    it('cancels a running job through its signal; the queue is empty after', async () => {
      const queue = await open({ name: 'cancel', payload: numberPayload });
      const events = recorder(queue);
      const started = deferred();
      let reason: unknown;
      queue.process(async (job) => {
        started.resolve();
        try {
          return await untilAborted(job.signal);
        } catch (error) {
          reason = error;
          throw error;
        }
      });
      const handle = await queue.enqueue({ n: 1 }, { attempts: 3 });
      const result = handle.result();
      result.catch(() => undefined);
      await started.promise;
      await queue.cancel(handle.id);
      expect(reason).toBeInstanceOf(PortraitistError);
      expect((reason as PortraitistError).code).toBe('ABORTED');
      expect(await queue.get(handle.id)).toBeUndefined();
      expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0, failed: 0 });
      expect((await rejection(result)).code).toBe('ABORTED');
      await eventually(() => events.some((e) => e.type === 'cancelled'), 'the cancelled event');
      expect(events.some((e) => e.type === 'failed')).toBe(false);
    });

    it('cancels a waiting job without running it', async () => {
      const queue = await open({ name: 'cancel-waiting', payload: numberPayload });
      const handle = await queue.enqueue({ n: 1 }, { delayMs: 200 });
      await queue.cancel(handle.id);
      let ran = false;
      queue.process(async () => {
        ran = true;
      });
      expect(await queue.get(handle.id)).toBeUndefined();
      expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
      expect((await rejection(handle.result())).code).toBe('ABORTED');
      // After the delay would have run out, it still has not run.
      const probe = await queue.enqueue({ n: 2 }, { delayMs: 250 });
      await probe.result();
      expect(ran).toBe(true); // the probe ran…
      expect(await queue.get(handle.id)).toBeUndefined(); // …the cancelled job never came back
    });

    it('runs an interactive job before queued batch jobs', async () => {
      const queue = await open({ name: 'priority', payload: numberPayload });
      const order: number[] = [];
      const handles = [];
      for (const n of [1, 2, 3]) handles.push(await queue.enqueue({ n }, { priority: 'batch' }));
      handles.push(await queue.enqueue({ n: 99 }, { priority: 'interactive' }));
      queue.process(async (job) => {
        order.push(job.payload.n);
      });
      await Promise.all(handles.map((h) => h.result()));
      expect(order).toEqual([99, 1, 2, 3]);
      expect((await queue.get(handles[3]?.id ?? ''))?.priority).toBe('interactive');
    });

    it('holds a delayed job back until its time, letting later ones pass', async () => {
      const queue = await open({ name: 'delayed', payload: numberPayload });
      const order: number[] = [];
      const enqueuedAt = Date.now();
      const late = await queue.enqueue({ n: 1 }, { delayMs: 400 });
      expect((await queue.get(late.id))?.state).toBe('delayed');
      const now = await queue.enqueue({ n: 2 });
      let lateStart = 0;
      queue.process(async (job) => {
        if (job.payload.n === 1) lateStart = Date.now();
        order.push(job.payload.n);
      });
      await Promise.all([late.result(), now.result()]);
      expect(order).toEqual([2, 1]);
      expect(lateStart - enqueuedAt).toBeGreaterThanOrEqual(390);
    });

    it('gives a job id once: a second enqueue with the same id returns the first job', async () => {
      const queue = await open({ name: 'idempotent', payload: numberPayload });
      let runs = 0;
      const first = await queue.enqueue({ n: 1 }, { jobId: 'round-7-a' });
      const second = await queue.enqueue({ n: 1 }, { jobId: 'round-7-a' });
      expect(second.id).toBe(first.id);
      queue.process(async () => {
        runs += 1;
        return runs;
      });
      expect(await first.result()).toBe(1);
      expect(await second.result()).toBe(1);
      expect(runs).toBe(1);
      const error = await rejection(queue.enqueue({ n: 1 }, { jobId: 'a:b' }));
      expect(error.issues[0]?.path).toBe('jobId');
    });

    it('keeps checkpoints across a retry so the replay collects instead of queueing again', async () => {
      const queue = await open({ name: 'checkpoint', payload: numberPayload });
      let submitted = 0;
      queue.process(async (job) => {
        let remote = job.checkpoints()['remote'];
        if (typeof remote !== 'string') {
          submitted += 1;
          remote = `prompt-${submitted}`;
          await job.checkpoint('remote', remote);
        }
        if (job.attempt === 1) throw new PortraitistError('ENGINE_TIMEOUT', 'lost the socket');
        return { collected: remote, attempt: job.attempt };
      });
      const handle = await queue.enqueue({ n: 1 }, { attempts: 2, backoffMs: 10 });
      expect(await handle.result()).toEqual({ collected: 'prompt-1', attempt: 2 });
      expect(submitted).toBe(1);
      expect((await queue.get(handle.id))?.checkpoints).toEqual({ remote: 'prompt-1' });
    });

    it('recovers a job whose worker died mid-job; the replay collects its checkpoint', async () => {
      const queue = await open({ name: 'stalled', payload: crashPayload });
      const events = recorder(queue);
      const handle = await queue.enqueue({ label: 'portrait' });
      await subject.crashMidJob(queue as Queue<CrashPayload, unknown>, handle.id);
      expect((await queue.get(handle.id))?.checkpoints).toEqual({ remote: `remote-${handle.id}` });
      let queuedAgain = 0;
      queue.process(async (job) => {
        const remote = job.checkpoints()['remote'];
        if (typeof remote !== 'string') queuedAgain += 1;
        return { collected: remote, attempt: job.attempt };
      });
      const result = (await handle.result()) as { collected: unknown; attempt: number };
      expect(result.collected).toBe(`remote-${handle.id}`);
      expect(result.attempt).toBeGreaterThanOrEqual(2);
      expect(queuedAgain).toBe(0);
      expect(events.some((e) => e.type === 'progress' && e.jobId === handle.id)).toBe(true);
      expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, completed: 1 });
    }, 60_000);

    it('spreads jobs over workers: whichever is free takes the next, none runs twice', async () => {
      // The shape of a worker bound to engine servers: one worker per server, its concurrency.
      const queue = await open({ name: 'spread', payload: numberPayload });
      const ran: Record<string, number[]> = { slow: [], fast: [] };
      const serve = (server: 'slow' | 'fast', ms: number) =>
        queue.process(async (job) => {
          ran[server]?.push(job.payload.n);
          await new Promise((resolve) => setTimeout(resolve, ms));
          return server;
        });
      const workers = [serve('slow', 400), serve('fast', 20)];
      const handles = [];
      for (let n = 0; n < 8; n++) handles.push(await queue.enqueue({ n }));
      await Promise.all(handles.map((h) => h.result()));
      const all = [...(ran['slow'] ?? []), ...(ran['fast'] ?? [])].sort((a, b) => a - b);
      expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(ran['fast']?.length ?? 0).toBeGreaterThan(ran['slow']?.length ?? 0);
      await Promise.all(workers.map((w) => w.close()));
    });

    it('closing the queue settles every result() still waiting', async () => {
      const queue = await open({ name: 'close-waiting', payload: numberPayload });
      const handle = await queue.enqueue({ n: 1 });
      const waiting = handle.result();
      waiting.catch(() => undefined);
      await queue.close();
      expect((await rejection(waiting)).code).toBe('ABORTED');
    });

    it('close() lets the running job finish', async () => {
      const queue = await open({ name: 'close-finish', payload: numberPayload });
      const started = deferred();
      const release = deferred();
      const worker = queue.process(async () => {
        started.resolve();
        await release.promise;
        return 'finished';
      });
      const handle = await queue.enqueue({ n: 1 });
      await started.promise;
      expect(worker.status().running).toEqual([handle.id]);
      const closing = worker.close();
      release.resolve();
      await closing;
      expect(await handle.result()).toBe('finished');
      expect(worker.status().closed).toBe(true);
    });

    it('close({ graceMs }) hands a job that does not finish back to the queue', async () => {
      const queue = await open({ name: 'close-handback', payload: numberPayload });
      const started = deferred();
      let sawShutdown = false;
      const first = queue.process(async (job) => {
        started.resolve();
        try {
          return await untilAborted(job.signal);
        } catch (error) {
          sawShutdown = error instanceof PortraitistError && error.code === 'ABORTED';
          throw error;
        }
      });
      const handle = await queue.enqueue({ n: 1 });
      await started.promise;
      await first.close({ graceMs: 50 });
      expect(sawShutdown).toBe(true);
      const info = await queue.get(handle.id);
      expect(info?.state).toBe('waiting');
      const second = queue.process(async (job) => `done on attempt ${job.attempt}`);
      expect(await handle.result()).toBe('done on attempt 2');
      await second.close();
    });
  });
}
