// Measurements the darkroom steers by and its tests check against: cheek luminance sampled on the
// face mesh in linear light (the same skin vertices vision reads skin texture on).
import { srgbToLinear, rgbToLab, type RgbImage } from '../image/index.js';
import { faceHeight, skinRegions, type FaceReading, type MeshPoint } from '../vision/index.js';
import type { PersonMask } from './types.js';

/** Mean linear luminance of the two cheeks of a face (the subject's left and right). */
export interface CheekLuminance {
  readonly left: number;
  readonly right: number;
}

const LINEAR = Array.from({ length: 256 }, (_, v) => srgbToLinear(v));

/** Mean linear luminance of square patches centred on mesh vertices. */
function patchesMean(
  image: RgbImage,
  mesh: readonly MeshPoint[],
  vertices: readonly number[],
  radius: number,
  mask?: PersonMask,
): number {
  const { width, height, data } = image;
  let sum = 0;
  let count = 0;
  for (const v of vertices) {
    const p = mesh[v];
    if (p === undefined) continue;
    if (mask !== undefined && !onPerson(mask, p)) continue;
    const x0 = Math.max(0, Math.floor(p[0] - radius));
    const x1 = Math.min(width - 1, Math.ceil(p[0] + radius));
    const y0 = Math.max(0, Math.floor(p[1] - radius));
    const y1 = Math.min(height - 1, Math.ceil(p[1] + radius));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = (y * width + x) * 3;
        sum +=
          0.2126 * (LINEAR[data[i] as number] as number) +
          0.7152 * (LINEAR[data[i + 1] as number] as number) +
          0.0722 * (LINEAR[data[i + 2] as number] as number);
        count++;
      }
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** Whether a mesh point lies on the person (a turned head's far cheek can reach past it). */
export function onPerson(mask: PersonMask, p: MeshPoint): boolean {
  const x = Math.min(mask.width - 1, Math.max(0, Math.round(p[0])));
  const y = Math.min(mask.height - 1, Math.max(0, Math.round(p[1])));
  return (mask.alpha[y * mask.width + x] ?? 0) >= 0.5;
}

/** The patch radius used on a face: a fortieth of its height, at least one pixel. */
export function cheekPatchRadius(face: FaceReading): number {
  return Math.max(1, faceHeight(face.mesh) / 40);
}

/**
 * Linear-light luminance of each cheek, sampled on the mesh's cheek skin vertices; with a person
 * mask, vertices that fall off the person (background past a turned cheek) are left out.
 */
export function cheekLuminance(
  image: RgbImage,
  face: FaceReading,
  mask?: PersonMask,
): CheekLuminance {
  const radius = cheekPatchRadius(face);
  return {
    left: patchesMean(image, face.mesh, skinRegions.leftCheek, radius, mask),
    right: patchesMean(image, face.mesh, skinRegions.rightCheek, radius, mask),
  };
}

/** Mean CIELAB of the face's skin pixels (forehead, cheeks, nose, chin vertices), pixel by pixel. */
export function skinLab(image: RgbImage, face: FaceReading): [number, number, number] {
  const radius = cheekPatchRadius(face);
  const { width, height, data } = image;
  const sum = [0, 0, 0];
  let count = 0;
  for (const region of Object.values(skinRegions)) {
    for (const v of region) {
      const p = face.mesh[v];
      if (p === undefined) continue;
      const y1 = Math.min(height - 1, p[1] + radius);
      const x1 = Math.min(width - 1, p[0] + radius);
      for (let y = Math.max(0, Math.floor(p[1] - radius)); y <= y1; y++) {
        for (let x = Math.max(0, Math.floor(p[0] - radius)); x <= x1; x++) {
          const i = (y * width + x) * 3;
          const lab = rgbToLab(data[i] as number, data[i + 1] as number, data[i + 2] as number);
          sum[0] = (sum[0] as number) + lab[0];
          sum[1] = (sum[1] as number) + lab[1];
          sum[2] = (sum[2] as number) + lab[2];
          count++;
        }
      }
    }
  }
  const n = Math.max(1, count);
  return [(sum[0] as number) / n, (sum[1] as number) / n, (sum[2] as number) / n];
}
