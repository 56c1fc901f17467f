// Fault tests of the candidate worker on BullMQ (Redis) and the PostgreSQL library, over fake
// ComfyUI servers that count every prompt queued. PostgreSQL, not SQLite: the workers killed here
// are other processes, and the library is the one a deployment shares between hosts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { createComfyEngine } from '../engines/index.js';
import { openBullQueue, type BullMqQueue } from '../jobs/index.js';
import { openFileBlobStore, openPostgresStore, type Store } from '../library/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import {
  postgresForTests,
  redisForTests,
  startFakeComfy,
  startRedisServer,
  type FakeComfy,
  type RedisForTests,
  type TestPostgres,
} from '../testing/index.js';
import {
  cancelCandidates,
  candidateJobResultSchema,
  candidateJobSchema,
  enqueueCandidates,
  startCandidateWorker,
  type CandidateJob,
  type CandidateJobResult,
} from './index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const lockMs = 1500;
const stalledIntervalMs = 500;
const compiler = createPromptCompiler();
const brief = { version: 1, subject: { description: 'a man in his fifties with a beard' } };

let redis: RedisForTests;
let pg: TestPostgres;
let store: Store;
let blobs: string;
let childScript: string;
let queues = 0;

beforeAll(async () => {
  redis = await redisForTests({ log: (line) => process.stderr.write(`${line}\n`) });
  pg = await postgresForTests();
  store = await openPostgresStore({ connectionString: pg.connectionString, maxConnections: 4 });
  blobs = await mkdtemp(join(tmpdir(), 'pt-worker-faults-'));
  // One bundle of the child worker, so each of the many restarts costs a plain node start, not a
  // TypeScript transform of the whole tree (packages stay external, resolved from the repo).
  const folder = join(repoRoot, 'out', 'test-children');
  await mkdir(folder, { recursive: true });
  childScript = join(folder, `worker-${process.pid}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL('./test-run.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: childScript,
    logLevel: 'error',
  });
}, 300_000);
afterAll(async () => {
  await store?.close();
  await pg?.close();
  await redis?.close();
  if (blobs !== undefined) await rm(blobs, { recursive: true, force: true });
  if (childScript !== undefined) await rm(childScript, { force: true });
});

/** A small seeded generator (mulberry32): the run's kill times are repeatable from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function newRound(count: number, seed = 7): Promise<CandidateJob[]> {
  const session = await store.createSession({ title: 'faults', brief });
  const round = await store.startRound(session.id, {
    briefVersion: 1,
    engine: 'comfyui',
    count,
    seed,
    nudges: [],
  });
  const compiled = compiler.compile(validateBrief(brief), 'sdxl');
  const small = { ...compiled, params: { ...compiled.params, width: 64, height: 64, steps: 1 } };
  return Array.from({ length: count }, (_, index) =>
    candidateJobSchema.parse({
      sessionId: session.id,
      roundId: round.id,
      index,
      engine: 'comfyui',
      seed,
      brief,
      compiled: JSON.parse(JSON.stringify(small)),
    }),
  );
}

async function openQueue(): Promise<BullMqQueue<CandidateJob, CandidateJobResult>> {
  return await openBullQueue({
    name: `worker-faults-${++queues}`,
    payload: candidateJobSchema,
    result: candidateJobResultSchema,
    connection: redis.url,
    prefix: redis.prefix,
    lockMs,
    stalledIntervalMs,
    maxStalledCount: 1000,
  });
}

/** A worker child process over `servers`; resolves once it takes jobs. */
function spawnWorker(queue: string, servers: readonly FakeComfy[]) {
  const child: ChildProcess = spawn(process.execPath, [childScript], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORTRAITIST_WORKER_CHILD: JSON.stringify({
        redis: redis.url,
        prefix: redis.prefix,
        queue,
        library: pg.connectionString,
        schema: 'portraitist',
        blobs,
        servers: servers.map((s) => s.url),
        concurrency: 1,
        lockMs,
        stalledIntervalMs,
      }),
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(String(signal ?? code))),
  );
  let out = '';
  const seen = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes(line)) {
          child.stdout?.off('data', check);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      check();
      void exited.then((how) => reject(new Error(`worker exited (${how}) early: ${stderr}`)));
    });
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const ready = seen('ready\n');
  ready.catch(() => undefined);
  return {
    ready,
    /** Resolves once the worker has started a candidate on an engine. */
    rendering: () => seen('rendering '),
    async kill() {
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    },
  };
}

describe('candidate worker faults', () => {
  it('kill -9 of worker processes mid-job, 200 times: no job lost, no prompt queued twice, each candidate stored once', async () => {
    const kills = Number(process.env['PORTRAITIST_WORKER_KILLS'] ?? '200');
    const seed = Number(process.env['PORTRAITIST_WORKER_SEED'] ?? '13');
    const random = seeded(seed);
    const fakes = await Promise.all([0, 1, 2].map(() => startFakeComfy({ serviceMs: 150 })));
    const queue = await openQueue();
    const rounds: CandidateJob[][] = [];
    const results: Promise<CandidateJobResult>[] = [];
    const feed = async () => {
      const jobs = await newRound(8, rounds.length);
      rounds.push(jobs);
      for (const handle of await enqueueCandidates(queue, jobs)) results.push(handle.result());
    };
    try {
      await feed();
      let killed = 0;
      const readyMs: number[] = [];
      // Four workers at a time, each killed mid-job: at a seeded moment 0–150 ms after it started
      // a candidate on an engine (before, during or after its prompt is queued and rendered).
      const lane = async () => {
        while (killed < kills) {
          const counts = await queue.counts();
          if (counts.waiting + counts.delayed < 12) await feed();
          const spawned = performance.now();
          const child = spawnWorker(queue.name, fakes);
          await child.ready;
          readyMs.push(performance.now() - spawned);
          await child.rendering();
          await new Promise((resolve) => setTimeout(resolve, random() * 150));
          killed++;
          await child.kill();
        }
      };
      await Promise.all([lane(), lane(), lane(), lane()]);
      expect(killed).toBeGreaterThanOrEqual(kills);
      // Two workers are left to finish what the killed ones handed back.
      const finishers = [spawnWorker(queue.name, fakes), spawnWorker(queue.name, fakes)];
      await Promise.all(finishers.map((f) => f.ready));
      const done = await Promise.all(results);
      await Promise.all(finishers.map((f) => f.kill()));
      const candidates = rounds.reduce((n, r) => n + r.length, 0);
      // 0 jobs lost.
      expect(done).toHaveLength(candidates);
      expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
      // 0 prompts queued twice: one prompt per candidate over all servers, each id once.
      const queued = fakes.reduce((n, f) => n + f.queuedCount(), 0);
      expect(queued).toBe(candidates);
      for (const fake of fakes)
        for (const [id, times] of fake.queuedTimes) expect(times, `prompt ${id}`).toBe(1);
      // Every candidate stored once.
      for (const jobs of rounds) {
        const stored = await store.listCandidates(jobs[0]?.roundId ?? '');
        expect(stored.map((c) => c.index)).toEqual(jobs.map((j) => j.index));
      }
      // The kills did land mid-job: jobs were started again after their worker died.
      let replayed = 0;
      let reruns = 0;
      for (const jobs of rounds)
        for (const job of jobs) {
          const started = (await queue.get(`${job.roundId}-${job.index}`))?.attemptsStarted ?? 0;
          if (started > 1) replayed++;
          reruns += Math.max(0, started - 1);
        }
      process.stderr.write(
        `kill drill (seed ${seed}): ${killed} kills, ${candidates} candidates, ${replayed} jobs run again (${reruns} runs after a kill), ${queued} prompts; a worker took ${Math.round(readyMs.sort((x, y) => x - y)[readyMs.length >> 1] ?? 0)} ms (median) to start\n`,
      );
      expect(replayed).toBeGreaterThan(0);
    } finally {
      await queue.close();
      await Promise.all(fakes.map((f) => f.close()));
    }
  }, 1_500_000);

  it('an engine server that goes down mid-run: its jobs move to the others', async () => {
    const fakes = await Promise.all([0, 1, 2].map(() => startFakeComfy({ serviceMs: 150 })));
    const [a, b, c] = fakes as [FakeComfy, FakeComfy, FakeComfy];
    const queue = await openQueue();
    const worker = startCandidateWorker({
      queue,
      kind: 'comfyui',
      store,
      blobs: openFileBlobStore({ root: blobs }),
      servers: fakes.map((f) => ({
        url: f.url,
        engine: createComfyEngine({
          url: f.url,
          pollMs: 20,
          backoffMs: 5,
          retries: 1,
          cancelWaitMs: 2000,
        }),
      })),
      probeMs: 100,
    });
    try {
      await worker.ready();
      const jobs = await newRound(12);
      const handles = await enqueueCandidates(queue, jobs);
      // B goes down while it renders a candidate.
      while (
        ![...b.timings.values()].some((t) => t.started !== undefined && t.finished === undefined)
      )
        await new Promise((resolve) => setTimeout(resolve, 10));
      const unfinished = [...b.timings]
        .filter(([, t]) => t.finished === undefined)
        .map(([id]) => id);
      await b.close();
      const done = await Promise.all(handles.map((h) => h.result()));
      expect(done.map((r) => r.index)).toEqual(jobs.map((j) => j.index));
      const stored = await store.listCandidates(jobs[0]?.roundId ?? '');
      expect(stored.map((s) => s.index)).toEqual(jobs.map((j) => j.index));
      // What B held was rendered by A or C, under the same prompt id (queued there once).
      const moved = stored.filter((s) =>
        unfinished.includes(String((s.parameters as { promptId?: unknown }).promptId)),
      );
      expect(moved.length).toBeGreaterThan(0);
      for (const s of moved)
        expect([a.url, c.url].map((u) => new URL(u).origin)).toContain(
          (s.parameters as { server?: unknown }).server,
        );
      for (const fake of [a, c]) for (const [, times] of fake.queuedTimes) expect(times).toBe(1);
      const health = worker.health();
      expect(health[1]).toMatchObject({ url: b.url, state: 'down' });
      expect(health[1]?.lastError).toBeDefined();
      expect(health[0]?.state).not.toBe('down');
      expect(health[2]?.state).not.toBe('down');
      expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await worker.close();
      await queue.close();
      await Promise.all([a, c].map((f) => f.close()));
    }
  }, 180_000);

  it('a Redis crash and restart mid-run: every candidate is stored once, no prompt queued twice', async () => {
    const server = await startRedisServer();
    const fakes = await Promise.all([0, 1].map(() => startFakeComfy({ serviceMs: 100 })));
    const queue = await openBullQueue<CandidateJob, CandidateJobResult>({
      name: 'restart',
      payload: candidateJobSchema,
      result: candidateJobResultSchema,
      connection: server.url,
      prefix: 'worker-restart',
      lockMs: 2000,
      stalledIntervalMs: 1000,
    });
    const worker = startCandidateWorker({
      queue,
      kind: 'comfyui',
      store,
      blobs: openFileBlobStore({ root: blobs }),
      servers: fakes.map((f) => ({
        url: f.url,
        engine: createComfyEngine({ url: f.url, pollMs: 20, backoffMs: 5, retries: 1 }),
      })),
    });
    try {
      await worker.ready();
      const jobs = await newRound(12);
      const handles = await enqueueCandidates(queue, jobs);
      const results = Promise.all(handles.map((h) => h.result()));
      const roundId = jobs[0]?.roundId ?? '';
      while ((await store.listCandidates(roundId)).length < 3)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await server.restart('SIGKILL');
      expect((await results).map((r) => r.index)).toEqual(jobs.map((j) => j.index));
      expect((await store.listCandidates(roundId)).map((c) => c.index)).toEqual(
        jobs.map((j) => j.index),
      );
      expect(fakes.reduce((n, f) => n + f.queuedCount(), 0)).toBe(12);
      for (const fake of fakes) for (const [, times] of fake.queuedTimes) expect(times).toBe(1);
    } finally {
      await worker.close();
      await queue.close();
      await Promise.all(fakes.map((f) => f.close()));
      await server.stop();
    }
  }, 120_000);

  it('cancel mid-run: the remote servers are interrupted and the queue is empty', async () => {
    const fakes = await Promise.all([0, 1].map(() => startFakeComfy({ serviceMs: 60_000 })));
    const queue = await openQueue();
    const worker = startCandidateWorker({
      queue,
      kind: 'comfyui',
      store,
      blobs: openFileBlobStore({ root: blobs }),
      servers: fakes.map((f) => ({
        url: f.url,
        engine: createComfyEngine({
          url: f.url,
          pollMs: 20,
          backoffMs: 5,
          retries: 1,
          cancelWaitMs: 2000,
        }),
      })),
    });
    try {
      await worker.ready();
      const jobs = await newRound(4);
      const handles = await enqueueCandidates(queue, jobs);
      const settled = handles.map((h) =>
        h.result().then(
          () => 'completed',
          (error: unknown) => (error as { code?: string }).code,
        ),
      );
      // Both servers are rendering a candidate of the round; the other two wait in the queue.
      const running = (f: FakeComfy) =>
        [...f.timings].find(([, t]) => t.started !== undefined && t.finished === undefined)?.[0];
      while (fakes.some((f) => running(f) === undefined))
        await new Promise((resolve) => setTimeout(resolve, 10));
      const prompts = fakes.map((f) => running(f) as string);
      expect(worker.health().map((h) => h.state)).toEqual(['busy', 'busy']);
      await cancelCandidates(queue, jobs[0]?.roundId ?? '', jobs.length);
      for (const [n, fake] of fakes.entries()) expect(fake.interrupted).toContain(prompts[n]);
      expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
      expect(await Promise.all(settled)).toEqual(['ABORTED', 'ABORTED', 'ABORTED', 'ABORTED']);
      expect(await store.listCandidates(jobs[0]?.roundId ?? '')).toEqual([]);
      expect(fakes.reduce((n, f) => n + f.queuedCount(), 0)).toBe(2);
    } finally {
      await worker.close();
      await queue.close();
      await Promise.all(fakes.map((f) => f.close()));
    }
  }, 120_000);
});
