import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readImage, readPngText, withPngText } from './index.js';

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
});
