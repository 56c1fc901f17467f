import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { leakedResources, resourceCounts } from '../testing/index.js';
import { createInProcessQueue, type InProcessQueue } from './index.js';
import { queueContract, type QueueSubject } from './queue-contract.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

queueContract('in-process', async (): Promise<QueueSubject> => {
  const opened: InProcessQueue<unknown, unknown>[] = [];
  return {
    async open(options) {
      const queue = createInProcessQueue(options);
      opened.push(queue as InProcessQueue<unknown, unknown>);
      return queue;
    },
    async crashMidJob(queue, jobId) {
      const checkpointed = deferred();
      const worker = (queue as InProcessQueue<{ label: string }, unknown>).process(async (job) => {
        if (job.id !== jobId) throw new Error(`crash drill took ${job.id}, wanted ${jobId}`);
        await job.checkpoint('remote', `remote-${job.id}`);
        await job.progress({ stage: 'submitted' });
        checkpointed.resolve();
        return await new Promise<never>(() => undefined);
      });
      await checkpointed.promise;
      worker.kill();
    },
    async dispose() {
      await Promise.all(opened.map((queue) => queue.close()));
    },
  };
});

describe('in-process queue', () => {
  it('leaves no timer behind once its jobs are done or cancelled', async () => {
    const before = resourceCounts();
    const queue = createInProcessQueue({ name: 'leaks', payload: z.object({ n: z.number() }) });
    queue.process(async (job) => job.payload.n);
    await (await queue.enqueue({ n: 1 }, { delayMs: 20 })).result();
    const parked = await queue.enqueue({ n: 2 }, { delayMs: 60_000 });
    await queue.cancel(parked.id);
    await queue.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('a killed worker hands its job on; the dead run can no longer write', async () => {
    const queue = createInProcessQueue({ name: 'zombie', payload: z.object({ n: z.number() }) });
    const started = deferred();
    const go = deferred();
    let zombieError: unknown;
    const dying = queue.process(async (job) => {
      started.resolve();
      await go.promise;
      try {
        await job.checkpoint('late', true);
      } catch (error) {
        zombieError = error;
      }
      return 'zombie';
    });
    const handle = await queue.enqueue({ n: 1 });
    await started.promise;
    dying.kill();
    go.resolve();
    queue.process(async () => 'alive');
    expect(await handle.result()).toBe('alive');
    expect(zombieError).toMatchObject({ code: 'ABORTED' });
    expect((await queue.get(handle.id))?.checkpoints).toEqual({});
    await queue.close();
  });

  it('keeps only the newest finished jobs', async () => {
    const queue = createInProcessQueue({
      name: 'retention',
      payload: z.object({ n: z.number() }),
      keepFinished: 2,
    });
    queue.process(async (job) => job.payload.n);
    const handles = [];
    for (let n = 0; n < 5; n++) handles.push(await queue.enqueue({ n }));
    await Promise.all(handles.map((h) => h.result()));
    expect((await queue.counts()).completed).toBe(2);
    expect(await queue.get(handles[0]?.id ?? '')).toBeUndefined();
    await queue.close();
  });
});
