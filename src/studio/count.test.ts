import { describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { isPortraitistError, type PortraitistError } from '../errors/index.js';
import { candidateCount } from './count.js';

const brief = (count?: number) =>
  validateBrief({
    version: 1,
    subject: { description: 'a baker at dawn' },
    ...(count === undefined ? {} : { output: { count } }),
  });

function thrown(run: () => unknown): PortraitistError {
  try {
    run();
  } catch (error) {
    if (isPortraitistError(error)) return error;
    throw error;
  }
  throw new Error('expected a PortraitistError but nothing was thrown');
}

describe('candidateCount', () => {
  const engine = { id: 'tiny', maxCount: 3 };

  it("uses the brief's output.count when nothing is requested, and the request otherwise", () => {
    expect(candidateCount(engine, brief(2))).toBe(2);
    expect(candidateCount({ id: 'big', maxCount: 64 }, brief())).toBe(4); // the schema's default
    expect(candidateCount(engine, brief(2), { value: '3' })).toBe(3);
    expect(candidateCount(engine, brief(2), { value: 1 })).toBe(1);
  });

  it('refuses a brief asking for more than the engine makes, naming output.count', () => {
    const error = thrown(() => candidateCount(engine, brief(5)));
    expect(error.code).toBe('ENGINE_CAPABILITY');
    expect(error.issues).toEqual([
      {
        path: 'output.count',
        message:
          'expected a whole number from 1 to 3 (what tiny makes in one run) for `output.count` but received 5',
      },
    ]);
  });

  it('refuses a requested count outside 1..maxCount as USAGE naming the flag', () => {
    for (const value of ['0', '4', '1.5', 'many', -1]) {
      const error = thrown(() => candidateCount(engine, brief(2), { value, field: 'count' }));
      expect(error.code).toBe('USAGE');
      expect(error.issues).toEqual([
        {
          path: 'count',
          message: `expected a whole number from 1 to 3 for \`count\` but received ${JSON.stringify(value)}`,
        },
      ]);
    }
  });
});
