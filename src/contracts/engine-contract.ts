// The contract every Engine passes (hono's shared router suite is the model): call it from each
// engine's test file with a factory; fakes of remote servers plug in the same way.
import { describe, expect, it } from 'vitest';
import { targetIds } from '../brief/index.js';
import type { Engine, GenerationRequest } from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';
import { readImage } from '../image/index.js';

/** What a contract run needs: the engine and a request it can fulfil. */
export interface EngineUnderTest {
  readonly engine: Engine;
  readonly request: GenerationRequest;
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

/** Registers the engine contract for one engine. `setup` runs once per test. */
export function engineContract(
  name: string,
  setup: () => Promise<EngineUnderTest>,
  teardown: (subject: EngineUnderTest) => Promise<void> = (s) => s.engine.dispose(),
): void {
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
    );

    it(
      'gives the same image for the same request and seed',
      withEngine(async ({ engine, request }) => {
        const [a] = await engine.generate({ ...request, count: 1 });
        const [b] = await engine.generate({ ...request, count: 1 });
        expect(Buffer.from(a?.image ?? []).equals(Buffer.from(b?.image ?? []))).toBe(true);
      }),
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
    );
  });
}
