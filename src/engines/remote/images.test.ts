// candidatePng: what an engine server sends as a picture is untrusted; PNG passes as it is, JPEG
// and WebP become PNG, and anything else is ENGINE_FAILED naming the service.
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { isPortraitistError, type PortraitistError } from '../../errors/index.js';
import * as image from '../../image/index.js';
import { createFakeRenderer } from '../../testing/index.js';
import { candidatePng } from './images.js';

// readImage as it is, watched, to see which limits the conversion decodes under.
vi.mock('../../image/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof image>();
  return { ...actual, readImage: vi.fn(actual.readImage) };
});

async function failure(promise: Promise<unknown>): Promise<PortraitistError> {
  try {
    await promise;
  } catch (error) {
    if (!isPortraitistError(error)) throw error;
    return error;
  }
  throw new Error('expected a PortraitistError but the call resolved');
}

const renderer = createFakeRenderer();
let png: Uint8Array;
let jpeg: Uint8Array;
let webp: Uint8Array;
beforeAll(async () => {
  [png, jpeg, webp] = await Promise.all([
    renderer.render(7, 96, 120, 'png'),
    renderer.render(7, 96, 120, 'jpeg'),
    renderer.render(7, 96, 120, 'webp'),
  ]);
});

/** Mean absolute difference per channel between two images' pixels (0 = identical). */
async function difference(a: Uint8Array, b: Uint8Array): Promise<number> {
  const [x, y] = await Promise.all(
    [a, b].map((bytes) => sharp(Buffer.from(bytes)).removeAlpha().raw().toBuffer()),
  );
  if (x === undefined || y === undefined || x.length !== y.length) return Infinity;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs((x[i] ?? 0) - (y[i] ?? 0));
  return sum / x.length;
}

describe('candidatePng', () => {
  it('returns PNG bytes unchanged', async () => {
    const out = await candidatePng(png, 'ComfyUI', 'image 1 of prompt abc');
    expect(Buffer.from(out).equals(Buffer.from(png))).toBe(true);
  });

  for (const format of ['jpeg', 'webp'] as const) {
    it(`converts ${format} to a PNG of the same picture`, async () => {
      const source = format === 'jpeg' ? jpeg : webp;
      expect((await sharp(Buffer.from(source)).metadata()).format).toBe(format);
      const out = await candidatePng(source, 'A1111', `sample 1 (${format})`);
      expect(out).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(out.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
      const meta = await sharp(Buffer.from(out)).metadata();
      expect(meta.format).toBe('png');
      expect([meta.width, meta.height]).toEqual([96, 120]);
      // The same pixels as the source decodes to (PNG is lossless).
      expect(await difference(out, source)).toBeLessThan(1);
      // And it is itself accepted as a PNG on the way back in.
      const again = await candidatePng(out, 'A1111', 'converted');
      expect(Buffer.from(again).equals(Buffer.from(out))).toBe(true);
    });
  }

  it('decodes a conversion under the caller’s limits', async () => {
    const limits = { maxPixels: 96 * 120, maxBytes: 1024 * 1024 };
    vi.mocked(image.readImage).mockClear();
    await candidatePng(jpeg, 'OpenAI', 'image 1', limits);
    expect(vi.mocked(image.readImage)).toHaveBeenCalledTimes(1);
    expect(vi.mocked(image.readImage).mock.calls[0]?.[1]).toMatchObject({ limits });
  });

  it('refuses bytes that are not an image, naming the service', async () => {
    const text = new TextEncoder().encode('{"error":"Internal Server Error"}');
    const error = await failure(candidatePng(text, 'ComfyUI', 'image 2 of prompt abc'));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('ComfyUI');
    expect(error.message).toContain('image 2 of prompt abc');
    expect(error.message).toContain('IMAGE_UNSUPPORTED');
    expect((error.cause as PortraitistError).code).toBe('IMAGE_UNSUPPORTED');
  });

  it('refuses a PNG cut short', async () => {
    const cut = png.subarray(0, png.length - 20);
    const error = await failure(candidatePng(cut, 'ComfyUI', 'image 1 of prompt abc'));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('ComfyUI');
    expect(error.message).toContain('IMAGE_TRUNCATED');
    expect((error.cause as PortraitistError).code).toBe('IMAGE_TRUNCATED');
  });

  it('refuses a JPEG cut short', async () => {
    const cut = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const error = await failure(candidatePng(cut, 'A1111', 'sample 3'));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('A1111');
    expect(error.message).toContain('sample 3');
  });

  it('refuses an empty answer', async () => {
    const error = await failure(candidatePng(new Uint8Array(0), 'OpenAI', 'image 1'));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('OpenAI');
    expect(error.message).toContain('IMAGE_EMPTY');
    expect(error.issues.length).toBeGreaterThan(0);
  });

  it('applies the caller’s limits to the header', async () => {
    const error = await failure(candidatePng(png, 'ComfyUI', 'image 1', { maxPixels: 100 }));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('IMAGE_TOO_LARGE');
    const refused = await failure(candidatePng(webp, 'A1111', 'image 1', { formats: ['png'] }));
    expect(refused.code).toBe('ENGINE_FAILED');
    expect(refused.message).toContain('IMAGE_UNSUPPORTED');
  });
});
