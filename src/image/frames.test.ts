import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PortraitistError } from '../errors/index.js';
import { probeImage, readImage } from './decode.js';
import { countWebpFrames } from './frames.js';
import { animatedWebp } from '../testing/index.js';

describe('animated images', () => {
  it('counts the frames of an animated WebP, and 1 for a still one', async () => {
    expect(countWebpFrames(await animatedWebp(37))).toBe(37);
    const still = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .webp()
      .toBuffer();
    expect(countWebpFrames(still)).toBe(1);
  });

  it('refuses 100,000 frames before the header probe, naming the frame count', async () => {
    // libvips' own probe of this file takes seconds and grows with the square of the frames.
    const bomb = await animatedWebp(100_000);
    const error = await probeImage(bomb, { source: 'frames.webp' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortraitistError);
    expect((error as PortraitistError).code).toBe('IMAGE_TOO_LARGE');
    expect((error as PortraitistError).message).toContain('100000 frames; the limit is 1000');
  });

  it('reads the first frame of an animation within the cap', async () => {
    const image = await readImage(await animatedWebp(20, 8));
    expect([image.width, image.height]).toEqual([8, 8]);
  });

  it('refuses a frame limit that is not a positive whole number', async () => {
    await expect(readImage(await animatedWebp(2), { limits: { maxFrames: 0 } })).rejects.toThrow(
      /maxFrames/,
    );
  });
});

describe('a working resolution', () => {
  it('decodes a 7000×7000 flat JPEG (a bomb under the pixel cap) to the pixel budget', async () => {
    const flat = await sharp({
      create: { width: 7000, height: 7000, channels: 3, background: '#7a6a5a' },
    })
      .jpeg({ quality: 50 })
      .toBuffer();
    const image = await readImage(flat, { maxDecodedPixels: 4_000_000 });
    expect(image.width * image.height).toBeLessThanOrEqual(4_000_000);
    expect(image.width).toBe(image.height);
    expect(image.width).toBeGreaterThan(1990);
    // The colour survives the shrink.
    expect(Math.abs((image.data[0] ?? 0) - 0x7a)).toBeLessThanOrEqual(3);
  });

  it('leaves an image within the budget at its own size', async () => {
    const small = await sharp({
      create: { width: 64, height: 48, channels: 3, background: '#fff' },
    })
      .png()
      .toBuffer();
    const image = await readImage(small, { maxDecodedPixels: 1_000_000 });
    expect([image.width, image.height]).toEqual([64, 48]);
  });

  it('stops a decode that runs past its time limit with a typed error', async () => {
    // 49 MP of noise as a progressive JPEG: seconds to decode here, far more than one.
    const side = 7000;
    const noise = new Uint8Array(side * side * 3);
    let state = 12345;
    for (let i = 0; i < noise.length; i += 1) {
      state = (state * 1103515245 + 12345) >>> 0;
      noise[i] = state >>> 24;
    }
    const slow = await sharp(noise, { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ progressive: true, quality: 95 })
      .toBuffer();
    const error = await readImage(slow, {
      limits: { decodeSeconds: 1 },
      source: 'slow.jpg',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortraitistError);
    expect((error as PortraitistError).code).toBe('IMAGE_TOO_LARGE');
    expect((error as PortraitistError).message).toContain('longer than 1 s');
  });
});
