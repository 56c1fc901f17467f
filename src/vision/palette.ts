// Dominant colours in CIELAB by k-means (deterministic seeding), for the frame and its background.
import { labToRgb, rgbToHex, rgbToLab } from '../image/index.js';
import type { RgbImage } from '../image/index.js';
import type { Box, Swatch } from './types.js';

type Lab = [number, number, number];
const deltaE76 = (a: Lab, b: Lab): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Lab samples on a grid of about `target` pixels, optionally only where `keep(x, y)` is true. */
function sampleLab(
  image: RgbImage,
  target: number,
  keep?: (x: number, y: number) => boolean,
): Lab[] {
  const step = Math.max(1, Math.floor(Math.sqrt((image.width * image.height) / target)));
  const samples: Lab[] = [];
  for (let y = Math.floor(step / 2); y < image.height; y += step) {
    for (let x = Math.floor(step / 2); x < image.width; x += step) {
      if (keep !== undefined && !keep(x, y)) continue;
      const i = (y * image.width + x) * 3;
      samples.push(rgbToLab(image.data[i] ?? 0, image.data[i + 1] ?? 0, image.data[i + 2] ?? 0));
    }
  }
  return samples;
}

/**
 * k-means in Lab with farthest-point seeding (no randomness: the same photo always gives the same
 * palette); clusters closer than ΔE 10 are merged, the result sorted by weight.
 */
export function dominantColours(samples: readonly Lab[], k = 6, iterations = 12): Swatch[] {
  if (samples.length === 0) return [];
  const mean: Lab = [0, 0, 0];
  for (const s of samples) {
    mean[0] += s[0] / samples.length;
    mean[1] += s[1] / samples.length;
    mean[2] += s[2] / samples.length;
  }
  const centres: Lab[] = [];
  let farthest = samples[0] as Lab;
  let best = -1;
  for (const s of samples) {
    const d = deltaE76(s, mean);
    if (d > best) {
      best = d;
      farthest = s;
    }
  }
  centres.push([...farthest] as Lab);
  while (centres.length < Math.min(k, samples.length)) {
    let candidate = samples[0] as Lab;
    let far = -1;
    for (const s of samples) {
      let d = Number.POSITIVE_INFINITY;
      for (const c of centres) d = Math.min(d, deltaE76(s, c));
      if (d > far) {
        far = d;
        candidate = s;
      }
    }
    if (far < 1) break; // fewer distinct colours than k
    centres.push([...candidate] as Lab);
  }
  const assignment = new Int32Array(samples.length);
  for (let iteration = 0; iteration < iterations; iteration++) {
    // Plain loops (the same arithmetic in the same order as per-sample closures, without them).
    const sums = new Float64Array(centres.length * 4);
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] as Lab;
      let nearest = 0;
      let nearestDistance = Number.POSITIVE_INFINITY;
      for (let j = 0; j < centres.length; j++) {
        const c = centres[j] as Lab;
        const d = (s[0] - c[0]) ** 2 + (s[1] - c[1]) ** 2 + (s[2] - c[2]) ** 2;
        if (d < nearestDistance) {
          nearestDistance = d;
          nearest = j;
        }
      }
      assignment[i] = nearest;
      sums[nearest * 4] = (sums[nearest * 4] as number) + s[0];
      sums[nearest * 4 + 1] = (sums[nearest * 4 + 1] as number) + s[1];
      sums[nearest * 4 + 2] = (sums[nearest * 4 + 2] as number) + s[2];
      sums[nearest * 4 + 3] = (sums[nearest * 4 + 3] as number) + 1;
    }
    for (let j = 0; j < centres.length; j++) {
      const c = centres[j] as Lab;
      const n = sums[j * 4 + 3] as number;
      if (n > 0) {
        c[0] = (sums[j * 4] as number) / n;
        c[1] = (sums[j * 4 + 1] as number) / n;
        c[2] = (sums[j * 4 + 2] as number) / n;
      }
    }
  }
  const counts = centres.map((_, j) => assignment.reduce((n, a) => n + (a === j ? 1 : 0), 0));
  let clusters = centres
    .map((lab, j) => ({ lab, weight: (counts[j] ?? 0) / samples.length }))
    .filter((c) => c.weight > 0);
  // Merge near-duplicates so a soft gradient does not fill the palette with one colour.
  clusters.sort((a, b) => b.weight - a.weight);
  const merged: { lab: Lab; weight: number }[] = [];
  for (const cluster of clusters) {
    const twin = merged.find((m) => deltaE76(m.lab, cluster.lab) < 10);
    if (twin === undefined) merged.push({ lab: [...cluster.lab] as Lab, weight: cluster.weight });
    else {
      const total = twin.weight + cluster.weight;
      twin.lab = [0, 1, 2].map(
        (c) => ((twin.lab[c] ?? 0) * twin.weight + (cluster.lab[c] ?? 0) * cluster.weight) / total,
      ) as Lab;
      twin.weight = total;
    }
  }
  clusters = merged.sort((a, b) => b.weight - a.weight);
  return clusters.map(({ lab, weight }) => {
    const [r, g, b] = labToRgb(lab[0], lab[1], lab[2]);
    return {
      hex: rgbToHex(r, g, b),
      lab: [
        Math.round(lab[0] * 10) / 10,
        Math.round(lab[1] * 10) / 10,
        Math.round(lab[2] * 10) / 10,
      ],
      weight: Math.round(weight * 1000) / 1000,
    };
  });
}

/**
 * Palettes of the whole frame and of the background. Until person segmentation lands, the
 * person is approximated by the face box widened to the shoulders and extended down to the body
 * box or the bottom of the frame.
 */
export function measurePalette(
  image: RgbImage,
  face: Box | null,
  body: Box | null,
): { frame: Swatch[]; background: Swatch[] } {
  const frame = dominantColours(sampleLab(image, 6000));
  if (face === null) return { frame, background: frame };
  const personLeft = Math.min(face.x - face.width * 0.9, body?.x ?? Number.POSITIVE_INFINITY);
  const personRight = Math.max(face.x + face.width * 1.9, body === null ? 0 : body.x + body.width);
  const personTop = face.y - face.height * 0.35;
  const inPerson = (x: number, y: number) => y >= personTop && x >= personLeft && x <= personRight;
  const background = sampleLab(image, 6000, (x, y) => !inPerson(x, y));
  return { frame, background: background.length < 50 ? [] : dominantColours(background) };
}
