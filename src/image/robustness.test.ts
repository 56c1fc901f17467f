// A light version of reliability.md IMG-1: cut and mutated files of every accepted format must
// end in a decoded image or a typed IMAGE_* error, never an untyped libvips error or a crash.
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isPortraitistError } from '../errors/index.js';
import { readImage, supportedFormats, type ImageFormat } from './index.js';
import { imageBombs, samplePhotoPath } from '../testing/index.js';

const photo = sharp(await readFile(samplePhotoPath(3))).resize(120);
const encoded: Record<ImageFormat, Buffer> = {
  jpeg: await photo.clone().jpeg().toBuffer(),
  png: await photo.clone().png().toBuffer(),
  webp: await photo.clone().webp().toBuffer(),
  avif: await photo.clone().avif().toBuffer(),
};
const formats = supportedFormats();

/** 'decoded' for a well-formed result, the error code for a typed failure, or the raw message. */
async function outcome(bytes: Uint8Array): Promise<string> {
  try {
    const image = await readImage(bytes);
    return image.data.length === image.width * image.height * 3 ? 'decoded' : 'malformed result';
  } catch (error) {
    return isPortraitistError(error) ? error.code : `untyped: ${String(error)}`;
  }
}

describe('files cut short', () => {
  it.each(formats)('%s cut anywhere from 5% to 95% is IMAGE_TRUNCATED', async (format) => {
    const bytes = encoded[format];
    for (let percent = 5; percent <= 95; percent += 5) {
      const cut = bytes.subarray(0, Math.floor((bytes.length * percent) / 100));
      // JPEG cut inside its header is the exception, tested below.
      if (format === 'jpeg' && percent < 15) continue;
      expect(await outcome(cut), `${format} at ${percent}%`).toBe('IMAGE_TRUNCATED');
    }
  });

  it('a JPEG cut inside its header is IMAGE_CORRUPT', async () => {
    // JPEG has no overall length, and libjpeg reports such a cut exactly as it reports a JPEG
    // signature followed by garbage ("corrupt header … premature end"): no evidence of an image.
    expect(await outcome(encoded.jpeg.subarray(0, 100))).toBe('IMAGE_CORRUPT');
  });
});

describe('mutated files', () => {
  it.each(formats)(
    '%s with random bytes overwritten decodes or fails with a typed error',
    async (format) => {
      const original = encoded[format];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          }),
          async (edits) => {
            const mutant = Buffer.from(original);
            for (const [at, value] of edits) mutant[at] = value;
            expect(await outcome(mutant)).toMatch(/^(decoded|IMAGE_[A-Z_]+)$/);
          },
        ),
        { seed: 20240611, numRuns: Number(process.env.PORTRAITIST_FUZZ_RUNS ?? 60) },
      );
    },
  );
});

describe('the same cut file under concurrency', () => {
  it.each([1, 2, 8])('a truncated JPEG is IMAGE_TRUNCATED at concurrency %i', async (n) => {
    const cut = encoded.jpeg.subarray(0, Math.floor(encoded.jpeg.length * 0.6));
    for (let round = 0; round < 5; round += 1) {
      const codes = await Promise.all(Array.from({ length: n }, () => outcome(cut)));
      expect(new Set(codes)).toEqual(new Set(['IMAGE_TRUNCATED']));
    }
  });
});

describe('files that are not regular files', () => {
  it('refuses a device, a FIFO, a directory and a symlink loop before reading', async () => {
    const { mkdtemp, rm, symlink } = await import('node:fs/promises');
    const { execFileSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-robust-'));
    try {
      const fifo = join(dir, 'fifo.jpg');
      execFileSync('mkfifo', [fifo]);
      const loop = join(dir, 'loop.jpg');
      await symlink(loop, loop);
      for (const path of ['/dev/zero', fifo, dir, loop]) {
        const code = await readImage(path).then(
          () => 'decoded',
          (error: unknown) =>
            isPortraitistError(error) ? error.code : `untyped: ${String(error)}`,
        );
        expect(code, path).toBe('FILE_READ');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bombs under the caps', async () => {
  const bombs = await imageBombs();
  it.each(Object.keys(bombs))(
    '%s: a typed error or a bounded decode, never a hang',
    async (name) => {
      const bytes = bombs[name] as Buffer;
      // The working copy every command takes: at most 4 MP, shrunk on load where the format can.
      const result = await readImage(bytes, { maxDecodedPixels: 4_000_000 }).then(
        (image) => (image.width * image.height <= 4_000_000 ? 'decoded' : 'too many pixels'),
        (error: unknown) => (isPortraitistError(error) ? error.code : `untyped: ${String(error)}`),
      );
      expect(result).toMatch(/^(decoded|IMAGE_TOO_LARGE)$/);
    },
  );
});
