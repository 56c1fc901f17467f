import { beforeAll, describe, expect, it } from 'vitest';
import { applyPatch, validateBrief, type Brief, type BriefInput } from '../brief/index.js';
import { createPromptCompiler, lintBrief, type PromptCompiler } from './index.js';

let compiler: PromptCompiler;
beforeAll(() => {
  compiler = createPromptCompiler();
});

const complete: BriefInput = {
  version: 1,
  subject: { description: 'a cellist in her thirties with cropped bleached hair' },
  expression: { name: 'pensive', intensity: 0.4 },
  posture: { pose: 'classic-three-quarter' },
  light: { rig: 'window', side: 'right' },
  camera: { focalLength: 85, aperture: 2.8, shot: 'headshot' },
  aesthetic: { palette: 'muted-pastel', composition: 'rule-of-thirds' },
  authenticity: { imperfections: ['freckles'], retouch: 'natural' },
};

const make = (patch: (b: BriefInput) => BriefInput): Brief =>
  validateBrief(patch(structuredClone(complete)));
const rules = (brief: Brief) => lintBrief(brief).map((n) => n.rule);

/** Each contradiction: the brief that has it, the rule, and what its fix changes in the SDXL prompt. */
const contradictions: Array<[string, Brief, string]> = [
  [
    'soft light with a hard rig',
    make((b) => ({ ...b, light: { rig: 'split', softness: 0.9 } })),
    'light.soft-with-hard-rig',
  ],
  [
    'high-key with a black background',
    make((b) => ({ ...b, light: { rig: 'high-key', background: 'black' } })),
    'light.high-key-with-low-key',
  ],
  [
    'low-key with a white background',
    make((b) => ({ ...b, light: { rig: 'low-key', background: 'white' } })),
    'light.low-key-with-high-key',
  ],
  [
    'f/1.4 with everything sharp',
    make((b) => ({ ...b, camera: { aperture: 1.4, depthOfField: 'everything-sharp' } })),
    'camera.wide-aperture-everything-sharp',
  ],
  [
    'f/11 with a shallow depth of field',
    make((b) => ({ ...b, camera: { aperture: 11, depthOfField: 'shallow' } })),
    'camera.narrow-aperture-shallow',
  ],
  [
    'a subtle expression at full intensity',
    make((b) => ({ ...b, expression: { name: 'closed-lip-half-smile', intensity: 1 } })),
    'expression.subtle-at-full-intensity',
  ],
  [
    'a 24mm headshot',
    make((b) => ({ ...b, camera: { focalLength: 24, shot: 'headshot' } })),
    'camera.wide-lens-tight-shot',
  ],
  [
    'beauty retouch with imperfections',
    make((b) => ({ ...b, authenticity: { imperfections: ['freckles'], retouch: 'beauty' } })),
    'authenticity.beauty-retouch-erases-imperfections',
  ],
  [
    'a colour grade on black-and-white film',
    make((b) => ({ ...b, camera: { film: 'tri-x-400' }, aesthetic: { grade: 'teal-orange' } })),
    'aesthetic.colour-grade-on-monochrome-film',
  ],
  [
    'golden hour at night',
    make((b) => ({ ...b, light: { rig: 'golden-hour' }, atmosphere: { timeOfDay: 'night' } })),
    'light.golden-hour-out-of-time',
  ],
  [
    'a pose reference and a named pose',
    make((b) => ({ ...b, references: [{ image: './p.jpg', role: 'pose' }] })),
    'references.pose-conflicts-with-text',
  ],
  [
    'a lighting reference and a named rig',
    make((b) => ({ ...b, references: [{ image: './l.jpg', role: 'lighting' }] })),
    'references.lighting-conflicts-with-text',
  ],
  [
    'two pose references',
    make((b) => ({
      ...b,
      posture: { headTilt: 5 },
      references: [
        { image: './a.jpg', role: 'pose' },
        { image: './b.jpg', role: 'pose' },
      ],
    })),
    'references.duplicate-role',
  ],
];

describe('lintBrief', () => {
  it('a consistent, complete brief has no nudges', () => {
    expect(lintBrief(validateBrief(complete))).toEqual([]);
  });

  it.each(contradictions)(
    'flags %s, and its patch fixes it and changes the prompt',
    (_name, brief, rule) => {
      const nudges = lintBrief(brief);
      const nudge = nudges.find((n) => n.rule === rule);
      expect(nudge, rules(brief).join(', ')).toBeDefined();
      if (nudge === undefined) return;
      expect(nudge.severity).toBe('warning');
      expect(nudge.message.length).toBeGreaterThan(20);
      const fixed = applyPatch(brief, nudge.patch);
      expect(rules(fixed)).not.toContain(rule);
      const view = (b: Brief) => {
        const c = compiler.compile(b, 'sdxl');
        return JSON.stringify([c.positive, c.negative, c.controls, c.params]);
      };
      expect(view(fixed)).not.toBe(view(brief));
    },
  );

  it('patches move the prompt in the intended direction', () => {
    const wide = contradictions.find(
      ([, , r]) => r === 'camera.wide-lens-tight-shot',
    )?.[1] as Brief;
    const fixedLens = applyPatch(
      wide,
      lintBrief(wide).find((n) => n.rule === 'camera.wide-lens-tight-shot')?.patch ?? [],
    );
    expect(compiler.compile(wide, 'sdxl').positive).toContain('24mm lens');
    expect(compiler.compile(fixedLens, 'sdxl').positive).toMatch(/\b(8[05]|9[05]|1[01]\d)mm lens/);

    const sharp = contradictions.find(
      ([, , r]) => r === 'camera.wide-aperture-everything-sharp',
    )?.[1] as Brief;
    const fixedSharp = applyPatch(
      sharp,
      lintBrief(sharp).find((n) => n.rule === 'camera.wide-aperture-everything-sharp')?.patch ?? [],
    );
    expect(compiler.compile(fixedSharp, 'sdxl').positive).toContain('f/8');

    const loud = contradictions.find(
      ([, , r]) => r === 'expression.subtle-at-full-intensity',
    )?.[1] as Brief;
    const fixedLoud = applyPatch(
      loud,
      lintBrief(loud).find((n) => n.rule === 'expression.subtle-at-full-intensity')?.patch ?? [],
    );
    const expressionWeight = (b: Brief) =>
      Number(
        /\(subtle closed-lip smile:([\d.]+)\)/.exec(compiler.compile(b, 'sd15').positive)?.[1],
      );
    expect(expressionWeight(loud)).toBeCloseTo(1.3, 5);
    expect(expressionWeight(fixedLoud)).toBeLessThan(expressionWeight(loud));
  });

  it('names every missing pillar with a starter patch, and references cover pillars', () => {
    const bare = validateBrief({
      version: 1,
      subject: { description: 'a welder on a lunch break' },
    });
    expect(rules(bare).sort()).toEqual([
      'aesthetic.missing',
      'authenticity.missing',
      'camera.missing',
      'expression.missing',
      'light.missing',
      'posture.missing',
    ]);
    let patched = bare;
    for (const nudge of lintBrief(bare)) patched = applyPatch(patched, nudge.patch);
    expect(lintBrief(patched)).toEqual([]);
    const covered = validateBrief({
      version: 1,
      subject: { description: 'a welder' },
      references: [
        { image: './p.jpg', role: 'pose' },
        { image: './l.jpg', role: 'lighting' },
      ],
    });
    expect(rules(covered)).not.toContain('posture.missing');
    expect(rules(covered)).not.toContain('light.missing');
  });

  it('lists contradictions before missing pillars', () => {
    const brief = validateBrief({
      version: 1,
      subject: { description: 'a welder' },
      camera: { aperture: 1.4, depthOfField: 'everything-sharp' },
    });
    const severities = lintBrief(brief).map((n) => n.severity);
    expect(severities[0]).toBe('warning');
    expect(severities.slice(1).every((s) => s === 'info')).toBe(true);
  });
});
