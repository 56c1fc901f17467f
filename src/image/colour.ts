// Colour science on sRGB values (IEC 61966-2-1) under the D65 white point. Pure functions: the
// critic and vision compare palettes and light with these, so they must be exact and cheap.
import { PortraitistError } from '../errors/index.js';

/** A colour in CIELAB: lightness 0..100, then the green–red and blue–yellow axes. */
export type Lab = [L: number, a: number, b: number];

// D65 reference white in XYZ (Y = 1), matching the rows of the sRGB matrix below.
const WHITE_X = 0.95047;
const WHITE_Y = 1;
const WHITE_Z = 1.08883;
// CIE constants for the Lab transfer function: (6/29)^3 and (29/6)^2 / 3.
const LAB_EPSILON = 216 / 24389;
const LAB_KAPPA = 24389 / 27;

/** An sRGB channel 0..255 as linear light 0..1 (the sRGB transfer function undone). */
export function srgbToLinear(channel255: number): number {
  const c = channel255 / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Linear light as an sRGB channel, clamped to 0..255 and not rounded. */
export function linearToSrgb(linear: number): number {
  const c = Math.min(1, Math.max(0, linear));
  // The formula lands a hair under 255 at 1.0; white must be exactly white.
  if (c === 1) return 255;
  const encoded = c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.min(255, Math.max(0, encoded * 255));
}

function rgbToXyz(r: number, g: number, b: number): [number, number, number] {
  const lr = srgbToLinear(r);
  const lg = srgbToLinear(g);
  const lb = srgbToLinear(b);
  return [
    0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb,
    0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb,
    0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb,
  ];
}

function labF(t: number): number {
  return t > LAB_EPSILON ? Math.cbrt(t) : (LAB_KAPPA * t + 16) / 116;
}

function labFInverse(f: number): number {
  const cube = f ** 3;
  return cube > LAB_EPSILON ? cube : (116 * f - 16) / LAB_KAPPA;
}

/** An sRGB colour (0..255 channels) in CIELAB under D65. */
export function rgbToLab(r: number, g: number, b: number): Lab {
  const [x, y, z] = rgbToXyz(r, g, b);
  const fx = labF(x / WHITE_X);
  const fy = labF(y / WHITE_Y);
  const fz = labF(z / WHITE_Z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** A CIELAB colour (D65) as sRGB channels, rounded and clamped to 0..255 (out-of-gamut clips). */
export function labToRgb(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116;
  const x = WHITE_X * labFInverse(fy + a / 500);
  const y = WHITE_Y * labFInverse(fy);
  const z = WHITE_Z * labFInverse(fy - b / 200);
  const lr = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const lg = -0.969266 * x + 1.8760108 * y + 0.041556 * z;
  const lb = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  return [Math.round(linearToSrgb(lr)), Math.round(linearToSrgb(lg)), Math.round(linearToSrgb(lb))];
}

const DEG = Math.PI / 180;

/** Hue angle in degrees 0..360 of a point on the a/b plane; 0 for neutral colours. */
function hueDegrees(b: number, a: number): number {
  if (a === 0 && b === 0) return 0;
  const h = Math.atan2(b, a) / DEG;
  return h >= 0 ? h : h + 360;
}

/**
 * The CIEDE2000 colour difference of two Lab colours (kL = kC = kH = 1), following Sharma, Wu and
 * Dalal (2005), whose test pairs the unit tests use.
 */
export function deltaE2000(
  lab1: readonly [number, number, number],
  lab2: readonly [number, number, number],
): number {
  const [L1, a1, b1] = lab1;
  const [L2, a2, b2] = lab2;
  const C1 = Math.hypot(a1, b1);
  const C2 = Math.hypot(a2, b2);
  const meanC7 = ((C1 + C2) / 2) ** 7;
  const G = 0.5 * (1 - Math.sqrt(meanC7 / (meanC7 + 25 ** 7)));
  const a1p = (1 + G) * a1;
  const a2p = (1 + G) * a2;
  const C1p = Math.hypot(a1p, b1);
  const C2p = Math.hypot(a2p, b2);
  const h1p = hueDegrees(b1, a1p);
  const h2p = hueDegrees(b2, a2p);

  const dLp = L2 - L1;
  const dCp = C2p - C1p;
  let dhp = 0;
  if (C1p * C2p !== 0) {
    dhp = h2p - h1p;
    if (dhp > 180) dhp -= 360;
    else if (dhp < -180) dhp += 360;
  }
  const dHp = 2 * Math.sqrt(C1p * C2p) * Math.sin((dhp / 2) * DEG);

  const meanLp = (L1 + L2) / 2;
  const meanCp = (C1p + C2p) / 2;
  let meanHp = h1p + h2p;
  if (C1p * C2p !== 0) {
    if (Math.abs(h1p - h2p) <= 180) meanHp /= 2;
    else meanHp = h1p + h2p < 360 ? (meanHp + 360) / 2 : (meanHp - 360) / 2;
  }

  const T =
    1 -
    0.17 * Math.cos((meanHp - 30) * DEG) +
    0.24 * Math.cos(2 * meanHp * DEG) +
    0.32 * Math.cos((3 * meanHp + 6) * DEG) -
    0.2 * Math.cos((4 * meanHp - 63) * DEG);
  const dTheta = 30 * Math.exp(-(((meanHp - 275) / 25) ** 2));
  const meanCp7 = meanCp ** 7;
  const RC = 2 * Math.sqrt(meanCp7 / (meanCp7 + 25 ** 7));
  const SL = 1 + (0.015 * (meanLp - 50) ** 2) / Math.sqrt(20 + (meanLp - 50) ** 2);
  const SC = 1 + 0.045 * meanCp;
  const SH = 1 + 0.015 * meanCp * T;
  const RT = -Math.sin(2 * dTheta * DEG) * RC;

  const lightness = dLp / SL;
  const chroma = dCp / SC;
  const hue = dHp / SH;
  return Math.sqrt(lightness ** 2 + chroma ** 2 + hue ** 2 + RT * chroma * hue);
}

function channelHex(value: number): string {
  return Math.round(Math.min(255, Math.max(0, value)))
    .toString(16)
    .padStart(2, '0');
}

/** An sRGB colour as `#rrggbb` (lower case; channels rounded and clamped to 0..255). */
export function rgbToHex(r: number, g: number, b: number): string {
  return `#${channelHex(r)}${channelHex(g)}${channelHex(b)}`;
}

/** Parses `#rrggbb` or `#rgb` (the `#` optional, any case) into sRGB channels 0..255. */
export function hexToRgb(hex: string): [number, number, number] {
  const digits = hex.trim().replace(/^#/, '');
  const full = /^[0-9a-f]{3}$/i.test(digits)
    ? digits.replace(/./g, (digit) => digit + digit)
    : digits;
  if (!/^[0-9a-f]{6}$/i.test(full)) {
    throw new PortraitistError('USAGE', `"${hex}" is not a hex colour`, {
      issues: [
        {
          path: 'hex',
          message: `expected a colour like #c8a27a for \`hex\` but received "${hex}"`,
        },
      ],
    });
  }
  const value = Number.parseInt(full, 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

/** WCAG relative luminance 0..1 of an sRGB colour (channels 0..255). */
export function relativeLuminance(r: number, g: number, b: number): number {
  return 0.2126 * srgbToLinear(r) + 0.7152 * srgbToLinear(g) + 0.0722 * srgbToLinear(b);
}

const MIN_KELVIN = 1500;
const MAX_KELVIN = 20000;
// The chromaticity of D65, used for black, whose chromaticity is undefined.
const D65_KELVIN = 6504;

/**
 * Correlated colour temperature in kelvin of an sRGB colour (linear → XYZ → xy → McCamy 1992),
 * clamped to 1500..20000; meaningful only near the white/Planckian locus, and 6504 K for black.
 */
export function correlatedColorTemperature(r: number, g: number, b: number): number {
  const [x, y, z] = rgbToXyz(r, g, b);
  const sum = x + y + z;
  if (sum <= 0) return D65_KELVIN;
  const cx = x / sum;
  const cy = y / sum;
  const n = (cx - 0.332) / (0.1858 - cy);
  const kelvin = 449 * n ** 3 + 3525 * n ** 2 + 6823.3 * n + 5520.33;
  // Far from the locus (saturated blues and purples) McCamy's cubic runs away; clamp, not NaN.
  if (Number.isNaN(kelvin)) return D65_KELVIN;
  return Math.min(MAX_KELVIN, Math.max(MIN_KELVIN, kelvin));
}
