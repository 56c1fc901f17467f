// Composition against the frame: thirds, headroom, subject size, shot type and aspect ratio.
import { compositions, shotTypes, type CompositionRule, type ShotType } from '../brief/index.js';
import { faceHeight, landmarks as L, point } from './mesh.js';
import type { Box, CompositionReading, MeshPoint } from './types.js';

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

const commonAspects: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [4, 5],
  [5, 4],
  [2, 3],
  [3, 2],
  [3, 4],
  [4, 3],
  [9, 16],
  [16, 9],
  [5, 7],
  [7, 5],
  [1, 2],
  [2, 1],
  [21, 9],
];

/** "4:5" when the frame is within 1.5% of a common ratio, else the reduced width:height. */
export function aspectRatioOf(width: number, height: number): string {
  const ratio = width / height;
  for (const [w, h] of commonAspects) if (Math.abs(ratio / (w / h) - 1) < 0.015) return `${w}:${h}`;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const d = gcd(width, height) || 1;
  return `${width / d}:${height / d}`;
}

/** The standard photographic ratios a brief names (portrait and landscape). */
const standardAspects: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [4, 5],
  [5, 4],
  [2, 3],
  [3, 2],
  [3, 4],
  [4, 3],
  [9, 16],
  [16, 9],
];

/** The standard ratio nearest the frame's (in log ratio): a 485×876 photo is 9:16. */
export function nearestStandardAspect(width: number, height: number): string {
  const ratio = Math.log(width / height);
  let best = standardAspects[0] as readonly [number, number];
  for (const aspect of standardAspects)
    if (
      Math.abs(Math.log(aspect[0] / aspect[1]) - ratio) <
      Math.abs(Math.log(best[0] / best[1]) - ratio)
    )
      best = aspect;
  return `${best[0]}:${best[1]}`;
}

/**
 * The composition rule whose eye anchor (or its mirror image: the look-room may fall either side)
 * is nearest where the eyes are. Eyes at x = 0.83 are nearer the negative-space anchor than the
 * centre.
 */
export function compositionForEyes(eyes: { x: number; y: number }): string {
  let best = { id: 'rule-of-thirds', distance: Number.POSITIVE_INFINITY };
  for (const rule of compositions as readonly CompositionRule[]) {
    if (rule.eyeAnchor === null) continue;
    const { x, y } = rule.eyeAnchor;
    const distance = Math.min(
      Math.hypot(eyes.x - x, eyes.y - y),
      Math.hypot(eyes.x - (1 - x), eyes.y - y),
    );
    if (distance < best.distance) best = { id: rule.id, distance };
  }
  return best.id;
}

/** The shot type whose face-height range holds this fraction, or the nearest one. */
export function shotForFaceHeight(fraction: number): ShotType {
  let best = shotTypes[0] as ShotType;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const shot of shotTypes as readonly ShotType[]) {
    const [min, max] = shot.faceHeight;
    const distance = fraction < min ? min - fraction : fraction > max ? fraction - max : 0;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = shot;
    }
  }
  return best;
}

export function measureComposition(
  width: number,
  height: number,
  mesh: readonly MeshPoint[],
  box: Box,
): CompositionReading {
  const right = point(mesh, L.rightIrisCentre);
  const left = point(mesh, L.leftIrisCentre);
  const eyeCentre = { x: (right[0] + left[0]) / 2 / width, y: (right[1] + left[1]) / 2 / height };
  let nearest = { x: 1 / 3, y: 1 / 3, distance: Number.POSITIVE_INFINITY };
  for (const x of [1 / 3, 2 / 3]) {
    for (const y of [1 / 3, 2 / 3]) {
      const distance = Math.hypot(eyeCentre.x - x, eyeCentre.y - y) / Math.SQRT2;
      if (distance < nearest.distance) nearest = { x, y, distance };
    }
  }
  const faceH = faceHeight(mesh);
  // The mesh stops at the hairline; the crown sits about a third of a face height above it.
  const crown = point(mesh, L.foreheadTop)[1] - faceH * 0.3;
  const fraction = faceH / height;
  return {
    eyeCentre: { x: round3(eyeCentre.x), y: round3(eyeCentre.y) },
    nearestThird: {
      x: round3(nearest.x),
      y: round3(nearest.y),
      distance: round3(nearest.distance),
    },
    headroom: round3(crown / height),
    subjectSize: round3((box.width * box.height) / (width * height)),
    shot: shotForFaceHeight(fraction).id,
    aspectRatio: aspectRatioOf(width, height),
  };
}
