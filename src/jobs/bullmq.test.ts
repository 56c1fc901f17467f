import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  leakedResources,
  redisForTests,
  resourceCounts,
  startRedisServer,
  type RedisForTests,
} from '../testing/index.js';
import { openBullQueue, type BullMqQueue } from './index.js';
import { crashPayload, queueContract, type QueueSubject } from './queue-contract.js';

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

/** A worker in a child process (see test-run.ts), with its stdout lines. */
function spawnWorker(mode: 'crash' | 'drill', queue: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORTRAITIST_CRASH_WORKER: JSON.stringify({
        mode,
        url: redis.url,
        prefix: redis.prefix,
        name: queue,
        lockMs,
        stalledIntervalMs,
      }),
    },
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const watcher of watchers) watcher();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return {
    lines,
    /** Resolves once a line equal to `line` was printed; rejects if the child exits first. */
    until: (line: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (lines.includes(line)) {
            watchers.delete(check);
            resolve();
          }
        };
        watchers.add(check);
        check();
        void exited.then((how) =>
          reject(new Error(`worker exited (${String(how)}) early: ${stderr}`)),
        );
      }),
    async kill() {
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    },
  };
}

/** Runs the crash worker in a child process and kills it with SIGKILL once it has checkpointed. */
async function crashInChild(queue: BullMqQueue<unknown, unknown>, jobId: string): Promise<void> {
  const child = spawnWorker('crash', queue.name);
  await child.until(`checkpointed ${jobId}`);
  await child.kill();
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
  it('leaves no socket or timer behind once closed', async () => {
    const before = resourceCounts();
    const queue = await openBullQueue({
      name: `leaks-${++queues}`,
      payload: z.object({ n: z.number() }),
      connection: redis.url,
      prefix: redis.prefix,
    });
    const worker = queue.process(async (job) => job.payload.n, { concurrency: 2 });
    expect(await (await queue.enqueue({ n: 3 })).result()).toBe(3);
    await worker.close();
    await queue.close();
    expect(await leakedResources(before, 5000)).toEqual([]);
  });

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

  it('kill -9 of workers mid-job, again and again: no job lost, no remote job submitted twice', async () => {
    const queue = await openBullQueue({
      name: `drill-${++queues}`,
      payload: crashPayload,
      result: z.object({ remote: z.string() }),
      connection: redis.url,
      prefix: redis.prefix,
      lockMs,
      stalledIntervalMs,
      maxStalledCount: 100,
    });
    try {
      const handles = [];
      for (let n = 0; n < 16; n++) handles.push(await queue.enqueue({ label: `candidate ${n}` }));
      const results = Promise.all(handles.map((h) => h.result()));
      const lines: string[] = [];
      const kills = 6;
      for (let k = 0; k <= kills; k++) {
        const child = spawnWorker('drill', queue.name);
        await child.until('ready');
        if (k === kills) {
          await results; // the last worker is left to finish
          lines.push(...child.lines);
          await child.kill();
          break;
        }
        // Killed at a random point of its work: before, during or after a submit.
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 600));
        await child.kill();
        lines.push(...child.lines);
      }
      const done = await results;
      expect(done).toHaveLength(16);
      // The kills did land mid-job: some replays collected a remote job instead of submitting.
      expect(lines.filter((line) => line.startsWith('collect')).length).toBeGreaterThan(0);
      expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
      // A job is submitted again only when the earlier submit died before its checkpoint landed.
      for (const handle of handles) {
        const mine = lines.filter((line) => line.split(' ')[1] === handle.id);
        const checkpointedAt = mine.findIndex((line) => line.startsWith('checkpointed'));
        expect(checkpointedAt, `job ${handle.id}: ${mine.join(' | ')}`).toBeGreaterThanOrEqual(0);
        const laterSubmits = mine.slice(checkpointedAt).filter((line) => line.startsWith('submit'));
        expect(laterSubmits, `job ${handle.id}`).toEqual([]);
        const stored = mine[checkpointedAt]?.split(' ')[2];
        expect(done[handles.indexOf(handle)]?.remote).toBe(stored);
      }
    } finally {
      await queue.close();
    }
  }, 180_000);

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
