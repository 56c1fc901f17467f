import { describe, expect, it } from 'vitest';
import { applyNudges, applyPatch, parseBriefPatch, validateBrief, type Brief } from './index.js';

const base: Brief = validateBrief({
  version: 1,
  subject: { description: 'a fisherman in his seventies' },
  expression: { name: 'wistful', intensity: 0.6 },
  authenticity: { imperfections: ['freckles'] },
  references: [{ image: './a.jpg', role: 'pose' }],
});

describe('applyPatch', () => {
  it('sets, removes and appends, and leaves the original untouched', () => {
    const patched = applyPatch(base, [
      { op: 'set', path: 'expression.intensity', value: 0.3 },
      { op: 'set', path: 'light.rig', value: 'window' },
      { op: 'append', path: 'authenticity.imperfections', value: 'scar' },
      { op: 'append', path: 'authenticity.imperfections', value: 'freckles' },
      { op: 'remove', path: 'references[0]' },
    ]);
    expect(patched.expression?.intensity).toBe(0.3);
    expect(patched.light?.rig).toBe('window');
    expect(patched.light?.side).toBe('left'); // defaults filled for the new pillar
    expect(patched.authenticity?.imperfections).toEqual(['freckles', 'scar']);
    expect(patched.references).toEqual([]);
    expect(base.expression?.intensity).toBe(0.6);
    expect(base.references).toHaveLength(1);
  });

  it('removing a missing path is a no-op', () => {
    expect(applyPatch(base, [{ op: 'remove', path: 'posture.pose' }])).toEqual(base);
  });

  it('re-validates: a patch cannot produce an invalid brief', () => {
    expect(() => applyPatch(base, [{ op: 'set', path: 'expression.intensity', value: 3 }])).toThrow(
      expect.objectContaining({ code: 'BRIEF_INVALID' }),
    );
  });

  it('applyNudges applies patches in order', () => {
    const nudges = [
      {
        pillar: 'expression' as const,
        rule: 'a',
        severity: 'info' as const,
        message: 'x',
        patch: [{ op: 'set' as const, path: 'expression.intensity', value: 0.2 }],
      },
      {
        pillar: 'expression' as const,
        rule: 'b',
        severity: 'info' as const,
        message: 'y',
        patch: [{ op: 'set' as const, path: 'expression.intensity', value: 0.4 }],
      },
    ];
    expect(applyNudges(base, nudges).expression?.intensity).toBe(0.4);
  });
});

describe('applyPatch refuses hostile paths', () => {
  const hostile = [
    '__proto__.polluted',
    'subject.__proto__.polluted',
    'constructor.prototype.polluted',
    'references[0].constructor.prototype.polluted',
    'expression.prototype',
    'light.__proto__',
  ];
  for (const path of hostile) {
    for (const op of ['set', 'append', 'remove'] as const) {
      it(`${op} ${path} is BRIEF_INVALID naming the path, and Object.prototype stays clean`, () => {
        const operation = op === 'remove' ? { op, path } : { op, path, value: { polluted: 'yes' } };
        let caught: unknown;
        try {
          applyPatch(base, [operation]);
        } catch (error) {
          caught = error;
        }
        expect(caught).toMatchObject({
          code: 'BRIEF_INVALID',
          issues: [expect.objectContaining({ path })],
        });
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('polluted');
      });
    }
  }

  it('refuses paths the brief schema does not know, naming the unknown part', () => {
    expect(() => applyPatch(base, [{ op: 'set', path: 'expression.mood', value: 1 }])).toThrow(
      expect.objectContaining({
        code: 'BRIEF_INVALID',
        issues: [
          expect.objectContaining({
            path: 'expression.mood',
            message: expect.stringContaining('`mood`'),
          }),
        ],
      }),
    );
    expect(() => applyPatch(base, [{ op: 'remove', path: 'toString' }])).toThrow(
      expect.objectContaining({ code: 'BRIEF_INVALID' }),
    );
    // An index where the schema has an object, and a huge index that would grow a sparse list.
    expect(() => applyPatch(base, [{ op: 'set', path: 'subject[0]', value: 1 }])).toThrow(
      expect.objectContaining({ code: 'BRIEF_INVALID' }),
    );
    expect(() =>
      applyPatch(base, [{ op: 'set', path: 'references[999999999].role', value: 'pose' }]),
    ).toThrow(expect.objectContaining({ code: 'BRIEF_INVALID' }));
  });

  it('still accepts every known path, nested lists included', () => {
    const patched = applyPatch(base, [
      { op: 'set', path: 'references[0].weight', value: 0.5 },
      { op: 'set', path: 'output.count', value: 2 },
    ]);
    expect(patched.references[0]?.weight).toBe(0.5);
    expect(patched.output.count).toBe(2);
  });

  it('a value carrying its own __proto__ key cannot pollute either', () => {
    const value: unknown = JSON.parse('{"__proto__": {"polluted": "yes"}, "name": "wistful"}');
    expect(() => applyPatch(base, [{ op: 'set', path: 'expression', value }])).toThrow(
      expect.objectContaining({ code: 'BRIEF_INVALID' }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseBriefPatch', () => {
  it('accepts a well-formed patch', () => {
    expect(parseBriefPatch([{ op: 'remove', path: 'light' }])).toEqual([
      { op: 'remove', path: 'light' },
    ]);
  });

  it('refuses malformed operations with a typed error naming the field', () => {
    for (const input of [
      {},
      [{ op: 'delete', path: 'light' }],
      [{ op: 'set', path: 7, value: 1 }],
      [{ op: 'remove', path: '' }],
      [{ op: 'remove', path: 'light', extra: true }],
      Array.from({ length: 65 }, () => ({ op: 'remove', path: 'light' })),
    ]) {
      expect(() => parseBriefPatch(input)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
  });
});
