// Decoded pixels as plain data, and the bridges between them and sharp pipelines.
import sharp, { type Sharp } from 'sharp';
import { PortraitistError } from '../errors/index.js';
import type { ImageFormat } from './format.js';

/** Decoded 8-bit sRGB RGB pixels with EXIF orientation applied. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, row by row from the top left; length `width * height * 3`. */
  readonly data: Uint8Array;
  /** The format the pixels were decoded from. */
  readonly format: ImageFormat;
  /** The name used in errors: a path, an upload name or `<buffer>`. */
  readonly source: string;
}

/** A rectangle in pixels, from the top-left corner. */
export interface PixelBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where alpha goes when an image is flattened: mid grey. White or black would read as a blown-out
 * or low-key backdrop and drag luminance, contrast and light-direction estimates towards one end;
 * mid grey is neutral in both tone and hue, so a cut-out subject is measured as itself.
 */
export const FLATTEN_BACKGROUND = '#808080';

const RGB_CHANNELS = 3;

/** A sharp pipeline over the raw pixels of an image, for resizing, encoding and other operations. */
export function toSharp(image: RgbImage): Sharp {
  const pixels = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return sharp(pixels, {
    raw: { width: image.width, height: image.height, channels: RGB_CHANNELS },
  });
}

/** Encodes an image as PNG, with no metadata at all (sharp strips it by default). */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  return toSharp(image).png().toBuffer();
}

/** Copies one grey channel into three equal RGB channels. */
function greyToRgb(grey: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(grey.length * RGB_CHANNELS);
  for (let i = 0; i < grey.length; i += 1) {
    const value = grey[i] ?? 0;
    rgb[i * 3] = value;
    rgb[i * 3 + 1] = value;
    rgb[i * 3 + 2] = value;
  }
  return rgb;
}

/** Runs any sharp pipeline to 8-bit sRGB RGB pixels, flattening alpha onto mid grey. */
export async function fromSharp(
  pipeline: Sharp,
  format: ImageFormat,
  source: string,
): Promise<RgbImage> {
  const { data, info } = await pipeline
    .flatten({ background: FLATTEN_BACKGROUND })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  // A plain Uint8Array view (no copy): Buffer's slice() shares memory, a trap for pixel code.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // greyscale() in the pipeline wins over toColourspace('srgb') and leaves one channel.
  if (info.channels === 1 && bytes.length === pixels) {
    return { width: info.width, height: info.height, data: greyToRgb(bytes), format, source };
  }
  if (info.channels !== RGB_CHANNELS || bytes.length !== pixels * RGB_CHANNELS) {
    // Unreachable with the steps above; guarded because every consumer indexes `data` blindly.
    throw new PortraitistError(
      'INTERNAL',
      `sharp returned ${info.channels} channels of ${info.width}×${info.height}; expected RGB`,
      { source },
    );
  }
  return { width: info.width, height: info.height, data: bytes, format, source };
}

/** The image mirrored left to right (pure JavaScript, no sharp). */
export function flipHorizontal(image: RgbImage): RgbImage {
  const { width, height } = image;
  const flipped = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y += 1) {
    const row = y * width * RGB_CHANNELS;
    for (let x = 0; x < width; x += 1) {
      const from = row + x * RGB_CHANNELS;
      const to = row + (width - 1 - x) * RGB_CHANNELS;
      flipped[to] = image.data[from] ?? 0;
      flipped[to + 1] = image.data[from + 1] ?? 0;
      flipped[to + 2] = image.data[from + 2] ?? 0;
    }
  }
  return { ...image, data: flipped };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Rounds a box edge, treating NaN and infinities as 0 so a bad box crops to nothing. */
function edge(value: number): number {
  return Number.isFinite(value) ? Math.round(value) : 0;
}

/**
 * The pixels inside a box (pure JavaScript); the box is rounded to whole pixels and clamped to
 * the frame, so a box wholly outside the image gives a 0×0 image.
 */
export function cropRgb(image: RgbImage, box: PixelBox): RgbImage {
  const left = clamp(edge(box.left), 0, image.width);
  const top = clamp(edge(box.top), 0, image.height);
  const right = clamp(edge(box.left) + edge(box.width), left, image.width);
  const bottom = clamp(edge(box.top) + edge(box.height), top, image.height);
  const width = right - left;
  const height = bottom - top;
  const cropped = new Uint8Array(width * height * RGB_CHANNELS);
  const rowBytes = width * RGB_CHANNELS;
  for (let y = 0; y < height; y += 1) {
    const from = ((top + y) * image.width + left) * RGB_CHANNELS;
    cropped.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { ...image, width, height, data: cropped };
}
