// A vignette as an exposure change in linear light (like lens fall-off, measured in stops),
// shaped by a C2-smooth ramp so no edge or ring shows.
import { PortraitistError } from '../errors/index.js';
import { linearToSrgb, srgbToLinear, type RgbImage } from '../image/index.js';

/** The strength, shape and position of a vignette. */
export interface VignetteSettings {
  /** −1..1: + darkens the edges (up to 2 stops at the far corner), − brightens them. */
  readonly amount: number;
  /** 0..1: 0 follows the frame's aspect (an ellipse), 1 is a circle; default 0.5. */
  readonly roundness?: number;
  /** 0..1: 0 is a hard edge, 1 a ramp from the centre to the corner; default 0.5. */
  readonly feather?: number;
  /** The vignette's centre as fractions of width and height; default the middle. */
  readonly centre?: { readonly x: number; readonly y: number };
}

// Exposure change at the far corner for amount ±1.
const MAX_STOPS = 2;
// Where the edge sits (feather 0), as a fraction of the distance to the far corner.
const EDGE = 0.75;
// Quantisation of the ramp (0..1) into per-level lookup tables.
const RAMP_STEPS = 1024;

function usage(path: string, expected: string, value: unknown): PortraitistError {
  const message = `expected ${expected} for \`${path}\` but received ${String(value)}`;
  return new PortraitistError('USAGE', message, { issues: [{ path, message }] });
}

function checkRange(path: string, value: unknown, low: number, high: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value > high) {
    throw usage(path, `a number from ${low < 0 ? `−${-low}` : low} to ${high}`, value);
  }
}

/** Darkens (or brightens) the edges of a photo; returns a new image of the same size. */
export function vignette(image: RgbImage, settings: VignetteSettings): RgbImage {
  const { amount } = settings;
  const roundness = settings.roundness ?? 0.5;
  const feather = settings.feather ?? 0.5;
  const centre = settings.centre ?? { x: 0.5, y: 0.5 };
  checkRange('amount', amount, -1, 1);
  checkRange('roundness', roundness, 0, 1);
  checkRange('feather', feather, 0, 1);
  checkRange('centre.x', centre.x, 0, 1);
  checkRange('centre.y', centre.y, 0, 1);

  const { width, height } = image;
  const src = image.data;
  const out = src.slice();
  if (amount === 0 || width === 0 || height === 0) return { ...image, data: out };

  // Semi-axes blend from the frame's half-sides (ellipse) to their geometric mean (circle).
  const circle = Math.sqrt(width * height) / 2;
  const ax = width / 2 + (circle - width / 2) * roundness;
  const ay = height / 2 + (circle - height / 2) * roundness;
  const cx = centre.x * width;
  const cy = centre.y * height;
  const far = Math.max(
    ...[0, width].flatMap((x) => [0, height].map((y) => Math.hypot((x - cx) / ax, (y - cy) / ay))),
  );
  const edge = EDGE * far;
  const inner = edge * (1 - feather);
  const outer = edge + (far - edge) * feather;
  const span = outer - inner;

  // One byte → byte table per quantised ramp level: the per-pixel work is then three lookups.
  // 1024 levels over at most 2 stops is 0.002 stop a level, far below a visible step.
  const linear = new Float32Array(256);
  for (let i = 0; i < 256; i += 1) linear[i] = srgbToLinear(i);
  const tables = new Uint8Array((RAMP_STEPS + 1) * 256);
  for (let level = 0; level <= RAMP_STEPS; level += 1) {
    const factor = 2 ** (-amount * MAX_STOPS * (level / RAMP_STEPS));
    for (let i = 0; i < 256; i += 1) {
      tables[level * 256 + i] = Math.round(linearToSrgb((linear[i] as number) * factor));
    }
  }

  for (let y = 0; y < height; y += 1) {
    const dy = (y + 0.5 - cy) / ay;
    for (let x = 0; x < width; x += 1) {
      const dx = (x + 0.5 - cx) / ax;
      const d = Math.sqrt(dx * dx + dy * dy);
      // Inside the inner radius the photo is untouched (copied above), exactly.
      if (d <= inner) continue;
      const t = span <= 0 ? 1 : Math.min(1, (d - inner) / span);
      // Smootherstep: zero first and second derivatives at both ends, so no visible ring.
      const ramp = t * t * t * (t * (t * 6 - 15) + 10);
      const row = ((ramp * RAMP_STEPS + 0.5) | 0) * 256;
      const i = (y * width + x) * 3;
      out[i] = tables[row + (src[i] as number)] as number;
      out[i + 1] = tables[row + (src[i + 1] as number)] as number;
      out[i + 2] = tables[row + (src[i + 2] as number)] as number;
    }
  }
  return { ...image, data: out };
}
