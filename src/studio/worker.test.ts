import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { createComfyEngine } from '../engines/index.js';
import { createInProcessQueue } from '../jobs/index.js';
import { openFileBlobStore, openSqliteStore, type Store } from '../library/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { startFakeComfy, type FakeComfy } from '../testing/index.js';
import {
  candidateJobResultSchema,
  candidateJobSchema,
  enqueueCandidates,
  startCandidateWorker,
  type CandidateJob,
  type CandidateJobResult,
} from './index.js';

const compiler = createPromptCompiler();
const brief = { version: 1, subject: { description: 'a woman in her thirties, short grey hair' } };

/** The jobs of one round of `count` candidates, small and quick to render on the fake. */
function roundJobs(sessionId: string, roundId: string, count: number, seed = 100): CandidateJob[] {
  const compiled = compiler.compile(validateBrief(brief), 'sdxl');
  const small = { ...compiled, params: { ...compiled.params, width: 64, height: 64, steps: 1 } };
  return Array.from({ length: count }, (_, index) =>
    candidateJobSchema.parse({
      sessionId,
      roundId,
      index,
      engine: 'comfyui',
      seed,
      brief,
      compiled: JSON.parse(JSON.stringify(small)),
    }),
  );
}

const fakes: FakeComfy[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function setup(servers: number, serviceMs: number, stepMs = 0) {
  for (let n = 0; n < servers; n++) fakes.push(await startFakeComfy({ serviceMs, stepMs }));
  const store = openSqliteStore({ file: ':memory:' });
  stores.push(store);
  const session = await store.createSession({ title: 'worker', brief });
  const queue = createInProcessQueue<CandidateJob, CandidateJobResult>({
    name: 'candidates',
    payload: candidateJobSchema,
    result: candidateJobResultSchema,
  });
  const worker = startCandidateWorker({
    queue,
    kind: 'comfyui',
    store,
    blobs: openFileBlobStore({ root: await mkdtemp(join(tmpdir(), 'pt-worker-blobs-')) }),
    servers: fakes.map((f) => ({
      url: f.url,
      engine: createComfyEngine({ url: f.url, pollMs: 20, backoffMs: 5, retries: 2 }),
    })),
  });
  return { store, session, queue, worker };
}

describe('candidate worker', () => {
  it('spreads a round over every server and stores each candidate once', async () => {
    const { store, session, queue, worker } = await setup(2, 80);
    try {
      const round = await store.startRound(session.id, {
        briefVersion: 1,
        engine: 'comfyui',
        count: 6,
        seed: 100,
        nudges: [],
      });
      const handles = await enqueueCandidates(queue, roundJobs(session.id, round.id, 6));
      const results = await Promise.all(handles.map((h) => h.result()));
      expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
      // Both servers took jobs: whichever was free took the next one.
      for (const fake of fakes) expect(fake.queuedCount()).toBeGreaterThan(0);
      expect(fakes.reduce((n, f) => n + f.queuedCount(), 0)).toBe(6);
      const stored = await store.listCandidates(round.id);
      expect(stored.map((c) => [c.index, c.seed])).toEqual(
        [0, 1, 2, 3, 4, 5].map((k) => [k, 100 + k]),
      );
      const health = worker.health();
      expect(health.map((h) => h.state)).toEqual(['idle', 'idle']);
      expect(health.reduce((n, h) => n + h.jobsDone, 0)).toBe(6);
      // A repeat enqueue of a stored candidate renders nothing.
      const again = await enqueueCandidates(queue, roundJobs(session.id, round.id, 1));
      await again[0]?.result();
      expect(fakes.reduce((n, f) => n + f.queuedCount(), 0)).toBe(6);
    } finally {
      await worker.close();
      await queue.close();
    }
  }, 60_000);

  it('refuses a job for another engine kind with a typed error', async () => {
    const { store, session, queue, worker } = await setup(1, 0);
    try {
      const round = await store.startRound(session.id, {
        briefVersion: 1,
        engine: 'a1111',
        count: 1,
        seed: 1,
        nudges: [],
      });
      const [job] = roundJobs(session.id, round.id, 1);
      const [handle] = await enqueueCandidates(queue, [
        { ...(job as CandidateJob), engine: 'a1111' },
      ]);
      await expect(handle?.result()).rejects.toMatchObject({ code: 'ENGINE_CAPABILITY' });
      expect(worker.health()[0]?.lastError).toMatch(/drives comfyui servers, not a1111/);
    } finally {
      await worker.close();
      await queue.close();
    }
  }, 60_000);

  it('coalesces progress: at most one queue write per job every 100 ms, the last step kept', async () => {
    // 12 sampling steps of 40 ms: the engine reports each; the queue hears a few of them.
    const { store, session, queue, worker } = await setup(1, 0, 40);
    const heard: Array<{ at: number; step?: number }> = [];
    const unsubscribe = queue.subscribe((event) => {
      if (event.type === 'progress')
        heard.push({ at: performance.now(), ...(event.progress as { step?: number }) });
    });
    try {
      const round = await store.startRound(session.id, {
        briefVersion: 1,
        engine: 'comfyui',
        count: 1,
        seed: 3,
        nudges: [],
      });
      const jobs = roundJobs(session.id, round.id, 1).map((job) => ({
        ...job,
        compiled: { ...job.compiled, params: { ...job.compiled.params, steps: 12 } },
      }));
      const [handle] = await enqueueCandidates(queue, jobs);
      await handle?.result();
      const steps = heard.flatMap((h) => (h.step === undefined ? [] : [h.step]));
      expect(steps.length).toBeGreaterThan(0);
      expect(steps.length).toBeLessThan(12);
      // Later events are newer: a burst's latest is the one sent.
      expect([...steps].sort((a, b) => a - b)).toEqual(steps);
      for (let k = 1; k < heard.length; k++)
        expect((heard[k]?.at ?? 0) - (heard[k - 1]?.at ?? 0)).toBeGreaterThan(80);
    } finally {
      unsubscribe();
      await worker.close();
      await queue.close();
    }
  }, 60_000);
});
