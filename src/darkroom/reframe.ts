// Reframing: a new crop of a real photo that puts the eyes on a composition's anchor, at a shot
// type's face size and an aspect ratio. A crop only: no resampling, every pixel is the original.
import {
  closest,
  compositions,
  findEntry,
  shotTypes,
  type CompositionRule,
  type ShotType,
} from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import { cropRgb, type RgbImage } from '../image/index.js';
import { landmarks, type Blueprint, type MeshPoint } from '../vision/index.js';

/** What a reframe aims for; every field is optional. */
export interface ReframeTarget {
  /** Shot type id or alias (e.g. `headshot`); without one, the largest crop that fits. */
  shot?: string;
  /** Composition id or alias; `rule-of-thirds` by default. */
  composition?: string;
  /** Width:height such as "4:5"; the photo's own by default. */
  aspectRatio?: string;
  /** Which side the empty space goes: `auto` (default) follows the head's turn. */
  lookRoom?: 'left' | 'right' | 'auto';
  /**
   * Where in the shot's face-height range to frame, 0 (its loosest) .. 1 (its tightest); the
   * middle by default. Framing alternatives that stay the same shot type.
   */
  within?: number;
}

/** A planned crop in input pixels, where the eyes should go and where they land (frame fractions). */
export interface ReframePlan {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** The composition's eye anchor, mirrored for the look-room. */
  readonly eyeTarget: { readonly x: number; readonly y: number };
  /** Where the eye centre falls in the planned crop: the target unless the photo ran out. */
  readonly eyes: { readonly x: number; readonly y: number };
  /** Set when the wanted framing did not fit and was compromised, saying how. */
  readonly note?: string;
}

/** Rules without an anchor (leading lines, frames) put the eyes on the upper third, centred. */
const FALLBACK_ANCHOR = { x: 0.5, y: 1 / 3 } as const;
/** The close-up's tight end, should the vocabulary ever lose it. */
const CLOSE_UP_MAX = 0.65;
/** How far off the anchor (fraction of the frame) the eyes may land before a note says so. */
const ANCHOR_SLACK = 0.005;

function usage(field: string, message: string): PortraitistError {
  return new PortraitistError('USAGE', message, { issues: [{ path: field, message }] });
}

/** A vocabulary entry by id or alias, or a usage error naming the field with a did-you-mean. */
function lookup<Entry extends { id: string; aliases: readonly string[] }>(
  list: readonly Entry[],
  field: string,
  kind: string,
  value: string,
): Entry {
  const entry = findEntry(list, value);
  if (entry !== undefined) return entry;
  const ids = list.map((item) => item.id);
  const guess = closest(value, ids);
  throw usage(
    field,
    `expected a ${kind} (${ids.join(', ')}) for \`${field}\` but received ${JSON.stringify(value)}` +
      (guess === undefined ? '' : `; did you mean "${guess}"?`),
  );
}

/** "4:5", "16x9" or "3/2" as width / height. */
function parseAspect(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*[:x×/]\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  const w = Number(match?.[1]);
  const h = Number(match?.[2]);
  if (match === null || !(w > 0) || !(h > 0))
    throw usage(
      'aspectRatio',
      `expected a width:height ratio such as "4:5" for \`aspectRatio\` but received ${JSON.stringify(value)}`,
    );
  return w / h;
}

const at = (mesh: readonly MeshPoint[], index: number): MeshPoint => mesh[index] ?? [0, 0, 0];
const round3 = (value: number): number => Math.round(value * 1000) / 1000;
const clamp = (value: number, low: number, high: number): number =>
  Math.min(high, Math.max(low, value));

/** Checks a target's names and aspect ratio before any photo is read (USAGE naming the field). */
export function checkReframeTarget(target: ReframeTarget): void {
  if (target.shot !== undefined) lookup(shotTypes, 'shot', 'shot type', target.shot);
  lookup(compositions, 'composition', 'composition rule', target.composition ?? 'rule-of-thirds');
  if (target.aspectRatio !== undefined) parseAspect(target.aspectRatio);
}

/**
 * Plans the crop that puts the selected face's eye centre on the composition's anchor at the
 * shot's face size and the aspect ratio, shrinking it (and noting so) when the photo is too small.
 */
export function planReframe(blueprint: Blueprint, target: ReframeTarget): ReframePlan {
  const shot: ShotType | undefined =
    target.shot === undefined ? undefined : lookup(shotTypes, 'shot', 'shot type', target.shot);
  const rule: CompositionRule = lookup(
    compositions,
    'composition',
    'composition rule',
    target.composition ?? 'rule-of-thirds',
  );
  const lookRoom = target.lookRoom ?? 'auto';
  if (lookRoom !== 'left' && lookRoom !== 'right' && lookRoom !== 'auto')
    throw usage(
      'lookRoom',
      `expected left, right or auto for \`lookRoom\` but received ${JSON.stringify(lookRoom)}`,
    );
  const { width: imageWidth, height: imageHeight } = blueprint.image;
  const aspect =
    target.aspectRatio === undefined ? imageWidth / imageHeight : parseAspect(target.aspectRatio);
  const face = blueprint.faces[blueprint.faceIndex ?? 0];
  if (face === undefined)
    throw usage('face', `expected a photo with a face to reframe around but vision found none`);

  const rightIris = at(face.mesh, landmarks.rightIrisCentre);
  const leftIris = at(face.mesh, landmarks.leftIrisCentre);
  const eyeX = (rightIris[0] + leftIris[0]) / 2;
  const eyeY = (rightIris[1] + leftIris[1]) / 2;
  const faceHeight = Math.hypot(
    at(face.mesh, landmarks.foreheadTop)[0] - at(face.mesh, landmarks.chin)[0],
    at(face.mesh, landmarks.foreheadTop)[1] - at(face.mesh, landmarks.chin)[1],
  );

  // Anchors are written for a subject looking toward the image right (look-room on the right);
  // yaw > 0 is a face turned toward the image right.
  const anchor = rule.eyeAnchor ?? FALLBACK_ANCHOR;
  const side = lookRoom === 'auto' ? (face.headPose.yaw >= 0 ? 'right' : 'left') : lookRoom;
  const ax = side === 'right' ? anchor.x : 1 - anchor.x;
  const ay = anchor.y;

  // Crop heights: the largest that fits the photo at all, and the largest with the eyes exactly
  // on the anchor (each frame edge limits how far the crop can reach from the eyes).
  const fitHeight = Math.min(imageHeight, imageWidth / aspect);
  const anchoredHeight = Math.min(
    eyeY / ay,
    (imageHeight - eyeY) / (1 - ay),
    eyeX / (ax * aspect),
    (imageWidth - eyeX) / ((1 - ax) * aspect),
  );
  // The wanted size, and how far it may shrink toward the anchored fit: to the tight end of the
  // shot's range, or (no shot) to a close-up, so the crop never cuts into the face unasked.
  const tightestFraction =
    shot?.faceHeight[1] ??
    findEntry(shotTypes as readonly ShotType[], 'close-up')?.faceHeight[1] ??
    CLOSE_UP_MAX;
  const within = target.within ?? 0.5;
  if (!(within >= 0 && within <= 1))
    throw usage('within', `expected a number from 0 to 1 for \`within\` but received ${within}`);
  const wantedFraction =
    shot === undefined
      ? undefined
      : shot.faceHeight[0] + (shot.faceHeight[1] - shot.faceHeight[0]) * within;
  const idealHeight = wantedFraction === undefined ? fitHeight : faceHeight / wantedFraction;
  const tightestHeight = faceHeight / tightestFraction;
  const height = Math.min(idealHeight, fitHeight, Math.max(anchoredHeight, tightestHeight));

  // Whole pixels: the width follows the height so the ratio is off by at most half a pixel.
  const cropHeight = clamp(Math.floor(height), 1, imageHeight);
  const cropWidth = clamp(Math.round(cropHeight * aspect), 1, imageWidth);
  const left = clamp(Math.round(eyeX - ax * cropWidth), 0, imageWidth - cropWidth);
  const top = clamp(Math.round(eyeY - ay * cropHeight), 0, imageHeight - cropHeight);
  const eyes = { x: round3((eyeX - left) / cropWidth), y: round3((eyeY - top) / cropHeight) };
  const eyeTarget = { x: round3(ax), y: round3(ay) };

  const notes: string[] = [];
  if (shot !== undefined && cropHeight < idealHeight - 1)
    notes.push(
      `the ${shot.id} framing (face ${round3(wantedFraction ?? midpoint(shot))} of the frame height) does not fit ` +
        `inside the photo around the eyes; tightened to face ${round3(faceHeight / cropHeight)}`,
    );
  if (Math.abs(eyes.x - ax) > ANCHOR_SLACK || Math.abs(eyes.y - ay) > ANCHOR_SLACK)
    notes.push(
      `the photo ends before the eyes reach the ${rule.id} anchor: they land at ` +
        `(${eyes.x}, ${eyes.y}) instead of (${eyeTarget.x}, ${eyeTarget.y})`,
    );
  return {
    left,
    top,
    width: cropWidth,
    height: cropHeight,
    eyeTarget,
    eyes,
    ...(notes.length === 0 ? {} : { note: notes.join('; ') }),
  };
}

/** The middle of a shot type's face-height range. */
function midpoint(shot: ShotType): number {
  return (shot.faceHeight[0] + shot.faceHeight[1]) / 2;
}

/** Crops the photo as `planReframe` plans it: a full-resolution crop, nothing resampled. */
export function reframe(image: RgbImage, blueprint: Blueprint, target: ReframeTarget): RgbImage {
  if (image.width !== blueprint.image.width || image.height !== blueprint.image.height)
    throw usage(
      'blueprint',
      `expected a blueprint of this ${image.width}×${image.height} photo for \`blueprint\` but received one of ${blueprint.image.width}×${blueprint.image.height}`,
    );
  return cropRgb(image, planReframe(blueprint, target));
}
