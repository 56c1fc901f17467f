// analyzePhotos: read the five pillars off photos (a batch on worker threads) and write what was
// asked for each: the blueprint drawn over the photo, an OpenPose control image, a brief that
// asks for a photo like this. Every output is checked before any work; a photo that cannot be
// read is reported in place and the others are still read.
import { nearestRig, stringifyBrief } from '../brief/index.js';
import type { PortraitistError } from '../errors/index.js';
import { refuseExisting, writeOutputFile, type OutputFileSystem } from '../files/index.js';
import { readImage } from '../image/index.js';
import {
  briefFromBlueprint,
  drawOverlay,
  drawPoseControl,
  nearestExpression,
  type Blueprint,
} from '../vision/index.js';
import { readPhotos, type PhotoProgress } from './photos.js';

/** Terminal styling for text views (identity functions for plain text). */
export interface TextStyle {
  bold(text: string): string;
  dim(text: string): string;
  warn(text: string): string;
  ok(text: string): string;
  error(text: string): string;
}

/** One photo to read, and where its outputs go (absolute paths). */
export interface AnalyzeInput {
  readonly input: string;
  readonly source: string;
  readonly overlay?: string;
  readonly controlPose?: string;
  readonly brief?: string;
}

export interface AnalyzePhotosOptions {
  readonly photos: readonly AnalyzeInput[];
  /** Which face to read, largest first (default 0). */
  readonly faceIndex?: number;
  /** Replace outputs that are there (default: refuse before any work). */
  readonly force?: boolean;
  readonly files?: OutputFileSystem;
  readonly onProgress?: (progress: PhotoProgress) => void;
}

/** What was read off one photo, and the files written for it. */
export type AnalyzeResult =
  | { readonly source: string; readonly blueprint: Blueprint; readonly files: readonly string[] }
  | { readonly source: string; readonly error: PortraitistError };

/** Reads each photo and writes its outputs; results are in the photos' order. */
export async function analyzePhotos(options: AnalyzePhotosOptions): Promise<AnalyzeResult[]> {
  const force = options.force === true;
  const files = options.files === undefined ? {} : { fs: options.files };
  const outputs = (photo: AnalyzeInput) =>
    [
      ['overlay', photo.overlay],
      ['control-pose', photo.controlPose],
      ['brief', photo.brief],
    ] as const;
  for (const photo of options.photos)
    for (const [field, target] of outputs(photo))
      if (target !== undefined) await refuseExisting(target, { force, field, ...files });
  const results = await readPhotos(
    options.photos.map((photo) => ({
      input: photo.input,
      source: photo.source,
      ...(options.faceIndex === undefined ? {} : { faceIndex: options.faceIndex }),
    })),
    options.onProgress,
  );
  const analyzed: AnalyzeResult[] = [];
  for (const [i, result] of results.entries()) {
    const photo = options.photos[i];
    if (photo === undefined) continue;
    if (result instanceof Error) {
      analyzed.push({ source: photo.source, error: result });
      continue;
    }
    const written: string[] = [];
    if (photo.overlay !== undefined || photo.controlPose !== undefined) {
      const image = await readImage(photo.input, { source: photo.source });
      if (photo.overlay !== undefined) {
        await writeOutputFile(photo.overlay, await drawOverlay(image, result), {
          force,
          field: 'overlay',
          ...files,
        });
        written.push(photo.overlay);
      }
      if (photo.controlPose !== undefined) {
        await writeOutputFile(photo.controlPose, await drawPoseControl(result), {
          force,
          field: 'control-pose',
          ...files,
        });
        written.push(photo.controlPose);
      }
    }
    if (photo.brief !== undefined) {
      await writeOutputFile(
        photo.brief,
        stringifyBrief(briefFromBlueprint(result), photo.brief.endsWith('.json') ? 'json' : 'yaml'),
        { force, field: 'brief', ...files },
      );
      written.push(photo.brief);
    }
    analyzed.push({ source: photo.source, blueprint: result, files: written });
  }
  return analyzed;
}

const signed = (value: number, digits = 2): string =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;
const percent = (value: number): string => `${Math.round(value * 100)}%`;

/** The readable view of a blueprint: one row per pillar, styled for a terminal or plain. */
export function describeBlueprint(blueprint: Blueprint, style: TextStyle): string {
  const lines: string[] = [];
  const warnings = blueprint.warnings.map((w) => w.code);
  lines.push(
    `${style.bold(blueprint.source)}  ${blueprint.image.width}×${blueprint.image.height} ${blueprint.image.format} · ${blueprint.faces.length} face${blueprint.faces.length === 1 ? '' : 's'}` +
      (blueprint.faceIndex !== null && blueprint.faces.length > 1
        ? ` (reading face ${blueprint.faceIndex})`
        : '') +
      (warnings.length > 0 ? ` · ${style.warn(`warnings: ${warnings.join(', ')}`)}` : ''),
  );
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(12)} ${text}`);
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  if (face !== undefined) {
    const e = face.expression;
    const nearest = nearestExpression(e);
    const topEmotion = Object.entries(face.emotions).sort((a, b) => b[1] - a[1])[0];
    row(
      'expression',
      `lip-corner lift ${signed(e.lipCornerLift)} · lips parted ${e.lipsParted.toFixed(2)} · brow raise ${e.browRaise.toFixed(2)} · furrow ${e.browFurrow.toFixed(2)} · eyes ${signed(e.eyeAperture)} · asymmetry ${e.asymmetry.toFixed(2)} · ${topEmotion?.[0]} ${topEmotion?.[1].toFixed(2)} → ${nearest.entry.id} at ${nearest.intensity.toFixed(2)}`,
    );
    row(
      'head',
      `yaw ${signed(face.headPose.yaw, 1)}° · pitch ${signed(face.headPose.pitch, 1)}° · roll ${signed(face.headPose.roll, 1)}° · gaze ${face.gaze.label}`,
    );
  }
  const posture = blueprint.body?.posture;
  if (posture !== undefined) {
    row(
      'posture',
      [
        posture.shoulderAngle === null
          ? 'shoulders not seen'
          : `shoulders ${Math.round(posture.shoulderAngle)}° to camera`,
        posture.lean === null ? undefined : `lean ${signed(posture.lean, 0)}°`,
        `${posture.handsVisible} hand${posture.handsVisible === 1 ? '' : 's'} visible${posture.handNearFace ? ', one near the face' : ''}`,
        `stance ${posture.stance}`,
      ]
        .filter(Boolean)
        .join(' · '),
    );
  }
  const light = blueprint.light;
  if (light !== null) {
    const rig = nearestRig({
      azimuth: light.azimuth,
      elevation: light.elevation,
      fillRatio: light.fillRatio,
      softness: light.softness,
    });
    const side =
      Math.abs(light.azimuth) < 8
        ? 'frontal'
        : light.azimuth > 0
          ? "subject's left"
          : "subject's right";
    row(
      'light',
      `key az ${signed(light.azimuth, 0)}° el ${signed(light.elevation, 0)}° (${side}) · fill ${light.fillRatio.toFixed(1)}:1 · softness ${light.softness.toFixed(2)} · ${light.colorTemperature}K · fit R² ${light.confidence.toFixed(2)} → like ${rig.id}`,
    );
    row(
      'exposure',
      `mean ${light.exposure.toFixed(2)} · contrast ${light.contrast.toFixed(2)} · face ${light.faceLuminance.toFixed(2)}`,
    );
  }
  row(
    'palette',
    blueprint.palette.frame.map((s) => `${s.hex} ${percent(s.weight)}`).join(' · ') || 'none',
  );
  if (blueprint.palette.background.length > 0 && blueprint.faceIndex !== null)
    row(
      'background',
      blueprint.palette.background
        .slice(0, 4)
        .map((s) => `${s.hex} ${percent(s.weight)}`)
        .join(' · '),
    );
  const c = blueprint.composition;
  if (c !== null)
    row(
      'composition',
      `eyes at (${c.eyeCentre.x.toFixed(2)}, ${c.eyeCentre.y.toFixed(2)}) · nearest third ${c.nearestThird.distance.toFixed(3)} away · headroom ${c.headroom.toFixed(2)} · shot ${c.shot} · ${c.aspectRatio}`,
    );
  const q = blueprint.quality;
  row(
    'quality',
    `${q.eyeSharpness === null ? '' : `eye sharpness ${q.eyeSharpness} · `}frame sharpness ${q.frameSharpness} · noise σ ${q.noise} · clipped ${percent(q.clippedShadows)} / ${percent(q.clippedHighlights)}`,
  );
  return lines.join('\n');
}
