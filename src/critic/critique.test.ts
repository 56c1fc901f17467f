import sharp from 'sharp';
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

/** A whole photo through sharp's median filter of a window `size` (3, 5, 9: light to heavy). */
const medianOf = async (image: RgbImage, size: number): Promise<RgbImage> => ({
  ...image,
  source: `${image.source} median ${size}`,
  data: new Uint8Array(
    await sharp(Buffer.from(image.data), {
      raw: { width: image.width, height: image.height, channels: 3 },
    })
      .median(size)
      .raw()
      .toBuffer(),
  ),
});
const authenticityOf = (blueprint: Blueprint): number =>
  critique(blueprint, brief()).pillars.find((p) => p.pillar === 'authenticity')?.score ?? NaN;

describe('realism guard, calibrated on real faces against the same faces skin-smoothed', () => {
  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: realism and authenticity strictly fall over median 3, 5, 9 and a light bilateral (whole pipeline)',
    async (id) => {
      const { image, blueprint } = get(id);
      const box = blueprint.faces[0]?.box;
      if (box === undefined) throw new Error('no face');
      const steps = [blueprint];
      for (const size of [3, 5, 9]) steps.push(await vision.analyze(await medianOf(image, size)));
      const light = await vision.analyze(smoothRegion(image, box, 1));
      const realism = steps.map((b) => realismScore(b.quality.skinTexture) ?? NaN);
      const authenticity = steps.map(authenticityOf);
      const label = `${id}: texture ${steps.map((b) => b.quality.skinTexture).join(' > ')}, realism ${realism.join(' > ')}, authenticity ${authenticity.join(' > ')}; light bilateral ${light.quality.skinTexture}`;
      process.stdout.write(`${label}\n`);
      for (let i = 1; i < steps.length; i++) {
        expect(realism[i], label).toBeLessThan(realism[i - 1] as number);
        expect(authenticity[i], label).toBeLessThan(authenticity[i - 1] as number);
      }
      expect(realismScore(light.quality.skinTexture) ?? NaN, label).toBeLessThan(
        realism[0] as number,
      );
      expect(authenticityOf(light), label).toBeLessThan(authenticity[0] as number);
      // Nothing saturates: the photo as taken is below 1, the heaviest median above 0.
      expect(realism[0]).toBeLessThan(1);
      expect(realism[3]).toBeGreaterThan(0);
    },
    300_000,
  );

  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: every bilateral "surface blur" lowers realism, and from strength 3 on it is flagged plastic',
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
      const label = `${id}: texture ${textures.join(' ')}, realism ${scores.join(' ')}`;
      // Every strength takes texture off the photo. Between strengths 1 and 2 the detector's
      // jitter (a re-read moves the skin regions by a pixel or two) is as large as the step on
      // faces already near the 8-bit floor (makeup read 0.369 then 0.373), so their order is not
      // asserted here; the same-mesh readings in vision's trust tests order the medians strictly.
      for (const smoothed of scores.slice(1))
        expect(smoothed, label).toBeLessThan(scores[0] as number);
      // As photographed none is plastic; the strongest smoothing always is.
      expect(scores[0], label).toBeGreaterThan(realismCalibration.plasticScore);
      for (const strong of scores.slice(3))
        expect(strong, label).toBeLessThan(realismCalibration.plasticScore);
    },
    300_000,
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

  it('the identity band: different fixture people are refused, variant copies accepted', async () => {
    const { samePerson, different } = identityCalibration;
    const descriptors = fixtureFaces.map((f) => get(f.id).blueprint.faces[0]?.descriptor ?? []);
    const others: number[] = [];
    for (let i = 0; i < descriptors.length; i++)
      for (let j = i + 1; j < descriptors.length; j++)
        others.push(descriptorSimilarity(descriptors[i] ?? [], descriptors[j] ?? []));
    const copies: number[] = [];
    for (const face of fixtureFaces) {
      const { image, blueprint } = get(face.id);
      const png = await readFixture(face.id);
      const { width = 0, height = 0 } = await sharp(png).metadata();
      const variants = [
        flipHorizontal(image),
        // Half size, saved as JPEG at quality 40.
        await readImage(
          new Uint8Array(
            await sharp(png)
              .resize(Math.round(width / 2))
              .jpeg({ quality: 40 })
              .toBuffer(),
          ),
        ),
        // Re-cropped a tenth off the left and bottom, and darkened by 40%.
        await readImage(
          new Uint8Array(
            await sharp(png)
              .extract({
                left: Math.round(width / 10),
                top: 0,
                width: width - Math.round(width / 10),
                height: height - Math.round(height / 10),
              })
              .linear(0.6, 0)
              .png()
              .toBuffer(),
          ),
        ),
      ];
      for (const copy of variants) {
        const read = await vision.analyze(copy);
        const main = read.faceIndex === null ? undefined : read.faces[read.faceIndex];
        copies.push(
          descriptorSimilarity(blueprint.faces[0]?.descriptor ?? [], main?.descriptor ?? []),
        );
      }
    }
    process.stdout.write(
      `identity: ${others.length} different-person pairs ${Math.min(...others)}–${Math.max(...others)}, ${copies.length} same-person copies ${Math.min(...copies)}–${Math.max(...copies)}\n`,
    );
    for (const similarity of others) expect(similarity).toBeLessThan(different);
    for (const similarity of copies) expect(similarity).toBeGreaterThanOrEqual(samePerson);
  }, 300_000);

  it('identity: accepted at 0.65 and above, refused under 0.63, unsure (not scored) between', () => {
    const withIdentity = brief({
      references: [{ image: 'me.jpg', role: 'identity', weight: 1 }],
    });
    const me = get('soft-smile').blueprint;
    const mine = me.faces[0]?.descriptor ?? [];
    const theirs = get('neutral-dark-hair').blueprint.faces[0]?.descriptor ?? [];
    // A descriptor at an exact cosine from mine: rotate mine toward the part of another person's
    // descriptor that is orthogonal to it (both are unit vectors).
    const dot = mine.reduce((sum, v, i) => sum + v * (theirs[i] ?? 0), 0);
    const orthogonal = theirs.map((v, i) => v - dot * (mine[i] ?? 0));
    const length = Math.hypot(...orthogonal);
    const at = (cosine: number): Blueprint => {
      const sine = Math.sqrt(1 - cosine * cosine);
      const descriptor = mine.map((v, i) => cosine * v + (sine * (orthogonal[i] ?? 0)) / length);
      const face = me.faces[0];
      if (face === undefined) throw new Error('no face');
      return { ...me, source: `at ${cosine}`, faces: [{ ...face, descriptor }] };
    };
    const card = (cosine: number) => critique(at(cosine), withIdentity, { identity: me });
    const pillar = (cosine: number) => card(cosine).pillars.find((p) => p.pillar === 'identity');
    // Two photos of one person measured 0.67 and 0.68 (issue 10): the same person.
    for (const cosine of [0.65, 0.67, 0.68]) {
      expect(pillar(cosine)?.score, `${cosine}`).toBe(1);
      expect(pillar(cosine)?.reason, `${cosine}`).toMatch(/^the same person/);
      expect(card(cosine).flags).not.toContain('identity-mismatch');
    }
    for (const cosine of [0.63, 0.64, 0.649]) {
      const unsure = card(cosine);
      expect(
        unsure.pillars.find((p) => p.pillar === 'identity'),
        `${cosine}`,
      ).toBeUndefined();
      expect(unsure.unmeasured.find((u) => u.pillar === 'identity')?.reason).toMatch(
        /^could not measure identity: unsure whether this is the reference person/,
      );
      expect(unsure.flags).not.toContain('identity-mismatch');
      expect(unsure.nudges.filter((n) => n.rule === 'critic.identity-drift')).toEqual([]);
      expect(rank([unsure]).candidates[0]?.reason).toContain('could not measure identity');
    }
    for (const cosine of [0.3, 0.5, 0.61, 0.629]) {
      const refused = card(cosine);
      expect(refused.flags, `${cosine}`).toContain('identity-mismatch');
      expect(pillar(cosine)?.reason).toMatch(/^a different person/);
      expect(pillar(cosine)?.score ?? 1).toBeLessThan(0.5);
      expect(refused.nudges.find((n) => n.rule === 'critic.identity-drift')).toBeDefined();
    }
    // Nearer misses score higher.
    expect(pillar(0.61)?.score ?? 0).toBeGreaterThan(pillar(0.5)?.score ?? 1);
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
