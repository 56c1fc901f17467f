import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cameraAngleIds,
  compositionIds,
  expressionIds,
  familyGuidance,
  filmStockIds,
  gradeIds,
  imperfectionIds,
  lightRigIds,
  paletteIds,
  poseIds,
  readExampleBriefs,
  referenceRoles,
  retouchLevels,
  shotTypeIds,
  targetIds,
  textureIds,
  validateBrief,
  type Brief,
  type BriefInput,
  type Target,
} from '../brief/index.js';
import {
  antiPlasticTerms,
  createPromptCompiler,
  gptImageSizes,
  protectedTerms,
  type PromptCompiler,
} from './index.js';

let compiler: PromptCompiler;
beforeAll(() => {
  compiler = createPromptCompiler();
});

/** SD front ends strip `(text:1.2)` emphasis before tokenising; so do we when checking counts. */
const stripWeights = (prompt: string): string => prompt.replace(/\(([^()]*):[\d.]+\)/g, '$1');

const brief = (extra: Partial<BriefInput> = {}): Brief =>
  validateBrief({
    version: 1,
    subject: { description: 'a woman in her late sixties with a silver bob and deep laugh lines' },
    expression: { name: 'closed-lip-half-smile', intensity: 0.4 },
    light: { rig: 'rembrandt', side: 'left' },
    camera: { focalLength: 85, aperture: 2, shot: 'headshot' },
    authenticity: {
      imperfections: ['visible-pores', 'freckles', 'facial-asymmetry'],
      retouch: 'natural',
    },
    ...extra,
  });

describe('examples compiled for every target', async () => {
  const examples = await readExampleBriefs();
  const cases = examples.flatMap((e) =>
    targetIds.map((target) => [e.file, target, e.brief] as const),
  );

  it.each(cases)('%s for %s matches its snapshot', (_file, target, parsed) => {
    const compiled = compiler.compile(parsed, target);
    expect({
      positive: compiled.positive,
      negative: compiled.negative,
      params: compiled.params,
      controls: compiled.controls,
      pushedOut: compiled.pushedOut,
      nudges: compiled.nudges.map((n) => n.rule),
    }).toMatchSnapshot();
  });

  it.each(cases.filter(([, target]) => target === 'sd15' || target === 'sdxl'))(
    '%s for %s: exact token counts and essentials in window 1',
    (_file, target, parsed) => {
      const compiled = compiler.compile(parsed, target);
      const tokenizer = compiler.tokenizer;
      expect(compiled.tokens.positive).toBe(tokenizer.count(stripWeights(compiled.positive)));
      expect(compiled.sections.reduce((sum, s) => sum + s.tokens, 0)).toBe(
        compiled.tokens.positive,
      );
      expect(compiled.tokens.negative).toBe(tokenizer.count(compiled.negative ?? ''));
      const essential = compiled.sections.filter((s) => s.essential);
      expect(essential.map((s) => s.id)).toEqual(expect.arrayContaining(['shot', 'subject']));
      for (const section of essential) expect(section.windows, section.id).toEqual([0, 0]);
      expect(compiled.tokens.essential).toBeLessThanOrEqual(75);
      expect(compiled.tokens.positive).toBeLessThanOrEqual(3 * 75);
    },
  );
});

describe('token windows', () => {
  it('counts a known prompt exactly (CLIP: "a photo of a cat" is 5 tokens)', () => {
    expect(compiler.tokenizer.count('a photo of a cat')).toBe(5);
  });

  it('keeps essentials in the first window and says what it pushed out when the subject is long', () => {
    const long = brief({
      subject: {
        description:
          'a tall weathered fisherman in his seventies with a white beard, a crooked nose broken long ago, deep-set pale blue eyes, wind-burnt cheeks, a knitted navy cap pulled low over thick grey eyebrows and a scar across the chin',
        features: ['missing lower canine', 'tattoo of an anchor on the left hand', 'silver ring'],
        wardrobe: 'oilskin jacket over a cable-knit sweater',
        setting: 'a rain-soaked harbour at dawn with stacked lobster pots',
      },
    });
    for (const target of ['sd15', 'sdxl'] as const) {
      const compiled = compiler.compile(long, target);
      for (const section of compiled.sections.filter((s) => s.essential))
        expect(section.windows[1], section.id).toBe(0);
      expect(compiled.sections.map((s) => s.id)).toEqual(
        expect.arrayContaining(['shot', 'subject', 'expression', 'light']),
      );
      expect(compiled.pushedOut.length).toBeGreaterThan(0);
      // Whatever moved past window 1 is still in the prompt.
      for (const moved of compiled.pushedOut.filter((p) => p.reason === 'later-window'))
        expect(compiled.positive).toContain(moved.text);
      // Whatever was dropped is not.
      for (const dropped of compiled.pushedOut.filter((p) => p.reason === 'dropped'))
        expect(stripWeights(compiled.positive).split(', ')).not.toContain(dropped.text);
    }
  });

  it('property: every valid brief compiles for every target and keeps the essentials in window 1', () => {
    const word = fc.constantFrom(
      'silver',
      'freckled',
      'tall',
      'grandmother',
      'welder',
      'cellist',
      'tattooed',
      'braided',
      'scarred',
      'young',
      'élan',
      'Zoë',
      'O’Neill',
      '85mm',
      'red-haired',
      '(left)',
      'BREAK',
      '--no',
      'über',
    );
    const text = (min: number, max: number) =>
      fc.array(word, { minLength: min, maxLength: max }).map((w) => w.join(' '));
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const pick = <T extends string>(ids: readonly T[]) => fc.constantFrom(...ids);
    const arbitraryBrief = fc.record({
      version: fc.constant(1 as const),
      subject: fc.record({
        description: text(1, 60),
        features: fc.array(text(1, 6), { maxLength: 8 }),
        wardrobe: maybe(text(1, 12)),
        setting: maybe(text(1, 12)),
        age: maybe(fc.integer({ min: 0, max: 120 })),
      }),
      expression: maybe(
        fc.record({
          name: pick(expressionIds),
          intensity: fc.double({ min: 0, max: 1, noNaN: true }),
          lipCornerLift: maybe(fc.double({ min: -1, max: 1, noNaN: true })),
          asymmetry: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
          gaze: maybe(fc.constantFrom('camera', 'down', 'off-camera-left')),
        }),
      ),
      posture: maybe(
        fc.record({
          pose: maybe(pick(poseIds)),
          headTilt: maybe(fc.integer({ min: -30, max: 30 })),
          headTurn: maybe(fc.integer({ min: -90, max: 90 })),
          handsDetail: maybe(text(1, 10)),
        }),
      ),
      light: maybe(
        fc.record({
          rig: maybe(pick(lightRigIds)),
          side: fc.constantFrom('left', 'right'),
          key: maybe(
            fc.record({
              azimuth: fc.integer({ min: -180, max: 180 }),
              elevation: fc.integer({ min: -90, max: 90 }),
            }),
          ),
          softness: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
          colorTemperature: maybe(fc.integer({ min: 1500, max: 12000 })),
          rim: maybe(fc.boolean()),
        }),
      ),
      atmosphere: maybe(fc.record({ haze: fc.double({ min: 0, max: 1, noNaN: true }) })),
      camera: maybe(
        fc.record({
          focalLength: fc.integer({ min: 8, max: 800 }),
          aperture: fc.double({ min: 0.7, max: 64, noNaN: true }),
          film: maybe(pick(filmStockIds)),
          shot: pick(shotTypeIds),
          angle: pick(cameraAngleIds),
          aspectRatio: fc.constantFrom('4:5', '2:3', '1:1', '16:9', '9:16', '3:1'),
        }),
      ),
      aesthetic: maybe(
        fc.record({
          palette: maybe(pick(paletteIds)),
          grade: maybe(pick(gradeIds)),
          composition: pick(compositionIds),
          texture: maybe(pick(textureIds)),
          colors: maybe(
            fc.array(
              fc
                .integer({ min: 0, max: 0xffffff })
                .map((n) => `#${n.toString(16).padStart(6, '0')}`),
              { maxLength: 8 },
            ),
          ),
          mood: maybe(text(1, 8)),
        }),
      ),
      authenticity: maybe(
        fc.record({
          imperfections: fc.uniqueArray(pick(imperfectionIds), { maxLength: 8 }),
          retouch: pick(retouchLevels),
          notes: maybe(text(1, 20)),
        }),
      ),
      references: fc.array(
        fc.record({
          image: fc.constantFrom('./a.jpg', 'lib:123'),
          role: pick(referenceRoles),
          weight: fc.double({ min: 0, max: 2, noNaN: true }),
        }),
        { maxLength: 4 },
      ),
      output: fc.record({
        target: pick(targetIds),
        count: fc.integer({ min: 1, max: 64 }),
        seed: maybe(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      }),
    });
    fc.assert(
      fc.property(arbitraryBrief, (input) => {
        const parsed = validateBrief(JSON.parse(JSON.stringify(input)));
        for (const target of targetIds) {
          const compiled = compiler.compile(parsed, target);
          expect(compiled.positive.length).toBeGreaterThan(0);
          if (target === 'sd15' || target === 'sdxl') {
            for (const section of compiled.sections.filter((s) => s.essential))
              expect(section.windows[1]).toBe(0);
            expect(compiled.sections.some((s) => s.id === 'subject' && s.essential)).toBe(true);
            expect(compiled.tokens.positive).toBe(
              compiler.tokenizer.count(stripWeights(compiled.positive)),
            );
            expect(compiled.tokens.positive).toBeLessThanOrEqual(225);
          }
          const protectedWords = protectedTerms(parsed);
          for (const word of protectedWords)
            expect((compiled.negative ?? '').toLowerCase()).not.toMatch(
              new RegExp(`\\b${word}\\b`),
            );
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('light is written as its effect on the face', () => {
  const sides = (target: Target, side: 'left' | 'right') =>
    compiler.compile(brief({ light: { rig: 'rembrandt', side } }), target).positive;

  it.each(['sd15', 'sdxl', 'flux', 'gpt-image', 'midjourney'] as const)(
    '%s: which cheek is lit follows the side',
    (target) => {
      expect(sides(target, 'left')).toContain('the left side of the face is lit');
      expect(sides(target, 'left')).toContain('triangle of light on the right cheek');
      expect(sides(target, 'right')).toContain('the right side of the face is lit');
      expect(sides(target, 'right')).toContain('triangle of light on the left cheek');
    },
  );

  it('prose names the catchlights and the camera side', () => {
    const prose = sides('flux', 'left');
    expect(prose).toContain("catchlights at 2 o'clock");
    expect(prose).toContain("the subject's left (camera right)");
  });

  it('explicit key angles are described through the nearest rig', () => {
    const compiled = compiler.compile(
      brief({ light: { key: { azimuth: -88, elevation: 5 } } }),
      'sdxl',
    );
    expect(compiled.positive).toContain('light like split lighting');
    expect(compiled.positive).toContain('right');
  });
});

describe('authenticity is protected', () => {
  const protectedWords = [
    'asymmetry',
    'asymmetrical',
    'pores',
    'freckles',
    'imperfections',
    'skin texture',
  ];

  it.each(['sd15', 'sdxl', 'midjourney'] as const)(
    '%s: no protected word in the negative, anti-plastic terms present',
    (target) => {
      const compiled = compiler.compile(brief(), target);
      const negative = (compiled.negative ?? '').toLowerCase();
      for (const word of protectedWords) expect(negative).not.toContain(word);
      for (const term of antiPlasticTerms) expect(negative).toContain(term);
      expect(compiled.positive).toMatch(/pores/);
      expect(compiled.positive).toMatch(/freckles/);
    },
  );

  it('filters the artist’s own negatives and says why', () => {
    const compiled = compiler.compile(brief(), 'sdxl', {
      extraNegative: ['asymmetrical face', 'freckles', 'blurry background', 'skin texture'],
    });
    const negative = compiled.negative ?? '';
    expect(negative).toContain('blurry background');
    expect(negative).not.toContain('asymmetrical');
    expect(negative).not.toContain('freckles');
    expect(negative).not.toContain('skin texture');
    expect(compiled.notes.join('\n')).toContain(
      'kept "asymmetrical face" out of the negative prompt',
    );
  });

  it('natural retouch alone still protects texture', () => {
    const natural = brief({ authenticity: { imperfections: [], retouch: 'natural' } });
    const compiled = compiler.compile(natural, 'sdxl', { extraNegative: ['pores', 'wrinkles'] });
    expect(compiled.negative).not.toMatch(/pores|wrinkles/);
    expect(compiled.negative).toContain('plastic skin');
  });

  it('beauty retouch without imperfections drops the anti-plastic terms and raises guidance', () => {
    const beauty = brief({ authenticity: { imperfections: [], retouch: 'beauty' } });
    const compiled = compiler.compile(beauty, 'sdxl');
    expect(compiled.negative).not.toContain('airbrushed');
    expect(compiled.params.guidance).toBeGreaterThan(
      compiler.compile(brief(), 'sdxl').params.guidance ?? 99,
    );
  });

  it('gpt-image says what to avoid in words; flux states realism positively', () => {
    expect(compiler.compile(brief(), 'gpt-image').positive).toMatch(
      /Avoid airbrushed, plastic skin/,
    );
    const flux = compiler.compile(brief(), 'flux');
    expect(flux.negative).toBeNull();
    expect(flux.positive).not.toMatch(/\bavoid\b|\bno plastic\b/i);
  });
});

describe('each family’s idiom and parameters', () => {
  it('SD families weight the essentials; prose families do not', () => {
    expect(compiler.compile(brief(), 'sd15').positive).toMatch(/\(rembrandt lighting:1\.2\)/);
    expect(compiler.compile(brief(), 'sdxl').positive).toMatch(/\(rembrandt lighting:1\.1\)/);
    for (const target of ['flux', 'gpt-image', 'midjourney'] as const)
      expect(compiler.compile(brief(), target).positive).not.toMatch(/:\d\.\d+\)/);
  });

  it('sizes follow the family and the aspect ratio', () => {
    const sdxl = compiler.compile(brief({ camera: { aspectRatio: '2:3' } }), 'sdxl').params;
    expect((sdxl.width ?? 0) % 64).toBe(0);
    expect((sdxl.height ?? 0) % 64).toBe(0);
    expect(
      Math.abs((sdxl.width ?? 0) * (sdxl.height ?? 0) - 1024 * 1024) / (1024 * 1024),
    ).toBeLessThan(0.1);
    expect((sdxl.width ?? 0) / (sdxl.height ?? 1)).toBeCloseTo(2 / 3, 1);
    const flux = compiler.compile(brief({ camera: { aspectRatio: '16:9' } }), 'flux').params;
    expect((flux.width ?? 0) % 16).toBe(0);
    expect(flux.width ?? 0).toBeGreaterThan(flux.height ?? 0);
    const gpt = compiler.compile(brief({ camera: { aspectRatio: '4:5' } }), 'gpt-image');
    expect(gptImageSizes).toContain(gpt.params.extra['size']);
    expect(gpt.params.extra['model']).toBe('gpt-image-1');
    const sd15 = compiler.compile(brief(), 'sd15').params;
    expect(Math.max(sd15.width ?? 0, sd15.height ?? 0)).toBeLessThanOrEqual(768);
  });

  it('explicit output size and seed are honoured', () => {
    const params = compiler.compile(
      brief({
        output: {
          target: 'sdxl',
          count: 2,
          width: 832,
          height: 1216,
          seed: 42,
          steps: 40,
          guidance: 3,
        },
      }),
      'sdxl',
    ).params;
    expect(params).toMatchObject({
      width: 832,
      height: 1216,
      seed: 42,
      steps: 40,
      guidance: 3,
      count: 2,
    });
  });

  it('Midjourney gets flags: aspect, raw style, low stylize for realism, --no', () => {
    const positive = compiler.compile(
      brief({
        camera: { aspectRatio: '2:3' },
        output: { target: 'midjourney', count: 4, seed: 7 },
      }),
      'midjourney',
    ).positive;
    expect(positive).toMatch(/--ar 2:3 --style raw --stylize 50 --v 7 --seed 7 .*--no cgi/);
  });

  it('flux gets a realistic guidance of about 2-3.5', () => {
    const params = compiler.compile(brief(), 'flux').params;
    expect(params.guidance).toBeGreaterThanOrEqual(2);
    expect(params.guidance).toBeLessThanOrEqual(3.5);
  });

  it('an unknown target is a typed error', () => {
    expect(() => compiler.compile(brief(), 'dalle' as Target)).toThrow(
      expect.objectContaining({ code: 'TARGET_UNKNOWN' }),
    );
  });
});

describe('controls from references', () => {
  it('a pose reference asks for an OpenPose control image on SD and Flux', () => {
    const withPose = brief({ references: [{ image: './pose.jpg', role: 'pose' }] });
    for (const target of ['sd15', 'sdxl', 'flux'] as const) {
      expect(compiler.compile(withPose, target).controls).toEqual([
        {
          role: 'pose',
          image: './pose.jpg',
          mechanism: 'controlnet-openpose',
          preprocess: 'openpose-skeleton',
          weight: 1,
        },
      ]);
    }
    expect(compiler.compile(withPose, 'gpt-image').controls[0]?.mechanism).toBe('edit-input');
    const mj = compiler.compile(withPose, 'midjourney');
    expect(mj.controls).toEqual([]);
    expect(mj.notes.join(' ')).toContain('no pose control');
  });

  it('identity references are lightened when pose or expression is directed', () => {
    const withIdentity = brief({
      references: [{ image: './me.jpg', role: 'identity', weight: 1 }],
    });
    const control = compiler.compile(withIdentity, 'sdxl').controls[0];
    expect(control).toMatchObject({
      role: 'identity',
      mechanism: 'ip-adapter-faceid',
      preprocess: 'face-crop',
      weight: 0.6,
    });
    expect(compiler.compile(withIdentity, 'midjourney').positive).toContain(
      '--oref ./me.jpg --ow 60',
    );
  });

  it('lighting and expression references are read, not sent', () => {
    const compiled = compiler.compile(
      brief({ light: undefined, references: [{ image: './light.jpg', role: 'lighting' }] }),
      'sdxl',
    );
    expect(compiled.controls).toEqual([]);
    expect(compiled.notes.join(' ')).toContain('read by vision');
  });
});

describe('budget by shot type', async () => {
  const examples = await readExampleBriefs();
  const wideShots = ['medium-close-up', 'medium', 'three-quarter', 'full-length'];
  const wide = examples.filter((e) => wideShots.includes(e.brief.camera?.shot ?? 'headshot'));

  it('the examples include environmental portraits', () => {
    expect(wide.length).toBeGreaterThanOrEqual(5);
  });

  it.each(
    wide.flatMap((e) => (['sd15', 'sdxl'] as const).map((t) => [e.file, t, e.brief] as const)),
  )('%s for %s keeps wardrobe and setting', (_file, target, parsed) => {
    const compiled = compiler.compile(parsed, target);
    const positive = stripWeights(compiled.positive);
    const { wardrobe, setting } = parsed.subject;
    if (wardrobe !== undefined) expect(positive).toContain(`wearing ${wardrobe}`);
    if (setting !== undefined) expect(positive).toContain(setting);
    expect(compiled.tokens.positive).toBeLessThanOrEqual(3 * 75);
  });

  it('a long environmental brief drops low-value words before wardrobe and setting', () => {
    const long = brief({
      subject: {
        description:
          'a tall weathered fisherman in his seventies with a white beard, a crooked nose broken long ago, deep-set pale blue eyes, wind-burnt cheeks and a scar across the chin',
        features: ['missing lower canine', 'tattoo of an anchor on the left hand', 'silver ring'],
        wardrobe: 'oilskin jacket over a cable-knit sweater, rubber boots',
        setting: 'a rain-soaked harbour at dawn with stacked lobster pots and gulls',
      },
      camera: { focalLength: 35, aperture: 5.6, shot: 'full-length', film: 'portra-400' },
      atmosphere: { haze: 0, timeOfDay: 'morning' },
      aesthetic: { palette: 'earthy-warm', grade: 'warm-film', mood: 'salt-worn, patient' },
    });
    const compiled = compiler.compile(long, 'sdxl');
    const dropped = compiled.pushedOut.filter((p) => p.reason === 'dropped').map((p) => p.text);
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped).not.toContain('wearing oilskin jacket over a cable-knit sweater, rubber boots');
    expect(dropped).not.toContain(
      'a rain-soaked harbour at dawn with stacked lobster pots and gulls',
    );
    expect(stripWeights(compiled.positive)).not.toMatch(/realistic photograph/);
  });

  it('shortening a long head cuts at a clause, never inside one', () => {
    const weaver = examples.find((e) => e.file === 'weaver-broad-light.yaml');
    expect(weaver).toBeDefined();
    const positive = compiler.compile(weaver?.brief as Brief, 'sdxl').positive;
    expect(positive).not.toMatch(/a broad:/);
    expect(positive).toContain('a broad face');
  });
});

describe('per-family sampling defaults', async () => {
  const examples = await readExampleBriefs();
  const pastry = examples.find((e) => e.file === 'pastry-chef-window.yaml')?.brief as Brief;

  it('a brief written for Flux keeps its guidance and steps on Flux', () => {
    expect(pastry.output).toMatchObject({ target: 'flux', guidance: 3, steps: 28 });
    const flux = compiler.compile(pastry, 'flux');
    expect(flux.params).toMatchObject({ guidance: 3, steps: 28 });
    expect(flux.notes.join('\n')).not.toMatch(/written for/);
  });

  it.each(['sd15', 'sdxl'] as const)(
    '%s never inherits Flux’s guidance 3 and steps 28',
    (target) => {
      const compiled = compiler.compile(pastry, target);
      const own = compiler.compile(
        validateBrief({ ...pastry, output: { target, count: 4 } } as BriefInput),
        target,
      );
      expect(compiled.params.guidance).toBe(own.params.guidance);
      expect(compiled.params.steps).toBe(own.params.steps);
      expect(compiled.params.guidance).not.toBe(3);
      expect(compiled.params.sampler).toBe('dpmpp_2m');
      expect(compiled.notes.join('\n')).toContain(
        `the brief's steps 28 and guidance 3 were written for flux; ${target} uses its own defaults.`,
      );
    },
  );

  it('an explicit guidance for the family applies, with a note when outside its range', () => {
    const inRange = compiler.compile(
      brief({ output: { target: 'sdxl', count: 1, guidance: 5 } }),
      'sdxl',
    );
    expect(inRange.params.guidance).toBe(5);
    expect(inRange.notes.join('\n')).not.toMatch(/sensible range/);
    const high = compiler.compile(
      brief({ output: { target: 'sdxl', count: 1, guidance: 12 } }),
      'sdxl',
    );
    expect(high.params.guidance).toBe(12);
    expect(high.notes.join('\n')).toContain("guidance 12 is outside sdxl's sensible range 3–8");
    const low = compiler.compile(
      brief({ output: { target: 'flux', count: 1, guidance: 1 } }),
      'flux',
    );
    expect(low.notes.join('\n')).toContain("guidance 1 is outside flux's sensible range 1.5–4.5");
  });

  it('defaults come from the one shared guidance table', () => {
    expect(compiler.compile(brief(), 'sdxl').params.guidance).toBe(familyGuidance.sdxl.realistic);
    expect(compiler.compile(brief(), 'sd15').params.guidance).toBe(familyGuidance.sd15.realistic);
    expect(compiler.compile(brief(), 'flux').params.guidance).toBe(familyGuidance.flux.realistic);
  });
});

describe('the artist’s negatives on a brief that asks for no imperfection', async () => {
  const minimal = (await readExampleBriefs()).find((e) => e.file === 'minimal.yaml')
    ?.brief as Brief;

  it('negates freckles the brief does not ask for, keeps texture and the described scar out', () => {
    const compiled = compiler.compile(minimal, 'sdxl', {
      extraNegative: ['freckles', 'blurry', 'pores', 'scar'],
    });
    const negative = (compiled.negative ?? '').split(', ');
    expect(negative).toEqual(expect.arrayContaining(['freckles', 'blurry']));
    expect(negative).not.toContain('pores');
    expect(negative).not.toContain('scar');
    const notes = compiled.notes.join('\n');
    expect(notes).not.toMatch(/freckles/);
    expect(notes).toContain(
      'kept "pores" out of the negative prompt: the brief wants real skin texture',
    );
    expect(notes).toContain(
      'kept "scar" out of the negative prompt: the subject\'s description mentions scar',
    );
  });

  it('still protects freckles when the brief asks for them', () => {
    const compiled = compiler.compile(brief(), 'sdxl', { extraNegative: ['freckles'] });
    expect(compiled.negative).not.toMatch(/freckles/);
    expect(compiled.notes.join('\n')).toContain('the brief asks for freckles');
  });
});

describe('prose seams', async () => {
  const examples = await readExampleBriefs();
  const prose = examples.flatMap((e) =>
    (['flux', 'gpt-image'] as const).map((t) => [e.file, t, e.brief] as const),
  );

  it.each(prose)('%s for %s reads without the known seams', (_file, target, parsed) => {
    const positive = compiler.compile(parsed, target).positive;
    expect(positive).not.toMatch(/\bfrom on\b/);
    expect(positive).not.toMatch(/, (woman|man), with\b/);
    expect(positive).not.toMatch(/\.\s*,|,\s*\./);
    // Identity is said once: an ethnicity the description names is not repeated.
    const ethnicity = parsed.subject.ethnicity;
    if (ethnicity !== undefined && parsed.subject.description.includes(ethnicity))
      expect(positive.split(ethnicity).length - 1).toBe(1);
  });

  it('says the side of the light and the person as a photographer writes them', () => {
    const pastry = examples.find((e) => e.file === 'pastry-chef-window.yaml')?.brief as Brief;
    const flux = compiler.compile(pastry, 'flux').positive;
    expect(flux).toContain("Window light from the subject's left (camera right)");
    expect(flux).toContain(
      'along her left cheekbone, a woman. Distinguishing details: pale burn scar',
    );
  });
});

describe('prose token counts', async () => {
  const examples = await readExampleBriefs();
  it.each(examples.map((e) => [e.file, e.brief] as const))(
    '%s: the summed sentence counts equal the count of the whole prose prompt',
    (_file, parsed) => {
      for (const target of ['flux', 'gpt-image'] as const) {
        const compiled = compiler.compile(parsed, target);
        expect(compiled.tokens.positive).toBe(compiler.tokenizer.count(compiled.positive));
      }
    },
  );
});
