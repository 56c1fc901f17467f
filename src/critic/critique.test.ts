import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNudges, grades, validateBrief, type Brief, type BriefInput } from '../brief/index.js';
import { grade, gradeFromVocabulary } from '../darkroom/index.js';
import { flipHorizontal, readImage, type RgbImage } from '../image/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import {
  fixtureFaces,
  readFixture,
  readSample,
  smoothRegion,
  smoothingLevels,
} from '../testing/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from '../vision/index.js';
import {
  critique,
  descriptorSimilarity,
  identityCalibration,
  poseSimilarity,
  rank,
  realismCalibration,
  realismScore,
  warmthCalibration,
} from './index.js';

let vision: Vision;
const fixtures = new Map<string, { image: RgbImage; blueprint: Blueprint }>();
beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
  for (const face of fixtureFaces) {
    const image = await readImage(await readFixture(face.id), { source: face.id });
    fixtures.set(face.id, { image, blueprint: await vision.analyze(image) });
  }
}, 120_000);
afterAll(() => vision.dispose());

const get = (id: string) => {
  const entry = fixtures.get(id);
  if (entry === undefined) throw new Error(id);
  return entry;
};

const brief = (extra: Partial<BriefInput> = {}): Brief =>
  validateBrief({
    version: 1,
    subject: { description: 'a woman in her twenties with long hair' },
    authenticity: { imperfections: ['visible-pores'], retouch: 'natural' },
    ...extra,
  });

describe('realism guard, calibrated on real faces against the same faces skin-smoothed', () => {
  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: the realism score falls as smoothing rises and separates original from strongly smoothed',
    async (id) => {
      const { image, blueprint } = get(id);
      const box = blueprint.faces[0]?.box;
      if (box === undefined) throw new Error('no face');
      const scores: number[] = [];
      const textures: number[] = [];
      for (const level of smoothingLevels) {
        const smoothed =
          level.strength === 0
            ? blueprint
            : await vision.analyze(smoothRegion(image, box, level.strength));
        textures.push(smoothed.quality.skinTexture ?? Number.NaN);
        scores.push(realismScore(smoothed.quality.skinTexture) ?? Number.NaN);
      }
      for (let i = 1; i < scores.length; i++)
        expect(scores[i], `${textures.join(' ')}`).toBeLessThanOrEqual((scores[i - 1] ?? 0) + 1e-9);
      expect(scores[0]).toBeGreaterThanOrEqual(0.8);
      expect(scores[scores.length - 1]).toBeLessThanOrEqual(0.1);
      // The raw texture behind it stays inside the calibration's ranges.
      expect(textures[0]).toBeGreaterThan(realismCalibration.natural);
      expect(textures[textures.length - 1]).toBeLessThan(realismCalibration.plastic);
    },
  );

  it('flags plastic skin and nudges toward pores, no retouch and lower guidance', async () => {
    const { image, blueprint } = get('soft-smile');
    const waxy = await vision.analyze(
      smoothRegion(image, blueprint.faces[0]?.box ?? { x: 0, y: 0, width: 1, height: 1 }, 4),
    );
    const card = critique(waxy, brief({ output: { target: 'sdxl', count: 4 } }));
    expect(card.flags).toContain('plastic-skin');
    const fix = card.nudges.find((n) => n.rule === 'critic.plastic-skin');
    expect(fix?.patch).toEqual(
      expect.arrayContaining([
        { op: 'set', path: 'authenticity.retouch', value: 'none' },
        // A fifth below SDXL's realistic 4.5 (the shared family table).
        { op: 'set', path: 'output.guidance', value: 3.6 },
      ]),
    );
    expect(critique(blueprint, brief()).flags).not.toContain('plastic-skin');
  });
});

describe('expression against the brief', () => {
  const broadSmile = brief({ expression: { name: 'laughing', intensity: 1 } });
  const neutral = brief({ expression: { name: 'neutral', intensity: 0.5 } });

  it('a brief for a broad smile ranks the laughing face above every neutral one, and the reverse brief reverses it', () => {
    for (const face of fixtureFaces.filter((f) => f.expression === 'neutral')) {
      const laughing = get('laughing').blueprint;
      const calm = get(face.id).blueprint;
      const forSmile = rank([critique(calm, broadSmile), critique(laughing, broadSmile)]);
      expect(forSmile.candidates[0]?.scorecard.source, face.id).toBe('laughing');
      const forNeutral = rank([critique(laughing, neutral), critique(calm, neutral)]);
      expect(forNeutral.candidates[0]?.scorecard.source, face.id).toBe(face.id);
      const smileScore = (card: ReturnType<typeof critique>) =>
        card.pillars.find((p) => p.pillar === 'expression')?.score ?? 0;
      expect(smileScore(critique(laughing, broadSmile))).toBeGreaterThan(
        smileScore(critique(calm, broadSmile)) + 0.2,
      );
    }
  });

  it('a slight smile that came out as a laugh scores low and is nudged down', () => {
    const slight = brief({ expression: { name: 'closed-lip-half-smile', intensity: 0.3 } });
    const card = critique(get('laughing').blueprint, slight);
    const expression = card.pillars.find((p) => p.pillar === 'expression');
    expect(expression?.score).toBeLessThan(0.5);
    expect(expression?.reason).toMatch(/stronger than wanted/);
    expect(card.nudges.find((n) => n.rule === 'critic.expression-too-strong')?.patch[0]).toEqual({
      op: 'set',
      path: 'expression.intensity',
      value: 0.18,
    });
  });
});

describe('posture', () => {
  it('pose similarity of a photo to itself is about 1, to its mirror image lower', async () => {
    for (const id of ['neutral-blonde', 'smile-closed', 'makeup']) {
      const { image, blueprint } = get(id);
      const keypoints = blueprint.body?.keypoints ?? [];
      expect(poseSimilarity(keypoints, keypoints), id).toBeCloseTo(1, 5);
      const mirrored = await vision.analyze(flipHorizontal(image));
      const flipped = poseSimilarity(keypoints, mirrored.body?.keypoints ?? []);
      expect(flipped, id).not.toBeNull();
      expect(flipped ?? 1, id).toBeLessThan(0.9);
    }
  });

  it('scores the pose against a pose reference', () => {
    const reference = get('neutral-blonde').blueprint;
    const withReference = brief({ references: [{ image: 'ref.jpg', role: 'pose', weight: 1 }] });
    const same = critique(reference, withReference, { pose: reference }).pillars.find(
      (p) => p.pillar === 'posture',
    );
    expect(same?.score).toBeCloseTo(1, 2);
  });
});

describe('authenticity and identity', () => {
  it('a candidate with two faces for a single-subject brief is flagged and loses its rank', async () => {
    const group = await vision.analyze(await readSample(1), { source: 'group' });
    const card = critique(group, brief());
    expect(card.flags).toContain('extra-faces');
    const ranking = rank([card, critique(get('laughing').blueprint, brief())]);
    expect(ranking.candidates[0]?.scorecard.source).toBe('laughing');
    // Named as its file is named, whatever its place in the order given.
    expect(ranking.candidates[1]?.reason).toBe(
      `group lost on extra faces (${Math.round(card.overall * 100)}%)`,
    );
  });

  it('the same-person threshold separates the fixture people from themselves', async () => {
    const descriptors = fixtureFaces.map((f) => get(f.id).blueprint.faces[0]?.descriptor ?? []);
    for (let i = 0; i < descriptors.length; i++) {
      for (let j = i + 1; j < descriptors.length; j++)
        expect(descriptorSimilarity(descriptors[i] ?? [], descriptors[j] ?? [])).toBeLessThan(
          identityCalibration.samePerson,
        );
    }
    for (const face of fixtureFaces) {
      const { image, blueprint } = get(face.id);
      const mirrored = await vision.analyze(flipHorizontal(image));
      expect(
        descriptorSimilarity(
          blueprint.faces[0]?.descriptor ?? [],
          mirrored.faces[0]?.descriptor ?? [],
        ),
        face.id,
      ).toBeGreaterThan(identityCalibration.samePerson);
    }
  });

  it('scores identity against an identity reference and flags another person', () => {
    const withIdentity = brief({
      references: [{ image: 'me.jpg', role: 'identity', weight: 0.8 }],
    });
    const me = get('laughing').blueprint;
    expect(
      critique(me, withIdentity, { identity: me }).pillars.find((p) => p.pillar === 'identity')
        ?.score,
    ).toBe(1);
    const other = critique(get('makeup').blueprint, withIdentity, { identity: me });
    expect(other.flags).toContain('identity-mismatch');
    expect(other.nudges.find((n) => n.rule === 'critic.identity-drift')?.patch).toEqual([
      { op: 'set', path: 'references[0].weight', value: 1 },
    ]);
  });
});

describe('light, camera and aesthetic', () => {
  it('a key on the wrong side is named and nudged further round', () => {
    const blueprint = get('neutral-dark-hair').blueprint; // key on the subject's left (azimuth > 0)
    expect(blueprint.light?.azimuth).toBeGreaterThan(20);
    const wantsRight = brief({ light: { rig: 'loop', side: 'right' } });
    const card = critique(blueprint, wantsRight);
    const light = card.pillars.find((p) => p.pillar === 'light');
    expect(light?.reason).toBe("key on the subject's left, wanted on the subject's right");
    const move = card.nudges.find((n) => n.rule === 'critic.key-wrong-side');
    const patched = applyNudges(wantsRight, move === undefined ? [] : [move]);
    expect(patched.light?.key?.azimuth).toBeLessThan(-37.5);
    const onSide = critique(
      blueprint,
      brief({ light: { rig: 'loop', side: 'left' } }),
    ).pillars.find((p) => p.pillar === 'light');
    expect(onSide?.score).toBeGreaterThan(light?.score ?? 1);
  });

  it('palette: the wanted colours of the photo itself score high, far colours low', () => {
    const blueprint = get('soft-smile').blueprint;
    const own = critique(
      blueprint,
      brief({ aesthetic: { colors: blueprint.palette.frame.slice(0, 4).map((s) => s.hex) } }),
    ).pillars.find((p) => p.pillar === 'aesthetic');
    const far = critique(
      blueprint,
      brief({ aesthetic: { colors: ['#00ff00', '#ff00ff', '#00ffff'] } }),
    ).pillars.find((p) => p.pillar === 'aesthetic');
    expect(own?.score).toBeGreaterThan(0.9);
    expect(far?.score).toBeLessThan(0.3);
  });
});

describe('nudges, applied to the brief, move the compiled prompt the intended way', () => {
  const compiler = createPromptCompiler();

  it('too strong an expression: lower intensity, lower emphasis in the SD prompt', () => {
    const slight = brief({ expression: { name: 'duchenne-smile', intensity: 0.5 } });
    const card = critique(get('laughing').blueprint, slight);
    const fixed = applyNudges(
      slight,
      card.nudges.filter((n) => n.pillar === 'expression'),
    );
    const weight = (b: Brief) =>
      Number(
        /\(genuine smile[^:]*:([\d.]+)\)|\((?:[^():]*smile[^():]*):([\d.]+)\)/
          .exec(compiler.compile(b, 'sd15').positive)
          ?.slice(1)
          .find(Boolean),
      );
    expect(fixed.expression?.intensity).toBeLessThan(0.5);
    expect(weight(fixed)).toBeLessThan(weight(slight));
  });

  it('plastic skin: pores in the positive, no retouch, lower guidance', async () => {
    const { image, blueprint } = get('laughing');
    const waxy = await vision.analyze(
      smoothRegion(image, blueprint.faces[0]?.box ?? { x: 0, y: 0, width: 1, height: 1 }, 4),
    );
    const start = brief({ authenticity: { imperfections: [], retouch: 'editorial' } });
    const fixed = applyNudges(start, critique(waxy, start).nudges);
    const before = compiler.compile(start, 'sdxl');
    const after = compiler.compile(fixed, 'sdxl');
    expect(after.positive).toContain('visible skin pores');
    expect(after.positive).toContain('unretouched');
    expect(after.params.guidance ?? 99).toBeLessThan(before.params.guidance ?? 0);
  });

  it('wrong-side key: the prompt now lights the other cheek', () => {
    const wantsRight = brief({ light: { rig: 'loop', side: 'right' } });
    const fixed = applyNudges(
      wantsRight,
      critique(get('neutral-dark-hair').blueprint, wantsRight).nudges.filter(
        (n) => n.pillar === 'light',
      ),
    );
    expect(compiler.compile(fixed, 'flux').positive).toContain("the subject's right");
    expect(compiler.compile(fixed, 'sdxl').positive).toMatch(/right side of the face is lit/);
  });
});

describe('grade', () => {
  // Warmth is judged from the frame's absolute b*: it can tell a warm grade from a cool one only
  // where the photo itself is not already as warm as a grade (b* within ±7 of the neutral 11).
  // neutral-blonde, under warm bar lights at b* 21, is the fixture that falls outside.
  const yellowBlue = (blueprint: Blueprint) =>
    blueprint.palette.frame.reduce((s, sw) => s + sw.weight * sw.lab[2], 0);
  it('a warm-film brief scores the warm grade above the cool grade on near-neutral photos', async () => {
    const look = (gradeId: string) =>
      gradeFromVocabulary(grades.find((g) => g.id === gradeId) as (typeof grades)[number]);
    const warmBrief = brief({ aesthetic: { grade: 'warm-film' } });
    const score = async (graded: RgbImage) =>
      critique(await vision.analyze(graded), warmBrief).pillars.find(
        (p) => p.pillar === 'aesthetic',
      )?.score ?? 0;
    const judged = fixtureFaces.filter(
      (f) => Math.abs(yellowBlue(get(f.id).blueprint) - warmthCalibration.neutralB) < 7,
    );
    expect(judged.length).toBeGreaterThanOrEqual(5);
    for (const face of judged) {
      const { image } = get(face.id);
      expect(await score(grade(image, look('warm-film'))), face.id).toBeGreaterThan(
        await score(grade(image, look('cool-cinematic'))),
      );
    }
  });
});
