import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, type RgbImage } from '../image/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from '../vision/index.js';
import { fixtureFaces, readFixture } from '../testing/index.js';
import { planReframe, reframe, type ReframeTarget } from './reframe.js';

let vision: Vision;
const originals = new Map<string, { image: RgbImage; blueprint: Blueprint }>();

beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
  for (const { id } of fixtureFaces) {
    const image = await readImage(await readFixture(id), { source: id });
    originals.set(id, { image, blueprint: await vision.analyze(image) });
  }
}, 120_000);
afterAll(() => vision.dispose());

function original(id: string) {
  const entry = originals.get(id);
  if (entry === undefined) throw new Error(`fixture ${id} not loaded`);
  return entry;
}

const thirds = { composition: 'rule-of-thirds', aspectRatio: '4:5' } as const;

describe('reframe to the rule of thirds on every fixture face', () => {
  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: the eyes land on the thirds point on the look-room side',
    async (id) => {
      const { image, blueprint } = original(id);
      // The widest of these framings that fits these tight crops without a compromise.
      const shot = ['headshot', 'close-up'].find(
        (candidate) => planReframe(blueprint, { ...thirds, shot: candidate }).note === undefined,
      );
      if (shot === undefined) throw new Error(`no framing fits ${id}`);
      const target: ReframeTarget = { ...thirds, shot };
      const plan = planReframe(blueprint, target);
      const yaw = blueprint.faces[0]?.headPose.yaw ?? 0;
      // Turned toward the image right: look-room on the right, eyes on the left third.
      expect(plan.eyeTarget).toEqual({ x: yaw >= 0 ? 0.333 : 0.667, y: 0.333 });

      const out = reframe(image, blueprint, target);
      expect([out.width, out.height]).toEqual([plan.width, plan.height]);
      expect(Math.abs(out.width - out.height * 0.8)).toBeLessThanOrEqual(1);
      const after = await vision.analyze(out);
      const eyes = after.composition?.eyeCentre;
      if (eyes === undefined) throw new Error(`face lost in the crop of ${id}`);
      expect(Math.abs(eyes.x - plan.eyeTarget.x), `x of ${id} framed ${shot}`).toBeLessThan(0.03);
      expect(Math.abs(eyes.y - plan.eyeTarget.y), `y of ${id} framed ${shot}`).toBeLessThan(0.03);
      // The face takes the shot's share of the frame.
      expect(after.composition?.shot).toBe(shot);
    },
  );
});

describe('planReframe', () => {
  it('crops inside the photo, in whole pixels, at the ratio asked for', () => {
    for (const { id } of fixtureFaces) {
      const { blueprint } = original(id);
      for (const aspectRatio of ['4:5', '1:1', '2:3', '16:9', '9:16']) {
        for (const shot of [undefined, 'close-up', 'headshot', 'medium', 'full-length']) {
          const plan = planReframe(blueprint, {
            aspectRatio,
            ...(shot === undefined ? {} : { shot }),
          });
          const [w, h] = aspectRatio.split(':').map(Number) as [number, number];
          for (const value of [plan.left, plan.top, plan.width, plan.height])
            expect(Number.isInteger(value)).toBe(true);
          expect(plan.left).toBeGreaterThanOrEqual(0);
          expect(plan.top).toBeGreaterThanOrEqual(0);
          expect(plan.width).toBeGreaterThan(0);
          expect(plan.left + plan.width).toBeLessThanOrEqual(blueprint.image.width);
          expect(plan.top + plan.height).toBeLessThanOrEqual(blueprint.image.height);
          expect(Math.abs(plan.width - (plan.height * w) / h)).toBeLessThanOrEqual(1);
          // Without a note the eyes sit on the anchor.
          if (plan.note === undefined) {
            expect(Math.abs(plan.eyes.x - plan.eyeTarget.x)).toBeLessThan(0.01);
            expect(Math.abs(plan.eyes.y - plan.eyeTarget.y)).toBeLessThan(0.01);
          }
        }
      }
    }
  });

  it('says so when the framing cannot fit, and still lands the eyes where it plans', async () => {
    const { image, blueprint } = original('neutral-blonde');
    // Waist-up needs a face of 0.15 of the frame; in this tight crop it already takes 0.27.
    const plan = planReframe(blueprint, { ...thirds, shot: 'medium' });
    expect(plan.note).toMatch(/medium/);
    expect(plan.left + plan.width).toBeLessThanOrEqual(image.width);
    expect(plan.top + plan.height).toBeLessThanOrEqual(image.height);
    const out = reframe(image, blueprint, { ...thirds, shot: 'medium' });
    expect(Math.abs(out.width - out.height * 0.8)).toBeLessThanOrEqual(1);
    const eyes = (await vision.analyze(out)).composition?.eyeCentre;
    expect(Math.abs((eyes?.x ?? 0) - plan.eyes.x)).toBeLessThan(0.03);
    expect(Math.abs((eyes?.y ?? 0) - plan.eyes.y)).toBeLessThan(0.03);
  });

  it('mirrors the anchor for the look-room, and follows each rule', () => {
    const { blueprint } = original('makeup');
    expect(planReframe(blueprint, { ...thirds, lookRoom: 'right' }).eyeTarget).toEqual({
      x: 0.333,
      y: 0.333,
    });
    expect(planReframe(blueprint, { ...thirds, lookRoom: 'left' }).eyeTarget).toEqual({
      x: 0.667,
      y: 0.333,
    });
    expect(planReframe(blueprint, { composition: 'centered-symmetric' }).eyeTarget).toEqual({
      x: 0.5,
      y: 0.38,
    });
    // No anchor of its own: eyes on the upper third, centred.
    expect(planReframe(blueprint, { composition: 'leading-lines' }).eyeTarget).toEqual({
      x: 0.5,
      y: 0.333,
    });
    // Aliases work like ids.
    expect(planReframe(blueprint, { composition: 'thirds', shot: 'cu' }).eyeTarget.y).toBe(0.333);
  });

  it('is a crop: every output pixel is the input pixel at the offset', () => {
    const { image, blueprint } = original('soft-smile');
    const target = { ...thirds, shot: 'close-up' };
    const plan = planReframe(blueprint, target);
    const out = reframe(image, blueprint, target);
    for (let y = 0; y < out.height; y += 7) {
      for (let x = 0; x < out.width; x += 7) {
        const from = ((plan.top + y) * image.width + plan.left + x) * 3;
        const to = (y * out.width + x) * 3;
        expect([...out.data.subarray(to, to + 3)]).toEqual([
          ...image.data.subarray(from, from + 3),
        ]);
      }
    }
  });

  it.each([
    ['shot', { shot: 'selfie' }],
    ['composition', { composition: 'diagonal' }],
    ['aspectRatio', { aspectRatio: 'wide' }],
    ['aspectRatio', { aspectRatio: '0:5' }],
    ['lookRoom', { lookRoom: 'up' as 'left' }],
  ] as const)('rejects a bad %s as a usage error naming the field', (field, target) => {
    const { blueprint } = original('laughing');
    let caught: unknown;
    try {
      planReframe(blueprint, target);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'USAGE', issues: [{ path: field }] });
    expect((caught as Error).message).toContain(`\`${field}\``);
  });

  it('suggests the id a misspelt shot meant', () => {
    expect(() => planReframe(original('laughing').blueprint, { shot: 'headshoot' })).toThrow(
      /did you mean "headshot"/,
    );
  });

  it('refuses a photo without a face and a blueprint of another photo', () => {
    const { image, blueprint } = original('laughing');
    expect(() => planReframe({ ...blueprint, faces: [], faceIndex: null }, {})).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
    expect(() =>
      reframe(image, { ...blueprint, image: { ...blueprint.image, width: 10 } }, {}),
    ).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
