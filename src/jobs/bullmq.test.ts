import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redisForTests, startRedisServer, type RedisForTests } from '../testing/index.js';
import { openBullQueue, type BullMqQueue } from './index.js';
import { queueContract, type QueueSubject } from './queue-contract.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const childScript = fileURLToPath(new URL('./test-run.ts', import.meta.url));
// Short locks so a dead worker's job is recovered in about a second, not thirty.
const lockMs = 1000;
const stalledIntervalMs = 500;

let redis: RedisForTests;
let queues = 0;

beforeAll(async () => {
  // Says so on stderr when it had to install redis-server first, and how long that took.
  redis = await redisForTests({ log: (line) => process.stderr.write(`${line}\n`) });
}, 300_000);
afterAll(async () => {
  await redis.close();
});

/** Runs the crash worker in a child process and kills it with SIGKILL once it has checkpointed. */
async function crashInChild(queue: BullMqQueue<unknown, unknown>, jobId: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORTRAITIST_CRASH_WORKER: JSON.stringify({
        url: redis.url,
        prefix: redis.prefix,
        name: queue.name,
        lockMs,
        stalledIntervalMs,
      }),
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(`checkpointed ${jobId}\n`)) resolve();
    });
    void exited.then((how) =>
      reject(new Error(`crash worker exited (${String(how)}) early: ${stderr}`)),
    );
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

queueContract('bullmq', async (): Promise<QueueSubject> => {
  const opened: BullMqQueue<unknown, unknown>[] = [];
  return {
    async open(options) {
      const queue = await openBullQueue({
        ...options,
        name: `${options.name}-${++queues}`,
        connection: redis.url,
        prefix: redis.prefix,
        lockMs,
        stalledIntervalMs,
      });
      opened.push(queue as BullMqQueue<unknown, unknown>);
      return queue;
    },
    crashMidJob: (queue, jobId) => crashInChild(queue as BullMqQueue<unknown, unknown>, jobId),
    async dispose() {
      await Promise.all(opened.map((queue) => queue.close()));
    },
  };
});

describe('bullmq queue', () => {
  it('recovers from a Redis crash and restart mid-run: every job completes', async () => {
    const server = await startRedisServer();
    const queue = await openBullQueue({
      name: 'restart',
      payload: z.object({ n: z.number() }),
      result: z.number(),
      connection: server.url,
      prefix: 'restart-test',
      lockMs: 2000,
      stalledIntervalMs: 1000,
    });
    try {
      const done = new Set<number>();
      const worker = queue.process(
        async (job) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          done.add(job.payload.n);
          return job.payload.n;
        },
        { concurrency: 2 },
      );
      const handles = [];
      for (let n = 0; n < 30; n++)
        handles.push(await queue.enqueue({ n }, { attempts: 5, backoffMs: 100 }));
      const results = Promise.all(handles.map((h) => h.result()));
      while (done.size < 5) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(done.size).toBeLessThan(30);
      const restarting = server.restart('SIGKILL');
      // Enqueued while Redis is down or coming back: held by the client until it reconnects.
      const late = Promise.all(
        [30, 31, 32, 33, 34].map(async (n) => (await queue.enqueue({ n })).result()),
      );
      await restarting;
      expect((await results).sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
      expect(await late).toEqual([30, 31, 32, 33, 34]);
      expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, completed: 35 });
      await worker.close();
    } finally {
      await queue.close();
      await server.stop();
    }
  }, 120_000);

  it('refuses to open on a Redis that does not answer', async () => {
    const { closedPort } = await import('../testing/index.js');
    const port = await closedPort();
    await expect(
      openBullQueue({
        name: 'nowhere',
        payload: z.object({}),
        connection: `redis://127.0.0.1:${port}`,
        openTimeoutMs: 1000,
      }),
    ).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE' });
  });
});
