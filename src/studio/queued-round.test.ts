// Rounds rendered through the candidate queue (BullMQ on a real Redis) by a candidate worker over
// fake ComfyUI servers that count every prompt, against the same round run in-process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief, type Brief } from '../brief/index.js';
import { createComfyEngine, readProvenance, type Engine } from '../engines/index.js';
import { readPngText } from '../image/index.js';
import { openBullQueue, type BullMqQueue } from '../jobs/index.js';
import {
  openFileBlobStore,
  openSqliteStore,
  type BlobStore,
  type CandidateRecord,
  type Store,
} from '../library/index.js';
import { createPromptCompiler, type PromptCompiler } from '../prompt/index.js';
import {
  readFixture,
  redisForTests,
  startFakeComfy,
  type FakeComfy,
  type FakeComfyOptions,
  type RedisForTests,
} from '../testing/index.js';
import { createVision, createVisionRuntime, type Vision } from '../vision/index.js';
import {
  candidateJobResultSchema,
  candidateJobSchema,
  runSessionRound,
  startCandidateWorker,
  type CandidateJob,
  type CandidateJobResult,
  type CandidateWorker,
  type SessionProgress,
} from './index.js';

let redis: RedisForTests;
let vision: Vision;
let folder: string;
let store: Store;
let blobs: BlobStore;
let queues = 0;
const fixedNow = () => new Date('2026-01-02T03:04:05.000Z');

beforeAll(async () => {
  redis = await redisForTests({ log: (line) => process.stderr.write(`${line}\n`) });
  vision = createVision(await createVisionRuntime());
  folder = await mkdtemp(join(tmpdir(), 'pt-queued-round-'));
  store = openSqliteStore({ file: join(folder, 'library.sqlite') });
  blobs = openFileBlobStore({ root: join(folder, 'blobs') });
}, 300_000);
afterAll(async () => {
  await store?.close();
  vision?.dispose();
  await redis?.close();
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

// The real compiler at a small size and few steps, so the fake renders and vision reads quickly.
const real = createPromptCompiler();
const compiler: PromptCompiler = {
  tokenizer: real.tokenizer,
  compile(brief, target, options) {
    const compiled = real.compile(brief, target, options);
    return { ...compiled, params: { ...compiled.params, width: 256, height: 320, steps: 4 } };
  },
};

const brief: Brief = validateBrief({
  version: 1,
  title: 'Queued portrait',
  subject: { description: 'a man in his fifties with a grey beard' },
  light: { rig: 'rembrandt', side: 'left' },
  output: { target: 'sdxl', count: 2, seed: 40 },
});

interface Rig {
  readonly fakes: FakeComfy[];
  readonly queue: BullMqQueue<CandidateJob, CandidateJobResult>;
  readonly worker: CandidateWorker;
  close(): Promise<void>;
}

const comfy = (url: string): Engine =>
  createComfyEngine({ url, pollMs: 20, backoffMs: 5, retries: 2, now: fixedNow });

/** A queue of its own, and a worker over `servers` fake ComfyUI servers. */
async function rig(servers: number, fake: FakeComfyOptions = {}): Promise<Rig> {
  const fakes: FakeComfy[] = [];
  for (let n = 0; n < servers; n++) fakes.push(await startFakeComfy(fake));
  const queue = await openBullQueue({
    name: `queued-round-${++queues}`,
    payload: candidateJobSchema,
    result: candidateJobResultSchema,
    connection: redis.url,
    prefix: redis.prefix,
  });
  const engines = fakes.map((f) => comfy(f.url));
  const worker = startCandidateWorker({
    queue,
    kind: 'comfyui',
    store,
    blobs,
    servers: fakes.map((f, i) => ({ url: f.url, engine: engines[i] as Engine })),
  });
  await worker.ready();
  return {
    fakes,
    queue,
    worker,
    async close() {
      await worker.close({ graceMs: 0 });
      await queue.close();
      await Promise.all(engines.map((e) => e.dispose()));
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}

const queuedCount = (fakes: readonly FakeComfy[]) => fakes.reduce((n, f) => n + f.queuedCount(), 0);

/** A round's common options, into a new session. */
async function roundOptions(references: Parameters<typeof runSessionRound>[0]['references']) {
  const session = await store.createSession({ title: 'queued', brief });
  return {
    library: { store, blobs },
    sessionId: session.id,
    round: { briefVersion: 1, nudges: [] },
    brief,
    vision,
    compiler,
    target: 'sdxl' as const,
    count: 2,
    seed: 40,
    references,
    referenceBlueprints: {},
  };
}

// What differs between any two runs by nature: the server's prompt id and address.
function withoutRun(parameters: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const rest = { ...parameters };
  delete rest['promptId'];
  delete rest['server'];
  return rest;
}

async function pixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(Buffer.from(bytes)).raw().toBuffer();
}

/** The fields of a stored candidate a run's settings decide, with its image's metadata. */
async function comparable(candidate: CandidateRecord) {
  const bytes = await blobs.get(candidate.image);
  const embedded = readProvenance(bytes);
  const record = embedded?.portraitist as { parameters?: Record<string, unknown> } | undefined;
  return {
    index: candidate.index,
    engine: candidate.engine,
    seed: candidate.seed,
    parameters: withoutRun(candidate.parameters as Record<string, unknown>),
    provenance: candidate.provenance,
    textChunks: Object.keys(readPngText(bytes)).sort(),
    embedded:
      record === undefined ? null : { ...record, parameters: withoutRun(record.parameters ?? {}) },
    pixels: (await pixels(bytes)).toString('base64'),
    scored: candidate.scorecard !== null,
  };
}

describe('a round on the queue', () => {
  for (const settings of [
    { stripMetadata: false, provenance: 'full' as const },
    { stripMetadata: false, provenance: 'hashed' as const },
    { stripMetadata: true, provenance: 'hashed' as const },
  ])
    it(`stores the same candidates as an in-process round (${JSON.stringify(settings)})`, async () => {
      const references = [
        { role: 'pose' as const, image: await readFixture('soft-smile'), source: 'soft-smile.png' },
      ];
      const { fakes, queue, close } = await rig(2);
      const local = await startFakeComfy();
      const engine = comfy(local.url);
      try {
        const direct = await runSessionRound({
          ...(await roundOptions(references)),
          ...settings,
          engine,
        });
        const queued = await runSessionRound({
          ...(await roundOptions(references)),
          ...settings,
          engine,
          queue: { queue, kind: 'comfyui' },
        });
        expect(queued.round.status).toBe('done');
        // Rendered by the workers' servers, not by the engine given (which only names the kind).
        expect(local.queuedCount()).toBe(2);
        expect(queuedCount(fakes)).toBe(2);
        const a = await Promise.all(direct.candidates.map(comparable));
        const b = await Promise.all(queued.candidates.map(comparable));
        expect(b).toEqual(a);
        expect(b.map((c) => c.scored)).toEqual([true, true]);
        if (settings.stripMetadata) expect(b.map((c) => c.embedded)).toEqual([null, null]);
        else {
          const references = (b[0]?.embedded as { references?: unknown[] }).references;
          expect(JSON.stringify(references)).toContain(
            settings.provenance === 'full' ? 'soft-smile.png' : 'sha256',
          );
        }
      } finally {
        await close();
        await engine.dispose();
        await local.close();
      }
    }, 180_000);

  it('reports progress from the workers and cancels: the servers are interrupted, the queue empties', async () => {
    const { fakes, queue, close } = await rig(2, { stepMs: 250 });
    const engine = comfy(fakes[0]?.url ?? '');
    const controller = new AbortController();
    const progress: SessionProgress[] = [];
    try {
      const options = await roundOptions([]);
      const running = runSessionRound({
        ...options,
        engine,
        queue: { queue, kind: 'comfyui' },
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          // Both candidates sampling on their servers: cancel.
          if (p.engine?.step !== undefined && fakes.every((f) => f.queuedCount() === 1))
            controller.abort();
        },
      });
      await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
      expect(progress.some((p) => p.stage === 'generating' && p.engine?.step !== undefined)).toBe(
        true,
      );
      // Each server was told to stop its prompt, and no job is left to run.
      for (const fake of fakes) expect(fake.interrupted.length).toBeGreaterThan(0);
      expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
      const round = (await store.getSession(options.sessionId))?.rounds[0];
      // Left running, as an interrupted in-process round is: a resume continues it.
      expect(round?.status).toBe('running');
      expect(await store.listCandidates(round?.id ?? '')).toEqual([]);
    } finally {
      await close();
      await engine.dispose();
    }
  }, 180_000);

  it('continues a round: failed jobs run again, stored candidates are not rendered again', async () => {
    // The first image download answers a decompression bomb, and a job runs once: that job fails
    // for good (with retries it would collect its prompt again and succeed).
    const { fakes, queue, close } = await rig(1, { faults: { view: ['bomb'] } });
    const engine = comfy(fakes[0]?.url ?? '');
    try {
      const options = await roundOptions([]);
      const first = runSessionRound({
        ...options,
        count: 3,
        engine,
        queue: { queue, kind: 'comfyui', attempts: 1 },
      });
      await expect(first).rejects.toMatchObject({
        code: 'ENGINE_FAILED',
        message: expect.stringMatching(/IMAGE_TOO_LARGE/),
      });
      expect(queuedCount(fakes)).toBe(3);
      const round = (await store.getSession(options.sessionId))?.rounds[0];
      expect(round?.status).toBe('running');
      const before = await store.listCandidates(round?.id ?? '');
      expect(before).toHaveLength(2);
      if (round === undefined) throw new Error('no round');
      const again = await runSessionRound({
        ...options,
        round,
        count: 3,
        engine,
        queue: { queue, kind: 'comfyui', attempts: 1 },
      });
      expect(again.round.status).toBe('done');
      expect(again.candidates.map((c) => c.index)).toEqual([0, 1, 2]);
      // Only the failed candidate was queued again; the stored two kept their rows.
      expect(queuedCount(fakes)).toBe(4);
      for (const c of before)
        expect(again.candidates.find((x) => x.index === c.index)?.id).toBe(c.id);
      for (const times of fakes[0]?.queuedTimes.values() ?? []) expect(times).toBe(1);
    } finally {
      await close();
      await engine.dispose();
    }
  }, 180_000);
});
