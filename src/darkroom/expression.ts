// Expression warp: re-directs a real photo's expression (smile, parted lips, brows, lids, head
// tilt) with a smooth, mesh-guided displacement field at the photo's full resolution. Control
// displacements are set on face-mesh landmarks in the face's upright frame, pinned to zero on rings
// around the face silhouette, interpolated by a thin-plate spline and sampled on a coarse grid.
import { PortraitistError, type Issue } from '../errors/index.js';
import type { RgbImage } from '../image/index.js';
import {
  expressionCalibration,
  landmarks as L,
  meshContours,
  type Blueprint,
  type MeshPoint,
} from '../vision/index.js';

/** Changes to a face's expression, each on the brief's normalised scale unless noted. */
export interface ExpressionDeltas {
  /** Lip corners up (smile, AU12 with a touch of AU6) or down (AU15), −1..1. */
  readonly lipCornerLift?: number;
  /**
   * Lips part (AU25), 0..1. A warp can only stretch what the photo holds, so 1 opens the lips a
   * little (a dark gap, never teeth the photo does not show); see `expressionWarpGains`.
   */
  readonly lipsParted?: number;
  /** Brows up (AU1+2) or down, −1..1. */
  readonly browRaise?: number;
  /** Inner brows down and together (AU4), or up and apart when negative, −1..1. */
  readonly browFurrow?: number;
  /** Upper lids up (AU5) or down (AU43), −1..1. */
  readonly eyeAperture?: number;
  /** Head tilt in degrees, −6..6, positive toward the subject's right shoulder (as `roll`). */
  readonly headTilt?: number;
}

/** Options of `warpExpression`. */
export interface ExpressionWarpOptions {
  /** Which face of the blueprint to warp (default: the blueprint's own `faceIndex`, else 0). */
  readonly faceIndex?: number;
}

type DeltaKey = keyof ExpressionDeltas;

/** Accepted range of each delta; a warp past these tears skin or reads as a different face. */
const RANGES: Readonly<Record<DeltaKey, readonly [number, number]>> = {
  lipCornerLift: [-1, 1],
  lipsParted: [0, 1],
  browRaise: [-1, 1],
  browFurrow: [-1, 1],
  eyeAperture: [-1, 1],
  headTilt: [-6, 6],
};

/**
 * How far a delta of 1 moves its landmarks, in units of the calibrated spans of vision's
 * `expressionCalibration` (× face height; × eye width for the lids): lip corners against the lip
 * centre, brow middles against the upper lids, inner brows down, upper lids, the lower lip's middle.
 * Re-detection reads back less than a warp applies (the mesh model leans toward its prior face and
 * the smooth field shares the motion with the neighbours), so the gains were tuned on the six
 * fixture faces until +0.5 reads back at about +0.3..+0.6 for lift (a subtle lift gets more, see
 * `SUBTLE_SMILE`); lips part at a third of the span only, since a warp stretches the lip line and
 * cannot show a mouth the photo hides.
 */
export const expressionWarpGains = {
  lipCornerLift: 2,
  lipsParted: 0.3,
  browRaise: 1.3,
  browFurrow: 1.3,
  eyeAperture: 1.2,
} as const;
/**
 * Out toward the cheekbone per unit of lift up: zygomaticus major pulls the corner obliquely, about
 * 45° (a smile widens the mouth as much as it lifts it).
 */
const SMILE_OUT = 1;
/** A frown (AU15) pulls the corners down and barely out. */
const FROWN_OUT = 0.2;
/** Pixel spacing of the grid the field is evaluated on, at most; smaller on small faces. */
const MAX_GRID_STEP = 8;
const MIN_GRID_STEP = 3;
/**
 * Elliptical radii (1 = the face silhouette) of the zero rings and of the window that takes the
 * field exactly to zero: nothing beyond `WINDOW_END` moves, so the photo there is copied bit for bit.
 */
const RINGS = [1.1, 1.35] as const;
const WINDOW_START = 1.3;
const WINDOW_END = 1.5;
/** The tilt turns the face inside this radius whole and fades out toward `WINDOW_END`. */
const TILT_FULL = 1.05;
/** Ridge on the spline's diagonal (face-height units): absorbs near-duplicate controls. */
const SPLINE_RIDGE = 1e-6;

const LIPS_OUTER_UPPER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291];
const LIPS_OUTER_LOWER = [375, 321, 405, 314, 17, 84, 181, 91, 146];
const LIPS_INNER_UPPER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
const LIPS_INNER_LOWER = [324, 318, 402, 317, 14, 87, 178, 88, 95];
/** Below the lower lip to the chin: they follow a parting jaw (share of the lower lip's move). */
const CHIN: readonly (readonly [number, number])[] = [
  [18, 0.85],
  [200, 0.75],
  [199, 0.65],
  [175, 0.6],
  [152, 0.55],
];
/** Nose and eye corners: they hold still in every expression here, so the motion stays local. */
const STILL = [1, 2, 4, 5, 6, 195, 197, 168, 98, 327, 33, 133, 263, 362, 468, 473];
/** Cheek points raised by a smile (AU6): [right, left, share of the corner's rise, share out]. */
const CHEEKS: readonly (readonly [number, number, number, number])[] = [
  [216, 436, 1.1, 0.6],
  [207, 427, 0.9, 0.4],
  [205, 425, 0.8, 0.2],
  [187, 411, 0.7, 0.3],
  [50, 280, 0.6, 0.2],
  [36, 266, 0.5, 0],
  [101, 330, 0.5, 0],
  [117, 346, 0.5, 0],
  [118, 347, 0.5, 0],
];
/** Under-eye rows the cheek pushes up in a smile, and the lower lid's share (the smile's eyes). */
const UNDER_EYE = [
  110, 24, 23, 22, 26, 228, 229, 230, 231, 339, 254, 253, 252, 256, 448, 449, 450, 451,
];
const UNDER_EYE_SHARE = 0.25;
const LOWER_LID_SHARE = 0.6;
/**
 * A subtle smile (lift up to `full`) is drawn stronger per unit than a clear one, fading to the
 * plain gains by `plain`: at the plain gains +0.3 was too weak to read on two fixture faces (the
 * emotion model's happy fell 0.84 → 0.80 on soft-smile and stayed at 0 on makeup). Up to +0.3
 * the corners rise by `gain` × the plain rise and the lower lids and under-eye rows follow the
 * cheek a little further (`lids`, the slight squint of a real smile, AU6). The corner's rise stays
 * monotone in the lift (the gain falls slower than the lift grows).
 */
const SUBTLE_SMILE = { full: 0.3, plain: 0.5, gain: 1.35, lids: 0.1 } as const;
const RIGHT_UPPER_LID = [246, 161, 160, 159, 158, 157, 173];
const LEFT_UPPER_LID = [466, 388, 387, 386, 385, 384, 398];
const RIGHT_LOWER_LID = [7, 163, 144, 145, 153, 154, 155];
const LEFT_LOWER_LID = [249, 390, 373, 374, 380, 381, 382];
/** Brow points from the inner end outward, each with its share of a furrow (AU4 acts inside). */
const RIGHT_BROW: readonly (readonly [number, number])[] = [
  [55, 1],
  [107, 1],
  [65, 0.9],
  [66, 0.8],
  [52, 0.45],
  [105, 0.45],
  [63, 0.3],
  [53, 0.15],
  [70, 0.1],
  [46, 0.1],
];
const LEFT_BROW: readonly (readonly [number, number])[] = [
  [285, 1],
  [336, 1],
  [295, 0.9],
  [296, 0.8],
  [282, 0.45],
  [334, 0.45],
  [293, 0.3],
  [283, 0.15],
  [300, 0.1],
  [276, 0.1],
];
/**
 * The brow's lower edge lies close to the lashes, and on soft or turned faces the mesh can sit a
 * few pixels off the real eye: this row rises less, so a brow raise never drags the lashes up.
 */
const LOWER_BROW_ROW: ReadonlySet<number> = new Set([46, 53, 52, 65, 55, 276, 283, 282, 295, 285]);
const LOWER_BROW_ROW_SHARE = 0.6;
/** The row just under each brow follows a raise a little; the skin above the lid stretches. */
const BELOW_BROW = [221, 222, 223, 224, 225, 441, 442, 443, 444, 445];
const BELOW_BROW_SHARE = 0.3;
/**
 * The upper-lid crease rows: they stay put for the brows (guarding the lashes) and follow the
 * lid halfway when it opens or closes, so the thin lid skin never folds over itself.
 */
const RIGHT_LID_CREASE = [30, 29, 27, 28, 56];
const LEFT_LID_CREASE = [260, 259, 257, 258, 286];
const CREASE_SHARE = 0.5;
/** Inward per unit of furrow down: AU4 draws the inner brows together as well as down. */
const FURROW_IN = 0.6;

/** The face's upright frame: origin between the outer eye corners, x along the eye line, y down. */
interface Frame {
  readonly ox: number;
  readonly oy: number;
  readonly cos: number;
  readonly sin: number;
}

function makeFrame(mesh: readonly MeshPoint[]): Frame {
  const right = at(mesh, L.rightEyeOuter);
  const left = at(mesh, L.leftEyeOuter);
  const angle = Math.atan2(left[1] - right[1], left[0] - right[0]);
  return {
    ox: (right[0] + left[0]) / 2,
    oy: (right[1] + left[1]) / 2,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
  };
}

function at(mesh: readonly MeshPoint[], index: number): MeshPoint {
  return mesh[index] ?? [0, 0, 0];
}

/** Image point → upright frame. */
function toFrame(f: Frame, x: number, y: number): [number, number] {
  const dx = x - f.ox;
  const dy = y - f.oy;
  return [dx * f.cos + dy * f.sin, -dx * f.sin + dy * f.cos];
}

/** Upright-frame vector → image vector. */
function vectorToImage(f: Frame, u: number, v: number): [number, number] {
  return [u * f.cos - v * f.sin, u * f.sin + v * f.cos];
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function smoothstep(edge0: number, edge1: number, value: number): number {
  const t = clamp((value - edge0) / (edge1 - edge0), 0, 1);
  return t * t * (3 - 2 * t);
}

/** A received value as an error message shows it. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}

/** A range bound with a true minus sign, as the brief's messages print them. */
function bound(value: number): string {
  return value < 0 ? `−${-value}` : String(value);
}

function usage(issues: readonly Issue[]): PortraitistError {
  const message =
    issues.length === 1
      ? (issues[0]?.message ?? 'invalid expression deltas')
      : `${issues.length} problems with the expression deltas: ${issues.map((i) => i.message).join('; ')}`;
  return new PortraitistError('USAGE', message, { issues });
}

/** Every delta a finite number inside its range, and no unknown names. */
function validate(deltas: ExpressionDeltas): Required<ExpressionDeltas> {
  // Deltas often arrive from JSON (CLI, HTTP): check the shape, not just the types.
  if (typeof deltas !== 'object' || deltas === null || Array.isArray(deltas)) {
    const message = `expected an object of expression deltas for \`deltas\` but received ${shown(deltas)}`;
    throw usage([{ path: 'deltas', message }]);
  }
  const issues: Issue[] = [];
  const values: Record<string, number> = {};
  const raw = deltas as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(RANGES, key))
      issues.push({
        path: key,
        message: `expected one of ${Object.keys(RANGES).join(', ')} for \`${key}\` but received an unknown name`,
      });
  }
  for (const [key, [low, high]] of Object.entries(RANGES)) {
    const value = raw[key];
    if (value === undefined) {
      values[key] = 0;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value > high) {
      const unit = key === 'headTilt' ? ' (degrees)' : '';
      issues.push({
        path: key,
        message: `expected a number from ${bound(low)} to ${bound(high)}${unit} for \`${key}\` but received ${shown(value)}`,
      });
      continue;
    }
    values[key] = value;
  }
  if (issues.length > 0) throw usage(issues);
  return {
    lipCornerLift: values.lipCornerLift ?? 0,
    lipsParted: values.lipsParted ?? 0,
    browRaise: values.browRaise ?? 0,
    browFurrow: values.browFurrow ?? 0,
    eyeAperture: values.eyeAperture ?? 0,
    headTilt: values.headTilt ?? 0,
  };
}

/** Control displacements in the upright frame, keyed by mesh index. */
type Controls = Map<number, [number, number]>;

function push(controls: Controls, index: number, du: number, dv: number): void {
  const current = controls.get(index);
  if (current === undefined) controls.set(index, [du, dv]);
  else {
    current[0] += du;
    current[1] += dv;
  }
}

/**
 * The landmark displacements of every delta, in pixels of the upright frame. Every landmark that
 * any delta could move is listed (at zero when its delta is 0), so each effect stays local: the
 * others pin their landmarks.
 */
function controlDisplacements(
  mesh: readonly MeshPoint[],
  frame: Frame,
  faceHeight: number,
  d: Required<ExpressionDeltas>,
): Controls {
  const c = expressionCalibration;
  const G = expressionWarpGains;
  const controls: Controls = new Map();
  const up = (index: number): [number, number] => {
    const p = at(mesh, index);
    return toFrame(frame, p[0], p[1]);
  };
  for (const index of STILL) push(controls, index, 0, 0);

  // Mouth: corners up (or down) and out; the rest of each lip follows by its distance from the
  // middle squared, which bends the lip line into a smile and keeps the lip centre still (the
  // centre is what lift is measured against).
  // Each side is measured from the lip centre to its own corner: on a turned head the far half of
  // the mouth is foreshortened, and a shared half-width would drag the centre along.
  const [rightCornerU] = up(L.mouthCornerRight);
  const [leftCornerU] = up(L.mouthCornerLeft);
  const mouthCentre = (up(L.upperLipInner)[0] + up(L.lowerLipInner)[0]) / 2;
  const halfRight = Math.max(1, Math.abs(mouthCentre - rightCornerU));
  const halfLeft = Math.max(1, Math.abs(leftCornerU - mouthCentre));
  // 1 for a subtle smile, 0 from a clear one on (and for a frown).
  const subtle =
    d.lipCornerLift > 0
      ? 1 - smoothstep(SUBTLE_SMILE.full, SUBTLE_SMILE.plain, d.lipCornerLift)
      : 0;
  const rise =
    d.lipCornerLift *
    c.lipCornerLift.span *
    faceHeight *
    G.lipCornerLift *
    (1 + (SUBTLE_SMILE.gain - 1) * subtle);
  const underEye = UNDER_EYE_SHARE + SUBTLE_SMILE.lids * subtle;
  const lowerLid = LOWER_LID_SHARE + SUBTLE_SMILE.lids * subtle;
  const out = Math.abs(rise) * (rise >= 0 ? SMILE_OUT : FROWN_OUT);
  const parting = d.lipsParted * c.lipsParted.span * faceHeight * G.lipsParted;
  const lips = [
    ...LIPS_OUTER_UPPER.map((i) => [i, 0] as const),
    ...LIPS_INNER_UPPER.map((i) => [i, 0] as const),
    ...LIPS_OUTER_LOWER.map((i) => [i, 1] as const),
    ...LIPS_INNER_LOWER.map((i) => [i, 1] as const),
  ];
  for (const [index, lower] of lips) {
    const [u] = up(index);
    const side = Math.sign(u - mouthCentre);
    const t = clamp(Math.abs(u - mouthCentre) / (side < 0 ? halfRight : halfLeft), 0, 1);
    const w = t * t;
    // The lower lip drops most in the middle and not at all at the corners.
    const drop = lower === 1 ? parting * (1 - w) : 0;
    push(controls, index, side * out * w, -rise * w + drop);
  }
  for (const [index, share] of CHIN) push(controls, index, 0, parting * share);

  // A smile lifts the cheeks (AU6) and with them the lower lids: the smile reaches the eyes.
  const smile = Math.max(0, rise);
  for (const [right, left, share, outShare] of CHEEKS) {
    push(controls, right, -smile * outShare, -smile * share);
    push(controls, left, smile * outShare, -smile * share);
  }
  for (const index of UNDER_EYE) push(controls, index, 0, -smile * underEye);

  // Lids: the upper lid opens (or closes) most over the pupil, not at the corners; lower lids rise
  // with a smile the same way.
  const lids: readonly (readonly [
    readonly number[],
    readonly number[],
    readonly number[],
    number,
    number,
  ])[] = [
    [RIGHT_UPPER_LID, RIGHT_LOWER_LID, RIGHT_LID_CREASE, L.rightEyeOuter, L.rightEyeInner],
    [LEFT_UPPER_LID, LEFT_LOWER_LID, LEFT_LID_CREASE, L.leftEyeOuter, L.leftEyeInner],
  ];
  for (const [upper, lower, crease, outer, inner] of lids) {
    const [outerU] = up(outer);
    const [innerU] = up(inner);
    const eyeWidth = Math.max(1, Math.abs(innerU - outerU));
    const opening = d.eyeAperture * c.eyeAperture.span * eyeWidth * G.eyeAperture;
    const profile = (index: number) =>
      Math.sin(Math.PI * clamp((up(index)[0] - outerU) / (innerU - outerU), 0, 1));
    for (const index of upper) push(controls, index, 0, -opening * profile(index));
    for (const index of lower) push(controls, index, 0, -smile * lowerLid * profile(index));
    for (const index of crease) push(controls, index, 0, -opening * CREASE_SHARE * profile(index));
  }

  // Brows: raised as a whole (AU1+2); furrowed from the inner end (AU4), down and toward the middle.
  const browLift = d.browRaise * c.browRaise.span * faceHeight * G.browRaise;
  const furrow = d.browFurrow * c.browFurrow.span * faceHeight * G.browFurrow;
  for (const [brow, inward] of [
    [RIGHT_BROW, 1],
    [LEFT_BROW, -1],
  ] as const) {
    for (const [index, share] of brow) {
      const raise = LOWER_BROW_ROW.has(index) ? LOWER_BROW_ROW_SHARE : 1;
      push(
        controls,
        index,
        inward * furrow * share * FURROW_IN,
        -browLift * raise + furrow * share,
      );
    }
  }
  for (const index of BELOW_BROW) push(controls, index, 0, -browLift * BELOW_BROW_SHARE);
  return controls;
}

/** The silhouette as an ellipse in the upright frame: centre and semi-axes. */
interface FaceEllipse {
  readonly cu: number;
  readonly cv: number;
  readonly a: number;
  readonly b: number;
}

function faceEllipse(mesh: readonly MeshPoint[], frame: Frame): FaceEllipse {
  const points = (meshContours.silhouette ?? []).map((i) => {
    const p = at(mesh, i);
    return toFrame(frame, p[0], p[1]);
  });
  const us = points.map((p) => p[0]);
  const vs = points.map((p) => p[1]);
  const cu = (Math.min(...us) + Math.max(...us)) / 2;
  const cv = (Math.min(...vs) + Math.max(...vs)) / 2;
  return {
    cu,
    cv,
    a: Math.max(1, (Math.max(...us) - Math.min(...us)) / 2),
    b: Math.max(1, (Math.max(...vs) - Math.min(...vs)) / 2),
  };
}

/** A thin-plate spline through 2D vector values: f(p) = affine(p) + Σ wᵢ U(|p − cᵢ|). */
interface Spline {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly wx: Float64Array;
  readonly wy: Float64Array;
  /** Affine parts [a0, ax, ay] for x and y. */
  readonly ax: readonly [number, number, number];
  readonly ay: readonly [number, number, number];
}

/** r² log r, written with r² to skip a square root. */
function kernel(r2: number): number {
  return r2 <= 0 ? 0 : 0.5 * r2 * Math.log(r2);
}

/** Solves A x = b for several right-hand sides in place (Gaussian elimination, partial pivoting). */
function solve(matrix: Float64Array, n: number, rhs: Float64Array[]): void {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++)
      if (Math.abs(matrix[row * n + col] ?? 0) > Math.abs(matrix[pivot * n + col] ?? 0))
        pivot = row;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const tmp = matrix[col * n + k] ?? 0;
        matrix[col * n + k] = matrix[pivot * n + k] ?? 0;
        matrix[pivot * n + k] = tmp;
      }
      for (const b of rhs) {
        const tmp = b[col] ?? 0;
        b[col] = b[pivot] ?? 0;
        b[pivot] = tmp;
      }
    }
    const diagonal = matrix[col * n + col] ?? 0;
    if (Math.abs(diagonal) < 1e-12) continue;
    for (let row = col + 1; row < n; row++) {
      const factor = (matrix[row * n + col] ?? 0) / diagonal;
      if (factor === 0) continue;
      for (let k = col; k < n; k++)
        matrix[row * n + k] = (matrix[row * n + k] ?? 0) - factor * (matrix[col * n + k] ?? 0);
      for (const b of rhs) b[row] = (b[row] ?? 0) - factor * (b[col] ?? 0);
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    const diagonal = matrix[row * n + row] ?? 0;
    for (const b of rhs) {
      let sum = b[row] ?? 0;
      for (let k = row + 1; k < n; k++) sum -= (matrix[row * n + k] ?? 0) * (b[k] ?? 0);
      b[row] = Math.abs(diagonal) < 1e-12 ? 0 : sum / diagonal;
    }
  }
}

/**
 * Fits the spline to values at points, in coordinates divided by `scale` so the ridge and the
 * kernel's logarithm mean the same on every face size.
 */
function fitSpline(
  points: readonly (readonly [number, number])[],
  values: readonly (readonly [number, number])[],
  scale: number,
): Spline {
  const n = points.length;
  const size = n + 3;
  const xs = new Float64Array(points.map((p) => p[0] / scale));
  const ys = new Float64Array(points.map((p) => p[1] / scale));
  const matrix = new Float64Array(size * size);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dx = (xs[i] ?? 0) - (xs[j] ?? 0);
      const dy = (ys[i] ?? 0) - (ys[j] ?? 0);
      matrix[i * size + j] = i === j ? SPLINE_RIDGE : kernel(dx * dx + dy * dy);
    }
    const affine = [1, xs[i] ?? 0, ys[i] ?? 0];
    for (let k = 0; k < 3; k++) {
      matrix[i * size + n + k] = affine[k] ?? 0;
      matrix[(n + k) * size + i] = affine[k] ?? 0;
    }
  }
  const bx = new Float64Array(size);
  const by = new Float64Array(size);
  values.forEach(([vx, vy], i) => {
    bx[i] = vx;
    by[i] = vy;
  });
  solve(matrix, size, [bx, by]);
  return {
    xs,
    ys,
    wx: bx.subarray(0, n),
    wy: by.subarray(0, n),
    ax: [bx[n] ?? 0, bx[n + 1] ?? 0, bx[n + 2] ?? 0],
    ay: [by[n] ?? 0, by[n + 1] ?? 0, by[n + 2] ?? 0],
  };
}

function evaluateSpline(s: Spline, x: number, y: number, out: [number, number]): void {
  let fx = s.ax[0] + s.ax[1] * x + s.ax[2] * y;
  let fy = s.ay[0] + s.ay[1] * x + s.ay[2] * y;
  const { xs, ys, wx, wy } = s;
  for (let i = 0; i < xs.length; i++) {
    const dx = x - (xs[i] ?? 0);
    const dy = y - (ys[i] ?? 0);
    const u = kernel(dx * dx + dy * dy);
    fx += (wx[i] ?? 0) * u;
    fy += (wy[i] ?? 0) * u;
  }
  out[0] = fx;
  out[1] = fy;
}

/** The face to warp, or a USAGE error naming `face`. */
function chooseFace(blueprint: Blueprint, faceIndex: number | undefined) {
  const index = faceIndex ?? blueprint.faceIndex ?? 0;
  const face = Number.isInteger(index) ? blueprint.faces[index] : undefined;
  if (face === undefined || face.mesh.length < 468) {
    const message =
      blueprint.faces.length === 0
        ? `expected a photo with a face for \`face\` but ${blueprint.source} has none`
        : `expected a face index from 0 to ${blueprint.faces.length - 1} for \`face\` but received ${index}`;
    throw new PortraitistError('USAGE', message, {
      source: blueprint.source,
      issues: [{ path: 'face', message }],
    });
  }
  return face;
}

/** Source offsets (sample at p + offset) on a coarse grid over a pixel rectangle. */
interface OffsetGrid {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly step: number;
  readonly columns: number;
  readonly dx: Float32Array;
  readonly dy: Float32Array;
}

/**
 * Returns the photo with the face's expression changed by `deltas`, at full resolution; pixels
 * beyond a margin around the face are copied bit for bit.
 */
export function warpExpression(
  image: RgbImage,
  blueprint: Blueprint,
  deltas: ExpressionDeltas,
  options: ExpressionWarpOptions = {},
): RgbImage {
  const d = validate(deltas);
  const face = chooseFace(blueprint, options.faceIndex);
  if (image.width !== blueprint.image.width || image.height !== blueprint.image.height) {
    const message = `expected the ${blueprint.image.width}×${blueprint.image.height} photo the blueprint was read from for \`image\` but received ${image.width}×${image.height}`;
    throw new PortraitistError('USAGE', message, {
      source: image.source,
      issues: [{ path: 'image', message }],
    });
  }
  const output = new Uint8Array(image.data);
  if (Object.values(d).every((v) => v === 0)) return { ...image, data: output };
  const grid = offsetGrid(image, face.mesh, d);
  if (grid !== null) resample(image, grid, output);
  return { ...image, data: output };
}

/** The backward map (output pixel → where to sample the input) on a grid over the face. */
function offsetGrid(
  image: RgbImage,
  mesh: readonly MeshPoint[],
  d: Required<ExpressionDeltas>,
): OffsetGrid | null {
  const frame = makeFrame(mesh);
  const top = at(mesh, L.foreheadTop);
  const chin = at(mesh, L.chin);
  const faceHeight = Math.max(1, Math.hypot(top[0] - chin[0], top[1] - chin[1]));
  const ellipse = faceEllipse(mesh, frame);

  // Controls sit where the landmarks land (p + d) and hold d: the field is then an exact inverse
  // at every control (sampling at p + d − d = p), so the backward map needs no iteration.
  const controls = controlDisplacements(mesh, frame, faceHeight, d);
  const points: [number, number][] = [];
  const values: [number, number][] = [];
  for (const [index, [du, dv]] of controls) {
    const p = at(mesh, index);
    const [vx, vy] = vectorToImage(frame, du, dv);
    points.push([p[0] + vx, p[1] + vy]);
    values.push([vx, vy]);
  }
  // Zero rings just outside the silhouette and further out: nothing beyond the face moves.
  for (const ring of RINGS) {
    for (const index of new Set(meshContours.silhouette ?? [])) {
      const p = at(mesh, index);
      const [u, v] = toFrame(frame, p[0], p[1]);
      const [x, y] = vectorToImage(
        frame,
        ellipse.cu + (u - ellipse.cu) * ring,
        ellipse.cv + (v - ellipse.cv) * ring,
      );
      points.push([frame.ox + x, frame.oy + y]);
      values.push([0, 0]);
    }
  }
  const moving = values.some(([x, y]) => x !== 0 || y !== 0);
  const spline = moving ? fitSpline(points, values, faceHeight) : null;

  // The region: the bounding box of the windowed ellipse, in image pixels.
  const ra = ellipse.a * WINDOW_END;
  const rb = ellipse.b * WINDOW_END;
  const [centreX, centreY] = vectorToImage(frame, ellipse.cu, ellipse.cv);
  const cx = frame.ox + centreX;
  const cy = frame.oy + centreY;
  const halfX = Math.hypot(ra * frame.cos, rb * frame.sin);
  const halfY = Math.hypot(ra * frame.sin, rb * frame.cos);
  const left = clamp(Math.floor(cx - halfX), 0, image.width);
  const right = clamp(Math.ceil(cx + halfX) + 1, 0, image.width);
  const topEdge = clamp(Math.floor(cy - halfY), 0, image.height);
  const bottom = clamp(Math.ceil(cy + halfY) + 1, 0, image.height);
  if (right <= left || bottom <= topEdge) return null;

  const step = clamp(Math.round(faceHeight / 48), MIN_GRID_STEP, MAX_GRID_STEP);
  const columns = Math.ceil((right - 1 - left) / step) + 1;
  const rows = Math.ceil((bottom - 1 - topEdge) / step) + 1;
  const dx = new Float32Array(columns * rows);
  const dy = new Float32Array(columns * rows);
  // Tilt: the face turns about the ellipse's centre; the angle fades with the elliptical radius,
  // a swirl that keeps each point's distance from the centre, so it cannot fold.
  const tilt = (d.headTilt * Math.PI) / 180;
  const value: [number, number] = [0, 0];
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < columns; i++) {
      const x = left + i * step;
      const y = topEdge + j * step;
      const [u, v] = toFrame(frame, x, y);
      const rho = Math.hypot((u - ellipse.cu) / ellipse.a, (v - ellipse.cv) / ellipse.b);
      if (rho >= WINDOW_END) continue;
      // Where this output pixel sits before the tilt (rotate back by the faded angle, visually
      // clockwise for a positive tilt: in y-down pixels that is the standard rotation).
      let qx = x;
      let qy = y;
      if (tilt !== 0) {
        const angle = tilt * (1 - smoothstep(TILT_FULL, WINDOW_END, rho));
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        const rx = x - cx;
        const ry = y - cy;
        qx = cx + rx * cos - ry * sin;
        qy = cy + rx * sin + ry * cos;
      }
      let sx = qx - x;
      let sy = qy - y;
      if (spline !== null) {
        const [qu, qv] = toFrame(frame, qx, qy);
        const rhoQ = Math.hypot((qu - ellipse.cu) / ellipse.a, (qv - ellipse.cv) / ellipse.b);
        const window = 1 - smoothstep(WINDOW_START, WINDOW_END, rhoQ);
        if (window > 0) {
          evaluateSpline(spline, qx / faceHeight, qy / faceHeight, value);
          sx -= value[0] * window;
          sy -= value[1] * window;
        }
      }
      dx[j * columns + i] = sx;
      dy[j * columns + i] = sy;
    }
  }
  return { left, top: topEdge, right, bottom, step, columns, dx, dy };
}

/** Backward-maps every pixel of the grid's rectangle with bilinear sampling; the rest stays. */
function resample(image: RgbImage, grid: OffsetGrid, output: Uint8Array): void {
  const { width, height, data } = image;
  const { left, top, right, bottom, step, columns, dx, dy } = grid;
  const maxX = width - 1;
  const maxY = height - 1;
  for (let y = top; y < bottom; y++) {
    const gy = (y - top) / step;
    const j = Math.min(Math.floor(gy), Math.max(0, dx.length / columns - 2));
    const fy = gy - j;
    const row0 = j * columns;
    const row1 = row0 + columns;
    for (let x = left; x < right; x++) {
      const gx = (x - left) / step;
      const i = Math.min(Math.floor(gx), Math.max(0, columns - 2));
      const fx = gx - i;
      const a = row0 + i;
      const b = row1 + i;
      const ox =
        ((dx[a] ?? 0) * (1 - fx) + (dx[a + 1] ?? 0) * fx) * (1 - fy) +
        ((dx[b] ?? 0) * (1 - fx) + (dx[b + 1] ?? 0) * fx) * fy;
      const oy =
        ((dy[a] ?? 0) * (1 - fx) + (dy[a + 1] ?? 0) * fx) * (1 - fy) +
        ((dy[b] ?? 0) * (1 - fx) + (dy[b + 1] ?? 0) * fx) * fy;
      // Unmoved pixels keep their exact bytes (bilinear at a whole pixel is exact anyway; this
      // also skips the work).
      if (ox === 0 && oy === 0) continue;
      const sx = clamp(x + ox, 0, maxX);
      const sy = clamp(y + oy, 0, maxY);
      const x0 = Math.min(Math.floor(sx), maxX - 1 < 0 ? 0 : maxX - 1);
      const y0 = Math.min(Math.floor(sy), maxY - 1 < 0 ? 0 : maxY - 1);
      const tx = sx - x0;
      const ty = sy - y0;
      const x1 = Math.min(x0 + 1, maxX);
      const y1 = Math.min(y0 + 1, maxY);
      const p00 = (y0 * width + x0) * 3;
      const p10 = (y0 * width + x1) * 3;
      const p01 = (y1 * width + x0) * 3;
      const p11 = (y1 * width + x1) * 3;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top0 = (data[p00 + c] ?? 0) * (1 - tx) + (data[p10 + c] ?? 0) * tx;
        const bottom0 = (data[p01 + c] ?? 0) * (1 - tx) + (data[p11 + c] ?? 0) * tx;
        output[o + c] = (top0 * (1 - ty) + bottom0 * ty + 0.5) | 0;
      }
    }
  }
}
