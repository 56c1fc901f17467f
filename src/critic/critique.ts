// critique(blueprint, brief) -> Scorecard: what the brief asked for, pillar by pillar, against
// what vision measured on the candidate, with a reason and a fix for every shortfall.
import {
  facialGeometryKeys,
  filmStocks,
  findEntry,
  grades,
  guidanceOf,
  palettes,
  resolveExpression,
  resolveLight,
  resolvePosture,
  shotTypes,
  compositions,
  type Brief,
  type BriefPatch,
  type CompositionRule,
  type FacialGeometry,
  type FilmStock,
  type Grade,
  type Nudge,
  type Palette,
  type Pillar,
  type ShotType,
} from '../brief/index.js';
import { deltaE2000, hexToRgb, rgbToLab } from '../image/index.js';
import type { Blueprint, FaceReading, Reading } from '../vision/index.js';
import {
  expressionCalibration,
  eyeSharpnessCalibration,
  faceSizeCalibration,
  identityCalibration,
  lightCalibration,
  realismCalibration,
  warmthCalibration,
} from './calibration.js';
import { poseSimilarity } from './pose-similarity.js';
import { defaultPillarWeights, flagPenalties } from './weights.js';
import type {
  CriticFlag,
  CriticPillar,
  PillarScore,
  Scorecard,
  UnmeasuredPillar,
} from './types.js';

/** Reference photos, already read by vision, by the role the brief gives them. */
export interface CritiqueReferences {
  readonly identity?: Blueprint;
  readonly pose?: Blueprint;
  readonly expression?: Blueprint;
  readonly lighting?: Blueprint;
  readonly palette?: Blueprint;
}

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));
const round = (value: number, digits = 3): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;
/** 1 at zero error, ½ at `half`, falling smoothly. */
const halving = (error: number, half: number): number => Math.pow(0.5, Math.max(0, error) / half);
const signed = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;

const pillarWeights = defaultPillarWeights;

interface PillarResult {
  readonly score: PillarScore;
  readonly nudges: Nudge[];
  readonly flags: CriticFlag[];
}

/** A pillar left unscored because the reading it rests on is unsure. */
interface Unmeasured {
  readonly unmeasured: UnmeasuredPillar;
}

const couldNotMeasure = (
  pillar: CriticPillar,
  wanted: string,
  what: string,
  reading: Reading,
): Unmeasured => ({
  unmeasured: {
    pillar,
    wanted,
    reason: `could not measure ${what}: ${reading.reason ?? 'the reading is unsure'}`,
  },
});

const nudge = (pillar: Pillar, rule: string, message: string, patch: BriefPatch): Nudge => ({
  pillar,
  rule,
  severity: 'warning',
  message,
  patch,
});

// ---------------------------------------------------------------------------------------------

const geometryKeys = facialGeometryKeys;
// Weighted by how reliably the mesh measures each control on the fixtures: the lip measures
// separate a laugh from a neutral face by more than 1.0, while brow and lid ratios already vary
// by 0.3–0.5 between neutral faces (and a turned head adds asymmetry).
const geometryWeights: Record<(typeof geometryKeys)[number], number> = {
  lipCornerLift: 1.5,
  lipsParted: 1,
  browRaise: 0.5,
  browFurrow: 0.5,
  eyeAperture: 0.4,
  asymmetry: 0.3,
};
const geometryWords: Record<(typeof geometryKeys)[number], string> = {
  lipCornerLift: 'lip-corner lift',
  lipsParted: 'lip parting',
  browRaise: 'brow raise',
  browFurrow: 'brow furrow',
  eyeAperture: 'eye opening',
  asymmetry: 'asymmetry',
};

function scoreExpression(
  brief: Brief,
  blueprint: Blueprint,
  face: FaceReading,
  reference: Blueprint | undefined,
): PillarResult | Unmeasured | undefined {
  const resolved = resolveExpression(brief);
  const referenceFace =
    reference?.faceIndex === null || reference === undefined
      ? undefined
      : reference.faces[reference.faceIndex];
  if (resolved === undefined && referenceFace === undefined) return undefined;
  const wantedName =
    referenceFace === undefined
      ? `${resolved?.entry.name.toLowerCase()} at ${resolved?.intensity}`
      : `the expression of ${reference?.source}`;
  // The mouth carries most of the geometry's weight: with the lips unsure there is no score.
  if (blueprint.readings.lips.status !== 'measured')
    return couldNotMeasure('expression', wantedName, 'the expression', blueprint.readings.lips);
  if (reference !== undefined && reference.readings.lips.status !== 'measured')
    return couldNotMeasure(
      'expression',
      wantedName,
      "the reference's expression",
      reference.readings.lips,
    );
  const wanted: FacialGeometry =
    referenceFace?.expression ?? (resolved?.geometry as FacialGeometry);
  const measured = face.expression;
  let sum = 0;
  let worst: { key: (typeof geometryKeys)[number]; delta: number } = {
    key: 'lipCornerLift',
    delta: 0,
  };
  for (const key of geometryKeys) {
    const delta = measured[key] - wanted[key];
    sum += geometryWeights[key] * delta * delta;
    if (Math.abs(delta) * geometryWeights[key] > Math.abs(worst.delta) * geometryWeights[worst.key])
      worst = { key, delta };
  }
  const distance = Math.sqrt(sum / 2);
  const emotion =
    referenceFace === undefined
      ? (resolved?.entry.emotion ?? 'neutral')
      : (Object.entries(referenceFace.emotions).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'neutral');
  const emotionAgreement = face.emotions[emotion as keyof FaceReading['emotions']] ?? 0;
  const score = clamp01(
    0.75 * halving(distance, expressionCalibration.halfScoreDistance) + 0.25 * emotionAgreement,
  );
  const name =
    referenceFace === undefined
      ? `${resolved?.entry.name.toLowerCase()} at ${resolved?.intensity}`
      : `the expression of ${reference?.source}`;
  const onBrief = Math.abs(worst.delta) < 0.2;
  const reason = onBrief
    ? `on brief: geometry within ${round(distance, 2)} of ${name}`
    : `${geometryWords[worst.key]} ${worst.delta > 0 ? 'stronger' : 'weaker'} than wanted (${signed(measured[worst.key])} vs ${signed(wanted[worst.key])})`;
  const nudges: Nudge[] = [];
  const intensity = brief.expression?.intensity;
  if (
    resolved !== undefined &&
    intensity !== undefined &&
    (worst.key === 'lipCornerLift' || worst.key === 'lipsParted') &&
    Math.abs(worst.delta) >= 0.25
  ) {
    if (worst.delta > 0) {
      nudges.push(
        nudge(
          'expression',
          'critic.expression-too-strong',
          `The ${resolved.entry.name.toLowerCase()} came out stronger than briefed (${geometryWords[worst.key]} ${signed(measured[worst.key])} vs ${signed(wanted[worst.key])}): lower the intensity.`,
          [
            {
              op: 'set',
              path: 'expression.intensity',
              value: round(Math.max(0.1, intensity * 0.6), 2),
            },
            ...(worst.key === 'lipsParted'
              ? [
                  {
                    op: 'set' as const,
                    path: 'expression.lipsParted',
                    value: round(Math.max(0, wanted.lipsParted), 2),
                  },
                ]
              : []),
          ],
        ),
      );
    } else {
      nudges.push(
        nudge(
          'expression',
          'critic.expression-too-weak',
          `The ${resolved.entry.name.toLowerCase()} barely shows (${geometryWords[worst.key]} ${signed(measured[worst.key])} vs ${signed(wanted[worst.key])}): raise the intensity.`,
          [
            {
              op: 'set',
              path: 'expression.intensity',
              value: round(Math.min(1, Math.max(intensity + 0.2, intensity * 1.4)), 2),
            },
          ],
        ),
      );
    }
  }
  return {
    score: {
      pillar: 'expression',
      wanted: name,
      measured: `${geometryKeys.map((k) => `${geometryWords[k]} ${signed(measured[k])}`).join(', ')}; ${emotion} ${round(emotionAgreement, 2)}`,
      score: round(score),
      reason,
      details: {
        distance: round(distance),
        emotion,
        emotionAgreement: round(emotionAgreement),
        ...Object.fromEntries(geometryKeys.map((k) => [k, measured[k]])),
      },
    },
    nudges,
    flags: [],
  };
}

// ---------------------------------------------------------------------------------------------

function scorePosture(
  brief: Brief,
  blueprint: Blueprint,
  face: FaceReading,
  reference: Blueprint | undefined,
): PillarResult | Unmeasured | undefined {
  const posture = resolvePosture(brief);
  const parts: { name: string; score: number }[] = [];
  const details: Record<string, number | null> = {};
  const nudges: Nudge[] = [];
  let similarity: number | null = null;
  if (
    reference?.body != null &&
    blueprint.body !== null &&
    reference.readings.body.status === 'measured' &&
    blueprint.readings.body.status === 'measured'
  ) {
    similarity = poseSimilarity(reference.body.keypoints, blueprint.body.keypoints);
    details['poseSimilarity'] = similarity;
    if (similarity !== null) parts.push({ name: 'pose reference', score: similarity });
    const index = brief.references.findIndex((r) => r.role === 'pose');
    const weight = brief.references[index]?.weight ?? 1;
    if (similarity !== null && similarity < 0.6 && index >= 0 && weight < 2) {
      nudges.push(
        nudge(
          'posture',
          'critic.pose-off-reference',
          `The pose strays from the reference (keypoint similarity ${round(similarity, 2)}): give the pose reference more weight.`,
          [
            {
              op: 'set',
              path: `references[${index}].weight`,
              value: round(Math.min(2, weight + 0.3), 2),
            },
          ],
        ),
      );
    }
  }
  if (posture !== undefined && (posture.headTilt !== undefined || posture.headTurn !== undefined)) {
    const tiltError =
      posture.headTilt === undefined ? 0 : Math.abs(face.headPose.roll - posture.headTilt);
    const turnError =
      posture.headTurn === undefined ? 0 : Math.abs(face.headPose.yaw - posture.headTurn);
    details['tiltError'] = round(tiltError, 1);
    details['turnError'] = round(turnError, 1);
    parts.push({ name: 'head', score: halving(tiltError + 0.5 * turnError, 20) });
  }
  if (
    posture?.shoulderAngle !== undefined &&
    blueprint.readings.body.status === 'measured' &&
    blueprint.body?.posture.shoulderAngle != null
  ) {
    const error = Math.abs(blueprint.body.posture.shoulderAngle - posture.shoulderAngle);
    details['shoulderError'] = round(error, 1);
    parts.push({ name: 'shoulders', score: halving(error, 25) });
  }
  if (parts.length === 0) {
    const wantedBody =
      posture?.shoulderAngle !== undefined || (reference !== undefined && reference.body !== null);
    return wantedBody && blueprint.readings.body.status !== 'measured'
      ? couldNotMeasure(
          'posture',
          posture?.pose?.name ?? 'the briefed posture',
          'the posture',
          blueprint.readings.body,
        )
      : undefined;
  }
  const score = parts.reduce((s, p) => s + p.score, 0) / parts.length;
  const weakest = [...parts].sort((a, b) => a.score - b.score)[0];
  return {
    score: {
      pillar: 'posture',
      wanted:
        [
          posture?.pose?.name,
          posture?.headTilt === undefined ? undefined : `head tilt ${posture.headTilt}°`,
          posture?.headTurn === undefined ? undefined : `turn ${posture.headTurn}°`,
          reference === undefined ? undefined : `the pose of ${reference.source}`,
        ]
          .filter(Boolean)
          .join(', ') || 'the briefed posture',
      measured: `head yaw ${face.headPose.yaw}°, roll ${face.headPose.roll}°${blueprint.body?.posture.shoulderAngle == null ? '' : `, shoulders ${blueprint.body.posture.shoulderAngle}°`}${similarity === null ? '' : `, keypoint similarity ${similarity}`}`,
      score: round(score),
      reason:
        score >= 0.75
          ? 'on brief'
          : `${weakest?.name ?? 'posture'} off (${round(weakest?.score ?? 0, 2)})`,
      details,
    },
    nudges,
    flags: [],
  };
}

// ---------------------------------------------------------------------------------------------

const angleDifference = (a: number, b: number): number => Math.abs(((a - b + 540) % 360) - 180);

function scoreLight(
  brief: Brief,
  blueprint: Blueprint,
  reference: Blueprint | undefined,
): PillarResult | Unmeasured | undefined {
  const resolved = resolveLight(brief);
  const fromReference = reference?.light ?? undefined;
  if ((resolved === undefined && fromReference === undefined) || blueprint.light === null)
    return undefined;
  const wantedWords =
    resolved?.rig?.name ??
    (fromReference === undefined ? 'the briefed key' : `the light of ${reference?.source}`);
  if (blueprint.readings.lightDirection.status !== 'measured')
    return couldNotMeasure(
      'light',
      wantedWords,
      'the key light',
      blueprint.readings.lightDirection,
    );
  if (reference !== undefined && reference.readings.lightDirection.status !== 'measured')
    return couldNotMeasure(
      'light',
      wantedWords,
      "the reference's key light",
      reference.readings.lightDirection,
    );
  // A black-and-white photo has no colour temperature: it is not scored either way.
  const hasTemperature =
    blueprint.readings.colorTemperature.status === 'measured' &&
    (reference === undefined || reference.readings.colorTemperature.status === 'measured');
  const wanted = fromReference ?? {
    azimuth: resolved?.azimuth ?? 0,
    elevation: resolved?.elevation ?? 20,
    fillRatio: resolved?.fillRatio ?? 2,
    colorTemperature: resolved?.colorTemperature ?? 5500,
  };
  const measured = blueprint.light;
  const azimuthError = angleDifference(measured.azimuth, wanted.azimuth);
  const elevationError = Math.abs(measured.elevation - wanted.elevation);
  const direction = halving(azimuthError + 0.5 * elevationError, lightCalibration.halfScoreDegrees);
  const wantedFill = wanted.fillRatio ?? null;
  const stops = wantedFill === null ? 0 : Math.abs(Math.log2(measured.fillRatio / wantedFill));
  const fill = halving(stops, 1.5);
  const mireds = Math.abs(1e6 / measured.colorTemperature - 1e6 / wanted.colorTemperature);
  const temperature = halving(mireds, 60);
  const score = clamp01(
    hasTemperature
      ? 0.6 * direction + 0.25 * fill + 0.15 * temperature
      : (0.6 * direction + 0.25 * fill) / 0.85,
  );
  const side = (az: number) =>
    Math.abs(az) < 15 ? 'front' : az > 0 ? "subject's left" : "subject's right";
  const wrongSide =
    Math.abs(wanted.azimuth) >= 15 &&
    Math.abs(measured.azimuth) >= 15 &&
    Math.sign(wanted.azimuth) !== Math.sign(measured.azimuth);
  const nudges: Nudge[] = [];
  let reason = 'on brief';
  if (wrongSide) {
    reason = `key on the ${side(measured.azimuth)}, wanted on the ${side(wanted.azimuth)}`;
    // Overshoot by half the error: generators under-follow direction, so ask for more.
    const target = Math.max(
      -170,
      Math.min(170, Math.round(wanted.azimuth + (wanted.azimuth - measured.azimuth) * 0.25)),
    );
    nudges.push(
      nudge(
        'light',
        'critic.key-wrong-side',
        `The key landed on the ${side(measured.azimuth)}; the brief wants it on the ${side(wanted.azimuth)}: move the key further round.`,
        [
          {
            op: 'set',
            path: 'light.key',
            value: {
              azimuth: target,
              elevation: Math.round(Math.max(-89, Math.min(89, wanted.elevation))),
            },
          },
        ],
      ),
    );
  } else if (azimuthError + 0.5 * elevationError > 30) {
    reason = `key ${Math.round(azimuthError)}° off in azimuth, ${Math.round(elevationError)}° in elevation`;
    const target = Math.max(
      -170,
      Math.min(170, Math.round(wanted.azimuth + (wanted.azimuth - measured.azimuth) * 0.5)),
    );
    const elevation = Math.round(
      Math.max(-89, Math.min(89, wanted.elevation + (wanted.elevation - measured.elevation) * 0.5)),
    );
    nudges.push(
      nudge(
        'light',
        'critic.key-off',
        `The key sits ${Math.round(azimuthError)}° off the brief: ask for it further round.`,
        [{ op: 'set', path: 'light.key', value: { azimuth: target, elevation } }],
      ),
    );
  } else if (wantedFill !== null && stops > 1) {
    reason =
      measured.fillRatio < wantedFill
        ? `flatter than wanted (${round(measured.fillRatio, 1)}:1 vs ${round(wantedFill, 1)}:1)`
        : `more contrast than wanted (${round(measured.fillRatio, 1)}:1 vs ${round(wantedFill, 1)}:1)`;
    nudges.push(
      nudge(
        'light',
        measured.fillRatio < wantedFill ? 'critic.light-too-flat' : 'critic.light-too-contrasty',
        `The light is ${measured.fillRatio < wantedFill ? 'flatter' : 'harder'} than briefed: ${measured.fillRatio < wantedFill ? 'raise' : 'lower'} the key-to-fill ratio.`,
        [
          {
            op: 'set',
            path: 'light.fillRatio',
            value: round(
              Math.min(
                32,
                Math.max(1, measured.fillRatio < wantedFill ? wantedFill * 1.5 : wantedFill / 1.5),
              ),
              1,
            ),
          },
        ],
      ),
    );
  } else if (hasTemperature && mireds > 60) {
    reason = `colour ${measured.colorTemperature}K, wanted ${wanted.colorTemperature}K`;
  }
  return {
    score: {
      pillar: 'light',
      wanted: `${resolved?.rig?.name ?? (fromReference === undefined ? 'key' : `the light of ${reference?.source}`)} from az ${Math.round(wanted.azimuth)}° el ${Math.round(wanted.elevation)}°${wantedFill === null ? '' : `, ${round(wantedFill, 1)}:1`}, ${Math.round(wanted.colorTemperature)}K`,
      measured: `key az ${Math.round(measured.azimuth)}° el ${Math.round(measured.elevation)}°, ${round(measured.fillRatio, 1)}:1, softness ${measured.softness}, ${hasTemperature ? `${measured.colorTemperature}K` : 'no colour temperature (black and white)'} (fit R² ${measured.confidence})`,
      score: round(score),
      reason,
      details: {
        azimuthError: round(azimuthError, 1),
        elevationError: round(elevationError, 1),
        fillStops: round(stops, 2),
        mireds: hasTemperature ? round(mireds, 1) : null,
        wrongSide,
      },
    },
    nudges,
    flags: [],
  };
}

// ---------------------------------------------------------------------------------------------

function scoreCamera(brief: Brief, blueprint: Blueprint): PillarResult | undefined {
  const camera = brief.camera;
  const composition = blueprint.composition;
  if (camera === undefined || composition === null) return undefined;
  const order = (shotTypes as readonly ShotType[]).map((s) => s.id);
  const shotDistance = Math.abs(order.indexOf(composition.shot) - order.indexOf(camera.shot));
  const shotScore = [1, 0.6, 0.25, 0.1][Math.min(3, shotDistance)] ?? 0.1;
  const rule = findEntry(
    compositions as readonly CompositionRule[],
    brief.aesthetic?.composition ?? 'rule-of-thirds',
  );
  let placement = 1;
  let placementDistance: number | null = null;
  if (rule?.eyeAnchor != null) {
    const { x, y } = rule.eyeAnchor;
    // The anchor's side follows the look-room: either mirror image of it is on brief.
    placementDistance = Math.min(
      Math.hypot(composition.eyeCentre.x - x, composition.eyeCentre.y - y),
      Math.hypot(composition.eyeCentre.x - (1 - x), composition.eyeCentre.y - y),
    );
    placement = halving(placementDistance, 0.08);
  }
  const ratio = blueprint.quality.backgroundBlurRatio;
  let depth = 1;
  const nudges: Nudge[] = [];
  const wantsShallow =
    camera.depthOfField === 'shallow' ||
    (camera.depthOfField === undefined && camera.aperture <= 2.8);
  const wantsDeep =
    camera.depthOfField === 'everything-sharp' ||
    (camera.depthOfField === undefined && camera.aperture >= 8);
  if (ratio !== null) {
    if (wantsShallow) depth = halving(Math.max(0, ratio - 0.3), 0.3);
    else if (wantsDeep) depth = halving(Math.max(0, 0.4 - ratio), 0.2);
    if (wantsShallow && ratio > 0.6) {
      nudges.push(
        nudge(
          'camera',
          'critic.background-too-sharp',
          `The background is nearly as sharp as the face (${round(ratio, 2)}) for f/${camera.aperture}: open the aperture and say the depth of field.`,
          [
            { op: 'set', path: 'camera.aperture', value: Math.min(camera.aperture, 1.8) },
            { op: 'set', path: 'camera.depthOfField', value: 'shallow' },
          ],
        ),
      );
    }
  }
  const score = clamp01(0.4 * shotScore + 0.35 * placement + 0.25 * depth);
  const reason =
    shotDistance > 0
      ? `framed as ${composition.shot}, wanted ${camera.shot}`
      : placement < 0.5
        ? `eyes ${round(placementDistance ?? 0, 2)} from the ${rule?.name.toLowerCase()} point`
        : depth < 0.5
          ? `depth of field does not match f/${camera.aperture}`
          : 'on brief';
  return {
    score: {
      pillar: 'camera',
      wanted: `${camera.shot}, ${rule?.name.toLowerCase() ?? 'free composition'}, f/${camera.aperture}`,
      measured: `${composition.shot}, eyes at (${composition.eyeCentre.x}, ${composition.eyeCentre.y}), background/face sharpness ${ratio ?? 'n/a'}`,
      score: round(score),
      reason,
      details: {
        shotDistance,
        placementDistance: placementDistance === null ? null : round(placementDistance),
        backgroundBlurRatio: ratio,
      },
    },
    nudges,
    flags: [],
  };
}

// ---------------------------------------------------------------------------------------------

function scoreAesthetic(
  brief: Brief,
  blueprint: Blueprint,
  reference: Blueprint | undefined,
): PillarResult | undefined {
  const palette = findEntry(palettes as readonly Palette[], brief.aesthetic?.palette ?? '');
  const wantedHex =
    reference?.palette.frame.map((s) => s.hex) ?? brief.aesthetic?.colors ?? palette?.colors ?? [];
  const grade = findEntry(grades as readonly Grade[], brief.aesthetic?.grade ?? '');
  const film = findEntry(filmStocks as readonly FilmStock[], brief.camera?.film ?? '');
  const monochrome = grade?.monochrome === true || film?.kind === 'black-and-white';
  // A colour grade or film stock asks for a warmth; a monochrome one only for the lack of colour.
  const wantedWarmth =
    !monochrome && (grade !== undefined || film !== undefined)
      ? Math.max(-1, Math.min(1, (grade?.warmth ?? 0) + (film?.warmth ?? 0)))
      : null;
  if (wantedHex.length === 0 && !monochrome && wantedWarmth === null) return undefined;
  const measured = blueprint.palette.frame;
  const parts: number[] = [];
  let meanDelta: number | null = null;
  if (wantedHex.length > 0 && measured.length > 0) {
    const deltas = wantedHex.map((hex) => {
      const [r, g, b] = hexToRgb(hex);
      const lab = rgbToLab(r, g, b);
      return Math.min(...measured.map((s) => deltaE2000(lab, s.lab)));
    });
    meanDelta = deltas.reduce((s, d) => s + d, 0) / deltas.length;
    parts.push(halving(meanDelta, 15));
  }
  const chroma = measured.reduce((s, sw) => s + sw.weight * Math.hypot(sw.lab[1], sw.lab[2]), 0);
  if (monochrome) parts.push(halving(Math.max(0, chroma - 4), 6));
  const yellowBlue = measured.reduce((s, sw) => s + sw.weight * sw.lab[2], 0);
  const measuredWarmth = (yellowBlue - warmthCalibration.neutralB) / warmthCalibration.bPerUnit;
  // A black-and-white candidate has no warmth to compare: against a colour look it is a miss,
  // flagged, not a warmth of zero.
  const candidateMono = blueprint.readings.warmth.status === 'not-applicable';
  const flags: CriticFlag[] = [];
  if (wantedWarmth !== null) {
    if (candidateMono) {
      parts.push(0);
      flags.push('colour-mismatch');
    } else
      parts.push(halving(Math.abs(measuredWarmth - wantedWarmth), warmthCalibration.halfScore));
  }
  if (monochrome && chroma > 12) flags.push('colour-mismatch');
  const score = parts.length === 0 ? 1 : parts.reduce((s, p) => s + p, 0) / parts.length;
  const nudges: Nudge[] = [];
  if (meanDelta !== null && meanDelta > 20 && reference === undefined) {
    nudges.push(
      nudge(
        'aesthetic',
        'critic.palette-off',
        `The colours drift from the palette (mean ΔE ${round(meanDelta, 1)}): name the colours explicitly.`,
        [{ op: 'set', path: 'aesthetic.colors', value: wantedHex.slice(0, 6) }],
      ),
    );
  }
  return {
    score: {
      pillar: 'aesthetic',
      wanted: [
        wantedHex.length > 0 ? wantedHex.join(' ') : undefined,
        monochrome ? 'black and white' : undefined,
        wantedWarmth === null
          ? undefined
          : `warmth ${wantedWarmth >= 0 ? '+' : '−'}${Math.abs(wantedWarmth).toFixed(2)} (${grade?.name ?? film?.name})`,
      ]
        .filter(Boolean)
        .join(', '),
      measured: `${measured.map((s) => `${s.hex} ${Math.round(s.weight * 100)}%`).join(' ')}; chroma ${round(chroma, 1)}; ${candidateMono ? 'black and white (no warmth)' : `warmth ${measuredWarmth >= 0 ? '+' : '−'}${Math.abs(measuredWarmth).toFixed(2)}`}`,
      score: round(score),
      reason:
        candidateMono && wantedWarmth !== null
          ? `black and white where the ${grade?.name ?? film?.name} colour look was wanted`
          : meanDelta !== null && meanDelta > 15
            ? `palette ΔE ${round(meanDelta, 1)} from the wanted colours`
            : monochrome && chroma > 8
              ? 'colour where black and white was wanted'
              : wantedWarmth !== null && Math.abs(measuredWarmth - wantedWarmth) > 0.3
                ? `${measuredWarmth < wantedWarmth ? 'cooler' : 'warmer'} than the ${grade?.name ?? film?.name} look`
                : 'on brief',
      details: {
        meanDeltaE: meanDelta === null ? null : round(meanDelta, 2),
        chroma: round(chroma, 2),
        warmth: candidateMono ? null : round(measuredWarmth, 3),
        wantedWarmth: wantedWarmth === null ? null : round(wantedWarmth, 3),
      },
    },
    nudges,
    flags,
  };
}

// ---------------------------------------------------------------------------------------------

/** Realism score of a skin texture reading (0 plastic .. 1 real), log-logistic in the texture. */
export function realismScore(skinTexture: number | null): number | null {
  if (skinTexture === null) return null;
  if (skinTexture <= 0) return 0;
  const { midTexture, logWidth } = realismCalibration;
  return round(1 / (1 + Math.exp(-Math.log(skinTexture / midTexture) / logWidth)));
}

function scoreAuthenticity(
  brief: Brief,
  blueprint: Blueprint,
  face: FaceReading | undefined,
): PillarResult {
  const flags: CriticFlag[] = [];
  const nudges: Nudge[] = [];
  const faceCount = blueprint.faces.length;
  if (faceCount === 0) flags.push('no-face');
  if (faceCount > 1) flags.push('extra-faces');
  if (face !== undefined && face.heightFraction < faceSizeCalibration.tooSmall)
    flags.push('face-too-small');
  const realism = realismScore(blueprint.quality.skinTexture);
  const wantsSmooth =
    brief.authenticity?.retouch === 'beauty' && brief.authenticity.imperfections.length === 0;
  if (realism !== null && realism < realismCalibration.plasticScore && !wantsSmooth) {
    flags.push('plastic-skin');
    // Lower guidance counters wax: a fifth below what was used, never under the family's range.
    const family = guidanceOf(brief.output.target);
    const used = family === undefined ? 0 : (brief.output.guidance ?? family.realistic);
    const lowered = round(Math.max(family?.sensible[0] ?? 0, used * 0.8), 1);
    const lowers = family !== undefined && lowered < used;
    const patch: BriefPatch = [
      { op: 'set', path: 'authenticity.retouch', value: 'none' },
      { op: 'append', path: 'authenticity.imperfections', value: 'visible-pores' },
      ...(lowers ? [{ op: 'set' as const, path: 'output.guidance', value: lowered }] : []),
    ];
    nudges.push(
      nudge(
        'authenticity',
        'critic.plastic-skin',
        `The skin reads as plastic (texture ${blueprint.quality.skinTexture}, realism ${realism}; half-real at ${realismCalibration.midTexture}): ask for pores, no retouching${lowers ? ', and lower the guidance' : ''}.`,
        patch,
      ),
    );
  }
  const eyes = blueprint.quality.eyeSharpness;
  if (eyes !== null && eyes < eyeSharpnessCalibration.soft) flags.push('soft-eyes');
  const count = faceCount === 1 ? 1 : 0;
  const score = clamp01(
    0.6 * (wantsSmooth ? 1 : (realism ?? 0.5)) +
      0.2 *
        (eyes === null
          ? 0.5
          : halving(
              Math.max(0, eyeSharpnessCalibration.soft * 2 - eyes),
              eyeSharpnessCalibration.soft,
            )) +
      0.2 * count,
  );
  const reason =
    flags.length > 0 ? flags.join(', ').replaceAll('-', ' ') : 'real skin, sharp eyes, one face';
  return {
    score: {
      pillar: 'authenticity',
      wanted: wantsSmooth
        ? 'beauty retouch, one face'
        : `real skin${(brief.authenticity?.imperfections.length ?? 0) > 0 ? ` (${brief.authenticity?.imperfections.join(', ')})` : ''}, sharp eyes, one face`,
      measured: `skin texture ${blueprint.quality.skinTexture ?? 'n/a'} (realism ${realism ?? 'n/a'}), eye sharpness ${eyes ?? 'n/a'}, ${faceCount} face${faceCount === 1 ? '' : 's'}`,
      score: round(faceCount === 0 ? 0 : score),
      reason,
      details: {
        skinTexture: blueprint.quality.skinTexture,
        realism,
        eyeSharpness: eyes,
        faces: faceCount,
      },
    },
    nudges,
    flags,
  };
}

// ---------------------------------------------------------------------------------------------

/** Cosine similarity of two unit face descriptors. */
export function descriptorSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return round(dot);
}

function scoreIdentity(
  brief: Brief,
  face: FaceReading,
  reference: Blueprint | undefined,
): PillarResult | Unmeasured | undefined {
  const referenceFace =
    reference?.faceIndex == null ? undefined : reference.faces[reference.faceIndex];
  if (referenceFace === undefined) return undefined;
  const similarity = descriptorSimilarity(face.descriptor, referenceFace.descriptor);
  const { samePerson, different, floor } = identityCalibration;
  const wanted = `the person in ${reference?.source}`;
  // The band between the two thresholds is where neither verdict is supported: say so, score nothing.
  if (similarity >= different && similarity < samePerson)
    return {
      unmeasured: {
        pillar: 'identity',
        wanted,
        reason: `could not measure identity: unsure whether this is the reference person (similarity ${similarity}, between ${different} for different people and ${samePerson} for the same person)`,
      },
    };
  const same = similarity >= samePerson;
  // A different person scores under 0.5, higher the nearer it comes (so a closer miss ranks first).
  const score = same ? 1 : 0.5 * clamp01((similarity - floor) / (different - floor));
  const flags: CriticFlag[] = same ? [] : ['identity-mismatch'];
  const index = brief.references.findIndex((r) => r.role === 'identity');
  const weight = brief.references[index]?.weight ?? 1;
  const nudges =
    flags.length > 0 && index >= 0
      ? [
          nudge(
            'references',
            'critic.identity-drift',
            `This is not the reference person (similarity ${similarity} < ${different}): raise the identity reference's weight.`,
            [
              {
                op: 'set',
                path: `references[${index}].weight`,
                value: round(Math.min(2, weight + 0.2), 2),
              },
            ],
          ),
        ]
      : [];
  return {
    score: {
      pillar: 'identity',
      wanted,
      measured: `descriptor similarity ${similarity}`,
      score: round(score),
      reason: same
        ? `the same person (similarity ${similarity} ≥ ${samePerson})`
        : `a different person (similarity ${similarity} < ${different})`,
      details: { similarity, samePerson, different },
    },
    nudges,
    flags,
  };
}

// ---------------------------------------------------------------------------------------------

/** Scores a candidate (already read by vision) against the brief and its references. */
export function critique(
  blueprint: Blueprint,
  brief: Brief,
  references: CritiqueReferences = {},
): Scorecard {
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  const results: PillarResult[] = [];
  const unmeasured: UnmeasuredPillar[] = [];
  if (face !== undefined) {
    for (const result of [
      scoreExpression(brief, blueprint, face, references.expression),
      scorePosture(brief, blueprint, face, references.pose),
      scoreLight(brief, blueprint, references.lighting),
      scoreCamera(brief, blueprint),
      scoreIdentity(brief, face, references.identity),
    ]) {
      if (result === undefined) continue;
      if ('unmeasured' in result) unmeasured.push(result.unmeasured);
      else results.push(result);
    }
  }
  const aesthetic = scoreAesthetic(brief, blueprint, references.palette);
  if (aesthetic !== undefined) results.push(aesthetic);
  results.push(scoreAuthenticity(brief, blueprint, face));
  const pillars = results.map((r) => r.score);
  const flags = [...new Set(results.flatMap((r) => r.flags))];
  const weightSum = pillars.reduce((s, p) => s + pillarWeights[p.pillar], 0);
  const mean =
    pillars.reduce((s, p) => s + pillarWeights[p.pillar] * p.score, 0) / Math.max(1e-9, weightSum);
  const overall = round(flags.reduce((value, flag) => value * flagPenalties[flag], mean));
  // Most costly shortfall first.
  const cost = (pillar: CriticPillar) =>
    pillarWeights[pillar] * (1 - (pillars.find((p) => p.pillar === pillar)?.score ?? 1));
  const pillarOf = (n: Nudge): CriticPillar =>
    n.pillar === 'references'
      ? 'identity'
      : n.pillar === 'subject' || n.pillar === 'output'
        ? 'authenticity'
        : n.pillar;
  const nudges = results
    .flatMap((r) => r.nudges)
    .sort((a, b) => cost(pillarOf(b)) - cost(pillarOf(a)));
  return { source: blueprint.source, overall, pillars, flags, unmeasured, nudges };
}
