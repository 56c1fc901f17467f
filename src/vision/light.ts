// The key light, fitted from the face's shading against the mesh's surface normals with
// first-order spherical harmonics (ambient + one directional term), then expressed in the face's
// own frame so it reads like the brief: azimuth toward the subject's left is positive.
import { correlatedColorTemperature } from '../image/index.js';
import type { RgbImage } from '../image/index.js';
import { patchMean, type LuminancePlanes } from './luminance.js';
import { faceHeight, landmarks as L, meshContours, point, vertexNormals } from './mesh.js';
import { dot, faceFrame } from './pose.js';
import type { LightReading, MeshPoint } from './types.js';

const round = (value: number, digits = 2): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;
const clamp = (value: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, value));

/** Vertices that are skin: not eyes, brows, lips, irises or the silhouette (hair and background). */
function skinVertices(): number[] {
  const excluded = new Set<number>([...Object.values(meshContours).flat()]);
  for (let i = 468; i < 478; i++) excluded.add(i);
  const vertices: number[] = [];
  for (let i = 0; i < 468; i++) if (!excluded.has(i)) vertices.push(i);
  return vertices;
}

/** Solves the 4×4 normal equations of L = c0 + c·n by Gaussian elimination. */
function leastSquares(
  rows: readonly (readonly number[])[],
  values: readonly number[],
  weights?: readonly number[],
): number[] {
  const n = 4;
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  rows.forEach((row, r) => {
    const w = weights?.[r] ?? 1;
    for (let i = 0; i < n; i++) {
      const ai = a[i] as number[];
      for (let j = 0; j < n; j++) ai[j] = (ai[j] ?? 0) + w * (row[i] ?? 0) * (row[j] ?? 0);
      ai[n] = (ai[n] ?? 0) + w * (row[i] ?? 0) * (values[r] ?? 0);
    }
  });
  for (let i = 0; i < n; i++) (a[i] as number[])[i] = ((a[i] as number[])[i] ?? 0) + 1e-9; // ridge for flat light
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs((a[r] as number[])[col] ?? 0) > Math.abs((a[pivot] as number[])[col] ?? 0))
        pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const pr = a[col] as number[];
    const pv = pr[col] || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = a[r] as number[];
      const factor = (row[col] ?? 0) / pv;
      for (let c = col; c <= n; c++) row[c] = (row[c] ?? 0) - factor * (pr[c] ?? 0);
    }
  }
  return a.map((row, i) => (row[n] ?? 0) / (row[i] || 1e-12));
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? 0;
}

/** Exposure, contrast and colour temperature of the whole frame. */
export function frameLight(
  image: RgbImage,
  planes: LuminancePlanes,
): { exposure: number; contrast: number; colorTemperature: number } {
  const step = Math.max(1, Math.floor(Math.sqrt((image.width * image.height) / 40000)));
  // A counting sort of the sampled greys (stable: equal greys keep scan order), the same order a
  // stable comparison sort gives, in linear time and without an object per sample.
  const histogram = new Int32Array(256);
  let n = 0;
  for (let y = 0; y < image.height; y += step)
    for (let x = 0; x < image.width; x += step) {
      const v = planes.grey[y * image.width + x] ?? 0;
      histogram[v] = (histogram[v] as number) + 1;
      n++;
    }
  const starts = new Int32Array(256);
  let total = 0;
  let greySum = 0;
  for (let v = 0; v < 256; v++) {
    starts[v] = total;
    total += histogram[v] as number;
    greySum += v * (histogram[v] as number);
  }
  const order = new Int32Array(n);
  const greys = new Uint8Array(n);
  const next = starts.slice();
  for (let y = 0; y < image.height; y += step)
    for (let x = 0; x < image.width; x += step) {
      const i = y * image.width + x;
      const v = planes.grey[i] ?? 0;
      const at = next[v] as number;
      order[at] = i;
      greys[at] = v;
      next[v] = at + 1;
    }
  const rankGrey = (q: number) =>
    (greys[Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))))] ?? 0) / 255;
  const exposure = greySum / 255 / Math.max(1, n);
  const contrast = rankGrey(0.95) - rankGrey(0.05);
  // Illuminant colour from the bright, unclipped pixels (a white-patch / bright gray-world blend):
  // highlights carry the light's colour more than the scene's.
  let r = 0;
  let g = 0;
  let b = 0;
  let count = 0;
  for (let k = Math.floor(n * 0.9); k < Math.floor(n * 0.99); k++) {
    if ((greys[k] as number) >= 250) continue;
    const i = order[k] as number;
    r += image.data[i * 3] ?? 0;
    g += image.data[i * 3 + 1] ?? 0;
    b += image.data[i * 3 + 2] ?? 0;
    count++;
  }
  const colorTemperature =
    count === 0 ? 5500 : correlatedColorTemperature(r / count, g / count, b / count);
  return {
    exposure: round(exposure, 3),
    contrast: round(contrast, 3),
    colorTemperature: Math.round(colorTemperature / 50) * 50,
  };
}

/** Fits the key light on one face. */
export function measureLight(
  mesh: readonly MeshPoint[],
  triangulation: readonly number[],
  planes: LuminancePlanes,
  frame: { exposure: number; contrast: number; colorTemperature: number },
): LightReading {
  let normals = vertexNormals(mesh, triangulation);
  // Triangle winding is the detector's: make normals face the camera (−z) on average.
  if (normals.reduce((sum, n) => sum + n[2], 0) > 0)
    normals = normals.map(([x, y, z]) => [-x, -y, -z]);
  const radius = Math.max(1, faceHeight(mesh) / 80);
  const rows: number[][] = [];
  const values: number[] = [];
  for (const v of skinVertices()) {
    const n = normals[v];
    const p = point(mesh, v);
    if (n === undefined || n[2] > -0.3) continue; // grazing or facing away: patches there mix in hair and background
    const lum = patchMean(planes, p[0], p[1], radius);
    if (!Number.isFinite(lum)) continue;
    rows.push([1, n[0], n[1], n[2]]);
    values.push(lum);
  }
  let coefficients = leastSquares(rows, values);
  // One robust pass: drop samples far off the fit (specular highlights, beard, shadows of hair).
  const residuals = rows.map(
    (row, i) =>
      (values[i] ?? 0) -
      dot(
        [coefficients[1] ?? 0, coefficients[2] ?? 0, coefficients[3] ?? 0],
        [row[1] ?? 0, row[2] ?? 0, row[3] ?? 0],
      ) -
      (coefficients[0] ?? 0),
  );
  const mad = median(residuals.map(Math.abs)) || 1e-6;
  coefficients = leastSquares(
    rows,
    values,
    residuals.map((r) => (Math.abs(r) > 3 * mad ? 0 : 1)),
  );
  // Attached shadows clip the Lambert lobe (max(0, n·l)), which a linear fit reads as a light
  // further round the side than it is. Refit on the samples the fit says are lit, where shading
  // is linear in the normal, a few times; stop when too few samples are lit.
  const robust = residuals.map((r) => Math.abs(r) <= 3 * mad);
  const { right, up, forward } = faceFrame(mesh);
  // The linear fit cannot see attached shadows (shading is max(0, n·l), not n·l), so a grazing key
  // reads too far round. Search the key direction over the sphere for the clipped Lambert model
  // L = ambient + gain·max(0, n·l), solving ambient and gain by least squares for each candidate;
  // coarse 6° grid, then 1° refinement.
  const used = rows.filter((_, i) => robust[i]);
  const usedValues = values.filter((_, i) => robust[i]);
  const fitDirection = (
    azimuthDeg: number,
    elevationDeg: number,
  ): { error: number; ambient: number; gain: number } => {
    const a = (azimuthDeg * Math.PI) / 180;
    const e = (elevationDeg * Math.PI) / 180;
    const fx = Math.sin(a) * Math.cos(e);
    const fy = Math.sin(e);
    const fz = Math.cos(a) * Math.cos(e);
    const lx = right[0] * fx + up[0] * fy + forward[0] * fz;
    const ly = right[1] * fx + up[1] * fy + forward[1] * fz;
    const lz = right[2] * fx + up[2] * fy + forward[2] * fz;
    let sx = 0,
      sy = 0,
      sxx = 0,
      sxy = 0,
      syy = 0;
    const n = used.length;
    for (let i = 0; i < n; i++) {
      const row = used[i] as number[];
      const shade = Math.max(
        0,
        (row[1] as number) * lx + (row[2] as number) * ly + (row[3] as number) * lz,
      );
      const v = usedValues[i] as number;
      sx += shade;
      sy += v;
      sxx += shade * shade;
      sxy += shade * v;
      syy += v * v;
    }
    const variance = n * sxx - sx * sx;
    if (variance <= 1e-12)
      return { error: Number.POSITIVE_INFINITY, ambient: sy / Math.max(1, n), gain: 0 };
    const gain = (n * sxy - sx * sy) / variance;
    if (gain <= 0) return { error: Number.POSITIVE_INFINITY, ambient: sy / n, gain: 0 };
    const ambient = (sy - gain * sx) / n;
    // Residual sum of squares of v ≈ ambient + gain·shade, expanded.
    const error =
      syy -
      2 * ambient * sy -
      2 * gain * sxy +
      n * ambient * ambient +
      2 * ambient * gain * sx +
      gain * gain * sxx;
    return { error, ambient, gain };
  };
  let best = { azimuth: 0, elevation: 0, error: Number.POSITIVE_INFINITY, ambient: 0, gain: 0 };
  for (let el = -60; el <= 84; el += 6) {
    for (let az = -180; az < 180; az += 6) {
      const fit = fitDirection(az, el);
      if (fit.error < best.error)
        best = {
          azimuth: az,
          elevation: el,
          error: fit.error,
          ambient: fit.ambient,
          gain: fit.gain,
        };
    }
  }
  const coarse = best;
  for (let el = coarse.elevation - 6; el <= coarse.elevation + 6; el += 1) {
    for (let az = coarse.azimuth - 6; az <= coarse.azimuth + 6; az += 1) {
      const fit = fitDirection(az, Math.max(-90, Math.min(90, el)));
      if (fit.error < best.error)
        best = {
          azimuth: az,
          elevation: Math.max(-90, Math.min(90, el)),
          error: fit.error,
          ambient: fit.ambient,
          gain: fit.gain,
        };
    }
  }
  const azimuth = ((best.azimuth + 540) % 360) - 180;
  const elevation = best.elevation;
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  const usedMean = usedValues.reduce((s, v) => s + v, 0) / Math.max(1, usedValues.length);
  const total = usedValues.reduce((s, v) => s + (v - usedMean) ** 2, 0);
  const confidence =
    total <= 1e-12 || !Number.isFinite(best.error) ? 0 : clamp(1 - best.error / total, 0, 1);
  const sorted = [...values].sort((a, b) => a - b);
  const lit = percentile(sorted, 0.9);
  const shadow = Math.max(1e-4, percentile(sorted, 0.1));
  const fillRatio = clamp(lit / shadow, 1, 32);
  return {
    azimuth: round(azimuth, 1),
    elevation: round(elevation, 1),
    fillRatio: round(fillRatio, 2),
    softness: round(transitionSoftness(mesh, planes, radius, fillRatio), 2),
    confidence: round(confidence, 3),
    colorTemperature: frame.colorTemperature,
    faceLuminance: round(mean, 4),
    exposure: frame.exposure,
    contrast: frame.contrast,
    model: { ambient: round(best.ambient, 5), gain: round(best.gain, 5) },
    coefficients: coefficients.map((c) => round(c, 5)),
  };
}

/**
 * Softness from the light-to-shadow transition across the face (cheek to cheek through the
 * nose): hard light has few samples between the shadow and lit levels, soft light many.
 */
function transitionSoftness(
  mesh: readonly MeshPoint[],
  planes: LuminancePlanes,
  radius: number,
  fillRatio: number,
): number {
  if (fillRatio < 1.4) return 1; // flat light: nothing to transition
  const a = point(mesh, L.rightCheek);
  const b = point(mesh, L.leftCheek);
  const nose = point(mesh, L.noseTip);
  const profile: number[] = [];
  const steps = 48;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    // A path that bends through the nose tip keeps it on the face when the head is turned.
    const x =
      t < 0.5 ? a[0] + (nose[0] - a[0]) * t * 2 : nose[0] + (b[0] - nose[0]) * (t - 0.5) * 2;
    const y =
      t < 0.5 ? a[1] + (nose[1] - a[1]) * t * 2 : nose[1] + (b[1] - nose[1]) * (t - 0.5) * 2;
    const v = patchMean(planes, x, y, radius);
    if (Number.isFinite(v)) profile.push(v);
  }
  if (profile.length < 10) return 0.5;
  const sorted = [...profile].sort((x, y) => x - y);
  const low = percentile(sorted, 0.1);
  const high = percentile(sorted, 0.9);
  if (high - low <= 1e-6) return 1;
  const between =
    profile.filter((v) => v > low + 0.2 * (high - low) && v < low + 0.8 * (high - low)).length /
    profile.length;
  return clamp((between - 0.15) / 0.5, 0, 1);
}
