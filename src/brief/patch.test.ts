import { describe, expect, it } from 'vitest';
import { applyNudges, applyPatch, validateBrief, type Brief } from './index.js';

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
