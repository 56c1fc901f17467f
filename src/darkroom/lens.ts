// Lens blur: a shallow depth of field rendered on a real photo. The background is blurred with a
// disc (the shape of an open, round aperture), in linear light so bright points bloom into discs,
// with the person excluded from the background's average (normalised convolution:
// blur(background · w) / blur(w)) so no halo of their colour forms around the hair.
import { PortraitistError } from '../errors/index.js';
import { srgbToLinear, linearToSrgb, type RgbImage } from '../image/index.js';
import type { PersonMask } from './types.js';

/** Full-frame sensor width in millimetres: the frame `imageWidth` pixels stand for. */
const SENSOR_WIDTH_MM = 36;
const DEFAULT_FOCAL_MM = 85;
const DEFAULT_SUBJECT_M = 1.5;
const DEFAULT_BACKGROUND_M = 4;

/**
 * The disc is convolved on a grid `factor` times coarser than the photo, where its radius is at
 * most this many pixels: the box-downscale only loses detail the disc would remove anyway.
 */
const MAX_WORKING_RADIUS = 12;
/**
 * And where the disc costs at most this many row spans per full-resolution pixel ((2R + 1)/factor²):
 * the speed budget (a few hundred ms per megapixel in plain JavaScript) for mid-size radii.
 */
const ROW_BUDGET = 4;
/** Below half a pixel a blur is invisible; the photo is returned as it is. */
const MIN_RADIUS = 0.5;
/**
 * Weight the person keeps in the background's average. Tiny, so the person's colour never leaks
 * into the background next to them, but non-zero so deep inside the person (where there is no
 * background to average) the estimate stays defined; there alpha ≈ 1 hides it anyway.
 */
const PERSON_WEIGHT = 1e-3;
/**
 * 8-bit highlights are clipped: a street light and a white wall both read 255. Real bokeh of a
 * bright point is a bright disc, so near-white pixels (linear luminance above HIGHLIGHT_START) get
 * some of their lost energy back before the blur, as lens-blur tools do with "specular
 * highlights". The default gain is modest: more turns a bright window behind blinds into a white
 * void.
 */
const DEFAULT_HIGHLIGHT_BOOST = 1;
const HIGHLIGHT_START = 0.9;
/** Entries of the linear → sRGB table: 1/16383 linear is under a quarter of an 8-bit level. */
const ENCODE_STEPS = 16383;

function usage(field: string, message: string): PortraitistError {
  return new PortraitistError('USAGE', message, { issues: [{ path: field, message }] });
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw usage(field, `expected a positive number for \`${field}\` but received ${value}`);
  return value;
}

/**
 * Radius in pixels of the background's blur disc, from the thin-lens circle of confusion.
 *
 * With focal length f, f-number N, subject distance D_s and background distance D_b (all in mm),
 * the blur disc of a background point has diameter on the sensor
 *
 *   c = f² · |D_b − D_s| / (N · D_b · (D_s − f))
 *
 * and `imageWidth` pixels span the 36 mm of a full-frame sensor, so the radius in pixels is
 * c / 2 · imageWidth / 36. Defaults: 85 mm, subject 1.5 m, background 4 m. With no options the
 * result is the radius on the sensor in millimetres (one "pixel" per millimetre).
 */
export function blurRadiusFor(
  aperture: number,
  options?: {
    focalLength?: number;
    imageWidth: number;
    subjectDistanceMetres?: number;
    backgroundDistanceMetres?: number;
  },
): number {
  const n = positive('aperture', aperture);
  const f = positive('focalLength', options?.focalLength ?? DEFAULT_FOCAL_MM);
  const subject =
    positive('subjectDistanceMetres', options?.subjectDistanceMetres ?? DEFAULT_SUBJECT_M) * 1000;
  const background =
    positive(
      'backgroundDistanceMetres',
      options?.backgroundDistanceMetres ?? DEFAULT_BACKGROUND_M,
    ) * 1000;
  const width = positive('imageWidth', options?.imageWidth ?? SENSOR_WIDTH_MM);
  if (subject <= f)
    throw usage(
      'subjectDistanceMetres',
      `expected a subject farther than the focal length (${f} mm) for \`subjectDistanceMetres\` but received ${subject / 1000}`,
    );
  const diameterMm = (f * f * Math.abs(background - subject)) / (n * background * (subject - f));
  return (diameterMm / 2) * (width / SENSOR_WIDTH_MM);
}

/** Settings of a lens blur: the f-number, the focal length (mm) and what is in focus. */
export interface LensBlurSettings {
  readonly aperture: number;
  readonly focalLength?: number;
  /** The person stays sharp; the only focus mode so far. */
  readonly focus?: 'subject';
  /**
   * Extra gain for near-white pixels before the blur, so clipped lights bloom into bright discs:
   * 0 = none, 1 (default) = up to twice the energy at pure white.
   */
  readonly highlightBoost?: number;
}

/**
 * Prefix sums along each row of a 4-channel plane (r, g, b, weight interleaved): entry x holds the
 * sum of columns 0..x−1, so any horizontal span is two look-ups.
 */
function rowPrefixSums(plane: Float32Array, width: number, height: number): Float64Array {
  const stride = (width + 1) * 4;
  const prefix = new Float64Array(stride * height);
  for (let y = 0; y < height; y++) {
    const from = y * width * 4;
    const to = y * stride;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        const at = to + x * 4 + c;
        prefix[at + 4] = (prefix[at] as number) + (plane[from + x * 4 + c] as number);
      }
    }
  }
  return prefix;
}

/**
 * Convolves a 4-channel plane with a disc of `radius` pixels, as a stack of horizontal spans (one
 * per row of the disc) read off row prefix sums: O(radius) per pixel for an exact disc, where a
 * separable filter could only give a square or a Gaussian, neither of which looks like a lens.
 * The span ends get fractional weights so the disc grows smoothly with the radius. Outside the
 * image counts as zero; the caller divides by the blurred weight channel, which undoes that.
 * Only `needed` cells are computed (the rest stay 0): the photo's person pixels never use theirs.
 */
function discBlur(
  plane: Float32Array,
  width: number,
  height: number,
  radius: number,
  needed: Uint8Array,
): Float32Array {
  const prefix = rowPrefixSums(plane, width, height);
  const stride = (width + 1) * 4;
  const rows = Math.floor(radius);
  const whole = new Int32Array(2 * rows + 1);
  const part = new Float64Array(2 * rows + 1);
  for (let dy = -rows; dy <= rows; dy++) {
    const half = Math.sqrt(Math.max(0, radius * radius - dy * dy));
    whole[dy + rows] = Math.floor(half);
    part[dy + rows] = half - Math.floor(half);
  }
  const out = new Float32Array(plane.length);
  for (let y = 0; y < height; y++) {
    const firstRow = Math.max(-rows, -y);
    const lastRow = Math.min(rows, height - 1 - y);
    for (let x = 0; x < width; x++) {
      if (needed[y * width + x] === 0) continue;
      // Unrolled over the four channels: this loop is the whole cost of the blur.
      let r = 0;
      let g = 0;
      let b = 0;
      let w = 0;
      for (let dy = firstRow; dy <= lastRow; dy++) {
        const row = y + dy;
        const k = whole[dy + rows] as number;
        const p0 = row * stride + (x - k > 0 ? x - k : 0) * 4;
        const p1 = row * stride + (x + k < width - 1 ? x + k + 1 : width) * 4;
        r += (prefix[p1] as number) - (prefix[p0] as number);
        g += (prefix[p1 + 1] as number) - (prefix[p0 + 1] as number);
        b += (prefix[p1 + 2] as number) - (prefix[p0 + 2] as number);
        w += (prefix[p1 + 3] as number) - (prefix[p0 + 3] as number);
        const frac = part[dy + rows] as number;
        if (frac > 0) {
          const left = x - k - 1;
          const right = x + k + 1;
          if (left >= 0) {
            const q = (row * width + left) * 4;
            r += frac * (plane[q] as number);
            g += frac * (plane[q + 1] as number);
            b += frac * (plane[q + 2] as number);
            w += frac * (plane[q + 3] as number);
          }
          if (right < width) {
            const q = (row * width + right) * 4;
            r += frac * (plane[q] as number);
            g += frac * (plane[q + 1] as number);
            b += frac * (plane[q + 2] as number);
            w += frac * (plane[q + 3] as number);
          }
        }
      }
      const at = (y * width + x) * 4;
      out[at] = r;
      out[at + 1] = g;
      out[at + 2] = b;
      out[at + 3] = w;
    }
  }
  return out;
}

/** The coarsest-needed grid: the smallest downscale factor that meets both limits above. */
function workingFactor(radius: number): number {
  for (let factor = 1; ; factor++) {
    const working = radius / factor;
    if (working <= MAX_WORKING_RADIUS && (2 * working + 1) / (factor * factor) <= ROW_BUDGET)
      return factor;
  }
}

/** The flags grown by one cell each way: a pixel's bilinear sample reads its cell's neighbours. */
function dilate(flags: Uint8Array, width: number, height: number): Uint8Array {
  const grown = new Uint8Array(flags.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (flags[y * width + x] === 0) continue;
      for (let dy = Math.max(0, y - 1); dy <= Math.min(height - 1, y + 1); dy++)
        for (let dx = Math.max(0, x - 1); dx <= Math.min(width - 1, x + 1); dx++)
          grown[dy * width + dx] = 1;
    }
  }
  return grown;
}

/** sRGB byte → linear light, as a table (256 entries, built per call: no shared mutable state). */
function decodeTable(): Float32Array {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = srgbToLinear(v);
  return table;
}

/** Linear light 0..1 in ENCODE_STEPS steps → rounded sRGB byte. */
function encodeTable(): Uint8Array {
  const table = new Uint8Array(ENCODE_STEPS + 1);
  for (let i = 0; i <= ENCODE_STEPS; i++) table[i] = Math.round(linearToSrgb(i / ENCODE_STEPS));
  return table;
}

/**
 * Blurs the background behind the person as a lens at `aperture` would (disc bokeh, in linear
 * light), keeping the person sharp: out = α·sharp + (1 − α)·background blurred without the person.
 */
export function lensBlur(image: RgbImage, mask: PersonMask, settings: LensBlurSettings): RgbImage {
  const { width, height, data } = image;
  if (mask.width !== width || mask.height !== height || mask.alpha.length !== width * height)
    throw usage(
      'mask',
      `expected a ${width}×${height} person mask for \`mask\` but received ${mask.width}×${mask.height} with ${mask.alpha.length} values`,
    );
  // A portrait-orientation photo is still shot on a landscape sensor: its long side spans 36 mm.
  const radius = blurRadiusFor(settings.aperture, {
    ...(settings.focalLength === undefined ? {} : { focalLength: settings.focalLength }),
    imageWidth: Math.max(width, height),
  });
  const out = new Uint8Array(data);
  if (radius < MIN_RADIUS || width === 0 || height === 0) return { ...image, data: out };

  // 1. Linear light, highlights given back their clipped energy, weighted by background coverage
  //    and box-summed onto a grid `factor` times coarser (sums of weights and weighted colours, so
  //    the normalised convolution below stays exact across the downscale).
  const boost = settings.highlightBoost ?? DEFAULT_HIGHLIGHT_BOOST;
  if (!Number.isFinite(boost) || boost < 0)
    throw usage(
      'highlightBoost',
      `expected a number of at least 0 for \`highlightBoost\` but received ${boost}`,
    );
  const factor = workingFactor(radius);
  const sw = Math.ceil(width / factor);
  const sh = Math.ceil(height / factor);
  const toLinear = decodeTable();
  const small = new Float32Array(sw * sh * 4);
  // Cells holding a pixel that shows some background: only near them is the blur ever read.
  const seen = new Uint8Array(sw * sh);
  const column = new Int32Array(width);
  for (let x = 0; x < width; x++) column[x] = Math.floor(x / factor);
  for (let y = 0; y < height; y++) {
    const rowBase = Math.floor(y / factor) * sw;
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      // Edge pixels hold some of the person's colour (α of it), so they count for less than
      // their (1 − α) share, and nothing from α ≥ 0.5: the background is read from pixels that
      // are mostly background, and the person's colour does not leak into it.
      const alpha = mask.alpha[p] as number;
      if (alpha < 1) seen[rowBase + (column[x] as number)] = 1;
      const open = Math.max(0, 1 - 2 * Math.max(0, alpha));
      const weight = open * open + PERSON_WEIGHT;
      const r = toLinear[data[p * 3] as number] as number;
      const g = toLinear[data[p * 3 + 1] as number] as number;
      const b = toLinear[data[p * 3 + 2] as number] as number;
      const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      const t = Math.max(0, (luminance - HIGHLIGHT_START) / (1 - HIGHLIGHT_START));
      const gain = weight * (1 + boost * t * t);
      const s = (rowBase + (column[x] as number)) * 4;
      small[s] = (small[s] as number) + gain * r;
      small[s + 1] = (small[s + 1] as number) + gain * g;
      small[s + 2] = (small[s + 2] as number) + gain * b;
      small[s + 3] = (small[s + 3] as number) + weight;
    }
  }

  // 2. Disc blur at the coarse scale, then divide out the weights: blur(bg·w) / blur(w).
  //    The box-down and bilinear-up steps add about (factor² − 1)/4 of variance (a disc of radius
  //    r has r²/4); the disc gives that much back so small blurs are not inflated.
  const discRadius = Math.sqrt(Math.max(0, radius * radius - (factor * factor - 1))) / factor;
  const blurred = discBlur(small, sw, sh, discRadius, dilate(seen, sw, sh));
  const background = new Float32Array(sw * sh * 3);
  for (let i = 0; i < sw * sh; i++) {
    const w = blurred[i * 4 + 3] as number;
    const inverse = w > 0 ? 1 / w : 0;
    for (let c = 0; c < 3; c++)
      background[i * 3 + c] = Math.max(0, (blurred[i * 4 + c] as number) * inverse);
  }

  // 3. Upsample bilinearly (grid cell centres sit at (i + 0.5)·factor − 0.5) and composite in
  //    linear light; fully-person pixels keep their original bytes.
  const toSrgb = encodeTable();
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(sw - 1, Math.max(0, (x + 0.5) / factor - 0.5));
    x0s[x] = Math.floor(sx);
    x1s[x] = Math.min(sw - 1, Math.floor(sx) + 1);
    fxs[x] = sx - Math.floor(sx);
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.min(sh - 1, Math.max(0, (y + 0.5) / factor - 0.5));
    const y0 = Math.floor(sy) * sw;
    const y1 = Math.min(sh - 1, Math.floor(sy) + 1) * sw;
    const fy = sy - Math.floor(sy);
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const alpha = Math.min(1, Math.max(0, mask.alpha[p] as number));
      if (alpha >= 1) continue;
      const fx = fxs[x] as number;
      const a = (y0 + (x0s[x] as number)) * 3;
      const b = (y0 + (x1s[x] as number)) * 3;
      const c = (y1 + (x0s[x] as number)) * 3;
      const d = (y1 + (x1s[x] as number)) * 3;
      const wa = (1 - fx) * (1 - fy);
      const wb = fx * (1 - fy);
      const wc = (1 - fx) * fy;
      const wd = fx * fy;
      for (let ch = 0; ch < 3; ch++) {
        const bg =
          (background[a + ch] as number) * wa +
          (background[b + ch] as number) * wb +
          (background[c + ch] as number) * wc +
          (background[d + ch] as number) * wd;
        const sharp = toLinear[data[p * 3 + ch] as number] as number;
        const mixed = Math.min(1, alpha * sharp + (1 - alpha) * bg);
        out[p * 3 + ch] = toSrgb[Math.round(mixed * ENCODE_STEPS)] as number;
      }
    }
  }
  return { ...image, data: out };
}
