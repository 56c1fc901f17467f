import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropRgb, flipHorizontal, readImage, type RgbImage } from '../image/index.js';
import { fixtureFaces, readFixture, readSample } from '../testing/index.js';
import {
  briefFromBlueprint,
  createVision,
  createVisionRuntime,
  type Blueprint,
  type Vision,
} from './index.js';

let vision: Vision;
const originals = new Map<string, { image: RgbImage; blueprint: Blueprint }>();

beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
  for (const face of fixtureFaces) {
    const image = await readImage(await readFixture(face.id), { source: face.id });
    originals.set(face.id, { image, blueprint: await vision.analyze(image) });
  }
}, 120_000);
afterAll(() => vision.dispose());

const original = (id: string) => {
  const entry = originals.get(id);
  if (entry === undefined) throw new Error(id);
  return entry;
};

/**
 * Multiplies each pixel by a smooth ramp across the face box. The dark end is 0.04 (about 4.6
 * stops down): strong enough to overpower the photo's own key, which on these fixtures reaches
 * a 13:1 ratio, so the side the light must come from is unambiguous.
 */
function darkenSide(
  image: RgbImage,
  face: Blueprint['faces'][number],
  side: 'image-left' | 'image-right',
): RgbImage {
  const data = new Uint8Array(image.data);
  const x0 = face.box.x;
  const x1 = face.box.x + face.box.width;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const t = Math.min(1, Math.max(0, (x - x0) / (x1 - x0)));
      const smooth = t * t * (3 - 2 * t);
      const factor = 0.04 + 0.96 * (side === 'image-left' ? smooth : 1 - smooth);
      const i = (y * image.width + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] = Math.round((data[i + c] ?? 0) * factor);
    }
  }
  return { ...image, data, source: `${image.source} darkened ${side}` };
}

describe('faces on real photos', () => {
  it.each(fixtureFaces.map((f) => [f.id]))('%s: one face, where the person is', (id) => {
    const { blueprint } = original(id);
    expect(blueprint.faces).toHaveLength(1);
    expect(blueprint.faceIndex).toBe(0);
    const face = blueprint.faces[0];
    if (face === undefined) throw new Error('no face');
    // The crops put the face in the upper middle of the frame.
    const cx = (face.box.x + face.box.width / 2) / blueprint.image.width;
    const cy = (face.box.y + face.box.height / 2) / blueprint.image.height;
    expect(cx).toBeGreaterThan(0.25);
    expect(cx).toBeLessThan(0.75);
    expect(cy).toBeLessThan(0.6);
    expect(face.mesh).toHaveLength(478);
    expect(face.descriptor.length).toBeGreaterThan(100);
    expect(Math.hypot(...face.descriptor)).toBeCloseTo(1, 3);
    expect(blueprint.body).not.toBeNull();
    expect(blueprint.light).not.toBeNull();
    expect(blueprint.composition).not.toBeNull();
  });

  it('finds every face of a group photo, largest first, with a warning', async () => {
    const blueprint = await vision.analyze(await readSample(4), { source: 'sample4' });
    expect(blueprint.faces.length).toBe(4);
    const areas = blueprint.faces.map((f) => f.box.width * f.box.height);
    expect([...areas].sort((a, b) => b - a)).toEqual(areas);
    expect(blueprint.warnings.map((w) => w.code)).toContain('several-faces');
    const second = await vision.analyze(await readSample(4), { faceIndex: 2 });
    expect(second.faceIndex).toBe(2);
    await expect(vision.analyze(await readSample(4), { faceIndex: 9 })).rejects.toMatchObject({
      code: 'USAGE',
      issues: [{ path: 'face' }],
    });
  });
});

describe('expression from the mesh', () => {
  it('the laughing face reads a higher lip-corner lift and lip parting than every neutral one', () => {
    const laughing = original('laughing').blueprint.faces[0]?.expression;
    for (const face of fixtureFaces.filter((f) => f.expression === 'neutral')) {
      const neutral = original(face.id).blueprint.faces[0]?.expression;
      expect(laughing?.lipCornerLift ?? 0, face.id).toBeGreaterThan(
        (neutral?.lipCornerLift ?? 0) + 0.4,
      );
      expect(laughing?.lipsParted ?? 0, face.id).toBeGreaterThan((neutral?.lipsParted ?? 0) + 0.4);
    }
  });

  it('smiles read above neutral on the calibrated scale, and neutral faces near zero', () => {
    for (const face of fixtureFaces) {
      const lift = original(face.id).blueprint.faces[0]?.expression.lipCornerLift ?? Number.NaN;
      if (face.expression === 'neutral') expect(Math.abs(lift), face.id).toBeLessThan(0.4);
      else expect(lift, face.id).toBeGreaterThan(0.35);
    }
  });

  it('the emotion model agrees: the laughing face is happy', () => {
    expect(original('laughing').blueprint.faces[0]?.emotions.happy).toBeGreaterThan(0.8);
  });
});

describe('mirror symmetry: flip the photo, the sides swap', () => {
  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: yaw, roll and light azimuth change sign',
    async (id) => {
      const { image, blueprint } = original(id);
      const flipped = await vision.analyze(flipHorizontal(image));
      const a = blueprint.faces[0];
      const b = flipped.faces[0];
      if (a === undefined || b === undefined) throw new Error('face lost in the flip');
      if (Math.abs(a.headPose.yaw) > 3)
        expect(Math.sign(b.headPose.yaw)).toBe(-Math.sign(a.headPose.yaw));
      expect(b.headPose.yaw).toBeCloseTo(-a.headPose.yaw, -1);
      if (Math.abs(a.headPose.roll) > 3)
        expect(Math.sign(b.headPose.roll)).toBe(-Math.sign(a.headPose.roll));
      const azA = blueprint.light?.azimuth ?? 0;
      const azB = flipped.light?.azimuth ?? 0;
      if (Math.abs(azA) > 10 && Math.abs(azA) < 170)
        expect(Math.sign(azB), `${azA} -> ${azB}`).toBe(-Math.sign(azA));
      // Expression does not care which way round the photo is.
      expect(b.expression.lipCornerLift).toBeCloseTo(a.expression.lipCornerLift, 0);
    },
  );
});

describe('light from the face’s shading', () => {
  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: darkening one side moves the key to the other side',
    async (id) => {
      const { image, blueprint } = original(id);
      const face = blueprint.faces[0];
      if (face === undefined) throw new Error('no face');
      // Image-left dark: the light comes from the image right, which is the subject's left (positive).
      const fromRight = await vision.analyze(darkenSide(image, face, 'image-left'));
      const fromLeft = await vision.analyze(darkenSide(image, face, 'image-right'));
      expect(fromRight.light?.azimuth).toBeGreaterThan(15);
      expect(fromLeft.light?.azimuth).toBeLessThan(-15);
    },
  );

  it('reports exposure, contrast and a plausible colour temperature', () => {
    for (const face of fixtureFaces) {
      const light = original(face.id).blueprint.light;
      expect(light?.exposure).toBeGreaterThan(0.05);
      expect(light?.exposure).toBeLessThan(0.95);
      expect(light?.colorTemperature).toBeGreaterThan(2000);
      expect(light?.colorTemperature).toBeLessThan(12000);
    }
  });
});

describe('palette and composition', () => {
  it('the palette of a solid-colour image is that colour', async () => {
    const png = await sharp({
      create: { width: 320, height: 400, channels: 3, background: '#3366cc' },
    })
      .png()
      .toBuffer();
    const blueprint = await vision.analyze(new Uint8Array(png), { source: 'solid' });
    expect(blueprint.palette.frame).toHaveLength(1);
    expect(blueprint.palette.frame[0]).toMatchObject({ hex: '#3366cc', weight: 1 });
    expect(blueprint.warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['no-face', 'blank-frame']),
    );
  });

  it('a two-colour frame gives both colours with their weights', async () => {
    const left = await sharp({
      create: { width: 300, height: 400, channels: 3, background: '#c0392b' },
    })
      .png()
      .toBuffer();
    const png = await sharp({
      create: { width: 400, height: 400, channels: 3, background: '#f1c40f' },
    })
      .composite([{ input: left, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const blueprint = await vision.analyze(new Uint8Array(png));
    const byHex = Object.fromEntries(blueprint.palette.frame.map((s) => [s.hex, s.weight]));
    expect(byHex['#c0392b']).toBeCloseTo(0.75, 1);
    expect(byHex['#f1c40f']).toBeCloseTo(0.25, 1);
  });

  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: re-cropping moves the composition as the crop moved',
    async (id) => {
      const { image, blueprint } = original(id);
      const shiftX = Math.round(image.width * 0.15);
      const shiftY = Math.round(image.height * 0.1);
      const cropped = cropRgb(image, {
        left: shiftX,
        top: shiftY,
        width: image.width - shiftX,
        height: image.height - shiftY,
      });
      const moved = await vision.analyze(cropped);
      const before = blueprint.composition?.eyeCentre ?? { x: 0, y: 0 };
      const after = moved.composition?.eyeCentre ?? { x: 0, y: 0 };
      // In pixels, the eyes moved exactly by the crop offset (within a few pixels of detector jitter).
      expect(after.x * cropped.width).toBeCloseTo(before.x * image.width - shiftX, -1);
      expect(after.y * cropped.height).toBeCloseTo(before.y * image.height - shiftY, -1);
      expect(moved.composition?.headroom).toBeLessThan(blueprint.composition?.headroom ?? 0);
    },
  );

  it('reads the shot type and aspect ratio of the crops', () => {
    for (const face of fixtureFaces) {
      const composition = original(face.id).blueprint.composition;
      expect(composition?.aspectRatio).toBe('4:5');
      expect(['close-up', 'headshot', 'medium-close-up']).toContain(composition?.shot);
    }
  });
});

describe('photos over the working size', () => {
  // soft-smile three times over (2160×2700, 5.8 MP): read on a copy of WORKING_PIXELS, in the
  // photo's own coordinates.
  it('a 5.8 MP photo reads as its 0.65 MP original, coordinates in its own pixels', async () => {
    const { blueprint: small } = original('soft-smile');
    const png = await readFixture('soft-smile');
    const { width = 0, height = 0 } = await sharp(png).metadata();
    const big = await sharp(png)
      .resize(width * 3, height * 3, { kernel: 'cubic' })
      .jpeg({ quality: 95 })
      .toBuffer();
    const fromBytes = await vision.analyze(new Uint8Array(big), { source: 'big.jpg' });
    const fromPixels = await vision.analyze(await readImage(new Uint8Array(big)));
    for (const [label, read] of [
      ['bytes', fromBytes],
      ['pixels', fromPixels],
    ] as const) {
      expect(read.image, label).toMatchObject({ width: width * 3, height: height * 3 });
      const a = small.faces[0];
      const b = read.faces[0];
      if (a === undefined || b === undefined) throw new Error(`${label}: no face`);
      // Mesh points within 3% of the face's size after scaling the small photo's by 3; the
      // detector's box, which moves more with the resolution it is given, within 5%.
      const tolerance = 0.03 * a.box.height * 3;
      for (const key of ['x', 'y', 'width', 'height'] as const)
        expect(Math.abs(b.box[key] - a.box[key] * 3), `${label} box ${key}`).toBeLessThanOrEqual(
          (tolerance * 5) / 3,
        );
      for (const index of [1, 33, 263, 152, 61, 291]) {
        const p = a.mesh[index] ?? [0, 0, 0];
        const q = b.mesh[index] ?? [0, 0, 0];
        expect(Math.hypot(q[0] - p[0] * 3, q[1] - p[1] * 3), `${label} ${index}`).toBeLessThan(
          tolerance,
        );
      }
      for (const k of read.body?.keypoints ?? []) {
        expect(k.x, `${label} ${k.part}`).toBeLessThan(width * 3);
        expect(k.y, `${label} ${k.part}`).toBeLessThan(height * 3);
      }
      // The mesh is fitted on 4 MP instead of 0.65 MP: the head pose moves by a few degrees.
      expect(Math.abs(b.headPose.yaw - a.headPose.yaw), label).toBeLessThanOrEqual(5);
      expect(b.gaze.label, label).toBe(a.gaze.label);
      expect(Math.abs(b.expression.lipCornerLift - a.expression.lipCornerLift)).toBeLessThan(0.1);
      expect(read.composition?.aspectRatio, label).toBe(small.composition?.aspectRatio);
      expect(
        Math.abs((read.composition?.headroom ?? 0) - (small.composition?.headroom ?? 0)),
        label,
      ).toBeLessThan(0.01);
    }
  }, 120_000);
});

describe('briefFromBlueprint', () => {
  it('turns a photo into a valid brief with the nearest vocabulary entries', () => {
    const brief = briefFromBlueprint(original('laughing').blueprint);
    expect(['laughing', 'duchenne-smile']).toContain(brief.expression?.name);
    expect(brief.light?.rig).toBeDefined();
    expect(brief.light?.key?.azimuth).toBe(
      Math.round(original('laughing').blueprint.light?.azimuth ?? 0),
    );
    expect(brief.camera?.aspectRatio).toBe('4:5');
    expect(brief.aesthetic?.colors?.length).toBeGreaterThan(0);
    const neutral = briefFromBlueprint(original('neutral-blonde').blueprint);
    expect(neutral.expression?.name).not.toBe('laughing');
  });
});
