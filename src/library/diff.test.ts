import { describe, expect, it } from 'vitest';
import { diffBriefs } from './index.js';

describe('diffBriefs', () => {
  it('lists changed, added and removed fields by path, references[1].role style', () => {
    const a = {
      subject: { description: 'a fisherman' },
      references: [
        { image: 'a.jpg', role: 'identity' },
        { image: 'b.jpg', role: 'pose' },
      ],
      light: { rig: 'rembrandt', fill: 0.3 },
      output: { count: 4 },
    };
    const b = {
      subject: { description: 'a fisherman' },
      references: [
        { image: 'a.jpg', role: 'identity' },
        { image: 'b.jpg', role: 'expression' },
        { image: 'c.jpg', role: 'palette' },
      ],
      light: { rig: 'rembrandt' },
      camera: { focalLength: 85 },
      output: { count: 4 },
    };
    expect(diffBriefs(a, b)).toEqual([
      { path: 'references[1].role', kind: 'changed', before: 'pose', after: 'expression' },
      { path: 'references[2]', kind: 'added', after: { image: 'c.jpg', role: 'palette' } },
      { path: 'light.fill', kind: 'removed', before: 0.3 },
      { path: 'camera', kind: 'added', after: { focalLength: 85 } },
    ]);
    expect(diffBriefs(b, a).map((c) => [c.path, c.kind])).toEqual([
      ['references[1].role', 'changed'],
      ['references[2]', 'removed'],
      ['light.fill', 'added'],
      ['camera', 'removed'],
    ]);
  });

  it('finds nothing between equal briefs and reports a changed type whole', () => {
    const brief = { a: [1, { b: null }], c: 'x' };
    expect(diffBriefs(brief, structuredClone(brief))).toEqual([]);
    expect(diffBriefs({ a: [1] }, { a: { 0: 1 } })).toEqual([
      { path: 'a', kind: 'changed', before: [1], after: { 0: 1 } },
    ]);
    expect(diffBriefs(1, 2)).toEqual([{ path: '', kind: 'changed', before: 1, after: 2 }]);
  });
});
