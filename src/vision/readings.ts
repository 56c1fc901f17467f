// How sure each reading is, from its own evidence: the mesh's fit and geometry, the keypoints'
// scores, the light fit's R² and how much of the shading is directional, the colour in the frame.
// A reading below its threshold is "unsure": reported with a warning code, never scored or nudged on.
import { rgbToLab, type RgbImage } from '../image/index.js';
import { faceHeight, landmarks as L, point, uprightMesh } from './mesh.js';
import type {
  BodyReading,
  FaceReading,
  LightReading,
  QualityReading,
  Reading,
  ReadingName,
  Readings,
  VisionWarning,
} from './types.js';

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

/**
 * Thresholds of the readings' confidence, measured on the hand-labelled truth faces
 * (src/testing/fixtures.ts `truthFaces`) and their rotated and mirrored copies.
 */
export const readingThresholds = {
  /** Below this many pixels of face height nothing on the face is read with confidence. */
  tinyFace: 64,
  /**
   * Mouth width over cheek-to-cheek width: 0.33–0.52 on the truth faces. Outside a wider band
   * the lip contour did not fit the mouth.
   */
  mouthWidth: [0.25, 0.65],
  /** Mouth centre off the nose line, in face widths: at most 0.2 on the truth faces (yaw 26°). */
  mouthOffset: 0.3,
  /** Past this yaw the far mouth corner and eye are foreshortened out of the measurement. */
  lipsYaw: 45,
  gazeYaw: 40,
  /**
   * Lip corners read as lowered this far (brief scale) while the emotion network reads the face
   * happier than sad: the contour fit failed (a closed-lip smile read as −1.00 on the truth faces).
   */
  frownContradiction: -0.6,
  frownHappy: 0.15,
  /**
   * Past this yaw, whether the eyes turn back to the camera is below what the iris position
   * resolves (its offset scatters ±0.3 eye half-widths on faces looking at the camera).
   */
  gazeTurn: 20,
  /** Eyes this closed (lid opening over eye width; 0.15–0.19 on lowered lids) give no iris position. */
  eyesClosed: 0.1,
  /** Light fit R² below which the key direction is not read (flat or mixed light, or a poor mesh). */
  lightFit: 0.3,
  /** Directional share gain/(ambient+gain) below which the light is flat: no key direction. */
  lightDirectional: 0.15,
  /** Keypoints below this score are refused. */
  keypointScore: 0.3,
  /** 95th percentile of Lab chroma below which the frame is black and white (a grey copy reads 0). */
  monochromeChroma: 6,
} as const;

/** Lab chroma of the frame on a sampling grid: mean and 95th percentile. */
export function frameChroma(image: RgbImage): { mean: number; p95: number } {
  const step = Math.max(1, Math.floor(Math.sqrt((image.width * image.height) / 20000)));
  const values: number[] = [];
  for (let y = 0; y < image.height; y += step)
    for (let x = 0; x < image.width; x += step) {
      const i = (y * image.width + x) * 3;
      const [, a, b] = rgbToLab(image.data[i] ?? 0, image.data[i + 1] ?? 0, image.data[i + 2] ?? 0);
      values.push(Math.hypot(a, b));
    }
  values.sort((p, q) => p - q);
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  const p95 = values[Math.min(values.length - 1, Math.floor(values.length * 0.95))] ?? 0;
  return { mean: round3(mean), p95: round3(p95) };
}

const sure = (confidence: number): Reading => ({
  status: 'measured',
  confidence: round3(clamp01(confidence)),
  reason: null,
});
const unsure = (confidence: number, reason: string): Reading => ({
  status: 'unsure',
  confidence: round3(clamp01(confidence)),
  reason,
});
const notApplicable = (reason: string): Reading => ({
  status: 'not-applicable',
  confidence: 0,
  reason,
});
const absent = (reason: string): Reading => ({ status: 'unsure', confidence: 0, reason });

/** Lip contour evidence: geometry of the fitted mouth against the face, and the classifier's word. */
export function lipsReading(face: FaceReading): Reading {
  const t = readingThresholds;
  const height = faceHeight(face.mesh);
  if (height < t.tinyFace) return unsure(0.2, `the face is ${Math.round(height)} px tall`);
  if (Math.abs(face.headPose.yaw) > t.lipsYaw)
    return unsure(
      0.3,
      `the head is turned ${Math.abs(face.headPose.yaw)}°: the far lip corner is hidden`,
    );
  const u = uprightMesh(face.mesh);
  const p = (i: number) => point(u, i);
  const faceWidth = Math.abs(p(L.leftCheek)[0] - p(L.rightCheek)[0]) || 1;
  const mouthWidth = Math.abs(p(L.mouthCornerLeft)[0] - p(L.mouthCornerRight)[0]) / faceWidth;
  const offset =
    ((p(L.mouthCornerLeft)[0] + p(L.mouthCornerRight)[0]) / 2 - p(L.noseTip)[0]) / faceWidth;
  const [low, high] = t.mouthWidth;
  if (mouthWidth < low || mouthWidth > high)
    return unsure(0.2, `the fitted mouth is ${round3(mouthWidth)} face widths wide`);
  if (Math.abs(offset) > t.mouthOffset)
    return unsure(0.2, `the fitted mouth sits ${round3(offset)} face widths off the nose line`);
  if (p(L.upperLipOuter)[1] > p(L.lowerLipOuter)[1] || p(L.noseTip)[1] > p(L.upperLipOuter)[1])
    return unsure(0.1, 'the fitted lips are out of order (a mesh on the wrong features)');
  const { happy } = face.emotions;
  if (face.expression.lipCornerLift <= t.frownContradiction && happy >= t.frownHappy)
    return unsure(
      0.3,
      `the lip corners read lowered (${face.expression.lipCornerLift}) on a face the emotion network reads as happy (${round3(happy)}): the lip contour fit failed`,
    );
  // Confidence falls as the geometry nears the edges of what real mouths measure.
  const widthMargin = Math.min(mouthWidth - low, high - mouthWidth) / ((high - low) / 2);
  const offsetMargin = 1 - Math.abs(offset) / t.mouthOffset;
  return sure(0.5 + 0.5 * Math.min(widthMargin, offsetMargin) * Math.min(1, face.score));
}

/** Gaze evidence: open eyes, a head not turned past the far eye. */
export function gazeReading(face: FaceReading): Reading {
  const t = readingThresholds;
  const height = faceHeight(face.mesh);
  if (height < t.tinyFace) return unsure(0.2, `the face is ${Math.round(height)} px tall`);
  if (Math.abs(face.headPose.yaw) > t.gazeYaw)
    return unsure(0.3, `the head is turned ${Math.abs(face.headPose.yaw)}°: the far eye is hidden`);
  const aperture = face.expression.raw['eyeAperture'] ?? 0;
  if (aperture < t.eyesClosed)
    return unsure(0.2, `the eyes are closed (opening ${round3(aperture)} of their width)`);
  const level = face.gaze.label !== 'down' && face.gaze.label !== 'up';
  if (level && Math.abs(face.headPose.yaw) > t.gazeTurn)
    return unsure(
      0.4,
      `the head is turned ${Math.abs(face.headPose.yaw)}°: whether the eyes turn back to the camera is below what the iris position resolves`,
    );
  return sure(Math.min(1, face.score) * (1 - Math.abs(face.headPose.yaw) / 90));
}

/** Key direction evidence: the fit's R² and how much of the shading is directional at all. */
export function lightDirectionReading(light: LightReading, face: FaceReading): Reading {
  const t = readingThresholds;
  const height = faceHeight(face.mesh);
  if (height < t.tinyFace) return unsure(0.2, `the face is ${Math.round(height)} px tall`);
  const directional = light.model.gain / Math.max(1e-6, light.model.ambient + light.model.gain);
  if (light.confidence < t.lightFit)
    return unsure(
      light.confidence,
      `the shading fits a single key poorly (R² ${light.confidence}): flat or mixed light`,
    );
  if (directional < t.lightDirectional)
    return unsure(
      directional,
      `the light is flat (directional share ${round3(directional)}): the key has no direction`,
    );
  return sure(light.confidence);
}

/** Body keypoints in the frame and above their score, and what the posture can be read from. */
export function bodyReading(body: BodyReading | null): Reading {
  if (body === null) return absent('no body keypoints above their confidence');
  const parts = new Set(body.keypoints.map((k) => k.part));
  if (!parts.has('leftShoulder') || !parts.has('rightShoulder'))
    return unsure(
      body.score,
      'both shoulders are not seen with confidence: no shoulder line or body turn',
    );
  return sure(body.score);
}

/** Every reading's confidence and the warnings for the unsure ones. */
export function assessReadings(input: {
  readonly image: RgbImage;
  readonly face: FaceReading | null;
  readonly body: BodyReading | null;
  readonly refusedKeypoints: number;
  readonly light: LightReading | null;
  readonly quality: QualityReading;
}): { readings: Readings; warnings: VisionWarning[] } {
  const { face, light } = input;
  const chroma = frameChroma(input.image);
  const monochrome = chroma.p95 < readingThresholds.monochromeChroma;
  const noFace = absent('no face');
  const readings: Record<ReadingName, Reading> = {
    headPose: face === null ? noFace : sure(face.score),
    lips: face === null ? noFace : lipsReading(face),
    brows:
      face === null
        ? noFace
        : faceHeight(face.mesh) < readingThresholds.tinyFace
          ? unsure(0.2, 'the face is too small')
          : sure(face.score),
    gaze: face === null ? noFace : gazeReading(face),
    body: bodyReading(input.body),
    lightDirection: face === null || light === null ? noFace : lightDirectionReading(light, face),
    colorTemperature: monochrome
      ? notApplicable(`the photo is black and white (chroma p95 ${chroma.p95})`)
      : sure(clamp01(chroma.p95 / 20)),
    warmth: monochrome
      ? notApplicable(`the photo is black and white (chroma p95 ${chroma.p95})`)
      : sure(clamp01(chroma.p95 / 20)),
    skinTexture:
      input.quality.skinTexture === null ? absent('no face large enough') : sure(face?.score ?? 0),
  };
  const warnings: VisionWarning[] = [];
  const warn = (code: VisionWarning['code'], name: ReadingName, what: string) => {
    const reading = readings[name];
    if (face !== null && reading.status === 'unsure')
      warnings.push({ code, message: `could not measure ${what}: ${reading.reason ?? 'unsure'}` });
  };
  warn('lips-unsure', 'lips', 'the lips');
  warn('gaze-unsure', 'gaze', 'the gaze');
  warn('light-unsure', 'lightDirection', 'the key direction');
  if (face !== null && readings.body.status === 'unsure')
    warnings.push({
      code: 'body-unsure',
      message: `could not measure the posture: ${readings.body.reason ?? 'unsure'}${input.refusedKeypoints > 0 ? ` (${input.refusedKeypoints} keypoint${input.refusedKeypoints === 1 ? '' : 's'} refused: outside the frame, on the face, or below ${readingThresholds.keypointScore})` : ''}`,
    });
  if (monochrome)
    warnings.push({
      code: 'monochrome',
      message: `the photo is black and white (chroma p95 ${chroma.p95}): no colour temperature or warmth`,
    });
  return { readings, warnings };
}

/**
 * Smiling or not, from the lip geometry and the emotion network together (each alone misreads:
 * a laugh squeezes the lift flat, a pout lifts the corners); `unsure` in between, and whenever
 * the lips themselves are unsure.
 */
export function smileVerdict(
  face: FaceReading,
  lips: Reading,
): 'smiling' | 'not-smiling' | 'unsure' {
  if (lips.status !== 'measured') return 'unsure';
  const evidence = 0.5 * face.expression.lipCornerLift + 0.5 * (2 * face.emotions.happy - 1);
  return evidence > 0.2 ? 'smiling' : evidence < -0.1 ? 'not-smiling' : 'unsure';
}

/** Where the head turns in the image: within ±8° (twice the mirror disagreement) it is frontal. */
export function turnVerdict(face: FaceReading): 'camera-left' | 'camera-right' | 'frontal' {
  const yaw = face.headPose.yaw;
  return Math.abs(yaw) <= 8 ? 'frontal' : yaw < 0 ? 'camera-left' : 'camera-right';
}
