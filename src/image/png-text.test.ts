import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readImage, readPngText, stripPngMetadata, withPngText } from './index.js';

describe('PNG provenance text', () => {
  it('round-trips UTF-8 entries and keeps the image decodable', async () => {
    const png = new Uint8Array(
      await sharp({ create: { width: 8, height: 6, channels: 3, background: '#336699' } })
        .png()
        .toBuffer(),
    );
    const tagged = withPngText(png, {
      parameters: 'a portrait, café light\nNegative prompt: cgi\nSteps: 30, Seed: 7',
      portraitist: '{"brief":{"title":"Zoë"}}',
    });
    expect(readPngText(tagged)).toEqual({
      parameters: 'a portrait, café light\nNegative prompt: cgi\nSteps: 30, Seed: 7',
      portraitist: '{"brief":{"title":"Zoë"}}',
    });
    const image = await readImage(tagged);
    expect(image).toMatchObject({ width: 8, height: 6 });
    // Re-encoding (the strip-metadata path) drops it.
    expect(readPngText(new Uint8Array(await sharp(Buffer.from(tagged)).png().toBuffer()))).toEqual(
      {},
    );
  });

  it('refuses non-PNG bytes and bad keywords with typed errors', () => {
    expect(() => withPngText(new Uint8Array([0xff, 0xd8, 0xff]), { a: 'b' })).toThrow(
      expect.objectContaining({ code: 'IMAGE_UNSUPPORTED' }),
    );
    expect(() =>
      withPngText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0]), {
        'bad\nkey': 'b',
      }),
    ).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('replaces an entry already there under the same keyword instead of doubling it', async () => {
    const png = new Uint8Array(
      await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
        .png()
        .toBuffer(),
    );
    const fromServer = withPngText(png, { parameters: 'server text', prompt: '{"3":{}}' });
    const ours = withPngText(fromServer, { parameters: 'our text' });
    expect(readPngText(ours)).toEqual({ prompt: '{"3":{}}', parameters: 'our text' });
    const keywords =
      Buffer.from(ours)
        .toString('latin1')
        .match(/parameters\0/g) ?? [];
    expect(keywords).toHaveLength(1);
  });

  it('strips every metadata chunk losslessly, keeping the pixels byte for byte', async () => {
    const source = sharp({ create: { width: 16, height: 9, channels: 3, background: '#a05030' } });
    const png = new Uint8Array(
      await source
        .withExif({ IFD0: { Copyright: 'someone' } })
        .png()
        .toBuffer(),
    );
    const tagged = withPngText(png, { parameters: 'p', workflow: '{}' });
    const stripped = stripPngMetadata(tagged);
    expect(readPngText(stripped)).toEqual({});
    expect((await sharp(Buffer.from(stripped)).metadata()).exif).toBeUndefined();
    expect((await sharp(Buffer.from(png)).metadata()).exif).toBeDefined();
    const [before, after] = await Promise.all(
      [tagged, stripped].map((b) => sharp(Buffer.from(b)).raw().toBuffer()),
    );
    expect(after?.equals(before ?? Buffer.alloc(0))).toBe(true);
    expect(stripped.length).toBeLessThan(tagged.length);
    expect(() => stripPngMetadata(new Uint8Array([0xff, 0xd8, 0xff]))).toThrow(
      expect.objectContaining({ code: 'IMAGE_UNSUPPORTED' }),
    );
  });
});
