// Expression geometry from the face mesh, in the face's upright frame and in units of face height
// (or eye width), so the numbers compare across photos, sizes and head rolls.
import { landmarks as L, faceHeight, point, uprightMesh } from './mesh.js';
import type { ExpressionMetrics, MeshPoint } from './types.js';

/**
 * Calibration: raw ratio of a relaxed neutral face and the change that counts as 1.0 on the brief's
 * scale. Measured on the faces of @vladmandic/face-api's demo photos (sample1..6, 22 faces) with the
 * Human face mesh: neutral-labelled faces vs broad laughs (see vision/calibration.test.ts, which
 * recomputes these figures and fails when they drift).
 */
export const expressionCalibration = {
  // Neutral-labelled faces read 0.002–0.026 (mean 0.015); the broad laugh 0.046.
  lipCornerLift: { neutral: 0.015, span: 0.03 },
  // Closed mouths read 0.000–0.020; the laugh 0.095.
  lipsParted: { neutral: 0.01, span: 0.085 },
  // Brow-to-upper-lid distance: neutral faces 0.096–0.148 (mean 0.115).
  browRaise: { neutral: 0.115, span: 0.05 },
  // Inner brow height above the inner eye corner: neutral faces 0.076–0.101 (mean 0.085).
  browFurrow: { neutral: 0.085, span: 0.03 },
  // Lid opening over eye width: neutral faces 0.30–0.47 (mean 0.36).
  eyeAperture: { neutral: 0.36, span: 0.15 },
  // Left/right differences of lift, brow and aperture. A turned head adds up to ~0.1 by projection
  // alone (neutral faces at 15–27° of yaw read 0.05–0.10), so full scale sits well above that.
  asymmetry: { span: 0.16 },
} as const;

const clamp = (value: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, value));
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** Raw, size-normalised ratios of one face mesh. */
export function rawExpression(mesh: readonly MeshPoint[], yawDegrees = 0): Record<string, number> {
  // A turned head foreshortens the eyes' width, not their height: undo it for the aperture ratio.
  const widthScale = 1 / Math.max(0.5, Math.cos((yawDegrees * Math.PI) / 180));
  const upright = uprightMesh(mesh);
  const p = (index: number) => point(upright, index);
  const height = faceHeight(mesh) || 1;
  // y grows downward: "above" means a smaller y.
  // Corners against the middle of the mouth opening: a smile's corners rise above it, a laugh's
  // even more as the jaw drops; a frown's fall below it. (Against the upper lip alone a laugh
  // reads flat, because AU10/AU12 lift the upper lip with the corners.)
  const lipCentreY = (p(L.upperLipInner)[1] + p(L.lowerLipInner)[1]) / 2;
  const liftRight = (lipCentreY - p(L.mouthCornerRight)[1]) / height;
  const liftLeft = (lipCentreY - p(L.mouthCornerLeft)[1]) / height;
  const lipsParted = Math.max(0, p(L.lowerLipInner)[1] - p(L.upperLipInner)[1]) / height;
  const browRight = (p(L.rightEyeUpper)[1] - p(L.rightBrowMiddle)[1]) / height;
  const browLeft = (p(L.leftEyeUpper)[1] - p(L.leftBrowMiddle)[1]) / height;
  // Furrow (AU4): inner brows pulled down toward the eyes and together.
  const innerBrowRight = (p(L.rightEyeInner)[1] - p(L.rightBrowInner)[1]) / height;
  const innerBrowLeft = (p(L.leftEyeInner)[1] - p(L.leftBrowInner)[1]) / height;
  const eyeGap = Math.abs(p(L.leftEyeInner)[0] - p(L.rightEyeInner)[0]) || 1;
  const browGap = Math.abs(p(L.leftBrowInner)[0] - p(L.rightBrowInner)[0]) / eyeGap;
  const apertureRight =
    Math.abs(p(L.rightEyeLower)[1] - p(L.rightEyeUpper)[1]) /
    ((Math.abs(p(L.rightEyeInner)[0] - p(L.rightEyeOuter)[0]) || 1) * widthScale);
  const apertureLeft =
    Math.abs(p(L.leftEyeLower)[1] - p(L.leftEyeUpper)[1]) /
    ((Math.abs(p(L.leftEyeInner)[0] - p(L.leftEyeOuter)[0]) || 1) * widthScale);
  return {
    liftRight,
    liftLeft,
    lipCornerLift: (liftRight + liftLeft) / 2,
    lipsParted,
    browRight,
    browLeft,
    browRaise: (browRight + browLeft) / 2,
    innerBrow: (innerBrowRight + innerBrowLeft) / 2,
    browGap,
    apertureRight,
    apertureLeft,
    eyeAperture: (apertureRight + apertureLeft) / 2,
  };
}

/** Expression metrics on the brief's normalised scale, with the raw ratios kept alongside. */
export function measureExpression(mesh: readonly MeshPoint[], yawDegrees = 0): ExpressionMetrics {
  const raw = rawExpression(mesh, yawDegrees);
  const c = expressionCalibration;
  const scale = (value: number, k: { neutral: number; span: number }, min = -1) =>
    round3(clamp((value - k.neutral) / k.span, min, 1));
  const get = (key: string) => raw[key] ?? 0;
  // Furrow rises as the inner brows come down toward the eyes (smaller innerBrow ratio).
  const furrow = round3(clamp((c.browFurrow.neutral - get('innerBrow')) / c.browFurrow.span, 0, 1));
  const asymmetryRaw =
    Math.abs(get('liftRight') - get('liftLeft')) +
    Math.abs(get('browRight') - get('browLeft')) +
    Math.abs(get('apertureRight') - get('apertureLeft')) * 0.25;
  return {
    lipCornerLift: scale(get('lipCornerLift'), c.lipCornerLift),
    lipsParted: scale(get('lipsParted'), c.lipsParted, 0),
    browRaise: scale(get('browRaise'), c.browRaise, 0),
    browFurrow: furrow,
    eyeAperture: scale(get('eyeAperture'), c.eyeAperture),
    eyeApertureRight: scale(get('apertureRight'), c.eyeAperture),
    eyeApertureLeft: scale(get('apertureLeft'), c.eyeAperture),
    asymmetry: round3(clamp(asymmetryRaw / c.asymmetry.span, 0, 1)),
    raw: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, round3(v * 1000) / 1000])),
  };
}
