// "Make me one like this photo": a brief that names the nearest vocabulary entries with the
// measured values, so a reference becomes a starting brief in one step.
import {
  expressions,
  facialGeometryKeys,
  nearestRig,
  poses,
  validateBrief,
  type Brief,
  type Expression,
  type FacialGeometry,
  type Pose,
} from '../brief/index.js';
import { compositionForEyes, nearestStandardAspect } from './composition.js';
import type { Blueprint } from './types.js';

const geometryKeys = facialGeometryKeys;
/** The controls an expression's name must be supported by (see nearestExpression). */
export const namingKeys = ['lipCornerLift', 'lipsParted', 'browRaise', 'browFurrow'] as const;

/**
 * The expression whose geometry, scaled by the best intensity, is nearest the measurement.
 * Intensity is the least-squares scale of the entry's geometry onto the measured one.
 */
export function nearestExpression(measured: FacialGeometry): {
  entry: Expression;
  intensity: number;
  distance: number;
} {
  let best = {
    entry: expressions[0] as Expression,
    intensity: 0,
    distance: Number.POSITIVE_INFINITY,
  };
  for (const entry of expressions as readonly Expression[]) {
    // Named only from readings that support it: every mouth and brow control it leans on (|g| ≥ 0.3)
    // must be measured on the same side and clearly (≥ 0.1) — no raised-brow name at browRaise 0.
    // Lid opening and asymmetry vary by 0.3–0.5 between neutral faces, so they weigh in the
    // distance but never veto a name.
    const supported = namingKeys.every(
      (k) =>
        Math.abs(entry.geometry[k]) < 0.3 ||
        (Math.sign(measured[k]) === Math.sign(entry.geometry[k]) && Math.abs(measured[k]) >= 0.1),
    );
    if (!supported) continue;
    const target = geometryKeys.map((k) => entry.geometry[k]);
    const values = geometryKeys.map((k) => measured[k]);
    const norm = target.reduce((s, t) => s + t * t, 0);
    const intensity =
      norm === 0
        ? 0
        : Math.min(1, Math.max(0, target.reduce((s, t, i) => s + t * (values[i] ?? 0), 0) / norm));
    const distance = Math.sqrt(
      values.reduce((s, v, i) => s + (v - intensity * (target[i] ?? 0)) ** 2, 0),
    );
    if (distance < best.distance) best = { entry, intensity, distance };
  }
  return best;
}

/** The pose of the vocabulary nearest the measured posture (angles and hands). */
export function nearestPose(blueprint: Blueprint): Pose | undefined {
  const posture = blueprint.body?.posture;
  if (posture === undefined) return undefined;
  let best: Pose | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const pose of poses as readonly Pose[]) {
    let score =
      Math.abs((posture.shoulderAngle ?? 20) - pose.shoulderAngle) / 30 +
      Math.abs(posture.headTilt - pose.headTilt) / 15;
    if (
      posture.handNearFace !==
      (pose.hands === 'touching-face' || pose.hands === 'chin-on-hand' || pose.hands === 'in-hair')
    )
      score += 1;
    if (
      posture.stance !== 'unknown' &&
      posture.stance !== pose.stance &&
      !(posture.stance === 'seated' && pose.stance === 'seated')
    )
      score += 0.5;
    if (score < bestScore) {
      bestScore = score;
      best = pose;
    }
  }
  return best;
}

const round = (value: number, digits = 2): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;

/** A valid brief describing the photo: nearest rig, expression, pose and shot, with measured values. */
export function briefFromBlueprint(
  blueprint: Blueprint,
  options: { description?: string } = {},
): Brief {
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  const raw: Record<string, unknown> = {
    version: 1,
    title: `Like ${blueprint.source.split('/').pop() ?? blueprint.source}`,
    notes: `Read by Portraitist vision from ${blueprint.source}.`,
    subject: { description: options.description ?? 'the person in the reference photo' },
    references: [{ image: blueprint.source, role: 'style', weight: 0.6 }],
  };
  if (face !== undefined) {
    const measured: FacialGeometry = {
      lipCornerLift: face.expression.lipCornerLift,
      lipsParted: face.expression.lipsParted,
      browRaise: face.expression.browRaise,
      browFurrow: face.expression.browFurrow,
      eyeAperture: face.expression.eyeAperture,
      asymmetry: face.expression.asymmetry,
    };
    const nearest = nearestExpression(measured);
    // An unsure lip reading names no expression; an unsure gaze no gaze.
    raw['expression'] =
      blueprint.readings.lips.status === 'measured'
        ? {
            name: nearest.entry.id,
            intensity: round(nearest.intensity),
            ...Object.fromEntries(geometryKeys.map((k) => [k, round(measured[k])])),
            ...(blueprint.readings.gaze.status === 'measured' ? { gaze: face.gaze.label } : {}),
          }
        : blueprint.readings.gaze.status === 'measured'
          ? { gaze: face.gaze.label }
          : undefined;
    if (raw['expression'] === undefined) delete raw['expression'];
    // A pose is only named from a posture that was read with confidence.
    const pose = blueprint.readings.body.status === 'measured' ? nearestPose(blueprint) : undefined;
    raw['posture'] = {
      ...(pose === undefined ? {} : { pose: pose.id }),
      headTilt: Math.max(-30, Math.min(30, Math.round(face.headPose.roll))),
      headTurn: Math.max(-90, Math.min(90, Math.round(face.headPose.yaw))),
      ...(blueprint.body?.posture.shoulderAngle == null ||
      blueprint.readings.body.status !== 'measured'
        ? {}
        : { shoulderAngle: Math.round(blueprint.body.posture.shoulderAngle) }),
      ...(blueprint.body?.posture.stance === 'seated' ||
      blueprint.body?.posture.stance === 'standing'
        ? { stance: blueprint.body.posture.stance }
        : {}),
    };
  }
  if (blueprint.light !== null && blueprint.readings.lightDirection.status === 'measured') {
    const light = blueprint.light;
    const rig = nearestRig({
      azimuth: light.azimuth,
      elevation: light.elevation,
      fillRatio: light.fillRatio,
      softness: light.softness,
    });
    raw['light'] = {
      rig: rig.id,
      side: light.azimuth >= 0 ? 'left' : 'right',
      key: {
        azimuth: Math.round(light.azimuth),
        elevation: Math.round(Math.max(-90, Math.min(90, light.elevation))),
      },
      fillRatio: round(Math.max(1, Math.min(32, light.fillRatio)), 1),
      softness: round(light.softness),
      ...(blueprint.readings.colorTemperature.status === 'measured'
        ? { colorTemperature: Math.max(1500, Math.min(12000, light.colorTemperature)) }
        : {}),
    };
  }
  if (blueprint.composition !== null) {
    raw['camera'] = {
      shot: blueprint.composition.shot,
      aspectRatio: nearestStandardAspect(blueprint.image.width, blueprint.image.height),
    };
  }
  const colours = blueprint.palette.frame.slice(0, 6).map((s) => s.hex);
  raw['aesthetic'] = {
    ...(colours.length > 0 ? { colors: colours } : {}),
    ...(blueprint.composition === null
      ? {}
      : { composition: compositionForEyes(blueprint.composition.eyeCentre) }),
  };
  return validateBrief(raw, { source: blueprint.source });
}
