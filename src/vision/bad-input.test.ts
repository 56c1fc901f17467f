import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortraitistError } from '../errors/index.js';
import { onePixelPng, pngBomb, readFixture, readSample } from '../testing/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from './index.js';

let vision: Vision;
let rssBefore = 0;
beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
  rssBefore = process.memoryUsage().rss;
}, 60_000);
afterAll(() => vision.dispose());

const codes = (blueprint: Blueprint) => blueprint.warnings.map((w) => w.code);
const solid = async (colour: string, width = 400, height = 500) =>
  new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: colour } })
      .png()
      .toBuffer(),
  );

describe('bad input gives a typed result or error, never a crash', () => {
  it('no face: a photo of a wall', async () => {
    // The top-left of sample5 is staircase and wall, no person.
    const wall = new Uint8Array(
      await sharp(Buffer.from(await readSample(5)))
        .extract({ left: 0, top: 0, width: 300, height: 380 })
        .png()
        .toBuffer(),
    );
    const blueprint = await vision.analyze(wall, { source: 'wall' });
    expect(blueprint.faces).toEqual([]);
    expect(blueprint.faceIndex).toBeNull();
    expect(codes(blueprint)).toContain('no-face');
    expect(blueprint.light).toBeNull();
    expect(blueprint.composition).toBeNull();
    expect(blueprint.palette.frame.length).toBeGreaterThan(0);
  });

  it('several faces: reads the largest and says so', async () => {
    const blueprint = await vision.analyze(await readSample(1));
    expect(blueprint.faces.length).toBe(3);
    expect(codes(blueprint)).toContain('several-faces');
    expect(blueprint.faceIndex).toBe(0);
  });

  it('a face cut by the frame is flagged', async () => {
    const crop = await sharp(Buffer.from(await readFixture('laughing'))).metadata();
    // Cut the frame just below the eyes: the mouth and chin fall outside.
    const cut = new Uint8Array(
      await sharp(Buffer.from(await readFixture('laughing')))
        .extract({
          left: 0,
          top: 0,
          width: crop.width ?? 0,
          height: Math.round((crop.height ?? 0) * 0.36),
        })
        .png()
        .toBuffer(),
    );
    const blueprint = await vision.analyze(cut, { source: 'cut' });
    const flagged = codes(blueprint).includes('face-cut') || codes(blueprint).includes('no-face');
    expect(flagged, codes(blueprint).join(',')).toBe(true);
  });

  it('a tiny face is flagged (or not found)', async () => {
    const tiny = new Uint8Array(
      await sharp(Buffer.from(await readFixture('neutral-blonde')))
        .resize(96)
        .png()
        .toBuffer(),
    );
    const blueprint = await vision.analyze(tiny, { source: 'tiny' });
    const flagged = codes(blueprint).includes('tiny-face') || codes(blueprint).includes('no-face');
    expect(flagged, codes(blueprint).join(',')).toBe(true);
  });

  it.each([
    ['black', '#000000'],
    ['white', '#ffffff'],
  ])('a %s frame: no face, blank frame', async (_name, colour) => {
    const blueprint = await vision.analyze(await solid(colour), { source: colour });
    expect(codes(blueprint)).toEqual(expect.arrayContaining(['no-face', 'blank-frame']));
    expect(blueprint.quality.noise).toBe(0);
  });

  it('a 1×1 image: too small to hold a face, no detector run', async () => {
    const blueprint = await vision.analyze(new Uint8Array(onePixelPng(10, 20, 30)), {
      source: '1x1',
    });
    expect(blueprint.image).toMatchObject({ width: 1, height: 1 });
    expect(blueprint.timings['detect']).toBeUndefined();
    expect(blueprint.warnings.find((w) => w.code === 'no-face')?.message).toBe(
      'the image is 1×1: too small to hold a face',
    );
  });

  it('a truncated JPEG is a typed error naming the file', async () => {
    const bytes = await readSample(2);
    const error = await vision
      .analyze(bytes.subarray(0, Math.floor(bytes.length * 0.4)), { source: 'half.jpg' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortraitistError);
    expect(error).toMatchObject({ code: 'IMAGE_TRUNCATED', source: 'half.jpg' });
  });

  it('a PNG bomb is refused from its header', async () => {
    const error = await vision
      .analyze(new Uint8Array(pngBomb()), { source: 'bomb.png' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IMAGE_TOO_LARGE', source: 'bomb.png' });
  });

  it('memory stays bounded over all of the above', () => {
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(600 * 1024 * 1024);
  });
});

describe('warnings from geometry', () => {
  it('a three-quarter face (yaw about 27°) is not mistaken for a profile', async () => {
    // No packaged photo holds a true profile, so only the negative case is shown on a real face.
    const blueprint = await vision.analyze(await readFixture('neutral-dark-hair'));
    const yaw = Math.abs(blueprint.faces[0]?.headPose.yaw ?? 0);
    expect(yaw).toBeGreaterThan(15);
    expect(codes(blueprint)).not.toContain('profile');
  });
});
