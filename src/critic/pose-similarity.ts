// Keypoint similarity between two poses (OKS, as COCO defines it), after aligning position and
// scale so the framing of the two photos does not count — only the pose does.
import type { Keypoint } from '../vision/index.js';

/** COCO per-keypoint falloff constants (sigmas) for MoveNet's 17 keypoints. */
const sigmas: Readonly<Record<string, number>> = {
  nose: 0.026,
  leftEye: 0.025,
  rightEye: 0.025,
  leftEar: 0.035,
  rightEar: 0.035,
  leftShoulder: 0.079,
  rightShoulder: 0.079,
  leftElbow: 0.072,
  rightElbow: 0.072,
  leftWrist: 0.062,
  rightWrist: 0.062,
  leftHip: 0.107,
  rightHip: 0.107,
  leftKnee: 0.087,
  rightKnee: 0.087,
  leftAnkle: 0.089,
  rightAnkle: 0.089,
};

const MIN_SCORE = 0.3;

/** Keypoints seen in both poses, centred on their mean and scaled to unit RMS radius. */
function aligned(
  a: readonly Keypoint[],
  b: readonly Keypoint[],
): { parts: string[]; pa: [number, number][]; pb: [number, number][] } {
  const parts = Object.keys(sigmas).filter((part) => {
    const ka = a.find((k) => k.part === part);
    const kb = b.find((k) => k.part === part);
    return ka !== undefined && kb !== undefined && ka.score >= MIN_SCORE && kb.score >= MIN_SCORE;
  });
  const normalise = (points: readonly Keypoint[]): [number, number][] => {
    const chosen = parts.map((part) => points.find((k) => k.part === part) as Keypoint);
    const cx = chosen.reduce((s, k) => s + k.x, 0) / Math.max(1, chosen.length);
    const cy = chosen.reduce((s, k) => s + k.y, 0) / Math.max(1, chosen.length);
    const radius =
      Math.sqrt(
        chosen.reduce((s, k) => s + (k.x - cx) ** 2 + (k.y - cy) ** 2, 0) /
          Math.max(1, chosen.length),
      ) || 1;
    return chosen.map((k) => [(k.x - cx) / radius, (k.y - cy) / radius]);
  };
  return { parts, pa: normalise(a), pb: normalise(b) };
}

/**
 * Object keypoint similarity (0..1) of pose `b` to pose `a`, or null when fewer than four
 * keypoints are seen in both. A mirrored pose swaps left and right and so scores lower.
 */
export function poseSimilarity(a: readonly Keypoint[], b: readonly Keypoint[]): number | null {
  const { parts, pa, pb } = aligned(a, b);
  if (parts.length < 4) return null;
  // In unit-RMS coordinates the pose's "area" is about 4 (the box of a unit-radius cloud): s² = 4.
  const area = 4;
  let total = 0;
  parts.forEach((part, i) => {
    const [ax, ay] = pa[i] as [number, number];
    const [bx, by] = pb[i] as [number, number];
    const k = sigmas[part] ?? 0.05;
    const d2 = (ax - bx) ** 2 + (ay - by) ** 2;
    total += Math.exp(-d2 / (2 * area * (2 * k) ** 2));
  });
  return Math.round((total / parts.length) * 1000) / 1000;
}
