// The request checks every engine shares: a bad count or seed names its field the same way
// everywhere, and a candidate carries the same provenance whichever engine made it.
import { describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { isPortraitistError, type PortraitistError } from '../errors/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { checkCount, checkSeedRange, makeCandidate, planRun, throwIfAborted } from './request.js';
import {
  engineProgressSchema,
  type Candidate,
  type GenerationRequest,
  type RemoteJobRef,
} from './types.js';

function thrown(run: () => void): PortraitistError {
  try {
    run();
  } catch (error) {
    if (!isPortraitistError(error)) throw error;
    return error;
  }
  throw new Error('expected a PortraitistError but nothing was thrown');
}

const MAX = Number.MAX_SAFE_INTEGER;

describe('checkCount', () => {
  it('accepts whole numbers from 1 to the maximum', () => {
    for (const count of [1, 2, 8]) expect(() => checkCount(count, 8)).not.toThrow();
  });

  it('refuses anything else with a USAGE error naming `count`', () => {
    for (const count of [0, -1, 9, 1.5, Number.NaN, Infinity]) {
      const error = thrown(() => checkCount(count, 8));
      expect(error.code).toBe('USAGE');
      expect(error.issues).toEqual([
        {
          path: 'count',
          message: `expected a whole number from 1 to 8 for \`count\` but received ${count}`,
        },
      ]);
    }
  });
});

describe('checkSeedRange', () => {
  it('accepts seeds whose last candidate still fits in 2^53 − 1', () => {
    expect(() => checkSeedRange(0, 1)).not.toThrow();
    expect(() => checkSeedRange(42, 4)).not.toThrow();
    expect(() => checkSeedRange(MAX, 1)).not.toThrow();
    expect(() => checkSeedRange(MAX - 3, 4)).not.toThrow();
  });

  it('refuses a seed whose last candidate, seed + count − 1, would pass 2^53 − 1', () => {
    for (const [seed, count] of [
      [MAX, 2],
      [MAX - 2, 4],
      [MAX - 1, 3],
    ] as const) {
      const error = thrown(() => checkSeedRange(seed, count));
      expect(error.code).toBe('USAGE');
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]?.path).toBe('seed');
      expect(error.issues[0]?.message).toBe(
        `expected a whole number from 0 to ${MAX - count + 1} for \`seed\` (the last of ${count} candidates uses seed + ${count - 1}) but received ${seed}`,
      );
    }
  });

  it('refuses negative, fractional and unsafe seeds, naming `seed`', () => {
    for (const seed of [-1, 0.5, MAX + 1, 2 ** 64, Number.NaN]) {
      const error = thrown(() => checkSeedRange(seed, 1));
      expect(error.code).toBe('USAGE');
      expect(error.issues.map((i) => i.path)).toEqual(['seed']);
      expect(error.issues[0]?.message).toMatch(/^expected a whole number from 0 to .* for `seed`/);
      expect(error.issues[0]?.message).toContain(`but received ${seed}`);
    }
  });
});

describe('throwIfAborted', () => {
  it('throws ABORTED only once the signal has fired', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort();
    const error = thrown(() => throwIfAborted(controller.signal, 'upload'));
    expect(error.code).toBe('ABORTED');
    expect(error.message).toBe('upload was cancelled');
    expect(thrown(() => throwIfAborted(controller.signal)).message).toBe(
      'generation was cancelled',
    );
  });
});

describe('makeCandidate', () => {
  const brief = validateBrief({
    version: 1,
    title: 'Window portrait',
    subject: { description: 'a man in his forties with a short grey beard' },
    light: { rig: 'window', side: 'left' },
    camera: { focalLength: 85, aperture: 2, shot: 'headshot', aspectRatio: '4:5' },
  });
  const request: GenerationRequest = {
    brief,
    compiled: createPromptCompiler().compile(brief, 'sdxl'),
    references: [
      { role: 'identity', image: new Uint8Array([1, 2, 3]), source: 'me.jpg' },
      { role: 'pose', image: new Uint8Array([4, 5]), source: 'pose.png' },
    ],
    count: 2,
    seed: 10,
  };

  it('records the image, the seed, the engine, the prompt and the provenance', () => {
    const image = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const candidate = makeCandidate(request, {
      engine: 'comfyui',
      image,
      seed: 11,
      parameters: { steps: 30, cfg: 5.5, sampler: 'euler', hires: false },
      totalMs: 1234.6,
      createdAt: new Date('2025-03-04T05:06:07.089Z'),
    });
    expect(candidate).toEqual({
      image,
      seed: 11,
      engine: 'comfyui',
      prompt: request.compiled,
      parameters: { steps: 30, cfg: 5.5, sampler: 'euler', hires: false },
      timings: { totalMs: 1235 },
      provenance: {
        brief,
        // The reference photos' bytes stay out of the provenance: their role, source and hash.
        references: [
          {
            role: 'identity',
            source: 'me.jpg',
            sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81',
          },
          {
            role: 'pose',
            source: 'pose.png',
            sha256: '2fa1b377bf67309f65e5e7bc9d924345ca648dec4e601a398a9cb497dcba3765',
          },
        ],
        createdAt: '2025-03-04T05:06:07.089Z',
      },
    });
    expect(candidate.image).toBe(image);
    expect(candidate.provenance.brief).toBe(brief);
  });

  it('never records a negative duration', () => {
    const candidate = makeCandidate(request, {
      engine: 'local',
      image: new Uint8Array(1),
      seed: 10,
      parameters: {},
      totalMs: -3,
      createdAt: new Date(0),
    });
    expect(candidate.timings.totalMs).toBe(0);
    expect(candidate.provenance.createdAt).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('planRun', () => {
  const brief = validateBrief({ version: 1, subject: { description: 'a woman' } });
  const base: GenerationRequest = {
    brief,
    compiled: createPromptCompiler().compile(brief, 'sdxl'),
    references: [],
    count: 3,
    seed: 1,
  };
  const job = (index: number, extra: Partial<RemoteJobRef> = {}): RemoteJobRef => ({
    index,
    engine: 'comfyui',
    kind: 'comfyui-prompt',
    id: `p${index}`,
    ...extra,
  });

  it('lists the indices left to make and the recorded jobs by index', () => {
    const plan = planRun(
      base,
      { skipIndices: new Set([1]), resume: [job(0), job(2)] },
      'comfyui',
      'comfyui-prompt',
    );
    expect(plan.indices).toEqual([0, 2]);
    expect([...plan.resumed.keys()]).toEqual([0, 2]);
    expect(plan.resumed.get(2)?.id).toBe('p2');
  });

  it('refuses skipped indices out of range and refs of another engine, kind or index, naming the field', () => {
    const refused = (options: Parameters<typeof planRun>[1]) =>
      thrown(() => planRun(base, options, 'comfyui', 'comfyui-prompt'));
    expect(refused({ skipIndices: new Set([3]) }).issues[0]?.path).toBe('skipIndices');
    expect(refused({ skipIndices: new Set([-1]) }).issues[0]?.path).toBe('skipIndices');
    expect(refused({ resume: [job(0, { engine: 'a1111' })] }).issues[0]?.path).toBe(
      'resume[0].kind',
    );
    expect(refused({ resume: [job(0), job(1, { kind: 'a1111-task' })] }).issues[0]?.path).toBe(
      'resume[1].kind',
    );
    expect(refused({ resume: [job(5)] }).issues[0]?.path).toBe('resume[0].index');
    const bad = refused({ resume: [{ index: 0, engine: 'comfyui' } as unknown as RemoteJobRef] });
    expect(bad.code).toBe('USAGE');
    expect(bad.issues[0]?.path).toBe('resume[0]');
  });

  it('awaits onRemoteJob and onCandidate', async () => {
    const order: string[] = [];
    const plan = planRun(
      base,
      {
        onRemoteJob: async (j) => {
          await Promise.resolve();
          order.push(`job ${j.index}`);
        },
        onCandidate: async (_c, i) => {
          await Promise.resolve();
          order.push(`candidate ${i}`);
        },
      },
      'comfyui',
      'comfyui-prompt',
    );
    await plan.record(job(0));
    order.push('after record');
    await plan.deliver({} as Candidate, 0);
    order.push('after deliver');
    expect(order).toEqual(['job 0', 'after record', 'candidate 0', 'after deliver']);
  });
});

describe('engineProgressSchema', () => {
  it('accepts JSON-safe events and refuses raw bytes or unknown fields', () => {
    const event = {
      stage: 'sampling',
      done: 0,
      total: 2,
      preview: { format: 'jpeg', base64: 'AAEC' },
    };
    expect(engineProgressSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(
      engineProgressSchema.safeParse({
        ...event,
        preview: { format: 'jpeg', image: new Uint8Array(3) },
      }).success,
    ).toBe(false);
    expect(engineProgressSchema.safeParse({ ...event, extra: 1 }).success).toBe(false);
    expect(engineProgressSchema.safeParse({ ...event, fraction: 2 }).success).toBe(false);
  });
});
