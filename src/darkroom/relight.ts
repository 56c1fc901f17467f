// relight(photo, blueprint, mask, rig): estimate the photo's own shading in linear light — a
// linear spherical-harmonic fit on the face mesh's normals, corrected by the smooth residual the
// skin still shows — divide it out, and shade in the rig (key direction, fill ratio measured as
// the cheeks' luminance ratio, terminator softness, rim, colour) with small catchlights. Normals
// come from the mesh on the face and from an inflated person silhouette on hair, neck and body,
// feathered into each other inside the face contour. Shading is smooth, so every field is solved
// at a bounded working resolution and only the shading field is upsampled, never the photo.
import { closest, findEntry, lightRigs, type LightRig } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import { srgbToLinear, linearToSrgb, type RgbImage } from '../image/index.js';
import { blackbodyLinearRgb } from './grade.js';
import {
  faceFrame,
  faceHeight,
  landmarks,
  meshContours,
  skinRegions,
  vertexNormals,
  type Blueprint,
  type FaceReading,
  type MeshPoint,
} from '../vision/index.js';
import type { PersonMask } from './types.js';

/** The light to re-shade with, in the brief's terms (azimuth positive toward the subject's left). */
export interface RelightTarget {
  readonly azimuth: number;
  readonly elevation: number;
  /** Key:fill ratio (≥ 1). */
  readonly fillRatio: number;
  /** 0 hard .. 1 very soft (wrap-around). */
  readonly softness: number;
  readonly colorTemperature: number;
  readonly rim: boolean;
}

/** A vocabulary rig as a relight target, on the given side of the subject's face. */
export function rigTarget(rigId: string, side: 'left' | 'right' = 'left'): RelightTarget {
  const rig = findEntry(lightRigs as readonly LightRig[], rigId);
  if (rig === undefined) {
    const ids = lightRigs.map((r) => r.id);
    // The same suggestion the brief loader gives for a misspelt vocabulary value.
    const suggestion = closest(rigId, ids);
    const hint = suggestion === undefined ? '' : ` — did you mean "${suggestion}"?`;
    throw new PortraitistError('USAGE', `unknown rig "${rigId}"${hint}`, {
      issues: [
        {
          path: 'rig',
          message: `expected one of ${ids.join(', ')} for \`rig\` but received ${JSON.stringify(rigId)}${hint}`,
        },
      ],
    });
  }
  const middle = (range: readonly [number, number]) => (range[0] + range[1]) / 2;
  return {
    azimuth: (side === 'left' ? 1 : -1) * middle(rig.key.azimuth),
    elevation: middle(rig.key.elevation),
    fillRatio: rig.fillRatio === null ? 8 : middle(rig.fillRatio),
    softness: middle(rig.softness),
    colorTemperature: rig.colorTemperature,
    rim: rig.rim,
  };
}

/** The colour of a light at `kelvin` as linear RGB gains relative to 5500 K daylight. */
export function kelvinGains(kelvin: number): [number, number, number] {
  const target = blackbodyLinearRgb(Math.min(15000, Math.max(1500, kelvin)));
  const reference = blackbodyLinearRgb(5500);
  return [target[0] / reference[0], target[1] / reference[1], target[2] / reference[2]];
}

/**
 * The key's colour as luminance-neutral linear RGB gains. Half the rig's mired shift from
 * daylight: a camera balanced between the key and the room, as a photographer would set it, so a
 * golden-hour key warms the skin without turning it orange.
 */
export function keyColour(kelvin: number): [number, number, number] {
  const mired = 1e6 / 5500 + 0.5 * (1e6 / Math.min(15000, Math.max(1500, kelvin)) - 1e6 / 5500);
  const gains = kelvinGains(1e6 / mired);
  const luma = dot3(gains, LUMA);
  return [gains[0] / luma, gains[1] / luma, gains[2] / luma];
}

/** A direction in the face's frame (azimuth/elevation) turned into camera coordinates. */
function cameraDirection(
  face: FaceReading,
  azimuth: number,
  elevation: number,
): [number, number, number] {
  const { right, up, forward } = faceFrame(face.mesh);
  const a = (azimuth * Math.PI) / 180;
  const e = (elevation * Math.PI) / 180;
  const f = [Math.sin(a) * Math.cos(e), Math.sin(e), Math.cos(a) * Math.cos(e)] as const;
  return [0, 1, 2].map(
    (k) => (right[k] ?? 0) * f[0] + (up[k] ?? 0) * f[1] + (forward[k] ?? 0) * f[2],
  ) as [number, number, number];
}

/**
 * Separable box blur of a float field, in place, `passes` times (≈ Gaussian), edges clamped.
 * Running sums in float64; the vertical pass walks rows with one running sum per column, so it
 * reads memory in order (the same sums, in the same order, as a column-by-column walk).
 */
function boxBlur(
  field: Float32Array,
  width: number,
  height: number,
  radius: number,
  passes = 2,
): void {
  if (radius < 1) return;
  const temp = new Float32Array(field.length);
  const sums = new Float64Array(width);
  const span = 2 * radius + 1;
  const last = width - 1;
  for (let pass = 0; pass < passes; pass++) {
    for (let y = 0; y < height; y++) {
      let sum = 0;
      const row = y * width;
      for (let x = -radius; x <= radius; x++)
        sum += field[row + (x < 0 ? 0 : x > last ? last : x)] as number;
      const first = field[row] as number;
      const end = field[row + last] as number;
      for (let x = 0; x < width; x++) {
        temp[row + x] = sum / span;
        const add = x + radius + 1;
        const drop = x - radius;
        sum +=
          (add > last ? end : (field[row + add] as number)) -
          (drop < 0 ? first : (field[row + drop] as number));
      }
    }
    sums.fill(0);
    for (let y = -radius; y <= radius; y++) {
      const row = (y < 0 ? 0 : y >= height ? height - 1 : y) * width;
      for (let x = 0; x < width; x++) sums[x] = (sums[x] as number) + (temp[row + x] as number);
    }
    for (let y = 0; y < height; y++) {
      const row = y * width;
      const add = Math.min(height - 1, y + radius + 1) * width;
      const drop = Math.max(0, y - radius) * width;
      for (let x = 0; x < width; x++) {
        const sum = sums[x] as number;
        field[row + x] = sum / span;
        sums[x] = sum + ((temp[add + x] as number) - (temp[drop + x] as number));
      }
    }
  }
}

/** Long side of the working resolution every shading field is solved at. */
const FIELD_SIDE = 384;
/** Linear-light level above which brightened values roll off instead of clipping. */
const KNEE = 0.78;
/** Log-ratio bounds of the re-shading (×0.04 .. ×4). */
const MIN_LOG_RATIO = Math.log(0.04);
const MAX_LOG_RATIO = Math.log(4);
const LUMA = [0.2126, 0.7152, 0.0722] as const;

type Vec3 = [number, number, number];
const dot3 = (a: readonly number[], b: readonly number[]): number =>
  (a[0] ?? 0) * (b[0] ?? 0) + (a[1] ?? 0) * (b[1] ?? 0) + (a[2] ?? 0) * (b[2] ?? 0);
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The photo at working resolution: linear luminance and person coverage, area-averaged. */
function workingPlanes(
  image: RgbImage,
  mask: PersonMask,
  width: number,
  height: number,
): { lum: Float32Array; peak: Float32Array; person: Float32Array } {
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = srgbToLinear(v);
  const lum = new Float32Array(width * height);
  const peak = new Float32Array(width * height);
  const person = new Float32Array(width * height);
  const count = new Float32Array(width * height);
  const xs = new Int32Array(image.width);
  for (let x = 0; x < image.width; x++)
    xs[x] = Math.min(width - 1, Math.floor((x * width) / image.width));
  const { data } = image;
  for (let y = 0; y < image.height; y++) {
    const row = Math.min(height - 1, Math.floor((y * height) / image.height)) * width;
    for (
      let x = 0, i = y * image.width * 3, m = y * image.width;
      x < image.width;
      x++, i += 3, m++
    ) {
      const cell = row + (xs[x] as number);
      const r = lut[data[i] as number] as number;
      const g = lut[data[i + 1] as number] as number;
      const b = lut[data[i + 2] as number] as number;
      lum[cell] = (lum[cell] as number) + 0.2126 * r + 0.7152 * g + 0.0722 * b;
      peak[cell] = (peak[cell] as number) + (r > g ? (r > b ? r : b) : g > b ? g : b);
      person[cell] = (person[cell] as number) + (mask.alpha[m] as number);
      count[cell] = (count[cell] as number) + 1;
    }
  }
  for (let i = 0; i < lum.length; i++) {
    const n = Math.max(1, count[i] as number);
    lum[i] = (lum[i] as number) / n;
    peak[i] = (peak[i] as number) / n;
    person[i] = (person[i] as number) / n;
  }
  return { lum, peak, person };
}

/** A face's mesh normals made to face the camera (−z); the detector's winding varies. */
function facingNormals(face: FaceReading, triangles: readonly number[]): Vec3[] {
  const normals = vertexNormals(face.mesh, triangles);
  return normals.reduce((s, n) => s + n[2], 0) > 0
    ? normals.map(([a, b, c]) => [-a, -b, -c] as Vec3)
    : normals;
}

interface NormalField {
  readonly nx: Float32Array;
  readonly ny: Float32Array;
  readonly nz: Float32Array;
  /** Face coverage feathered inward from the mesh contour: 0 at the contour, 1 well inside. */
  readonly faceWeight: Float32Array;
  /** Face coverage, softened: 1 on the face, ½ at its contour, 0 outside. */
  readonly faceCover: Float32Array;
}

/**
 * Surface normals at working resolution: the person silhouette inflated into a rounded height
 * field, with the faces' mesh normals rasterised over it and feathered in from zero weight at the
 * mesh contour, so the two fields meet without a boundary.
 */
function normalField(
  person: Float32Array,
  faces: readonly { face: FaceReading; normals: readonly Vec3[] }[],
  triangles: readonly number[],
  scale: number,
  width: number,
  height: number,
): NormalField {
  const size = width * height;
  // Inflate: blurred coverage at two scales approximates a rounded cross-section (a cheap
  // distance transform): gentle at the centre of the body, steep at its silhouette.
  const height1 = new Float32Array(person);
  boxBlur(height1, width, height, Math.max(2, Math.round(width / 24)), 3);
  const height2 = new Float32Array(person);
  boxBlur(height2, width, height, Math.max(2, Math.round(width / 8)), 3);
  const nx = new Float32Array(size);
  const ny = new Float32Array(size);
  const nz = new Float32Array(size);
  const depth = width / 6; // how far the body bulges toward the camera, in field pixels
  // Central differences, edges clamped: neighbour indices worked out once per row and column.
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width;
    const down = Math.min(height - 1, y + 1) * width;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const left = row + Math.max(0, x - 1);
      const right = row + Math.min(width - 1, x + 1);
      const hx =
        ((height1[right] as number) - (height1[left] as number)) * 0.6 +
        ((height2[right] as number) - (height2[left] as number)) * 0.4;
      const hy =
        ((height1[down + x] as number) - (height1[up + x] as number)) * 0.6 +
        ((height2[down + x] as number) - (height2[up + x] as number)) * 0.4;
      const gx = -hx * depth * 0.5;
      const gy = -hy * depth * 0.5;
      const length = Math.sqrt(gx * gx + gy * gy + 1);
      nx[i] = gx / length;
      ny[i] = gy / length;
      nz[i] = -1 / length;
    }
  }
  const coverage = new Float32Array(size);
  const fnx = new Float32Array(size);
  const fny = new Float32Array(size);
  const fnz = new Float32Array(size);
  // A depth buffer: on a turned head the far side's triangles fold behind the near ones, and
  // their normals point away; only the surface nearest the camera is kept.
  const depthBuffer = new Float32Array(size).fill(Number.POSITIVE_INFINITY);
  let feather = 1;
  let smoothing = 1;
  for (const { face, normals } of faces) {
    feather = Math.max(feather, (faceHeight(face.mesh) * scale) / 4);
    smoothing = Math.max(smoothing, (faceHeight(face.mesh) * scale) / 40);
    for (let t = 0; t + 2 < triangles.length; t += 3) {
      const ids = [triangles[t] ?? 0, triangles[t + 1] ?? 0, triangles[t + 2] ?? 0];
      const p = ids.map((k) => face.mesh[k] ?? ([0, 0, 0] as const));
      const [p0, p1, p2] = p.map(([px, py]) => [px * scale, py * scale] as const) as [
        readonly [number, number],
        readonly [number, number],
        readonly [number, number],
      ];
      const det = (p1[1] - p2[1]) * (p0[0] - p2[0]) + (p2[0] - p1[0]) * (p0[1] - p2[1]);
      if (Math.abs(det) < 1e-9) continue;
      const n = ids.map((k) => normals[k] ?? ([0, 0, -1] as Vec3));
      const yMax = Math.min(height - 1, Math.ceil(Math.max(p0[1], p1[1], p2[1])));
      const xMax = Math.min(width - 1, Math.ceil(Math.max(p0[0], p1[0], p2[0])));
      for (let y = Math.max(0, Math.floor(Math.min(p0[1], p1[1], p2[1]))); y <= yMax; y++) {
        for (let x = Math.max(0, Math.floor(Math.min(p0[0], p1[0], p2[0]))); x <= xMax; x++) {
          const w0 = ((p1[1] - p2[1]) * (x - p2[0]) + (p2[0] - p1[0]) * (y - p2[1])) / det;
          const w1 = ((p2[1] - p0[1]) * (x - p2[0]) + (p0[0] - p2[0]) * (y - p2[1])) / det;
          const w2 = 1 - w0 - w1;
          if (w0 < -0.01 || w1 < -0.01 || w2 < -0.01) continue;
          const i = y * width + x;
          const z = w0 * (p[0]?.[2] ?? 0) + w1 * (p[1]?.[2] ?? 0) + w2 * (p[2]?.[2] ?? 0);
          if (z >= (depthBuffer[i] as number)) continue;
          depthBuffer[i] = z;
          fnx[i] = w0 * (n[0]?.[0] ?? 0) + w1 * (n[1]?.[0] ?? 0) + w2 * (n[2]?.[0] ?? 0);
          fny[i] = w0 * (n[0]?.[1] ?? 0) + w1 * (n[1]?.[1] ?? 0) + w2 * (n[2]?.[1] ?? 0);
          fnz[i] = w0 * (n[0]?.[2] ?? 0) + w1 * (n[1]?.[2] ?? 0) + w2 * (n[2]?.[2] ?? 0);
          coverage[i] = 1;
        }
      }
    }
  }
  // The mesh's normals are noisy at triangle scale (a detector's mesh, not a scan): smoothed
  // component-wise, where the face is, before they are renormalised below.
  const smoothRadius = Math.max(1, Math.round(smoothing));
  for (const component of [fnx, fny, fnz]) boxBlur(component, width, height, smoothRadius, 2);
  // Feather inward: blurred coverage is ½ at the contour and 1 a blur radius inside; remapped so
  // the mesh's normals have no weight at the contour, where the two fields disagree most.
  const faceWeight = new Float32Array(coverage);
  boxBlur(faceWeight, width, height, Math.max(1, Math.round(feather / 2)), 2);
  const faceCover = new Float32Array(size);
  // Only on the mesh: past its contour the person mask alone says what changes.
  for (let i = 0; i < size; i++)
    faceCover[i] = (coverage[i] as number) > 0 ? Math.min(1, 2 * (faceWeight[i] as number)) : 0;
  for (let i = 0; i < size; i++) {
    const c = coverage[i] as number;
    const raw = c > 0 ? clamp(2 * (faceWeight[i] as number) - 1, 0, 1) : 0;
    const w = raw * raw * (3 - 2 * raw); // smoothstep: no kink where the feather starts
    faceWeight[i] = w;
    if (w <= 0) continue;
    const fx = fnx[i] as number;
    const fy = fny[i] as number;
    const fz = fnz[i] as number;
    const fl = Math.sqrt(fx * fx + fy * fy + fz * fz) || 1;
    const x = (nx[i] as number) * (1 - w) + (fx / fl) * w;
    const y = (ny[i] as number) * (1 - w) + (fy / fl) * w;
    const z = (nz[i] as number) * (1 - w) + (fz / fl) * w;
    const l = Math.sqrt(x * x + y * y + z * z) || 1;
    nx[i] = x / l;
    ny[i] = y / l;
    nz[i] = z / l;
  }
  return { nx, ny, nz, faceWeight, faceCover };
}

/** Mesh vertices that are skin: not eyes, brows, lips, irises or the silhouette. */
function skinVertices(): number[] {
  const excluded = new Set<number>(Object.values(meshContours).flat());
  for (let i = 468; i < 478; i++) excluded.add(i);
  const out: number[] = [];
  for (let i = 0; i < 468; i++) if (!excluded.has(i)) out.push(i);
  return out;
}
const SKIN_VERTICES = skinVertices();

/** Weighted least squares of v ≈ c0 + c·n (first-order spherical harmonics). */
function fitLinearShading(
  normals: readonly Vec3[],
  values: readonly number[],
  weights: readonly number[],
): [number, number, number, number] {
  const a = Array.from({ length: 4 }, () => new Array<number>(5).fill(0));
  normals.forEach((n, r) => {
    const row = [1, n[0], n[1], n[2]];
    const w = weights[r] ?? 1;
    for (let i = 0; i < 4; i++) {
      const ai = a[i] as number[];
      for (let j = 0; j < 4; j++)
        ai[j] = (ai[j] as number) + w * (row[i] as number) * (row[j] as number);
      ai[4] = (ai[4] as number) + w * (row[i] as number) * (values[r] ?? 0);
    }
  });
  // A ridge keeps flat light (no spread of normals along some axis) solvable.
  for (let i = 1; i < 4; i++) (a[i] as number[])[i] = ((a[i] as number[])[i] as number) + 1e-3;
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++)
      if (
        Math.abs((a[r] as number[])[col] as number) >
        Math.abs((a[pivot] as number[])[col] as number)
      )
        pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const pr = a[col] as number[];
    const pv = (pr[col] as number) || 1e-12;
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const row = a[r] as number[];
      const f = (row[col] as number) / pv;
      for (let c = col; c < 5; c++) row[c] = (row[c] as number) - f * (pr[c] as number);
    }
  }
  return a.map((row, i) => (row[4] as number) / ((row[i] as number) || 1e-12)) as [
    number,
    number,
    number,
    number,
  ];
}

/** Mean of a field over a square patch (clamped to the field). */
function patch(
  field: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  r: number,
): number {
  let sum = 0;
  let n = 0;
  const x1 = Math.min(width - 1, Math.round(x + r));
  const y1 = Math.min(height - 1, Math.round(y + r));
  for (let yy = Math.max(0, Math.round(y - r)); yy <= y1; yy++)
    for (let xx = Math.max(0, Math.round(x - r)); xx <= x1; xx++) {
      sum += field[yy * width + xx] as number;
      n++;
    }
  return n === 0 ? Number.NaN : sum / n;
}

const percentileOf = (values: number[], q: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? 0;
};

/** One face's plan: how to read the old shading and what to shade in. */
interface FacePlan {
  readonly centre: readonly [number, number];
  readonly sigma: number;
  readonly fit: readonly [number, number, number, number];
  readonly floor: number;
  /** ln of the residual shading the fit misses, per field pixel, already feathered to 0 off the skin. */
  readonly residual: Float32Array;
  readonly key: Vec3;
  readonly rim: Vec3 | null;
  readonly wrap: number;
  /** How far the terminator moves toward the key (see planFace). */
  readonly offset: number;
  readonly fill: number;
  readonly gain: number;
  readonly exposure: number;
}

/** Options of relight. */
export interface RelightOptions {
  /** The face mesh's triangulation (VisionRuntime.triangulation). */
  readonly triangles: readonly number[];
  /** 0 leaves the photo as it is, 1 applies the rig fully. */
  readonly intensity?: number;
  /** Relight around this face only; by default every face in the photo gets the rig. */
  readonly faceIndex?: number;
  /** Which faces get the rig: `all` (the default) or a list of indices into blueprint.faces. */
  readonly faces?: 'all' | readonly number[];
  /** Small catchlights at the key's clock position (default true). */
  readonly catchlights?: boolean;
}

function usage(path: string, message: string, summary = message): PortraitistError {
  return new PortraitistError('USAGE', summary, { issues: [{ path, message }] });
}

/**
 * Re-shades the people in the photo with `target`, at full resolution. The background is left as
 * it was; the person mask's soft edge blends the two, so no seam appears.
 */
export function relight(
  image: RgbImage,
  blueprint: Blueprint,
  mask: PersonMask,
  target: RelightTarget,
  options: RelightOptions,
): RgbImage {
  const intensity = options.intensity ?? 1;
  if (!(intensity >= 0 && intensity <= 1))
    throw usage(
      'intensity',
      `expected a number from 0 to 1 for \`intensity\` but received ${intensity}`,
      'intensity out of range',
    );
  if (mask.width !== image.width || mask.height !== image.height)
    throw usage(
      'mask',
      `expected a ${image.width}×${image.height} mask for \`mask\` but received ${mask.width}×${mask.height}`,
      'the person mask does not match the photo',
    );
  const triangles = options.triangles;
  if (triangles.length < 3)
    throw usage(
      'triangles',
      `expected the runtime's triangulation for \`triangles\` but received ${triangles.length} indices`,
      'relighting needs the face mesh triangulation',
    );
  const wanted =
    options.faces === 'all' || (options.faces === undefined && options.faceIndex === undefined)
      ? blueprint.faces.map((_, i) => i)
      : options.faces === undefined
        ? [options.faceIndex as number]
        : [...options.faces];
  const faces = wanted.map((i) => blueprint.faces[i]);
  if (faces.length === 0 || faces.some((f) => f === undefined))
    throw usage(
      'face',
      faces.length === 0
        ? 'expected a photo with a face for `face` but received none'
        : `expected face indices below ${blueprint.faces.length} for \`face\` but received ${wanted.join(', ')}`,
      `${blueprint.source}: relighting needs a face to read the light from`,
    );
  const selected = (faces as FaceReading[]).map((face) => ({
    face,
    normals: facingNormals(face, triangles),
  }));

  const scale = Math.min(1, FIELD_SIDE / Math.max(image.width, image.height));
  const width = Math.max(2, Math.round(image.width * scale));
  const height = Math.max(2, Math.round(image.height * scale));
  const sx = width / image.width;
  const sy = height / image.height;
  const { lum, peak, person } = workingPlanes(image, mask, width, height);
  const field = normalField(person, selected, triangles, sx, width, height);
  const size = width * height;
  const normalAt = (x: number, y: number): Vec3 => {
    const i = clamp(Math.round(y), 0, height - 1) * width + clamp(Math.round(x), 0, width - 1);
    return [field.nx[i] as number, field.ny[i] as number, field.nz[i] as number];
  };

  // Where the change is applied at all: the person, and the face up to its contour.
  const mixField = new Float32Array(size);
  for (let i = 0; i < size; i++)
    mixField[i] = clamp(Math.max(person[i] as number, field.faceCover[i] as number), 0, 1);
  const plans = selected.map(({ face }) =>
    planFace(face, target, lum, peak, mixField, person, normalAt, sx, sy, width, height),
  );

  // The re-shading per field pixel: ln ratio of new over old shading, the key's share of the new
  // light (for its colour) and the chroma factor that keeps skin's a*, b* where they were.
  const logRatio = new Float32Array(size);
  const keyShare = new Float32Array(size);
  // Each plan's constants unpacked once: the loop below runs for every field pixel.
  const unpacked = plans.map((plan) => ({
    plan,
    cx: plan.centre[0],
    cy: plan.centre[1],
    twoSigma2: 2 * plan.sigma * plan.sigma,
    fit0: plan.fit[0],
    fit1: plan.fit[1],
    fit2: plan.fit[2],
    fit3: plan.fit[3],
    k0: plan.key[0],
    k1: plan.key[1],
    k2: plan.key[2],
    hasRim: plan.rim !== null,
    r0: plan.rim?.[0] ?? 0,
    r1: plan.rim?.[1] ?? 0,
    r2: plan.rim?.[2] ?? 0,
    span: 1 + plan.wrap - plan.offset,
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const n0 = field.nx[i] as number;
      const n1 = field.ny[i] as number;
      const n2 = field.nz[i] as number;
      let sumW = 0;
      let sumLog = 0;
      let sumKey = 0;
      for (const u of unpacked) {
        const plan = u.plan;
        const d2 = (x - u.cx) ** 2 + (y - u.cy) ** 2;
        const w = Math.exp(-d2 / u.twoSigma2) + 1e-6;
        const old =
          Math.max(plan.floor, u.fit0 + u.fit1 * n0 + u.fit2 * n1 + u.fit3 * n2) *
          Math.exp(plan.residual[i] as number);
        const lambert = Math.max(
          0,
          (n0 * u.k0 + n1 * u.k1 + n2 * u.k2 + plan.wrap - plan.offset) / u.span,
        );
        const rim = u.hasRim ? 0.7 * Math.max(0, n0 * u.r0 + n1 * u.r1 + n2 * u.r2) ** 2 : 0;
        const keyLight = plan.gain * (lambert + rim);
        const shade = plan.exposure * (plan.fill + keyLight);
        sumLog += w * clamp(Math.log(shade / old), MIN_LOG_RATIO, MAX_LOG_RATIO);
        sumKey += w * (keyLight / Math.max(1e-6, plan.fill + keyLight));
        sumW += w;
      }
      // Weighted by where the change applies, for the normalised blur below.
      logRatio[i] = (sumLog / sumW) * (mixField[i] as number);
      keyShare[i] = (sumKey / sumW) * (mixField[i] as number);
    }
  }
  // Shading is smooth: a normalised blur (weighted by where the change applies, so the untouched
  // background does not pull the person's edge back) takes out the mesh's triangle-scale noise,
  // which would read as blotches, and any step where the mesh's normals meet the body's.
  const smallestFace = Math.min(...selected.map(({ face }) => faceHeight(face.mesh) * sy));
  const radius = Math.max(1, Math.round(smallestFace / 45));
  const weight = new Float32Array(mixField);
  boxBlur(logRatio, width, height, radius, 2);
  boxBlur(keyShare, width, height, radius, 2);
  boxBlur(weight, width, height, radius, 2);
  for (let i = 0; i < size; i++) {
    const w = weight[i] as number;
    const m = (mixField[i] as number) * intensity;
    logRatio[i] = w > 1e-4 ? ((logRatio[i] as number) / w) * m : 0;
    keyShare[i] = w > 1e-4 ? ((keyShare[i] as number) / w) * m : 0;
  }
  const ratio = new Float32Array(size);
  const chroma = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const r = Math.exp(logRatio[i] as number);
    ratio[i] = r;
    // a* and b* scale about as r^(1/3) under a grey gain r: r^(−1/4) keeps most of that, so shadows
    // stay skin-coloured instead of turning grey, and lit skin does not over-saturate.
    chroma[i] = clamp(r ** -0.25, 0.8, 1.3);
  }
  const colour = keyColour(target.colorTemperature);
  const out = applyFields(image, mask, { ratio, keyShare, chroma }, width, height, colour);
  if (intensity > 0 && options.catchlights !== false)
    addCatchlights(
      out,
      image.width,
      image.height,
      selected.map((s) => s.face),
      plans,
      intensity,
      colour,
    );
  return { ...image, data: out, source: `${image.source} relit` };
}

/** Fits the old shading on one face and solves the new light's fill, gain and exposure. */
function planFace(
  face: FaceReading,
  target: RelightTarget,
  lum: Float32Array,
  peak: Float32Array,
  mixAt: Float32Array,
  personAt: Float32Array,
  normalAt: (x: number, y: number) => Vec3,
  sx: number,
  sy: number,
  width: number,
  height: number,
): FacePlan {
  const faceH = faceHeight(face.mesh) * sy;
  const r = Math.max(1, faceH / 40);
  const at = (v: number): [number, number] => {
    const p = face.mesh[v] ?? [0, 0, 0];
    return [p[0] * sx, p[1] * sy];
  };
  // Samples on skin vertices; the fit uses those facing the camera (grazing ones mix in hair and
  // background), the residual all of them, so the turned-away side is read, not extrapolated.
  const all: { v: number; x: number; y: number; n: Vec3; lum: number }[] = [];
  for (const v of SKIN_VERTICES) {
    const [x, y] = at(v);
    const n = normalAt(x, y);
    const l = patch(lum, width, height, x, y, r);
    if (Number.isFinite(l)) all.push({ v, x, y, n, lum: l });
  }
  const samples = all.filter((s) => s.n[2] <= -0.3);
  const meanLum = samples.reduce((s, p) => s + p.lum, 0) / Math.max(1, samples.length);
  let fit = fitLinearShading(
    samples.map((s) => s.n),
    samples.map((s) => s.lum),
    samples.map(() => 1),
  );
  // One robust pass: specular highlights, beard and cast shadows of hair sit far off the fit.
  const residualOf = (s: (typeof samples)[number], c: readonly number[]) =>
    s.lum - ((c[0] ?? 0) + (c[1] ?? 0) * s.n[0] + (c[2] ?? 0) * s.n[1] + (c[3] ?? 0) * s.n[2]);
  const deviations = samples.map((s) => Math.abs(residualOf(s, fit)));
  const mad = percentileOf(deviations, 0.5) || 1e-6;
  fit = fitLinearShading(
    samples.map((s) => s.n),
    samples.map((s) => s.lum),
    deviations.map((d) => (d > 3 * mad ? 0 : 1)),
  );
  const floor = Math.max(1e-4, 0.2 * meanLum);
  const fitted = (n: Vec3) =>
    Math.max(floor, fit[0] + fit[1] * n[0] + fit[2] * n[1] + fit[3] * n[2]);
  // What the linear fit misses (cast shadows, the clipped Lambert lobe): the skin's own smooth
  // residual, by normalised convolution of the samples, feathered out where samples thin out.
  const values = new Float32Array(width * height);
  const weights = new Float32Array(width * height);
  for (const s of all) {
    const i = clamp(Math.round(s.y), 0, height - 1) * width + clamp(Math.round(s.x), 0, width - 1);
    values[i] = (values[i] as number) + Math.log(clamp(s.lum / fitted(s.n), 0.5, 2));
    weights[i] = (weights[i] as number) + 1;
  }
  const radius = Math.max(1, Math.round(faceH / 8));
  boxBlur(values, width, height, radius, 2);
  boxBlur(weights, width, height, radius, 2);
  const density = percentileOf(
    all.map((s) => patch(weights, width, height, s.x, s.y, 0)),
    0.5,
  );
  const residual = new Float32Array(width * height);
  const feather = new Float32Array(width * height);
  for (let i = 0; i < residual.length; i++) {
    const w = weights[i] as number;
    if (w <= 1e-9) continue;
    const reach = clamp(w / Math.max(1e-9, 0.6 * density), 0, 1);
    feather[i] = reach * reach * (3 - 2 * reach);
    residual[i] = ((values[i] as number) / w) * (feather[i] as number);
  }
  // What the smooth residual still leaves between the cheeks (a strong key of the photo's own
  // falls off faster than a blur follows): a gentle ramp from cheek to cheek, twice, so a
  // neutral re-shade brings them level.
  const cheekCentre = (vertices: readonly number[]): [number, number] => {
    const points = vertices.map(at);
    return [
      points.reduce((sum, p) => sum + p[0], 0) / points.length,
      points.reduce((sum, p) => sum + p[1], 0) / points.length,
    ];
  };
  const leftCentre = cheekCentre(skinRegions.leftCheek);
  const rightCentre = cheekCentre(skinRegions.rightCheek);
  const mid = [(leftCentre[0] + rightCentre[0]) / 2, (leftCentre[1] + rightCentre[1]) / 2];
  const half = [(leftCentre[0] - rightCentre[0]) / 2, (leftCentre[1] - rightCentre[1]) / 2];
  const halfLength2 = Math.max(1e-6, (half[0] ?? 0) ** 2 + (half[1] ?? 0) ** 2);
  const flatCheek = (vertices: readonly number[]) => {
    let count = 0;
    let flat = 0;
    for (const v of vertices) {
      const [x, y] = at(v);
      const i = clamp(Math.round(y), 0, height - 1) * width + clamp(Math.round(x), 0, width - 1);
      const l = patch(lum, width, height, x, y, r);
      if (!Number.isFinite(l) || (personAt[i] as number) < 0.5) continue;
      count++;
      flat += l / (fitted(normalAt(x, y)) * Math.exp(residual[i] as number));
    }
    return flat / Math.max(1, count);
  };
  for (let pass = 0; pass < 2; pass++) {
    // The flattened cheeks' ratio, as ratios of sums (how the cheeks are measured).
    const imbalance = Math.log(
      clamp(flatCheek(skinRegions.leftCheek) / flatCheek(skinRegions.rightCheek), 0.5, 2),
    );
    if (!Number.isFinite(imbalance) || Math.abs(imbalance) < 0.01) break;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const f = feather[i] as number;
        if (f <= 0) continue;
        const t = clamp(
          ((x - (mid[0] ?? 0)) * (half[0] ?? 0) + (y - (mid[1] ?? 0)) * (half[1] ?? 0)) /
            halfLength2,
          -1.5,
          1.5,
        );
        residual[i] = (residual[i] as number) + (imbalance / 2) * t * f;
      }
    }
  }
  const oldAt = (x: number, y: number, n: Vec3) =>
    fitted(n) *
    Math.exp(
      residual[
        clamp(Math.round(y), 0, height - 1) * width + clamp(Math.round(x), 0, width - 1)
      ] as number,
    );

  // The new light in the face's frame.
  const key = cameraDirection(face, target.azimuth, target.elevation);
  const rim = target.rim ? cameraDirection(face, target.azimuth >= 0 ? 140 : -140, 15) : null;
  const wrap = clamp(target.softness, 0, 1) * 0.9;
  const side = Math.abs(target.azimuth) > 10 && Math.abs(target.azimuth) <= 100;
  const wantedRatio = Math.max(1, target.fillRatio);
  // The terminator's offset: a cheek's skin faces the camera more than the key, so a plain
  // Lambert lobe lights both cheeks; the terminator moves toward the key until the key alone
  // separates the cheeks by more than the rig's ratio, leaving the fill to set the ratio exactly.
  let offset = 0;
  const keyTerm = (n: Vec3) =>
    Math.max(0, (dot3(n, key) + wrap - offset) / (1 + wrap - offset)) +
    (rim === null ? 0 : 0.7 * Math.max(0, dot3(n, rim)) ** 2);
  const cheek = (vertices: readonly number[]) => {
    let a = 0;
    let b = 0;
    for (const v of vertices) {
      const [x, y] = at(v);
      const n = normalAt(x, y);
      const l = patch(lum, width, height, x, y, r);
      if (!Number.isFinite(l)) continue;
      const albedo = l / oldAt(x, y, n);
      a += albedo;
      b += albedo * keyTerm(n);
    }
    return { a, b };
  };
  const cheeks = () => {
    const left = cheek(skinRegions.leftCheek);
    const right = cheek(skinRegions.rightCheek);
    const lit = target.azimuth >= 0 ? left : right;
    const shadow = target.azimuth >= 0 ? right : left;
    return { lit, shadow };
  };
  let { lit, shadow } = cheeks();
  if (side && wantedRatio > 1.02) {
    const keyOnly = () => (lit.b * shadow.a) / Math.max(1e-9, shadow.b * lit.a);
    while (keyOnly() < 1.3 * wantedRatio && offset < 0.9 && lit.b > 1e-6) {
      offset += 0.02;
      ({ lit, shadow } = cheeks());
    }
  }
  // Exposure for a given fill: a photographer exposes for the lit side, so the skin's bright end
  // (90th percentile) stays where the photo had it and shadows deepen, rather than the whole face
  // dimming like a multiply layer; and no new clipping: the brightest channel of the brightest
  // skin stays below the shoulder's knee (or where the photo already had it).
  const sourceLum = samples.map((s) => s.lum);
  const sourcePeak = samples.map((s) => patch(peak, width, height, s.x, s.y, r));
  const oldSkin = samples.map((s) => oldAt(s.x, s.y, s.n));
  const keySkin = samples.map((s) => keyTerm(s.n));
  const bright = percentileOf(sourceLum, 0.9);
  const limit = Math.max(percentileOf(sourcePeak, 0.99), KNEE);
  const exposureFor = (fill: number, gain: number): number => {
    const shade = samples.map(
      (_, i) => (fill + gain * (keySkin[i] as number)) / (oldSkin[i] as number),
    );
    let exposure =
      bright /
      Math.max(
        1e-6,
        percentileOf(
          sourceLum.map((l, i) => l * (shade[i] as number)),
          0.9,
        ),
      );
    const brightest =
      percentileOf(
        sourcePeak.map((p, i) => p * (shade[i] as number)),
        0.99,
      ) * exposure;
    if (brightest > limit) exposure *= limit / brightest;
    return exposure;
  };
  // The cheeks as the measurement reads them: source luminance times the gain each vertex gets,
  // including where the person mask fades the change out and the ratio bounds clip it.
  const cheekSamples = (vertices: readonly number[]) =>
    vertices.flatMap((v) => {
      const [x, y] = at(v);
      const i = clamp(Math.round(y), 0, height - 1) * width + clamp(Math.round(x), 0, width - 1);
      const l = patch(lum, width, height, x, y, r);
      // Off the person (the background past a turned cheek) is not cheek.
      if (!Number.isFinite(l) || (personAt[i] as number) < 0.5) return [];
      const n = normalAt(x, y);
      return [{ l, old: oldAt(x, y, n), key: keyTerm(n), mix: mixAt[i] as number }];
    });
  const litCheek = cheekSamples(
    target.azimuth >= 0 ? skinRegions.leftCheek : skinRegions.rightCheek,
  );
  const shadowCheek = cheekSamples(
    target.azimuth >= 0 ? skinRegions.rightCheek : skinRegions.leftCheek,
  );
  const cheekRatio = (fill: number, gain: number): number => {
    const exposure = exposureFor(fill, gain);
    const read = (cheek: typeof litCheek) =>
      cheek.reduce((sum, c) => {
        const logGain = clamp(
          Math.log((exposure * (fill + gain * c.key)) / c.old),
          MIN_LOG_RATIO,
          MAX_LOG_RATIO,
        );
        return sum + c.l * Math.exp(logGain * c.mix);
      }, 0);
    return read(litCheek) / Math.max(1e-9, read(shadowCheek));
  };
  let fill = 1;
  let gain = 1;
  if (wantedRatio <= 1.02) {
    gain = 0; // flat: the fill alone
  } else if (side) {
    // Fill so the lit cheek's luminance over the shadow cheek's is the rig's ratio; the ratio
    // falls as the fill rises, so bisect on the fill's logarithm.
    let low = Math.log(1e-4);
    let high = Math.log(100);
    for (let k = 0; k < 32; k++) {
      const mid = (low + high) / 2;
      if (cheekRatio(Math.exp(mid), 1) > wantedRatio) low = mid;
      else high = mid;
    }
    fill = Math.exp((low + high) / 2);
  } else {
    // A key that lights both cheeks alike (frontal, or from behind) cannot set a cheek ratio:
    // the ratio is then the physical one, key + fill over fill on a surface facing the key.
    fill = 1 / (wantedRatio - 1);
  }
  const exposure = exposureFor(fill, gain);
  const centre = samples.reduce<[number, number]>(
    (c, s) => [c[0] + s.x / samples.length, c[1] + s.y / samples.length],
    [0, 0],
  );
  return {
    centre,
    sigma: Math.max(2, 1.5 * faceH),
    fit,
    floor,
    residual,
    key,
    rim,
    wrap,
    offset,
    fill,
    gain,
    exposure,
  };
}

/**
 * Full resolution: each pixel in linear light times the upsampled ratio, the key's colour on its
 * share of the light, chroma held, and a soft shoulder where brightening would clip.
 */
function applyFields(
  image: RgbImage,
  mask: PersonMask,
  fields: { ratio: Float32Array; keyShare: Float32Array; chroma: Float32Array },
  width: number,
  height: number,
  colour: Vec3,
): Uint8Array {
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = srgbToLinear(v);
  const STEPS = 4096;
  const hard = new Uint8Array(STEPS + 1);
  for (let v = 0; v <= STEPS; v++) hard[v] = Math.round(linearToSrgb(v / STEPS));
  // Shoulder: values above the knee approach white asymptotically instead of clipping.
  const soft = new Uint8Array(4 * STEPS + 1);
  for (let v = 0; v <= 4 * STEPS; v++) {
    const x = v / STEPS;
    const y = x <= KNEE ? x : KNEE + (1 - KNEE) * (1 - Math.exp(-(x - KNEE) / (1 - KNEE)));
    soft[v] = Math.round(linearToSrgb(y));
  }
  const encode = (value: number, sourceLinear: number, sourceByte: number): number => {
    if (value <= 0) return 0;
    if (value <= KNEE || value <= sourceLinear)
      return hard[value >= 1 ? STEPS : (value * STEPS + 0.5) | 0] as number;
    const s = soft[value >= 4 ? 4 * STEPS : (value * STEPS + 0.5) | 0] as number;
    return s > sourceByte ? s : sourceByte;
  };
  const out = new Uint8Array(image.data.length);
  const { data } = image;
  const W = image.width;
  const x0s = new Int32Array(W);
  const x1s = new Int32Array(W);
  const txs = new Float32Array(W);
  const scaleX = width / W;
  const scaleY = height / image.height;
  for (let x = 0; x < W; x++) {
    const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * scaleX - 0.5));
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(width - 1, (x0s[x] as number) + 1);
    txs[x] = fx - (x0s[x] as number);
  }
  // Separable bilinear upsampling: two pre-interpolated field rows per output row.
  const makeRows = () =>
    [new Float32Array(W * 3), new Float32Array(W * 3)] as [Float32Array, Float32Array];
  let rows = makeRows();
  const fillRow = (row: Float32Array, fieldRow: number) => {
    const base = fieldRow * width;
    for (let x = 0; x < W; x++) {
      const a0 = base + (x0s[x] as number);
      const a1 = base + (x1s[x] as number);
      const t = txs[x] as number;
      const r0 = fields.ratio[a0] as number;
      const k0 = fields.keyShare[a0] as number;
      const c0 = fields.chroma[a0] as number;
      row[x * 3] = r0 + ((fields.ratio[a1] as number) - r0) * t;
      row[x * 3 + 1] = k0 + ((fields.keyShare[a1] as number) - k0) * t;
      row[x * 3 + 2] = c0 + ((fields.chroma[a1] as number) - c0) * t;
    }
  };
  let top = -1;
  let bottom = -1;
  const [cr, cg, cb] = colour;
  for (let y = 0; y < image.height; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * scaleY - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(height - 1, y0 + 1);
    const ty = fy - y0;
    if (y0 !== top) {
      if (y0 === bottom) rows = [rows[1], rows[0]];
      else fillRow(rows[0], y0);
      top = y0;
      bottom = -1;
    }
    if (y1 !== bottom) {
      fillRow(rows[1], y1);
      bottom = y1;
    }
    const [a, b] = rows;
    for (let x = 0, i = y * W * 3; x < W; x++, i += 3) {
      // The working field is coarse: at the person's outline the full-resolution mask has the
      // last word, so the background just outside it stays exactly as it was.
      const alpha = mask.alpha[y * W + x] as number;
      const sr = data[i] as number;
      const sg = data[i + 1] as number;
      const sb = data[i + 2] as number;
      if (alpha <= 0.01) {
        // Off the person nothing changes: the source bytes, not their round trip through light.
        out[i] = sr;
        out[i + 1] = sg;
        out[i + 2] = sb;
        continue;
      }
      const k = x * 3;
      const ratioMixed = (a[k] as number) + ((b[k] as number) - (a[k] as number)) * ty;
      const shareMixed = (a[k + 1] as number) + ((b[k + 1] as number) - (a[k + 1] as number)) * ty;
      const chromaMixed = (a[k + 2] as number) + ((b[k + 2] as number) - (a[k + 2] as number)) * ty;
      let ratio = ratioMixed;
      let share = shareMixed;
      let chroma = chromaMixed;
      if (alpha < 0.21) {
        const w = (alpha - 0.01) * 5;
        ratio = 1 + (ratio - 1) * w;
        share *= w;
        chroma = 1 + (chroma - 1) * w;
      }
      const lr = lut[sr] as number;
      const lg = lut[sg] as number;
      const lb = lut[sb] as number;
      const luma = (0.2126 * lr + 0.7152 * lg + 0.0722 * lb) * ratio;
      let r = lr * ratio * (1 + share * (cr - 1));
      let g = lg * ratio * (1 + share * (cg - 1));
      let bl = lb * ratio * (1 + share * (cb - 1));
      r = luma + (r - luma) * chroma;
      g = luma + (g - luma) * chroma;
      bl = luma + (bl - luma) * chroma;
      out[i] = encode(r, lr, sr);
      out[i + 1] = encode(g, lg, sg);
      out[i + 2] = encode(bl, lb, sb);
    }
  }
  return out;
}

/** Iris centre and radius of one eye, in photo pixels. */
function iris(mesh: readonly MeshPoint[], centre: number): { x: number; y: number; r: number } {
  const c = mesh[centre] ?? [0, 0, 0];
  let r = 0;
  for (let k = 1; k <= 4; k++) {
    const p = mesh[centre + k] ?? c;
    r += Math.hypot(p[0] - c[0], p[1] - c[1]) / 4;
  }
  return { x: c[0], y: c[1], r };
}

/** Whether a point lies inside a closed mesh contour (even–odd rule). */
function inside(
  mesh: readonly MeshPoint[],
  contour: readonly number[],
  x: number,
  y: number,
): boolean {
  let hit = false;
  for (let i = 0, j = contour.length - 1; i < contour.length; j = i++) {
    const a = mesh[contour[i] ?? 0] ?? [0, 0, 0];
    const b = mesh[contour[j] ?? 0] ?? [0, 0, 0];
    if (a[1] > y !== b[1] > y && x < ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1] || 1e-9) + a[0])
      hit = !hit;
  }
  return hit;
}

/**
 * Small, soft catchlights where the key would reflect in each iris: offset from the iris centre
 * toward the light (its clock position), a seventh of the iris across, and only inside the open eye.
 */
function addCatchlights(
  out: Uint8Array,
  width: number,
  height: number,
  faces: readonly FaceReading[],
  plans: readonly FacePlan[],
  intensity: number,
  colour: Vec3,
): void {
  faces.forEach((face, f) => {
    const plan = plans[f];
    if (plan === undefined || plan.gain <= 0) return;
    const key = plan.key;
    if (-key[2] < 0.2) return; // a key behind the subject shows in no eye
    const eyes = [
      { centre: landmarks.rightIrisCentre, contour: meshContours.rightEye ?? [] },
      { centre: landmarks.leftIrisCentre, contour: meshContours.leftEye ?? [] },
    ];
    for (const eye of eyes) {
      const { x, y, r } = iris(face.mesh, eye.centre);
      if (r < 3) continue; // too small to hold a catchlight that reads as one
      // The clock position: toward the key's image direction, pulled in until the lid is clear.
      let cx = x;
      let cy = y;
      let found = false;
      for (let t = 0.5; t >= 0; t -= 0.1) {
        cx = x + key[0] * r * t;
        cy = y + key[1] * r * t;
        if (inside(face.mesh, eye.contour, cx, cy)) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      const sigma = Math.max(0.6, 0.11 * r);
      const reach = Math.ceil(3 * sigma);
      const peak = 0.65 * intensity;
      for (
        let yy = Math.max(0, Math.floor(cy - reach));
        yy <= Math.min(height - 1, cy + reach);
        yy++
      ) {
        for (
          let xx = Math.max(0, Math.floor(cx - reach));
          xx <= Math.min(width - 1, cx + reach);
          xx++
        ) {
          if (!inside(face.mesh, eye.contour, xx, yy)) continue;
          const alpha = peak * Math.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma * sigma));
          const i = (yy * width + xx) * 3;
          for (let c = 0; c < 3; c++) {
            const current = out[i + c] as number;
            const bright = Math.min(250, 235 * Math.min(1.06, colour[c] ?? 1));
            if (bright > current) out[i + c] = Math.round(current + (bright - current) * alpha);
          }
        }
      }
    }
  });
}
