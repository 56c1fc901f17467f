// Technical quality: sharpness at the eyes (normalised for face size), noise and clipping.
import type { LuminancePlanes } from './luminance.js';
import { faceHeight, meshContours, point } from './mesh.js';
import type { MeshPoint, QualityReading } from './types.js';

/** Bilinear resample of a grey region to a fixed width, so sharpness compares across face sizes. */
function resampleRegion(
  planes: LuminancePlanes,
  x0: number,
  y0: number,
  w: number,
  h: number,
  outWidth: number,
): { data: Float32Array; width: number; height: number } {
  const outHeight = Math.max(3, Math.round((h / Math.max(1, w)) * outWidth));
  const data = new Float32Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    const sy = Math.min(planes.height - 1, Math.max(0, y0 + ((oy + 0.5) * h) / outHeight - 0.5));
    const iy = Math.floor(sy);
    const fy = sy - iy;
    for (let ox = 0; ox < outWidth; ox++) {
      const sx = Math.min(planes.width - 1, Math.max(0, x0 + ((ox + 0.5) * w) / outWidth - 0.5));
      const ix = Math.floor(sx);
      const fx = sx - ix;
      const x1 = Math.min(planes.width - 1, ix + 1);
      const row0 = iy * planes.width;
      const row1 = Math.min(planes.height - 1, iy + 1) * planes.width;
      const top =
        (planes.grey[row0 + ix] as number) * (1 - fx) + (planes.grey[row0 + x1] as number) * fx;
      const bottom =
        (planes.grey[row1 + ix] as number) * (1 - fx) + (planes.grey[row1 + x1] as number) * fx;
      data[oy * outWidth + ox] = top * (1 - fy) + bottom * fy;
    }
  }
  return { data, width: outWidth, height: outHeight };
}

/** Variance of the 4-neighbour Laplacian. */
function laplacianVariance(data: ArrayLike<number>, width: number, height: number): number {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v =
        4 * (data[i] ?? 0) -
        (data[i - 1] ?? 0) -
        (data[i + 1] ?? 0) -
        (data[i - width] ?? 0) -
        (data[i + width] ?? 0);
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  return n === 0 ? 0 : sumSq / n - (sum / n) ** 2;
}

/** Immerkær's fast noise estimate (1996): sigma from the mean absolute response to a noise mask. */
function noiseSigma(planes: LuminancePlanes): number {
  const { width, height, grey } = planes;
  if (width < 3 || height < 3) return 0;
  // Large frames: a subset of rows keeps the estimate and bounds the cost (~1 M samples).
  const rowStep = Math.max(1, Math.floor((width * height) / 1_000_000));
  let total = 0;
  let rows = 0;
  for (let y = 1; y < height - 1; y += rowStep) {
    rows++;
    let above = (y - 1) * width;
    let here = y * width;
    let below = (y + 1) * width;
    for (let x = 1; x < width - 1; x++, above++, here++, below++) {
      const v =
        (grey[above] as number) -
        2 * (grey[above + 1] as number) +
        (grey[above + 2] as number) -
        2 * (grey[here] as number) +
        4 * (grey[here + 1] as number) -
        2 * (grey[here + 2] as number) +
        (grey[below] as number) -
        2 * (grey[below + 1] as number) +
        (grey[below + 2] as number);
      total += v < 0 ? -v : v;
    }
  }
  return (Math.sqrt(Math.PI / 2) * total) / (6 * (width - 2) * rows);
}

const EYE_REGION_WIDTH = 96;

/** Sharpness of the eyes: both eye contours' boxes, padded, resampled to 96 px wide. */
function eyeSharpness(planes: LuminancePlanes, mesh: readonly MeshPoint[]): number {
  const values: number[] = [];
  for (const contour of [meshContours['rightEye'] ?? [], meshContours['leftEye'] ?? []]) {
    const xs = contour.map((i) => point(mesh, i)[0]);
    const ys = contour.map((i) => point(mesh, i)[1]);
    const pad = faceHeight(mesh) * 0.04;
    const x0 = Math.min(...xs) - pad;
    const y0 = Math.min(...ys) - pad;
    const w = Math.max(...xs) - x0 + pad;
    const h = Math.max(...ys) - y0 + pad;
    if (w < 2 || h < 2) continue;
    const region = resampleRegion(planes, x0, y0, w, h, EYE_REGION_WIDTH);
    values.push(laplacianVariance(region.data, region.width, region.height));
  }
  // The sharper eye: focus is set on the nearer eye, the other may fall off legitimately.
  return values.length === 0 ? 0 : Math.max(...values);
}

export function measureQuality(
  planes: LuminancePlanes,
  mesh: readonly MeshPoint[] | null,
): QualityReading {
  const longSide = Math.max(planes.width, planes.height);
  const frame = resampleRegion(
    planes,
    0,
    0,
    planes.width,
    planes.height,
    Math.max(3, Math.round((512 * planes.width) / longSide)),
  );
  let dark = 0;
  let bright = 0;
  const grey = planes.grey;
  for (let i = 0; i < grey.length; i++) {
    const g = grey[i] as number;
    if (g <= 2) dark++;
    else if (g >= 253) bright++;
  }
  const total = Math.max(1, planes.grey.length);
  return {
    eyeSharpness: mesh === null ? null : Math.round(eyeSharpness(planes, mesh) * 10) / 10,
    frameSharpness: Math.round(laplacianVariance(frame.data, frame.width, frame.height) * 10) / 10,
    noise: Math.round(noiseSigma(planes) * 100) / 100,
    clippedShadows: Math.round((dark / total) * 10000) / 10000,
    clippedHighlights: Math.round((bright / total) * 10000) / 10000,
  };
}
