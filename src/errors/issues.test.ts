import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { describeValue, formatPath, fromZodError, valueAt } from './index.js';

describe('formatPath', () => {
  it('writes indices in brackets and names with dots: references[1].role', () => {
    expect(formatPath(['references', 1, 'role'])).toBe('references[1].role');
    expect(formatPath([0, 'path'])).toBe('[0].path');
    expect(formatPath(['a', 2, 3, 'b'])).toBe('a[2][3].b');
    expect(formatPath([])).toBe('');
  });
});

describe('valueAt', () => {
  it('follows own keys only, so a path never reads the prototype', () => {
    expect(valueAt({ a: [{ b: 5 }] }, ['a', 0, 'b'])).toBe(5);
    expect(valueAt({}, ['constructor'])).toBeUndefined();
    expect(valueAt({ a: 1 }, ['a', 'b'])).toBeUndefined();
  });
});

describe('fromZodError', () => {
  const schema = z.strictObject({
    engine: z.enum(['local', 'comfyui']),
    references: z.array(z.strictObject({ role: z.enum(['pose', 'identity']), weight: z.number() })),
    url: z.string({ error: 'expected an http(s) URL' }),
  });
  const input = {
    engine: 'comfy',
    references: [
      { role: 'pose', weight: 1 },
      { role: 'posture', weight: 'heavy' },
    ],
    colour: 'red',
  };

  it('gives one issue per problem, with the one path format and wording', () => {
    const parsed = schema.safeParse(input, { reportInput: true });
    expect(parsed.success).toBe(false);
    const issues = fromZodError(parsed.error ?? { issues: [] }, {
      knownKeys: (path) => (path.length === 0 ? ['engine', 'references', 'url', 'color'] : []),
    });
    expect(issues).toEqual([
      {
        path: 'engine',
        message:
          'expected one of local, comfyui for `engine` but received "comfy" — did you mean "comfyui"?',
      },
      {
        path: 'references[1].role',
        message:
          'expected one of pose, identity for `references[1].role` but received "posture" — did you mean "pose"?',
      },
      {
        path: 'references[1].weight',
        message: 'expected a number for `references[1].weight` but received "heavy"',
      },
      {
        path: 'url',
        message: 'expected an http(s) URL for `url` but received nothing (the field is missing)',
      },
      { path: 'colour', message: 'unknown field `colour` — did you mean `color`?' },
    ]);
  });

  it('reads what was received from the input when zod did not keep it', () => {
    const parsed = schema.safeParse(input);
    const issues = fromZodError(parsed.error ?? { issues: [] }, { input, root: '(root)' });
    expect(issues.find((i) => i.path === 'references[1].weight')?.message).toBe(
      'expected a number for `references[1].weight` but received "heavy"',
    );
    const root = fromZodError(z.array(z.number()).safeParse({}).error ?? { issues: [] }, {
      input: {},
      root: 'the patch',
    });
    expect(root).toEqual([
      { path: '', message: 'expected an array for `the patch` but received a mapping' },
    ]);
  });
});

describe('describeValue', () => {
  it('says what was received in a few words', () => {
    expect(describeValue(undefined)).toBe('nothing (the field is missing)');
    expect(describeValue([1, 2])).toBe('a list of 2');
    expect(describeValue({})).toBe('a mapping');
    expect(describeValue('x'.repeat(50))).toBe(JSON.stringify(`${'x'.repeat(37)}...`));
  });
});
