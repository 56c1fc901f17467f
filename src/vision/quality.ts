// Technical quality: sharpness at the eyes (normalised for face size), noise and clipping.
import type { RgbImage } from '../image/index.js';
import { luminancePlanes, type LuminancePlanes } from './luminance.js';
import { faceHeight, meshContours, point, skinRegions } from './mesh.js';
import type { Box, MeshPoint, QualityReading } from './types.js';

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

/**
 * Noise sigma by Immerkær's fast method (1996) on 32×32 tiles, taking the smoothest tenth: the
 * whole-frame estimate counts texture and edges as noise, flat tiles (sky, walls, bokeh) do not.
 */
function noiseSigma(planes: LuminancePlanes): number {
  const { width, height, grey } = planes;
  if (width < 3 || height < 3) return 0;
  const tile = 32;
  // Large frames: every other tile keeps the estimate and halves the cost.
  const stride = width * height > 2_000_000 ? 2 : 1;
  const estimates: number[] = [];
  for (let ty = 1; ty + tile < height - 1; ty += tile * stride) {
    for (let tx = 1; tx + tile < width - 1; tx += tile * stride) {
      let total = 0;
      for (let y = ty; y < ty + tile; y++) {
        let above = (y - 1) * width + tx - 1;
        let here = y * width + tx - 1;
        let below = (y + 1) * width + tx - 1;
        for (let x = 0; x < tile; x++, above++, here++, below++) {
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
      estimates.push((Math.sqrt(Math.PI / 2) * total) / (6 * tile * tile));
    }
  }
  if (estimates.length === 0) return 0;
  estimates.sort((x, y) => x - y);
  const smooth = estimates.slice(0, Math.max(1, Math.ceil(estimates.length / 10)));
  return smooth[Math.floor(smooth.length / 2)] ?? 0;
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

/** Area-averaged (box) resample of a grey region at `scale` output pixels per input pixel (≤ 1). */
function boxResample(
  planes: LuminancePlanes,
  x0: number,
  y0: number,
  w: number,
  h: number,
  scale: number,
): { data: Float32Array; width: number; height: number } {
  const width = Math.max(3, Math.floor(w * scale));
  const height = Math.max(3, Math.floor(h * scale));
  const data = new Float32Array(width * height);
  const step = 1 / scale;
  for (let oy = 0; oy < height; oy++) {
    const ya = Math.max(0, Math.floor(y0 + oy * step));
    const yb = Math.min(planes.height, Math.max(ya + 1, Math.floor(y0 + (oy + 1) * step)));
    for (let ox = 0; ox < width; ox++) {
      const xa = Math.max(0, Math.floor(x0 + ox * step));
      const xb = Math.min(planes.width, Math.max(xa + 1, Math.floor(x0 + (ox + 1) * step)));
      let sum = 0;
      let count = 0;
      for (let y = ya; y < yb; y++) {
        const row = y * planes.width;
        for (let x = xa; x < xb; x++) {
          sum += planes.grey[row + x] as number;
          count++;
        }
      }
      data[oy * width + ox] = count === 0 ? 0 : sum / count;
    }
  }
  return { data, width, height };
}

/**
 * Mean squared response to (identity − 3×3 mean), the fine band where pores and skin grain live,
 * over the pixels of `mask` (every one at least the rim inside the skin, so its 3×3 neighbourhood
 * is skin too). Returns the energy and how many pixels it was read on.
 */
function bandEnergy(
  region: { data: Float32Array; width: number; height: number },
  mask: Uint8Array,
): { energy: number; pixels: number } {
  const { data, width, height } = region;
  let sum = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      if (mask[i] !== 1) continue;
      let mean = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) mean += data[i + dy * width + dx] as number;
      const v = (data[i] as number) - mean / 9;
      sum += v * v;
      n++;
    }
  }
  return { energy: n === 0 ? 0 : sum / n, pixels: n };
}

/** Convex hull (counter-clockwise in image axes, y down) of 2-D points, by the monotone chain. */
function convexHull(points: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted.map(([x, y]) => [x, y]);
  const cross = (o: readonly number[], a: readonly number[], b: readonly number[]) =>
    ((a[0] ?? 0) - (o[0] ?? 0)) * ((b[1] ?? 0) - (o[1] ?? 0)) -
    ((a[1] ?? 0) - (o[1] ?? 0)) * ((b[0] ?? 0) - (o[0] ?? 0));
  const chain = (list: ReadonlyArray<readonly [number, number]>) => {
    const out: Array<[number, number]> = [];
    for (const p of list) {
      while (
        out.length >= 2 &&
        cross(
          out[out.length - 2] as [number, number],
          out[out.length - 1] as [number, number],
          p,
        ) <= 0
      )
        out.pop();
      out.push([p[0], p[1]]);
    }
    out.pop();
    return out;
  };
  return [...chain(sorted), ...chain([...sorted].reverse())];
}

/**
 * Inside distance of a point to a convex polygon's boundary (negative outside): the smallest
 * signed distance to its edges' lines.
 */
function insideDistance(
  hull: ReadonlyArray<readonly [number, number]>,
  x: number,
  y: number,
): number {
  let least = Number.POSITIVE_INFINITY;
  for (let k = 0; k < hull.length; k++) {
    const a = hull[k] as readonly [number, number];
    const b = hull[(k + 1) % hull.length] as readonly [number, number];
    const ex = b[0] - a[0];
    const ey = b[1] - a[1];
    const length = Math.hypot(ex, ey);
    if (length < 1e-9) continue;
    // The monotone chain runs with the interior on the left of each edge (cross product > 0).
    least = Math.min(least, (ex * (y - a[1]) - ey * (x - a[0])) / length);
  }
  return least;
}

/** Faces are measured as if 256 px tall: texture energies then compare across photos. */
export const SKIN_FACE_HEIGHT = 256;
/** White noise of sigma σ through (identity − 3×3 mean) has energy (64 + 8) / 81 · σ². */
const NOISE_GAIN = 72 / 81;
/**
 * The rim of each skin region left out, in pixels of the 256-px face: the regions' edges meet
 * brows, eyes, nostrils, the nose's shading and hair, whose edges would otherwise dominate.
 */
export const SKIN_RIM_PIXELS = 4;
/** A region read on fewer pixels than this (inside its rim) is left out. */
const SKIN_MIN_PIXELS = 40;

/**
 * Skin texture: band energy inside the skin of the forehead and both cheeks (the mesh regions'
 * hulls, less a 4-px rim) at a fixed face scale, minus what the measured image noise alone would
 * give, as an RMS in 8-bit levels.
 */
export function skinTexture(
  planes: LuminancePlanes,
  mesh: readonly MeshPoint[],
  noise: number,
): number | null {
  const height = faceHeight(mesh);
  if (height < 48) return null;
  // Downscale only: upscaling a small face would invent no texture and hide none.
  const scale = Math.min(1, SKIN_FACE_HEIGHT / height);
  const energies: number[] = [];
  for (const region of [skinRegions.forehead, skinRegions.rightCheek, skinRegions.leftCheek]) {
    const hull = convexHull(region.map((i) => [point(mesh, i)[0], point(mesh, i)[1]] as const));
    if (hull.length < 3) continue;
    const xs = hull.map((p) => p[0]);
    const ys = hull.map((p) => p[1]);
    const x0 = Math.max(0, Math.min(...xs));
    const y0 = Math.max(0, Math.min(...ys));
    const w = Math.min(planes.width, Math.max(...xs)) - x0;
    const h = Math.min(planes.height, Math.max(...ys)) - y0;
    if (w < 2 || h < 2) continue;
    const box = boxResample(planes, x0, y0, w, h, scale);
    // The mask in the resampled grid: a pixel counts when its centre is the rim inside the hull.
    const mask = new Uint8Array(box.width * box.height);
    const rim = SKIN_RIM_PIXELS / scale;
    for (let oy = 0; oy < box.height; oy++)
      for (let ox = 0; ox < box.width; ox++)
        mask[oy * box.width + ox] =
          insideDistance(hull, x0 + (ox + 0.5) / scale, y0 + (oy + 0.5) / scale) >= rim ? 1 : 0;
    const { energy, pixels } = bandEnergy(box, mask);
    if (pixels >= SKIN_MIN_PIXELS) energies.push(energy);
  }
  if (energies.length === 0) return null;
  // The smoothest region: hair, face paint or a highlight only ever add energy, so the minimum is
  // the skin itself — and plastic skin is plastic everywhere.
  const energy = Math.min(...energies);
  // Box-averaging by 1/scale in each direction divides the noise's sigma by 1/scale.
  const noiseEnergy = NOISE_GAIN * (noise * scale) ** 2;
  return Math.round(Math.sqrt(Math.max(0, energy - noiseEnergy)) * 1000) / 1000;
}

/** Background sharpness over face sharpness, both on the 512-px frame (low = melted background). */
function backgroundBlurRatio(
  frame: { data: Float32Array; width: number; height: number },
  scale: number,
  face: Box,
): number | null {
  const fx0 = Math.floor(face.x * scale);
  const fy0 = Math.floor(face.y * scale);
  const fx1 = Math.ceil((face.x + face.width) * scale);
  const fy1 = Math.ceil((face.y + face.height) * scale);
  // The person: the face's column widened by a face width each side, from above the head down.
  const px0 = fx0 - (fx1 - fx0);
  const px1 = fx1 + (fx1 - fx0);
  const top = fy0 - (fy1 - fy0) * 0.3;
  let faceSum = 0;
  let faceSq = 0;
  let faceN = 0;
  let bgSum = 0;
  let bgSq = 0;
  let bgN = 0;
  const { data, width, height } = frame;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v =
        4 * (data[i] as number) -
        (data[i - 1] as number) -
        (data[i + 1] as number) -
        (data[i - width] as number) -
        (data[i + width] as number);
      if (x >= fx0 && x < fx1 && y >= fy0 && y < fy1) {
        faceSum += v;
        faceSq += v * v;
        faceN++;
      } else if (!(x >= px0 && x < px1 && y >= top)) {
        bgSum += v;
        bgSq += v * v;
        bgN++;
      }
    }
  }
  if (faceN < 50 || bgN < 200) return null;
  const faceVar = faceSq / faceN - (faceSum / faceN) ** 2;
  const bgVar = bgSq / bgN - (bgSum / bgN) ** 2;
  return faceVar <= 1e-6 ? null : Math.round((bgVar / faceVar) * 1000) / 1000;
}

export function measureQuality(
  planes: LuminancePlanes,
  mesh: readonly MeshPoint[] | null,
  face: Box | null = null,
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
  const noise = noiseSigma(planes);
  return {
    eyeSharpness: mesh === null ? null : Math.round(eyeSharpness(planes, mesh) * 10) / 10,
    frameSharpness: Math.round(laplacianVariance(frame.data, frame.width, frame.height) * 10) / 10,
    skinTexture: mesh === null ? null : skinTexture(planes, mesh, noise),
    backgroundBlurRatio:
      face === null ? null : backgroundBlurRatio(frame, frame.width / planes.width, face),
    noise: Math.round(noise * 100) / 100,
    clippedShadows: Math.round((dark / total) * 10000) / 10000,
    clippedHighlights: Math.round((bright / total) * 10000) / 10000,
  };
}

/**
 * Eye sharpness of a photo read in the eye regions of a given mesh: compares two versions of one
 * photo (before and after an edit) without the detector's 1–4 px jitter moving the regions.
 */
export function measureEyeSharpness(image: RgbImage, mesh: readonly MeshPoint[]): number {
  return Math.round(eyeSharpness(luminancePlanes(image), mesh) * 10) / 10;
}

/**
 * Skin texture of a photo read in the skin regions of a given mesh, with the photo's own noise:
 * compares smoothed or retouched copies of one photo without the detector's jitter moving the
 * regions.
 */
export function measureSkinTexture(image: RgbImage, mesh: readonly MeshPoint[]): number | null {
  const planes = luminancePlanes(image);
  return skinTexture(planes, mesh, noiseSigma(planes));
}
