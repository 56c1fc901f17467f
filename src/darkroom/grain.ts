// Film grain: a seeded noise field, softened to the grain size, added in encoded (perceptual)
// space with a strength that follows the tone, strongest in the mid-tones as on a print.
import type { FilmStock } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import type { RgbImage } from '../image/index.js';

/** How much grain, how coarse, and which seed makes it repeatable. */
export interface GrainSettings {
  /** 0..1: 0 adds nothing; 1 is very heavy grain (ISO 3200 push film and beyond). */
  readonly amount: number;
  /** Grain diameter in pixels, 0.5..16; default scales with the image's long side. */
  readonly size?: number;
  /** Any finite number; the same seed on the same image gives the same grain. */
  readonly seed: number;
  /** One field for all three channels (black-and-white film) instead of dye-layer colour grain. */
  readonly monochrome?: boolean;
}

// Standard deviation of the added grain at amount 1 in mid-grey, on the 0..1 encoded scale.
const MAX_GRAIN_STD = 0.1;
// Colour grain: two chroma fields (the dye layers disagreeing) under the shared luminance field.
const CHROMA_WEIGHT = 0.35;
// A 35 mm frame is about 6000 px across at full scan; grain clumps are ~2 px there.
const LONG_SIDE_PER_GRAIN_PIXEL = 3000;
// Smaller grain than one pixel reads as digital noise, not film, so the default stops here.
const MIN_DEFAULT_SIZE = 1;
// Accepted grain sizes; below half a pixel the blur does nothing useful.
const MIN_SIZE = 0.5;
const MAX_SIZE = 16;

function usage(path: string, expected: string, value: unknown): PortraitistError {
  const message = `expected ${expected} for \`${path}\` but received ${String(value)}`;
  return new PortraitistError('USAGE', message, { issues: [{ path, message }] });
}

/** A 32-bit seed from any finite number, so 1 and 1.5 give different grain. */
function seed32(seed: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, seed);
  return (view.getUint32(0) ^ Math.imul(view.getUint32(4), 0x9e3779b1)) >>> 0;
}

/**
 * A field of zero-mean, unit-variance noise: mulberry32 (Tommy Ettinger's 32-bit PRNG), each draw
 * split into two 16-bit uniforms whose sum is triangular; the blur that follows makes it Gaussian.
 */
function noiseField(length: number, seed: number): Float32Array {
  const field = new Float32Array(length);
  let state = seed | 0;
  // Sum of two uniforms on 0..1 has variance 1/6.
  const scale = Math.sqrt(6) / 65536;
  for (let i = 0; i < length; i += 1) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    t = (t ^ (t >>> 14)) >>> 0;
    field[i] = ((t >>> 16) + (t & 0xffff) - 65535) * scale;
  }
  return field;
}

/** Normalised Gaussian kernel for grain of diameter `size` pixels (sigma = size / 2). */
function kernel(size: number): Float32Array {
  const sigma = size / 2;
  const radius = Math.max(1, Math.ceil(sigma * 2.5));
  const weights = new Float32Array(radius * 2 + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k += 1) {
    const w = Math.exp(-(k * k) / (2 * sigma * sigma));
    weights[k + radius] = w;
    sum += w;
  }
  for (let k = 0; k < weights.length; k += 1) weights[k] = (weights[k] as number) / sum;
  return weights;
}

/**
 * Blurs a field in place with a separable kernel (edges clamped), then rescales it to unit
 * variance: a blur of white noise divides its variance by (Σw²)² in two dimensions. Both passes
 * walk rows in memory order (the vertical pass accumulates whole rows) for cache locality.
 */
function soften(
  field: Float32Array,
  scratch: Float32Array,
  width: number,
  height: number,
  weights: Float32Array,
): void {
  const radius = (weights.length - 1) / 2;
  let energy = 0;
  for (const w of weights) energy += w * w;
  const gain = 1 / energy;
  // Horizontal: field → scratch; only the first and last `radius` columns need clamping.
  for (let y = 0; y < height; y += 1) {
    const start = y * width;
    for (let x = 0; x < width; x += 1) {
      let acc = 0;
      if (x >= radius && x < width - radius) {
        const centre = start + x - radius;
        for (let k = 0; k < weights.length; k += 1) {
          acc += (weights[k] as number) * (field[centre + k] as number);
        }
      } else {
        for (let k = -radius; k <= radius; k += 1) {
          const xx = x + k < 0 ? 0 : x + k >= width ? width - 1 : x + k;
          acc += (weights[k + radius] as number) * (field[start + xx] as number);
        }
      }
      scratch[start + x] = acc;
    }
  }
  // Vertical: scratch → field, reading the 2·radius + 1 source rows side by side.
  const rows = new Int32Array(weights.length);
  const scaled = weights.map((w) => w * gain);
  for (let y = 0; y < height; y += 1) {
    for (let k = -radius; k <= radius; k += 1) {
      const yy = y + k < 0 ? 0 : y + k >= height ? height - 1 : y + k;
      rows[k + radius] = yy * width;
    }
    const target = y * width;
    for (let x = 0; x < width; x += 1) {
      let acc = 0;
      for (let k = 0; k < scaled.length; k += 1) {
        acc += (scaled[k] as number) * (scratch[(rows[k] as number) + x] as number);
      }
      field[target + x] = acc;
    }
  }
}

/** Bilinear upsampling of a field to `width` × `height` (pixel centres aligned). */
function upsample(
  field: Float32Array,
  fieldWidth: number,
  fieldHeight: number,
  width: number,
  height: number,
): Float32Array {
  const out = new Float32Array(width * height);
  const sx = fieldWidth / width;
  const sy = fieldHeight / height;
  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  const fx = new Float32Array(width);
  for (let x = 0; x < width; x += 1) {
    const u = Math.min(fieldWidth - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    const left = Math.floor(u);
    x0[x] = left;
    x1[x] = Math.min(fieldWidth - 1, left + 1);
    fx[x] = u - left;
  }
  for (let y = 0; y < height; y += 1) {
    const v = Math.min(fieldHeight - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const top = Math.floor(v);
    const fy = v - top;
    const rowA = top * fieldWidth;
    const rowB = Math.min(fieldHeight - 1, top + 1) * fieldWidth;
    const target = y * width;
    for (let x = 0; x < width; x += 1) {
      const a = x0[x] as number;
      const b = x1[x] as number;
      const f = fx[x] as number;
      const upper = (field[rowA + a] as number) * (1 - f) + (field[rowA + b] as number) * f;
      const lower = (field[rowB + a] as number) * (1 - f) + (field[rowB + b] as number) * f;
      out[target + x] = upper + (lower - upper) * fy;
    }
  }
  return out;
}

/** The default grain size for an image: about 2 px at a full 35 mm scan, never below 1 px. */
function defaultSize(image: RgbImage): number {
  const long = Math.max(image.width, image.height);
  return Math.min(MAX_SIZE, Math.max(MIN_DEFAULT_SIZE, long / LONG_SIDE_PER_GRAIN_PIXEL));
}

/** Adds seeded film grain; returns a new image of the same size (amount 0 returns a copy). */
export function addGrain(image: RgbImage, settings: GrainSettings): RgbImage {
  const { amount, seed } = settings;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || amount > 1) {
    throw usage('amount', 'a number from 0 to 1', amount);
  }
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw usage('seed', 'a finite number', seed);
  }
  const size = settings.size ?? defaultSize(image);
  if (typeof size !== 'number' || !Number.isFinite(size) || size < MIN_SIZE || size > MAX_SIZE) {
    throw usage('size', `a number of pixels from ${MIN_SIZE} to ${MAX_SIZE}`, size);
  }
  const src = image.data;
  if (amount === 0) return { ...image, data: src.slice() };

  const { width, height } = image;
  const pixels = width * height;
  const weights = kernel(size);
  const base = seed32(seed);
  // Distinct, well-separated streams per field from one seed.
  const streamSeed = (field: number): number => (base + Math.imul(field + 1, 0x85ebca6b)) | 0;
  const scratch = new Float32Array(pixels);
  const shared = noiseField(pixels, streamSeed(0));
  soften(shared, scratch, width, height, weights);
  let chromaA: Float32Array | undefined;
  let chromaB: Float32Array | undefined;
  if (settings.monochrome !== true) {
    // Dye clouds are softer than the silver grain they replace, and the eye resolves colour
    // more coarsely than brightness: the chroma fields are made at half resolution (a third of
    // the cost of full-resolution colour grain) and scaled up smoothly.
    const halfWidth = Math.ceil(width / 2);
    const halfHeight = Math.ceil(height / 2);
    const chroma = [1, 2].map((field) => {
      const half = noiseField(halfWidth * halfHeight, streamSeed(field));
      soften(half, scratch, halfWidth, halfHeight, weights);
      return upsample(half, halfWidth, halfHeight, width, height);
    });
    chromaA = chroma[0];
    chromaB = chroma[1];
  }

  // Tone weight by luma byte: 4L(1 − L) is 1 at mid-grey and 0 at pure black and white, as the
  // visible grain of a print fades where the paper is fully exposed or left white.
  const strength = amount * MAX_GRAIN_STD * 255;
  const toneWeight = new Float32Array(256);
  for (let i = 0; i < 256; i += 1) {
    const l = i / 255;
    toneWeight[i] = 4 * l * (1 - l) * strength;
  }

  const out = new Uint8Array(src.length);
  for (let p = 0, i = 0; p < pixels; p += 1, i += 3) {
    const r = src[i] as number;
    const g = src[i + 1] as number;
    const b = src[i + 2] as number;
    // Rec.709 luma of the encoded bytes, rounded to index the weight table.
    const luma = (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.5) | 0;
    const w = toneWeight[luma] as number;
    const s = shared[p] as number;
    let nr = s;
    let ng = s;
    let nb = s;
    if (chromaA !== undefined && chromaB !== undefined) {
      const a = CHROMA_WEIGHT * (chromaA[p] as number);
      const c = CHROMA_WEIGHT * (chromaB[p] as number);
      nr = s + a;
      ng = s - 0.5 * (a + c);
      nb = s + c;
    }
    const vr = r + w * nr;
    const vg = g + w * ng;
    const vb = b + w * nb;
    out[i] = vr <= 0 ? 0 : vr >= 255 ? 255 : Math.round(vr);
    out[i + 1] = vg <= 0 ? 0 : vg >= 255 ? 255 : Math.round(vg);
    out[i + 2] = vb <= 0 ? 0 : vb >= 255 ? 255 : Math.round(vb);
  }
  return { ...image, data: out };
}

// ISO 100 → 0.05 and ISO 3200 → 0.5: the amount grows ×10 over those five stops.
const BASE_ISO = 100;
const BASE_ISO_AMOUNT = 0.05;
const AMOUNT_PER_FIVE_STOPS = 10;

function amountForIso(iso: number): number {
  const stops = Math.log2(iso / BASE_ISO);
  return Math.min(1, Math.max(0, BASE_ISO_AMOUNT * AMOUNT_PER_FIVE_STOPS ** (stops / 5)));
}

/**
 * The grain amount (0..1) for a film stock, pushed or pulled to `iso` when given, or for a bare
 * ISO when there is no stock (none of either: no grain).
 */
export function grainForStock(film: FilmStock | undefined, iso?: number): number {
  if (iso !== undefined && (!Number.isFinite(iso) || iso <= 0)) {
    throw usage('iso', 'a positive ISO speed', iso);
  }
  if (film === undefined) return iso === undefined ? 0 : amountForIso(iso);
  if (iso === undefined || iso === film.iso) return film.grain;
  // Pushing a stock coarsens its grain as the ISO curve does; a grainless stock stays grainless.
  return Math.min(1, Math.max(0, film.grain * (amountForIso(iso) / amountForIso(film.iso))));
}
