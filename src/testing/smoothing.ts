// Skin smoothing for the realism guard's calibration: an edge-preserving bilateral filter of
// increasing strength, as retouchers' "surface blur" does, applied to a region of the photo.
import type { RgbImage } from '../image/index.js';

/** Strength 0 leaves the photo alone; 1..4 go from light retouching to wax. */
export const smoothingLevels = [
  { strength: 0, spatial: 0, range: 0 },
  { strength: 1, spatial: 1.5, range: 12 },
  { strength: 2, spatial: 3, range: 20 },
  { strength: 3, spatial: 4.5, range: 30 },
  { strength: 4, spatial: 6, range: 40 },
] as const;

/**
 * Bilateral filter inside `box` (spatial sigma in pixels of the photo, range sigma in 8-bit levels),
 * feathered at the box edge so no seam is introduced.
 */
export function smoothRegion(
  image: RgbImage,
  box: { x: number; y: number; width: number; height: number },
  strength: number,
): RgbImage {
  const level = smoothingLevels.find((l) => l.strength === strength);
  if (level === undefined || level.strength === 0) return image;
  const { width, height, data } = image;
  const out = new Uint8Array(data);
  const radius = Math.ceil(level.spatial * 2);
  const spatial = new Float32Array((2 * radius + 1) ** 2);
  for (let dy = -radius; dy <= radius; dy++)
    for (let dx = -radius; dx <= radius; dx++)
      spatial[(dy + radius) * (2 * radius + 1) + dx + radius] = Math.exp(
        -(dx * dx + dy * dy) / (2 * level.spatial ** 2),
      );
  const rangeLut = new Float32Array(256 * 3);
  for (let d = 0; d < rangeLut.length; d++)
    rangeLut[d] = Math.exp(-(d * d) / (2 * (level.range * 1.7) ** 2));
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  const feather = Math.max(1, Math.min(box.width, box.height) * 0.1);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * width + x) * 3;
      const r0 = data[i] as number;
      const g0 = data[i + 1] as number;
      const b0 = data[i + 2] as number;
      let sr = 0;
      let sg = 0;
      let sb = 0;
      let sw = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        const yy = Math.min(height - 1, Math.max(0, y + dy));
        for (let dx = -radius; dx <= radius; dx++) {
          const xx = Math.min(width - 1, Math.max(0, x + dx));
          const j = (yy * width + xx) * 3;
          const r = data[j] as number;
          const g = data[j + 1] as number;
          const b = data[j + 2] as number;
          const diff = Math.abs(r - r0) + Math.abs(g - g0) + Math.abs(b - b0);
          const w =
            (spatial[(dy + radius) * (2 * radius + 1) + dx + radius] as number) *
            (rangeLut[diff] as number);
          sr += r * w;
          sg += g * w;
          sb += b * w;
          sw += w;
        }
      }
      const edge = Math.min(x - x0, x1 - 1 - x, y - y0, y1 - 1 - y);
      const blend = Math.min(1, (edge + 1) / feather);
      out[i] = Math.round(r0 + (sr / sw - r0) * blend);
      out[i + 1] = Math.round(g0 + (sg / sw - g0) * blend);
      out[i + 2] = Math.round(b0 + (sb / sw - b0) * blend);
    }
  }
  return { ...image, data: out, source: `${image.source} smoothed ${strength}` };
}
