// Resolved views of a brief: the vocabulary entry merged with the brief's explicit values, so
// the compiler, vision, the critic and the darkroom all read the same numbers.
import type { Brief, BriefLight } from './schema.js';
import type {
  FacialGeometry,
  Gaze,
  Hands,
  Lean,
  LightRig,
  Pose,
  Range,
  Stance,
  Expression,
} from './vocab/index.js';
import { expressions, findEntry, lightRigs, poses } from './vocab/index.js';

const middle = (range: Range): number => (range[0] + range[1]) / 2;

/** The light the brief asks for, as numbers. */
export interface ResolvedLight {
  readonly rig: LightRig | undefined;
  /** Side of the subject's face the key is on. */
  readonly side: 'left' | 'right';
  /** Signed azimuth, degrees; positive toward the subject's left (camera right). */
  readonly azimuth: number;
  readonly elevation: number;
  /** Key:fill, or null where it does not apply. */
  readonly fillRatio: number | null;
  readonly softness: number;
  readonly colorTemperature: number;
  readonly rim: boolean;
  readonly background: NonNullable<BriefLight['background']> | undefined;
  /** Where the key's catchlight sits in the eye, as seen from the camera (1–12). */
  readonly catchlightClock: number;
  /** Whether the key's angles were given explicitly rather than taken from the rig. */
  readonly explicitKey: boolean;
}

/** Clock position of a catchlight for a source at (azimuth, elevation), seen from the camera. */
export function catchlightClock(azimuth: number, elevation: number): number {
  const rad = Math.PI / 180;
  const x = Math.sin(azimuth * rad) * Math.cos(elevation * rad); // camera right is positive
  const y = Math.sin(elevation * rad);
  if (Math.abs(x) < 1e-6 && Math.abs(y) < 1e-6) return 12;
  const degreesClockwise = (Math.atan2(x, y) / rad + 360) % 360;
  const hour = Math.round(degreesClockwise / 30) % 12;
  return hour === 0 ? 12 : hour;
}

/** Which side broad/short light falls on follows the head turn; other rigs use `light.side`. */
function keySide(brief: Brief, rig: LightRig | undefined): 'left' | 'right' {
  const side = brief.light?.side ?? 'left';
  const turn = brief.posture?.headTurn ?? findPose(brief)?.headTurn ?? 0;
  if (rig === undefined || turn === 0 || (rig.id !== 'broad' && rig.id !== 'short')) return side;
  // Head turned toward the subject's left shows the right cheek to the camera: broad lights it.
  const sideTowardCamera = turn > 0 ? 'right' : 'left';
  if (rig.id === 'broad') return sideTowardCamera;
  return sideTowardCamera === 'left' ? 'right' : 'left';
}

/** The light of a brief, or undefined when the brief states no light. */
export function resolveLight(brief: Brief): ResolvedLight | undefined {
  const light = brief.light;
  if (light === undefined) return undefined;
  const rig = light.rig === undefined ? undefined : findEntry(lightRigs, light.rig);
  const side = keySide(brief, rig);
  const sign = side === 'left' ? 1 : -1;
  const azimuth = light.key?.azimuth ?? (rig === undefined ? 0 : sign * middle(rig.key.azimuth));
  const elevation = light.key?.elevation ?? (rig === undefined ? 20 : middle(rig.key.elevation));
  // Without a rig a 2:1 fill is the neutral studio default; accent rigs have no ratio.
  const rigFill = rig === undefined ? 2 : rig.fillRatio === null ? null : middle(rig.fillRatio);
  const resolvedSide = light.key === undefined ? side : azimuth >= 0 ? 'left' : 'right';
  return {
    rig,
    side: resolvedSide,
    azimuth,
    elevation,
    fillRatio: light.fillRatio ?? rigFill,
    softness: light.softness ?? (rig === undefined ? 0.5 : middle(rig.softness)),
    colorTemperature: light.colorTemperature ?? rig?.colorTemperature ?? 5500,
    rim: light.rim ?? rig?.rim ?? false,
    background: light.background ?? rig?.background,
    catchlightClock: catchlightClock(azimuth, elevation),
    explicitKey: light.key !== undefined,
  };
}

/**
 * The vocabulary rig nearest to a light geometry (for describing explicit angles and for reading
 * a rig off a photo). Distance is measured in range-widths from each rig's ranges.
 */
export function nearestRig(light: {
  azimuth: number;
  elevation: number;
  fillRatio?: number | null;
  softness?: number;
}): LightRig {
  const outside = (value: number, range: Range, scale: number): number =>
    value < range[0]
      ? (range[0] - value) / scale
      : value > range[1]
        ? (value - range[1]) / scale
        : 0;
  let best = lightRigs[0] as LightRig;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const rig of lightRigs as readonly LightRig[]) {
    // Rigs defined by setting rather than geometry never win on geometry alone.
    if (
      rig.id === 'broad' ||
      rig.id === 'short' ||
      rig.id === 'practical-neon' ||
      rig.id === 'golden-hour'
    )
      continue;
    let score =
      outside(Math.abs(light.azimuth), rig.key.azimuth, 15) +
      outside(light.elevation, rig.key.elevation, 20);
    if (light.fillRatio != null && rig.fillRatio !== null)
      score += outside(light.fillRatio, rig.fillRatio, 2);
    if (light.softness !== undefined) score += outside(light.softness, rig.softness, 0.25);
    if (score < bestScore) {
      bestScore = score;
      best = rig;
    }
  }
  return best;
}

/** The expression of a brief as geometry targets. */
export interface ResolvedExpression {
  readonly entry: Expression;
  readonly intensity: number;
  readonly geometry: FacialGeometry;
  readonly gaze: Gaze;
  /** Fine controls the brief set explicitly. */
  readonly overrides: readonly (keyof FacialGeometry)[];
}

/** The six facial-geometry controls, in the order briefs, vision and the critic list them. */
export const facialGeometryKeys = [
  'lipCornerLift',
  'lipsParted',
  'browRaise',
  'browFurrow',
  'eyeAperture',
  'asymmetry',
] as const satisfies readonly (keyof FacialGeometry)[];

/** The expression of a brief, or undefined when the brief states none. */
export function resolveExpression(brief: Brief): ResolvedExpression | undefined {
  const wanted = brief.expression;
  if (wanted === undefined) return undefined;
  const entry = findEntry(expressions, wanted.name) as Expression;
  const overrides = facialGeometryKeys.filter((key) => wanted[key] !== undefined);
  const geometry = Object.fromEntries(
    facialGeometryKeys.map((key) => [
      key,
      wanted[key] ?? round(entry.geometry[key] * wanted.intensity),
    ]),
  ) as unknown as FacialGeometry;
  return {
    entry,
    intensity: wanted.intensity,
    geometry,
    gaze: wanted.gaze ?? entry.defaultGaze,
    overrides,
  };
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

/** The posture of a brief: the named pose with the brief's explicit values on top. */
export interface ResolvedPosture {
  readonly pose: Pose | undefined;
  readonly stance: Stance | undefined;
  readonly shoulderAngle: number | undefined;
  readonly headTilt: number | undefined;
  readonly headTurn: number | undefined;
  readonly lean: Lean | undefined;
  readonly hands: Hands | undefined;
  readonly handsDetail: string | undefined;
}

function findPose(brief: Brief): Pose | undefined {
  const id = brief.posture?.pose;
  return id === undefined ? undefined : (findEntry(poses, id) as Pose | undefined);
}

/** The posture of a brief, or undefined when the brief states none. */
export function resolvePosture(brief: Brief): ResolvedPosture | undefined {
  const posture = brief.posture;
  if (posture === undefined) return undefined;
  const pose = findPose(brief);
  return {
    pose,
    stance: posture.stance ?? pose?.stance,
    shoulderAngle: posture.shoulderAngle ?? pose?.shoulderAngle,
    headTilt: posture.headTilt ?? pose?.headTilt,
    headTurn: posture.headTurn ?? pose?.headTurn,
    lean: posture.lean ?? pose?.lean,
    hands: posture.hands ?? pose?.hands,
    handsDetail: posture.handsDetail,
  };
}
