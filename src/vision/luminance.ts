// Per-pixel luminance planes computed once per photo and shared by light, quality and palette.
import { relativeLuminance, srgbToLinear } from '../image/index.js';
import type { RgbImage } from '../image/index.js';

/** Linear relative luminance (0..1) and 8-bit perceptual grey of every pixel. */
export interface LuminancePlanes {
  readonly width: number;
  readonly height: number;
  readonly linear: Float32Array;
  readonly grey: Uint8Array;
}

export function luminancePlanes(image: RgbImage): LuminancePlanes {
  const { width, height, data } = image;
  // Lookup tables keep the per-pixel work to three loads and a few multiply-adds.
  const red = new Float32Array(256);
  const green = new Float32Array(256);
  const blue = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const linear = srgbToLinear(v);
    red[v] = 0.2126 * linear;
    green[v] = 0.7152 * linear;
    blue[v] = 0.0722 * linear;
  }
  const count = width * height;
  const linear = new Float32Array(count);
  const grey = new Uint8Array(count);
  for (let i = 0, p = 0; i < count; i++, p += 3) {
    const r = data[p] as number;
    const g = data[p + 1] as number;
    const b = data[p + 2] as number;
    linear[i] = (red[r] as number) + (green[g] as number) + (blue[b] as number);
    // Rec. 709 luma on the encoded values: the grey that sharpness and noise are judged on.
    grey[i] = (54 * r + 183 * g + 19 * b) >> 8;
  }
  return { width, height, linear, grey };
}

/** Mean linear luminance of a square patch (clamped to the frame). */
export function patchMean(planes: LuminancePlanes, x: number, y: number, radius: number): number {
  const x0 = Math.max(0, Math.floor(x - radius));
  const x1 = Math.min(planes.width - 1, Math.ceil(x + radius));
  const y0 = Math.max(0, Math.floor(y - radius));
  const y1 = Math.min(planes.height - 1, Math.ceil(y + radius));
  if (x1 < x0 || y1 < y0) return Number.NaN;
  let sum = 0;
  let count = 0;
  for (let yy = y0; yy <= y1; yy++) {
    const row = yy * planes.width;
    for (let xx = x0; xx <= x1; xx++) {
      sum += planes.linear[row + xx] ?? 0;
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

export { relativeLuminance };
