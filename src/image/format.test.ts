import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readImage, sniffFormat, supportedFormats, verifySupportedFormats } from './index.js';
import {
  onePixelPng,
  pngBomb,
  refusedFormatHeads,
  samplePhotoPath,
  seededBytes,
} from '../testing/index.js';

/** Whether this sharp build encodes a tiny AVIF and decodes it back, asked independently. */
async function avifRoundTrips(): Promise<boolean> {
  try {
    const avif = await sharp({
      create: { width: 2, height: 2, channels: 3, background: '#00ff00' },
    })
      .avif()
      .toBuffer();
    const { info } = await sharp(avif).raw().toBuffer({ resolveWithObject: true });
    return info.width === 2;
  } catch {
    return false;
  }
}

describe('sniffFormat', () => {
  it('names our formats from real encoder output', async () => {
    const tiny = sharp({ create: { width: 2, height: 2, channels: 3, background: '#336699' } });
    expect(sniffFormat(await readFile(samplePhotoPath(1)))).toBe('jpeg');
    expect(sniffFormat(onePixelPng(0, 0, 0))).toBe('png');
    expect(sniffFormat(await tiny.clone().webp().toBuffer())).toBe('webp');
    expect(sniffFormat(await tiny.clone().avif().toBuffer())).toBe('avif');
    expect(sniffFormat(await tiny.clone().gif().toBuffer())).toBe('gif');
    expect(sniffFormat(await tiny.clone().tiff().toBuffer())).toBe('tiff');
  });

  it.each(Object.entries(refusedFormatHeads))('names %s from its first bytes', (format, bytes) => {
    expect(sniffFormat(bytes)).toBe(format);
  });

  it('names SVG with a BOM, leading space and no XML prolog, but not other XML', () => {
    expect(sniffFormat(Buffer.from('\uFEFF  <svg viewBox="0 0 1 1"></svg>', 'utf8'))).toBe('svg');
    expect(sniffFormat(Buffer.from('<?xml version="1.0"?><note>hi</note>', 'utf8'))).toBe(
      'unknown',
    );
  });

  it('ignores anything a file name could suggest: only bytes count', () => {
    expect(sniffFormat(Buffer.from('photo.jpg', 'utf8'))).toBe('unknown');
    expect(sniffFormat(seededBytes(64, 3))).toBe('unknown');
    expect(sniffFormat(new Uint8Array(0))).toBe('unknown');
    expect(sniffFormat(Uint8Array.from([0xff, 0xd8]))).toBe('unknown');
  });

  it('reads an ftyp box whose size lies without running past the bytes', () => {
    const lying = Buffer.concat([
      Buffer.from([0x7f, 0xff, 0xff, 0xff]),
      Buffer.from('ftypmif1\0\0\0\0avif', 'latin1'),
    ]);
    expect(sniffFormat(lying)).toBe('avif');
  });

  it('sniffs a bomb as the PNG it claims to be (the header check refuses it later)', () => {
    expect(sniffFormat(pngBomb())).toBe('png');
  });
});

describe('supportedFormats', () => {
  it('always includes JPEG, PNG and WebP', () => {
    expect(supportedFormats()).toEqual(expect.arrayContaining(['jpeg', 'png', 'webp']));
  });

  it('includes AVIF exactly when this sharp build round-trips it', async () => {
    const works = await avifRoundTrips();
    expect(supportedFormats().includes('avif')).toBe(works);
    expect((await verifySupportedFormats()).includes('avif')).toBe(works);
  });

  it('agrees with the formats that really round-trip', async () => {
    expect(await verifySupportedFormats()).toEqual(supportedFormats());
  });
});

describe.runIf(supportedFormats().includes('avif'))('AVIF', () => {
  it('decodes, and maps a file cut short to IMAGE_TRUNCATED', async () => {
    const avif = await sharp(await readFile(samplePhotoPath(2)))
      .resize(160)
      .avif()
      .toBuffer();
    expect(await readImage(avif)).toMatchObject({ width: 160, format: 'avif' });
    // libheif says "Unexpected end of file: Extent in iloc box references data outside of file".
    await expect(readImage(avif.subarray(0, Math.floor(avif.length * 0.4)))).rejects.toMatchObject({
      code: 'IMAGE_TRUNCATED',
    });
  });
});
