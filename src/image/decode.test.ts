import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PortraitistError, type ErrorCode } from '../errors/index.js';
import {
  defaultImageLimits,
  probeImage,
  readImage,
  supportedFormats,
  type ImageFileSystem,
  type RgbImage,
} from './index.js';
import {
  onePixelPng,
  pngBomb,
  refusedFormatHeads,
  samplePhotoPath,
  samplePhotoSizes,
  seededBytes,
} from '../testing/index.js';

/** Awaits a call that must fail and returns its PortraitistError. */
async function failureOf(run: () => Promise<unknown>): Promise<PortraitistError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitistError);
    return error as PortraitistError;
  }
  throw new Error('expected an error, but the call succeeded');
}

/** The pixel at (x, y) as [r, g, b]. */
function pixelAt(image: RgbImage, x: number, y: number): number[] {
  const at = (y * image.width + x) * 3;
  return Array.from(image.data.subarray(at, at + 3));
}

/** Asserts the error follows the shape every image error has. */
function expectImageError(error: PortraitistError, code: ErrorCode, source: string): void {
  expect(error.code).toBe(code);
  expect(error.source).toBe(source);
  expect(error.message).not.toContain('\n');
  expect(error.issues).toHaveLength(1);
  expect(error.issues[0]?.path).toBe('image');
  expect(error.issues[0]?.message).toMatch(
    /^expected .+ for `image` but (received|the decoder said)/,
  );
}

const sample1 = await readFile(samplePhotoPath(1));

describe('readImage on real photos', () => {
  it('decodes a sample photo to its size, three channels and the path as source', async () => {
    const path = samplePhotoPath(1);
    const image = await readImage(path);
    expect(image).toMatchObject({ ...samplePhotoSizes[1], format: 'jpeg', source: path });
    expect(image.data.length).toBe(1920 * 1280 * 3);
  });

  it.each([2, 3, 4, 5, 6] as const)('probes sample%i to its known size', async (index) => {
    const probe = await probeImage(samplePhotoPath(index));
    expect(probe).toEqual({ ...samplePhotoSizes[index], format: 'jpeg', orientation: 1 });
  });

  it('decodes bytes, naming them <buffer> unless a source is given', async () => {
    expect((await readImage(sample1)).source).toBe('<buffer>');
    expect((await readImage(sample1, { source: 'upload.jpg' })).source).toBe('upload.jpg');
  });

  it('decodes the same photo re-encoded as PNG, WebP and (when supported) AVIF', async () => {
    const small = sharp(sample1).resize(96);
    const encodings = {
      png: await small.clone().png().toBuffer(),
      webp: await small.clone().webp().toBuffer(),
      avif: await small.clone().avif().toBuffer(),
    };
    for (const format of supportedFormats().filter((f) => f !== 'jpeg')) {
      const image = await readImage(encodings[format]);
      expect(image.format).toBe(format);
      expect(image.width).toBe(96);
      expect(image.data.length).toBe(image.width * image.height * 3);
    }
  });

  it('decodes a hand-built 1×1 PNG', async () => {
    const image = await readImage(onePixelPng(200, 100, 50));
    expect(image).toMatchObject({ width: 1, height: 1, format: 'png' });
    expect(Array.from(image.data)).toEqual([200, 100, 50]);
  });

  it('flattens transparency onto mid grey', async () => {
    const clear = await sharp({
      create: { width: 2, height: 2, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const image = await readImage(clear);
    expect(pixelAt(image, 0, 0)).toEqual([128, 128, 128]);
  });
});

describe('EXIF orientation', () => {
  // 40 wide, 20 high, stored with a red block in the top-left corner and orientation 6, which
  // means "turn a quarter clockwise to view": upright it is 20 × 40 with the block top-right.
  const sideways = sharp({ create: { width: 40, height: 20, channels: 3, background: '#000000' } })
    .composite([
      {
        input: { create: { width: 6, height: 6, channels: 3, background: '#ff0000' } },
        left: 0,
        top: 0,
      },
    ])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toBuffer();

  it('is applied by readImage: size swapped and the marked corner moved', async () => {
    const image = await readImage(await sideways);
    expect([image.width, image.height]).toEqual([20, 40]);
    const [r, g, b] = pixelAt(image, 18, 1);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
    expect(pixelAt(image, 1, 1)[0]).toBeLessThan(60);
    expect(pixelAt(image, 1, 38)[0]).toBeLessThan(60);
  });

  it('is reported by probeImage as the upright size', async () => {
    expect(await probeImage(await sideways)).toEqual({
      width: 20,
      height: 40,
      format: 'jpeg',
      orientation: 6,
    });
  });

  it('probeImage reads the header only: a truncated file still probes', async () => {
    const cut = sample1.subarray(0, Math.floor(sample1.length * 0.4));
    expect(await probeImage(cut)).toMatchObject({ width: 1920, height: 1280 });
    await expect(readImage(cut)).rejects.toMatchObject({ code: 'IMAGE_TRUNCATED' });
  });
});

describe('bad input', () => {
  it('maps a JPEG cut at 40% to IMAGE_TRUNCATED', async () => {
    // libjpeg says "premature end of JPEG image" once the header has been read; failOn 'error'
    // makes that fatal instead of decoding grey rows "best effort".
    const cut = sample1.subarray(0, Math.floor(sample1.length * 0.4));
    const error = await failureOf(() => readImage(cut, { source: 'cut.jpg' }));
    expectImageError(error, 'IMAGE_TRUNCATED', 'cut.jpg');
    expect(error.message).toBe('the JPEG data ends early; the file looks cut short');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('maps PNG and WebP cut short to IMAGE_TRUNCATED (the container proves bytes are missing)', async () => {
    const small = sharp(sample1).resize(200);
    for (const bytes of [
      await small.clone().png().toBuffer(),
      await small.clone().webp().toBuffer(),
    ]) {
      const error = await failureOf(() =>
        readImage(bytes.subarray(0, Math.floor(bytes.length * 0.6))),
      );
      expectImageError(error, 'IMAGE_TRUNCATED', '<buffer>');
    }
  });

  it('maps random bytes to IMAGE_UNSUPPORTED', async () => {
    const error = await failureOf(() => readImage(seededBytes(4096, 7)));
    expectImageError(error, 'IMAGE_UNSUPPORTED', '<buffer>');
    expect(error.message).toMatch(/^not a recognised image; accepted formats are JPEG, PNG/);
    expect(error.issues[0]?.message).toMatch(
      /received bytes of no known image format \(starting [0-9a-f ]+\)$/,
    );
  });

  it('maps a JPEG signature followed by garbage to IMAGE_CORRUPT', async () => {
    const garbage = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), seededBytes(2000, 11)]);
    const error = await failureOf(() => readImage(garbage));
    expectImageError(error, 'IMAGE_CORRUPT', '<buffer>');
    expect(error.message).toBe('the JPEG data is corrupt and cannot be decoded');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it.each(Object.entries(refusedFormatHeads))(
    'refuses %s by its magic bytes with IMAGE_UNSUPPORTED naming it',
    async (format, bytes) => {
      const error = await failureOf(() => readImage(bytes, { source: 'renamed.jpg' }));
      expectImageError(error, 'IMAGE_UNSUPPORTED', 'renamed.jpg');
      // The message comes from our own sniffing, so these bytes never reached sharp.
      expect(error.message).toMatch(new RegExp(`^${format.toUpperCase()} images are not accepted`));
      expect(error.issues[0]?.message).toContain(`received a ${format.toUpperCase()} image`);
    },
  );

  it('refuses a real GIF made by sharp, not only a hand-made header', async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#123456' } })
      .gif()
      .toBuffer();
    await expect(readImage(gif)).rejects.toMatchObject({ code: 'IMAGE_UNSUPPORTED' });
  });

  it('refuses a format left out of limits.formats, naming both sides', async () => {
    const error = await failureOf(() =>
      readImage(sample1, { limits: { formats: ['png', 'webp'] } }),
    );
    expect(error.code).toBe('IMAGE_UNSUPPORTED');
    expect(error.message).toBe('JPEG images are not accepted; accepted formats are PNG or WebP');
  });

  it('maps empty input to IMAGE_EMPTY', async () => {
    const error = await failureOf(() => readImage(new Uint8Array(0)));
    expectImageError(error, 'IMAGE_EMPTY', '<buffer>');
  });
});

describe('limits', () => {
  it('refuses a PNG bomb from its header, quickly and without allocating pixels', async () => {
    const bomb = pngBomb(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    const rssBefore = process.memoryUsage().rss;
    const error = await failureOf(() => readImage(bomb, { source: 'bomb.png' }));
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expectImageError(error, 'IMAGE_TOO_LARGE', 'bomb.png');
    expect(error.message).toBe(
      'the image is 100000×100000 (10000 megapixels); the limit is 50 megapixels',
    );
    expect(rssGrowth).toBeLessThan(200 * 1024 * 1024);
  });

  it('probeImage refuses the bomb too', async () => {
    await expect(probeImage(pngBomb())).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });

  it('applies a lower pixel cap to a real photo', async () => {
    const error = await failureOf(() => readImage(sample1, { limits: { maxPixels: 1_000_000 } }));
    expect(error.code).toBe('IMAGE_TOO_LARGE');
    expect(error.message).toBe(
      'the image is 1920×1280 (2.46 megapixels); the limit is 1 megapixels',
    );
  });

  it('applies the byte cap before looking at the bytes', async () => {
    const error = await failureOf(() => readImage(sample1, { limits: { maxBytes: 100_000 } }));
    expectImageError(error, 'IMAGE_TOO_LARGE', '<buffer>');
    expect(error.issues[0]?.message).toBe(
      `expected at most 100000 bytes for \`image\` but received ${sample1.length} bytes`,
    );
  });

  it('gives exact numbers when rounding would make size and limit look equal', async () => {
    const justOver = await failureOf(() =>
      readImage(sample1, { limits: { maxBytes: sample1.length - 1 } }),
    );
    expect(justOver.message).toBe(
      `the image is ${sample1.length} bytes; the limit is ${sample1.length - 1} bytes`,
    );
    const onePixelOver = await failureOf(() =>
      readImage(sample1, { limits: { maxPixels: 1920 * 1280 - 1 } }),
    );
    expect(onePixelOver.message).toBe(
      'the image is 1920×1280 (2457600 pixels); the limit is 2457599 pixels',
    );
  });

  it('checks the byte cap from stat before reading a file into memory', async () => {
    const fs: ImageFileSystem = {
      stat: () => Promise.resolve({ size: 10 * 1024 * 1024 * 1024 }),
      readFile: () => Promise.reject(new Error('the file must not be read')),
    };
    const error = await failureOf(() => readImage('/uploads/huge.jpg', { fs }));
    expectImageError(error, 'IMAGE_TOO_LARGE', '/uploads/huge.jpg');
    expect(error.message).toBe('the image is 10 GiB; the limit is 64 MiB');
  });

  it('refuses limits sharp would read as "no limit"', async () => {
    const error = await failureOf(() => readImage(sample1, { limits: { maxPixels: 0 } }));
    expect(error.code).toBe('USAGE');
    expect(error.issues[0]?.path).toBe('limits.maxPixels');
  });

  it('defaults to 64 MiB, 50 megapixels, 1,000 frames, 60 s and the formats this build decodes', () => {
    expect(defaultImageLimits).toEqual({
      maxBytes: 64 * 1024 * 1024,
      maxPixels: 50_000_000,
      formats: supportedFormats(),
      maxFrames: 1000,
      decodeSeconds: 60,
    });
    expect(Object.isFrozen(defaultImageLimits)).toBe(true);
  });
});

describe('reading files', () => {
  it('reports a missing file as FILE_NOT_FOUND', async () => {
    const missing = join(tmpdir(), 'portraitist-no-such-image.jpg');
    const error = await failureOf(() => readImage(missing));
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', source: missing });
  });

  it('reads through an injected file system', async () => {
    const read: string[] = [];
    const fs: ImageFileSystem = {
      readFile: (path) => {
        read.push(path);
        return Promise.resolve(onePixelPng(1, 2, 3));
      },
    };
    const image = await readImage('memory://pixel.png', { fs });
    expect(read).toEqual(['memory://pixel.png']);
    expect(image).toMatchObject({ width: 1, height: 1, source: 'memory://pixel.png' });
  });
});
