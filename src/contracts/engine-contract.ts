// The contract every Engine passes (hono's shared router suite is the model): call it from each
// engine's test file with a factory; fakes of remote servers plug in the same way.
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { targetIds } from '../brief/index.js';
import {
  engineProgressSchema,
  remoteJobRefSchema,
  type Candidate,
  type Engine,
  type EngineProgress,
  type GenerationRequest,
  type RemoteJobRef,
} from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';
import { readImage } from '../image/index.js';

/** What a contract run needs: the engine and a request it can fulfil. */
export interface EngineUnderTest {
  readonly engine: Engine;
  readonly request: GenerationRequest;
  /** For an engine on a (fake) server: what the server was asked to make. */
  readonly remote?: {
    /** Jobs the server has taken so far (prompts queued, generations run, requests billed). */
    readonly jobs: () => number;
    /**
     * Whether a recorded job can be collected after a crash. False where the server answers only on
     * the connection that asked (A1111): a resumed job is then sent again, and the suite checks only
     * that it completes.
     */
    readonly collects: boolean;
  };
}

/** A promise with its settle functions, to hold an engine inside a callback. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** The typed error a promise rejects with; fails the test when it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<PortraitistError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitistError);
    return error as PortraitistError;
  }
  throw new Error('expected the call to fail');
}

/** Options of {@link engineContract}. */
export interface EngineContractOptions {
  /** Per-test limit for engines that render on the CPU (the local darkroom); vitest's default otherwise. */
  readonly timeoutMs?: number;
}

/** Registers the engine contract for one engine. `setup` runs once per test. */
export function engineContract(
  name: string,
  setup: () => Promise<EngineUnderTest>,
  teardown: (subject: EngineUnderTest) => Promise<void> = (s) => s.engine.dispose(),
  options: EngineContractOptions = {},
): void {
  const limit = options.timeoutMs;
  const withEngine = (run: (subject: EngineUnderTest) => Promise<void>) => async () => {
    const subject = await setup();
    try {
      await run(subject);
    } finally {
      await teardown(subject);
    }
  };

  describe(`engine contract: ${name}`, () => {
    it(
      'describes its capabilities as data',
      withEngine(async ({ engine }) => {
        const capabilities = engine.describe();
        expect(capabilities.id).toBe(engine.id);
        expect(capabilities.targets.length).toBeGreaterThan(0);
        for (const target of capabilities.targets) expect(targetIds).toContain(target);
        expect(capabilities.maxCount).toBeGreaterThanOrEqual(1);
        expect(capabilities.sizes.min).toBeLessThanOrEqual(capabilities.sizes.max);
        for (const flag of [
          'poseControl',
          'identityReference',
          'img2img',
          'needsReferencePhoto',
        ] as const)
          expect(typeof capabilities[flag]).toBe('boolean');
      }),
      limit,
    );

    it(
      'makes the asked number of PNG candidates, each with its seed and full provenance, and reports progress',
      withEngine(async ({ engine, request }) => {
        const progress: number[] = [];
        const candidates = await engine.generate(
          { ...request, count: 2 },
          { onProgress: (p) => progress.push(p.done) },
        );
        expect(candidates).toHaveLength(2);
        expect(candidates.map((c) => c.seed)).toEqual([request.seed, request.seed + 1]);
        for (const candidate of candidates) {
          const image = await readImage(candidate.image, { source: 'candidate' });
          expect(image.format).toBe('png');
          expect(image.width).toBeGreaterThan(0);
          expect(candidate.engine).toBe(engine.id);
          expect(candidate.prompt).toBe(request.compiled);
          expect(candidate.provenance.brief).toEqual(request.brief);
          expect(new Date(candidate.provenance.createdAt).toISOString()).toBe(
            candidate.provenance.createdAt,
          );
          expect(candidate.timings.totalMs).toBeGreaterThanOrEqual(0);
        }
        expect(progress.length).toBeGreaterThan(0);
        for (let i = 1; i < progress.length; i++)
          expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] ?? 0);
        expect(progress[progress.length - 1]).toBe(2);
      }),
      limit,
    );

    it(
      'gives the same image for the same request and seed',
      withEngine(async ({ engine, request }) => {
        const [a] = await engine.generate({ ...request, count: 1 });
        const [b] = await engine.generate({ ...request, count: 1 });
        expect(Buffer.from(a?.image ?? []).equals(Buffer.from(b?.image ?? []))).toBe(true);
      }),
      limit,
    );

    it(
      'stops on cancellation with a typed error, before and during the work',
      withEngine(async ({ engine, request }) => {
        const aborted = new AbortController();
        aborted.abort();
        expect((await rejection(engine.generate(request, { signal: aborted.signal }))).code).toBe(
          'ABORTED',
        );
        const controller = new AbortController();
        let after = 0;
        const error = await rejection(
          engine.generate(
            { ...request, count: 3 },
            {
              signal: controller.signal,
              onProgress: () => {
                if (controller.signal.aborted) after++;
                else controller.abort();
              },
            },
          ),
        );
        expect(error.code).toBe('ABORTED');
        expect(after).toBeLessThanOrEqual(1);
      }),
      limit,
    );

    it(
      'refuses a bad count and a missing capability with typed errors naming the field',
      withEngine(async ({ engine, request }) => {
        expect((await rejection(engine.generate({ ...request, count: 0 }))).issues[0]?.path).toBe(
          'count',
        );
        expect(
          (await rejection(engine.generate({ ...request, count: engine.describe().maxCount + 1 })))
            .code,
        ).toBe('USAGE');
        if (engine.describe().needsReferencePhoto) {
          const error = await rejection(engine.generate({ ...request, references: [] }));
          expect(error.code).toBe('ENGINE_CAPABILITY');
          expect(error.issues[0]?.path).toBe('references');
        }
      }),
      limit,
    );
    it(
      'delivers candidates one at a time: the next waits until onCandidate has resolved',
      withEngine(async ({ engine, request }) => {
        const delivered: number[] = [];
        const progress: EngineProgress[] = [];
        const first = deferred();
        const hold = deferred();
        const run = engine.generate(
          { ...request, count: 2 },
          {
            onProgress: (p) => progress.push(p),
            onCandidate: async (candidate, index) => {
              delivered.push(index);
              expect(candidate.seed).toBe(request.seed + index);
              if (index === 0) {
                first.resolve();
                await hold.promise;
              }
            },
          },
        );
        await first.promise;
        // While candidate 0 is being stored, nothing of candidate 1 is delivered or reported done.
        const seen = progress.length;
        await delay(150);
        expect(delivered).toEqual([0]);
        expect(progress.every((p) => p.done === 0)).toBe(true);
        hold.resolve();
        const candidates = await run;
        expect(delivered).toEqual([0, 1]);
        expect(candidates.map((c) => c.seed)).toEqual([request.seed, request.seed + 1]);
        expect(progress.length).toBeGreaterThanOrEqual(seen);
        // Every event is JSON-safe: it survives a queue or an SSE stream and re-checks.
        for (const event of progress)
          expect(engineProgressSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
      }),
      limit,
    );

    it(
      'records each remote job before the server takes it, and a candidate only after its job',
      withEngine(async ({ engine, request, remote }) => {
        const jobs: Array<RemoteJobRef & { takenBefore: number }> = [];
        const order: string[] = [];
        await engine.generate(
          // An engine without a server has nothing to record: one candidate shows it.
          { ...request, count: remote === undefined ? 1 : 2 },
          {
            onRemoteJob: async (job) => {
              expect(remoteJobRefSchema.parse(job)).toEqual(job);
              expect(job.engine).toBe(engine.id);
              jobs.push({ ...job, takenBefore: remote?.jobs() ?? 0 });
              order.push(`job ${job.index}`);
              // Awaited: a slow store holds the engine back rather than racing it.
              await delay(5);
            },
            onCandidate: (_candidate, index) => {
              order.push(`candidate ${index}`);
            },
          },
        );
        if (remote === undefined) {
          expect(jobs).toEqual([]);
          return;
        }
        expect(jobs.map((j) => j.index).sort()).toEqual([0, 1]);
        for (const k of [0, 1])
          expect(order.indexOf(`job ${k}`)).toBeLessThan(order.indexOf(`candidate ${k}`));
        // The i-th distinct job was recorded while the server had taken only the i before it.
        const distinct = [...new Map(jobs.map((j) => [j.id, j.takenBefore])).values()];
        expect(distinct).toEqual(distinct.map((_, i) => i));
        expect(remote.jobs()).toBe(distinct.length);
      }),
      limit,
    );

    it(
      'resumes after a crash: recorded jobs are collected, stored candidates skipped, nothing paid twice',
      withEngine(async ({ engine, request, remote }) => {
        const jobs: RemoteJobRef[] = [];
        const reached = deferred();
        const crash = deferred();
        // The first run "dies" while storing candidate 0: its process would be gone, its jobs queued.
        const interrupted = engine.generate(
          { ...request, count: 2 },
          {
            onRemoteJob: (job) => {
              jobs.push(job);
            },
            onCandidate: async (_candidate, index) => {
              if (index !== 0) return;
              reached.resolve();
              await crash.promise;
            },
          },
        );
        interrupted.catch(() => undefined);
        await reached.promise;
        const taken = remote?.jobs() ?? 0;
        const stored = new Set([0]);
        const again: RemoteJobRef[] = [];
        const delivered: number[] = [];
        const resumed = await engine.generate(
          { ...request, count: 2 },
          {
            resume: jobs,
            skipIndices: stored,
            onRemoteJob: (job) => {
              again.push(job);
            },
            onCandidate: (_candidate, index) => {
              delivered.push(index);
            },
          },
        );
        expect(resumed.map((c) => c.seed)).toEqual([request.seed + 1]);
        expect(delivered).toEqual([1]);
        if (remote?.collects === true) {
          expect(remote.jobs()).toBe(taken);
          expect(again).toEqual([]);
        }
        // The same candidate a run without a crash makes.
        const [fresh] = await engine.generate(
          { ...request, count: 2 },
          { skipIndices: new Set([0]) },
        );
        expect(Buffer.from(resumed[0]?.image ?? []).equals(Buffer.from(fresh?.image ?? []))).toBe(
          true,
        );
        crash.reject(new Error('the first process died'));
        await expect(interrupted).rejects.toThrow();
      }),
      limit,
    );

    it(
      'honours skipIndices: the skipped candidates are neither made nor delivered',
      withEngine(async ({ engine, request }) => {
        const delivered: number[] = [];
        const made: Candidate[] = await engine.generate(
          { ...request, count: 3 },
          { skipIndices: new Set([1]), onCandidate: (_c, index) => void delivered.push(index) },
        );
        expect(delivered).toEqual([0, 2]);
        expect(made.map((c) => c.seed)).toEqual([request.seed, request.seed + 2]);
        expect(
          await engine.generate({ ...request, count: 2 }, { skipIndices: new Set([0, 1]) }),
        ).toEqual([]);
        const error = await rejection(
          engine.generate({ ...request, count: 2 }, { skipIndices: new Set([2]) }),
        );
        expect(error.issues[0]?.path).toBe('skipIndices');
      }),
      limit,
    );
  });
}
