import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  FLATTEN_BACKGROUND,
  cropRgb,
  encodePng,
  flipHorizontal,
  fromSharp,
  readImage,
  toSharp,
  type RgbImage,
} from './index.js';

/** A width × height image whose pixel (x, y) is (x, y, 7), so positions can be read back. */
function coordinateImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) data.set([x, y, 7], (y * width + x) * 3);
  }
  return { width, height, data, format: 'png', source: 'coordinates' };
}

function pixelAt(image: RgbImage, x: number, y: number): number[] {
  const at = (y * image.width + x) * 3;
  return Array.from(image.data.subarray(at, at + 3));
}

describe('flipHorizontal', () => {
  it('mirrors every row and keeps the rest of the image', () => {
    const image = coordinateImage(5, 3);
    const flipped = flipHorizontal(image);
    expect(flipped).toMatchObject({ width: 5, height: 3, format: 'png', source: 'coordinates' });
    for (let y = 0; y < 3; y += 1) {
      for (let x = 0; x < 5; x += 1) expect(pixelAt(flipped, x, y)).toEqual([4 - x, y, 7]);
    }
    expect(flipHorizontal(flipped).data).toEqual(image.data);
  });

  it('does not touch the input', () => {
    const image = coordinateImage(3, 2);
    const before = Uint8Array.from(image.data);
    flipHorizontal(image);
    expect(image.data).toEqual(before);
  });
});

describe('cropRgb', () => {
  it('copies the pixels inside the box', () => {
    const crop = cropRgb(coordinateImage(10, 8), { left: 2, top: 3, width: 4, height: 2 });
    expect([crop.width, crop.height, crop.data.length]).toEqual([4, 2, 24]);
    expect(pixelAt(crop, 0, 0)).toEqual([2, 3, 7]);
    expect(pixelAt(crop, 3, 1)).toEqual([5, 4, 7]);
  });

  it('clamps a box that overhangs the frame', () => {
    const crop = cropRgb(coordinateImage(10, 8), { left: -3, top: 6, width: 5, height: 10 });
    expect([crop.width, crop.height]).toEqual([2, 2]);
    expect(pixelAt(crop, 0, 0)).toEqual([0, 6, 7]);
    expect(pixelAt(crop, 1, 1)).toEqual([1, 7, 7]);
  });

  it('rounds fractional boxes and gives 0×0 for a box wholly outside', () => {
    const image = coordinateImage(10, 8);
    expect(cropRgb(image, { left: 1.4, top: 0.6, width: 2.2, height: 1 })).toMatchObject({
      width: 2,
      height: 1,
    });
    const outside = cropRgb(image, { left: 20, top: 20, width: 5, height: 5 });
    expect([outside.width, outside.height, outside.data.length]).toEqual([0, 0, 0]);
    expect(cropRgb(image, { left: Number.NaN, top: 0, width: 3, height: 3 }).width).toBe(3);
  });
});

describe('sharp bridges', () => {
  it('encodes pixels as a PNG that decodes to the same pixels', async () => {
    const image = coordinateImage(6, 4);
    const png = await encodePng(image);
    const back = await readImage(png);
    expect(back).toMatchObject({ width: 6, height: 4, format: 'png' });
    expect(back.data).toEqual(image.data);
  });

  it('writes no metadata into the PNG', async () => {
    const metadata = await sharp(await encodePng(coordinateImage(2, 2))).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.icc).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
  });

  it('runs a pipeline to RGB pixels and back through toSharp', async () => {
    const resized = await fromSharp(toSharp(coordinateImage(8, 8)).resize(4, 4), 'png', 'small');
    expect(resized).toMatchObject({ width: 4, height: 4, format: 'png', source: 'small' });
    expect(resized.data.length).toBe(4 * 4 * 3);
  });

  it('turns grey, alpha and 16-bit pipelines into 8-bit RGB on mid grey', async () => {
    const halfClearGrey = sharp({
      create: { width: 3, height: 3, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .greyscale()
      .toColourspace('grey16');
    const image = await fromSharp(halfClearGrey, 'png', 'alpha');
    expect(image.data.length).toBe(3 * 3 * 3);
    expect(FLATTEN_BACKGROUND).toBe('#808080');
    expect(pixelAt(image, 1, 1)).toEqual([128, 128, 128]);
  });
});
