// Colour grading at full resolution: white balance and exposure in linear light, contrast,
// saturation, split toning and fade in gamma-encoded (perceptual) space. Every per-channel step
// is folded into 256-entry tables so the per-pixel work is a few multiply-adds.
import type { FilmStock, Grade } from '../brief/index.js';
import { PortraitistError, type Issue } from '../errors/index.js';
import { hexToRgb, rgbToLab, srgbToLinear, type RgbImage } from '../image/index.js';

/** How to grade a photo; every field is optional and an empty object leaves the photo as it is. */
export interface GradeSettings {
  /**
   * White balance as Lightroom and Capture One set it: the light the photo is corrected for, so a
   * higher `temperature` warms the picture and a lower one cools it (5500 on a 5500 K photo: no change).
   */
  whiteBalance?: {
    /** Kelvin, 2000..15000: 3200 cools a daylight photo (tungsten correction), 8000 warms it. */
    temperature: number;
    /** −1 magenta .. +1 green. */
    tint?: number;
  };
  /** The colour temperature the photo was balanced for, in kelvin; default 5500. */
  fromTemperature?: number;
  /** −1..1: an S-curve (+) or its inverse (−) around mid-grey. */
  contrast?: number;
  /** −1..1: −1 is monochrome, +1 doubles the chroma. */
  saturation?: number;
  /** Hue pushed into shadows and highlights; a neutral grey hex pushes nothing. */
  split?: {
    shadows: string;
    highlights: string;
    /** 0..1 */
    amount: number;
    /** −1 favours the shadows' tone .. +1 the highlights'. */
    balance?: number;
  };
  /** Lifted blacks, 0..1. */
  fade?: number;
  /** Stops, −3..3. */
  exposure?: number;
}

const DEFAULT_SCENE_KELVIN = 5500;
const MIN_KELVIN = 2000;
const MAX_KELVIN = 15000;
// Rec.709 luma weights: used on gamma-encoded values (luma) and on linear gains (luminance).
const LUMA_R = 0.2126;
const LUMA_G = 0.7152;
const LUMA_B = 0.0722;
// Green gain at tint ±1; about a full CC30 magenta/green filter.
const TINT_STRENGTH = 0.25;
// Mid-grey (18% reflectance) in sRGB encoding: the pivot of the contrast curve.
const MID_GREY = encodeSrgb(0.18);
// At split amount 1, a tone of Lab chroma C* moves a pixel's colour by SPLIT_STRENGTH × C*/50
// (Euclidean, 0..1 encoded RGB): a strong orange (C* ≈ 50) by 0.25, a pale cream far less.
const SPLIT_STRENGTH = 0.25;
const SPLIT_REFERENCE_CHROMA = 50;
// Resolution of the split-tone weight table over luma 0..1.
const SPLIT_STEPS = 1024;
// Fade 1 lifts black to this level (0..1 scale); a full matte print, not a grey wash.
const MAX_FADE_LIFT = 0.3;
// Resolution of the final encoded-value → byte table; ≥ 16× the output's 256 levels.
const OUTPUT_STEPS = 4096;

/** sRGB encoding without clamping, so values over 1 (after a gain) survive to the shoulder. */
function encodeSrgb(linear: number): number {
  if (linear <= 0.0031308) return Math.max(0, linear * 12.92);
  return 1.055 * linear ** (1 / 2.4) - 0.055;
}

// The Planckian locus in CIE 1960 (u, v) by Krystek's rational approximation (1985; valid
// 1000–15000 K, error < 1e-4 in uv), then xy → XYZ with Y = 1 → linear sRGB (IEC 61966-2-1
// matrix). Krystek rather than Tanner Helland's curve fit: it gives chromaticity, not gamma-encoded
// display values, so the von Kries ratio below is a true ratio of linear-light colours.
/** Linear-light sRGB colour of a blackbody at `kelvin` with relative luminance Y = 1. */
export function blackbodyLinearRgb(kelvin: number): [number, number, number] {
  const t = kelvin;
  const u =
    (0.860117757 + 1.54118254e-4 * t + 1.28641212e-7 * t * t) /
    (1 + 8.42420235e-4 * t + 7.08145163e-7 * t * t);
  const v =
    (0.317398726 + 4.22806245e-5 * t + 4.20481691e-8 * t * t) /
    (1 - 2.89741816e-5 * t + 1.61456053e-7 * t * t);
  const d = 2 * u - 8 * v + 4;
  const x = (3 * u) / d;
  const y = (2 * v) / d;
  const X = x / y;
  const Z = (1 - x - y) / y;
  return [
    3.2404542 * X - 1.5371385 - 0.4985314 * Z,
    -0.969266 * X + 1.8760108 + 0.041556 * Z,
    0.0556434 * X - 0.2040259 + 1.0572252 * Z,
  ];
}

function rangeIssue(path: string, low: number, high: number, value: unknown): Issue {
  const shown = typeof value === 'string' ? `"${value}"` : String(value);
  const range = `${low < 0 ? `−${-low}` : low} to ${high}`;
  return { path, message: `expected a number from ${range} for \`${path}\` but received ${shown}` };
}

/** Adds an issue when `value` is present but not a finite number in [low, high]. */
function checkRange(
  issues: Issue[],
  path: string,
  value: unknown,
  low: number,
  high: number,
  required = false,
): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value > high) {
    issues.push(rangeIssue(path, low, high, value));
  }
}

function checkHex(issues: Issue[], path: string, value: unknown): void {
  if (typeof value === 'string' && /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value.trim())) return;
  const shown = typeof value === 'string' ? `"${value}"` : String(value);
  issues.push({
    path,
    message: `expected a hex colour like #c8a27a for \`${path}\` but received ${shown}`,
  });
}

/** Throws a USAGE error naming every invalid field, or returns quietly. */
function validate(settings: GradeSettings): void {
  const issues: Issue[] = [];
  const wb = settings.whiteBalance;
  if (wb !== undefined) {
    checkRange(issues, 'whiteBalance.temperature', wb.temperature, MIN_KELVIN, MAX_KELVIN, true);
    checkRange(issues, 'whiteBalance.tint', wb.tint, -1, 1);
  }
  checkRange(issues, 'fromTemperature', settings.fromTemperature, MIN_KELVIN, MAX_KELVIN);
  checkRange(issues, 'contrast', settings.contrast, -1, 1);
  checkRange(issues, 'saturation', settings.saturation, -1, 1);
  checkRange(issues, 'fade', settings.fade, 0, 1);
  checkRange(issues, 'exposure', settings.exposure, -3, 3);
  const split = settings.split;
  if (split !== undefined) {
    checkHex(issues, 'split.shadows', split.shadows);
    checkHex(issues, 'split.highlights', split.highlights);
    checkRange(issues, 'split.amount', split.amount, 0, 1, true);
    checkRange(issues, 'split.balance', split.balance, -1, 1);
  }
  if (issues.length > 0) {
    throw new PortraitistError('USAGE', issues.map((issue) => issue.message).join('; '), {
      issues,
    });
  }
}

/**
 * Per-channel linear gains: von Kries correction of a light at `temperature` back to the scene's
 * (from over to, so a warm correction light is divided out and the picture cools), tint, exposure.
 */
function channelGains(settings: GradeSettings): [number, number, number] {
  let r = 1;
  let g = 1;
  let b = 1;
  const wb = settings.whiteBalance;
  if (wb !== undefined) {
    const to = blackbodyLinearRgb(wb.temperature);
    const from = blackbodyLinearRgb(settings.fromTemperature ?? DEFAULT_SCENE_KELVIN);
    r = from[0] / to[0];
    g = (from[1] / to[1]) * (1 + TINT_STRENGTH * (wb.tint ?? 0));
    b = from[2] / to[2];
    // Keep a neutral grey's luminance: white balance moves hue, exposure moves brightness.
    const luminance = LUMA_R * r + LUMA_G * g + LUMA_B * b;
    r /= luminance;
    g /= luminance;
    b /= luminance;
  }
  const exposure = 2 ** (settings.exposure ?? 0);
  return [r * exposure, g * exposure, b * exposure];
}

/**
 * A highlight shoulder for encoded values that a gain pushed past 1: identity below a knee, then
 * a quadratic roll-off reaching 1 at the brightest possible input, so warm or brighter grades
 * keep highlight detail instead of clipping a channel flat.
 */
function shoulder(maxInput: number): (value: number) => number {
  if (maxInput <= 1) return (value) => value;
  const knee = Math.max(0.6, 2 - maxInput);
  const span = 2 * (maxInput - knee);
  return (value) => {
    if (value <= knee) return value;
    const over = value - knee;
    return Math.min(1, value - (over * over) / span);
  };
}

/**
 * Contrast as a two-sided power curve pivoting on mid-grey: slope 2^contrast at the pivot, ends
 * pinned at 0 and 1, monotonic for every setting (an S for +, an inverse S for −).
 */
function contrastCurve(contrast: number): (value: number) => number {
  if (contrast === 0) return (value) => value;
  const gamma = 2 ** contrast;
  const pivot = MID_GREY;
  return (value) => {
    if (value <= 0) return 0;
    if (value >= 1) return 1;
    if (value < pivot) return pivot * (value / pivot) ** gamma;
    return 1 - (1 - pivot) * ((1 - value) / (1 - pivot)) ** gamma;
  };
}

/**
 * The push of a tone colour: its hue direction (the colour minus a grey of equal luma, so the push
 * has zero luma and moves hue, not brightness) with a length set by its Lab chroma, so a dark
 * brown and a pale cream of equal colourfulness push alike and a grey pushes nothing.
 */
function toneOffset(hex: string): [number, number, number] {
  const [r255, g255, b255] = hexToRgb(hex);
  const [r, g, b] = [r255 / 255, g255 / 255, b255 / 255];
  const luma = LUMA_R * r + LUMA_G * g + LUMA_B * b;
  const offset: [number, number, number] = [r - luma, g - luma, b - luma];
  const length = Math.hypot(...offset);
  if (length < 1e-6) return [0, 0, 0];
  const [, a, bb] = rgbToLab(r255, g255, b255);
  const scale = (SPLIT_STRENGTH * Math.hypot(a, bb)) / SPLIT_REFERENCE_CHROMA / length;
  return [offset[0] * scale, offset[1] * scale, offset[2] * scale];
}

/** Grades a photo; returns a new image of the same size and leaves the input untouched. */
export function grade(image: RgbImage, settings: GradeSettings): RgbImage {
  validate(settings);
  const gains = channelGains(settings);
  const roll = shoulder(encodeSrgb(Math.max(...gains)));
  const curve = contrastCurve(settings.contrast ?? 0);

  // Byte → encoded value after gain, shoulder and contrast, one table per channel.
  const tables = gains.map((gain) => {
    const table = new Float32Array(256);
    for (let i = 0; i < 256; i += 1) table[i] = curve(roll(encodeSrgb(srgbToLinear(i) * gain)));
    return table;
  }) as [Float32Array, Float32Array, Float32Array];

  // Encoded value → byte with fade: blacks lift to `lift`, white stays white, mids rise gently.
  const lift = (settings.fade ?? 0) * MAX_FADE_LIFT;
  const output = new Uint8Array(OUTPUT_STEPS + 1);
  for (let i = 0; i <= OUTPUT_STEPS; i += 1) {
    const v = i / OUTPUT_STEPS;
    const faded = v + lift * (1 - v) * (1 - v);
    output[i] = Math.round(Math.min(1, Math.max(0, faded)) * 255);
  }

  const saturation = 1 + (settings.saturation ?? 0);
  const split = settings.split;
  const amount = split?.amount ?? 0;
  const balance = split?.balance ?? 0;
  const [sr, sg, sb] = (split === undefined ? [0, 0, 0] : toneOffset(split.shadows)).map(
    (c) => c * amount,
  ) as [number, number, number];
  const [hr, hg, hb] = (split === undefined ? [0, 0, 0] : toneOffset(split.highlights)).map(
    (c) => c * amount,
  ) as [number, number, number];
  // Highlight weight L^(2^−balance), shadow weight its complement: every tone gets a full blend of
  // the two pushes, crossing at mid-grey for balance 0 and moving down (+) or up (−) with it.
  const highlightWeights = new Float32Array(SPLIT_STEPS + 1);
  const exponent = 2 ** -balance;
  for (let i = 0; i <= SPLIT_STEPS; i += 1) highlightWeights[i] = (i / SPLIT_STEPS) ** exponent;
  const toning = amount > 0;

  const src = image.data;
  const out = new Uint8Array(src.length);
  const n = src.length - (src.length % 3);

  if (saturation === 1 && !toning) {
    // Nothing mixes channels: each channel is one byte → byte table.
    const direct = tables.map((table) =>
      Uint8Array.from(table, (v) => output[toStep(v)] as number),
    ) as [Uint8Array, Uint8Array, Uint8Array];
    const [dr, dg, db] = direct;
    for (let i = 0; i < n; i += 3) {
      out[i] = dr[src[i] as number] as number;
      out[i + 1] = dg[src[i + 1] as number] as number;
      out[i + 2] = db[src[i + 2] as number] as number;
    }
    return { ...image, data: out };
  }

  const [tr, tg, tb] = tables;
  for (let i = 0; i < n; i += 3) {
    let r = tr[src[i] as number] as number;
    let g = tg[src[i + 1] as number] as number;
    let b = tb[src[i + 2] as number] as number;
    const luma = LUMA_R * r + LUMA_G * g + LUMA_B * b;
    if (saturation !== 1) {
      r = luma + (r - luma) * saturation;
      g = luma + (g - luma) * saturation;
      b = luma + (b - luma) * saturation;
    }
    if (toning) {
      const light = highlightWeights[(luma * SPLIT_STEPS + 0.5) | 0] as number;
      const dark = 1 - light;
      r += sr * dark + hr * light;
      g += sg * dark + hg * light;
      b += sb * dark + hb * light;
    }
    out[i] = output[toStep(r)] as number;
    out[i + 1] = output[toStep(g)] as number;
    out[i + 2] = output[toStep(b)] as number;
  }
  return { ...image, data: out };
}

/** An encoded value, clamped to 0..1, as an index into the output table (rounded). */
function toStep(value: number): number {
  // `| 0` after + 0.5 rounds non-negative values; cheaper than Math.round in the hot loop.
  return ((value <= 0 ? 0 : value >= 1 ? 1 : value) * OUTPUT_STEPS + 0.5) | 0;
}

// Mired shift per unit of vocabulary warmth: warmth 1 ≈ a half CTO gel (+80 mired).
const MIRED_PER_WARMTH = 80;
// Split-tone amount for vocabulary tones; the tone colours themselves carry the strength.
const VOCABULARY_SPLIT_AMOUNT = 0.6;
// A grey tone: no push, for a grade that names only one of shadows/highlights.
const NEUTRAL_TONE = '#808080';

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * Settings for a vocabulary grade, optionally on a film stock. Mapping: warmth (grade + film) →
 * a white balance 80 mired per unit from 5500 K (warmth + → a higher, warming setting); tint → white-balance tint with the sign
 * flipped (the vocabulary runs green − .. magenta +, settings the other way); contrast and
 * saturation add (clamped to −1..1); monochrome (grade, or a black-and-white stock) → saturation
 * −1; fades combine like two lifts, 1 − (1 − a)(1 − b); shadow/highlight tones → split toning at
 * amount 0.6 (a missing side is grey, which pushes nothing). Grain and halation are not grading:
 * see grainForStock.
 */
export function gradeFromVocabulary(grade: Grade, film?: FilmStock): GradeSettings {
  const warmth = clamp(grade.warmth + (film?.warmth ?? 0), -1, 1);
  // Lightroom's convention: a higher white-balance setting warms, so warmth lowers the mired.
  const mired = 1e6 / DEFAULT_SCENE_KELVIN - MIRED_PER_WARMTH * warmth;
  const temperature = clamp(Math.round(1e6 / mired), MIN_KELVIN, MAX_KELVIN);
  const monochrome = grade.monochrome || film?.kind === 'black-and-white';
  const settings: GradeSettings = {
    whiteBalance: { temperature, tint: clamp(-grade.tint, -1, 1) },
    fromTemperature: DEFAULT_SCENE_KELVIN,
    contrast: clamp(grade.contrast + (film?.contrast ?? 0), -1, 1),
    saturation: monochrome ? -1 : clamp(grade.saturation + (film?.saturation ?? 0), -1, 1),
    fade: clamp(1 - (1 - grade.fade) * (1 - (film?.fade ?? 0)), 0, 1),
  };
  if (grade.shadowsTone !== null || grade.highlightsTone !== null) {
    settings.split = {
      shadows: grade.shadowsTone ?? NEUTRAL_TONE,
      highlights: grade.highlightsTone ?? NEUTRAL_TONE,
      amount: VOCABULARY_SPLIT_AMOUNT,
    };
  }
  return settings;
}
