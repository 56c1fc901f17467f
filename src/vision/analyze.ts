// analyze(photo) -> Blueprint: every pillar read off one photo, for the chosen face.
import { performance } from 'node:perf_hooks';
import { PortraitistError } from '../errors/index.js';
import sharp from 'sharp';
import { probeImage, readImage, type ImageLimits, type RgbImage } from '../image/index.js';
import { measureComposition } from './composition.js';
import { measureExpression } from './expression.js';
import { frameLight, measureLight } from './light.js';
import { luminancePlanes, type LuminancePlanes } from './luminance.js';
import { faceHeight, landmarks, point } from './mesh.js';
import { measurePalette } from './palette.js';
import { headPose, measureGaze, measurePosture } from './pose.js';
import { measureQuality } from './quality.js';
import {
  mainFace,
  meshRoll,
  rotateQuarterTurns,
  turnsToUpright,
  unrotateDetection,
  type QuarterTurns,
} from './orient.js';
import type { RawDetection, RawFace, VisionRuntime } from './runtime.js';
import { assessReadings, readingThresholds } from './readings.js';
import type { Blueprint, BodyReading, Box, FaceReading, Keypoint, VisionWarning } from './types.js';

export interface AnalyzeOptions {
  /** Which face to read the pillars from, largest first (default 0). */
  readonly faceIndex?: number;
  /** Below this many pixels on a side the detector is not run (default 32). */
  readonly minSide?: number;
  readonly signal?: AbortSignal;
  /**
   * Look for an upright face on quarter-turned copies when the photo's own reading is doubtful
   * (no face, a head rolled past 45°, or a mesh that explains the face's shading poorly). Default true.
   */
  readonly uprightSearch?: boolean;
}

/** Below this detector score or shading fit, an upright-looking mesh may sit on a face upside down. */
const DOUBTFUL_SCORE = 0.97;
const DOUBTFUL_FIT = 0.25;
/** How much more evidence a turned copy needs than the photo as given. */
const UPRIGHT_PRIOR = 0.15;

interface Oriented {
  readonly detection: RawDetection;
  readonly turns: QuarterTurns;
  readonly tried: QuarterTurns[];
}

/**
 * The detection on the copy of the photo where the main face is upright, mapped back to the
 * photo's pixels. Evidence that a mesh is right: the detector's own score plus how much of the
 * face's shading the mesh's surface normals explain (a mesh on the wrong features explains little).
 */
async function uprightDetection(
  runtime: VisionRuntime,
  image: RgbImage,
  planes: LuminancePlanes,
  first: RawDetection,
  frame: { exposure: number; contrast: number; colorTemperature: number },
): Promise<Oriented> {
  const evidence = (face: RawFace): number =>
    face.score + measureLight(face.mesh, runtime.triangulation, planes, frame).confidence;
  const main = mainFace(first);
  if (main === undefined && frame.contrast < 0.02)
    return { detection: first, turns: 0, tried: [0] };
  if (main !== undefined) {
    const roll = meshRoll(main.mesh);
    const doubtful =
      Math.abs(roll) > 45 ||
      main.score < DOUBTFUL_SCORE ||
      measureLight(main.mesh, runtime.triangulation, planes, frame).confidence < DOUBTFUL_FIT;
    if (!doubtful) return { detection: first, turns: 0, tried: [0] };
  }
  // The detector's own roll can be off by 180° on a turned face (a mesh fitted upside down reads
  // as rolled the other way), so every other quarter turn is tried, the likeliest first.
  const likeliest = main === undefined ? 1 : turnsToUpright(meshRoll(main.mesh));
  const toTry = ([1, 2, 3] as QuarterTurns[]).sort(
    (a, b) => Number(b === likeliest) - Number(a === likeliest),
  );
  let best: Oriented & { evidence: number } = {
    detection: first,
    turns: 0,
    tried: [0],
    evidence:
      main === undefined
        ? Number.NEGATIVE_INFINITY
        : evidence(main) - (Math.abs(meshRoll(main.mesh)) > 45 ? 0.5 : 0),
  };
  const tried: QuarterTurns[] = [0];
  for (const turns of toTry) {
    tried.push(turns);
    const copy = rotateQuarterTurns(image, turns);
    const detection = await runtime.detect(copy);
    const face = mainFace(detection);
    // Only a face upright in its own copy counts: that is what the mesh model was trained on.
    if (face === undefined || Math.abs(meshRoll(face.mesh)) > 45) continue;
    const mapped = unrotateDetection(detection, turns, image.width, image.height);
    const mappedFace = mainFace(mapped);
    if (mappedFace === undefined) continue;
    const value = evidence(mappedFace);
    // Photos are upright far more often than not: a turned copy must be clearly better. On the
    // fixtures an upside-down mesh explained a one-side-darkened face's shading 0.12 better than
    // the right one, while real turned photos gain 0.20–0.82: a narrow band, so the prior sits
    // between them.
    const margin = best.turns === 0 ? UPRIGHT_PRIOR : 0;
    if (value > best.evidence + margin) best = { detection: mapped, turns, tried, evidence: value };
  }
  return { detection: best.detection, turns: best.turns, tried };
}

/** Faces shorter than this (pixels, forehead to chin) are too small to measure expression. */
const TINY_FACE_PIXELS = 64;
/** Past this yaw the far side of the face is hidden: a profile. */
const PROFILE_YAW = 60;

function readFace(raw: RawDetection['faces'][number], width: number, height: number): FaceReading {
  const pose = headPose(raw.mesh);
  const { box } = raw;
  const cut =
    box.x <= 1 ||
    box.y <= 1 ||
    box.x + box.width >= width - 1 ||
    box.y + box.height >= height - 1 ||
    raw.mesh.some(([x, y]) => x < 0 || y < 0 || x > width || y > height);
  return {
    box,
    score: Math.round(raw.score * 1000) / 1000,
    mesh: raw.mesh,
    headPose: pose,
    gaze: measureGaze(raw.mesh, pose),
    expression: measureExpression(raw.mesh, pose.yaw),
    emotions: raw.emotions,
    descriptor: raw.descriptor,
    heightFraction: Math.round((faceHeight(raw.mesh) / height) * 1000) / 1000,
    cut,
  };
}

function headOnFace(
  keypoints: readonly { part: string; x: number; y: number; score: number }[],
  box: { x: number; y: number; width: number; height: number },
): boolean {
  const head = keypoints.filter(
    (k) => (k.part === 'nose' || k.part === 'leftEye' || k.part === 'rightEye') && k.score >= 0.3,
  );
  if (head.length === 0) return false;
  const margin = 0.25;
  return head.every(
    (k) =>
      k.x >= box.x - box.width * margin &&
      k.x <= box.x + box.width * (1 + margin) &&
      k.y >= box.y - box.height * margin &&
      k.y <= box.y + box.height * (1 + margin),
  );
}

/** Body parts that hang below the head: none of them can sit above the chin. */
const belowHead = new Set([
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftHip',
  'rightHip',
  'leftKnee',
  'rightKnee',
  'leftAnkle',
  'rightAnkle',
]);

/**
 * Keypoints worth trusting: above their score, inside the frame (MoveNet places unseen limbs
 * at the frame's corners), and no shoulder, elbow or hip on or above the face (the "shoulder
 * line from the chin" of head-and-shoulders crops).
 */
export function trustedKeypoints(
  keypoints: readonly Keypoint[],
  width: number,
  height: number,
  face: FaceReading | null,
): Keypoint[] {
  const margin = 0.01 * Math.max(width, height);
  const chin = face === null ? undefined : point(face.mesh, landmarks.chin);
  const forehead = face === null ? undefined : point(face.mesh, landmarks.foreheadTop);
  return keypoints.filter((k) => {
    if (!(k.score >= readingThresholds.keypointScore)) return false;
    if (!Number.isFinite(k.x) || !Number.isFinite(k.y)) return false;
    if (k.x < margin || k.y < margin || k.x > width - margin || k.y > height - margin) return false;
    if (belowHead.has(k.part) && chin !== undefined && forehead !== undefined) {
      // Height along the face's own up axis, in face heights from the chin: below-head parts sit
      // below it (any roll of the head).
      const ux = forehead[0] - chin[0];
      const uy = forehead[1] - chin[1];
      const along = ((k.x - chin[0]) * ux + (k.y - chin[1]) * uy) / (ux * ux + uy * uy || 1);
      if (along > -0.05) return false;
    }
    return true;
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PortraitistError('ABORTED', 'analysis was cancelled');
}

/**
 * Photos are read at most this many pixels (about 4 MP, 2309×1732 at 4:3): a 24 MP photo would
 * otherwise hold ~0.3 GB in the detector's int32 tensor alone. Every reading is scale-free or
 * normalised for face size (skin texture at a 256-px face, eye sharpness at a 96-px eye), and the
 * coordinates are mapped back to the photo's own pixels.
 */
export const WORKING_PIXELS = 4_000_000;

/** The blueprint of a working copy, its coordinates mapped to a photo of `width`×`height`. */
function toPhotoPixels(blueprint: Blueprint, width: number, height: number): Blueprint {
  const sx = width / blueprint.image.width;
  const sy = height / blueprint.image.height;
  if (sx === 1 && sy === 1) return blueprint;
  const sz = (sx + sy) / 2;
  const box = (b: Box): Box => ({
    x: b.x * sx,
    y: b.y * sy,
    width: b.width * sx,
    height: b.height * sy,
  });
  const faces = blueprint.faces.map((f) => ({
    ...f,
    box: box(f.box),
    mesh: f.mesh.map(([x, y, z]) => [x * sx, y * sy, z * sz] as const),
  }));
  const face = blueprint.faceIndex === null ? undefined : faces[blueprint.faceIndex];
  return {
    ...blueprint,
    image: { ...blueprint.image, width, height },
    faces,
    body:
      blueprint.body === null
        ? null
        : {
            ...blueprint.body,
            box: box(blueprint.body.box),
            keypoints: blueprint.body.keypoints.map((k) => ({ ...k, x: k.x * sx, y: k.y * sy })),
          },
    composition:
      face === undefined
        ? blueprint.composition
        : measureComposition(width, height, face.mesh, face.box),
  };
}

/** A photo over the working size, resampled (area-averaged) to it. */
async function workingCopy(image: RgbImage): Promise<RgbImage> {
  const scale = Math.sqrt(WORKING_PIXELS / (image.width * image.height));
  const width = Math.max(1, Math.floor(image.width * scale));
  const height = Math.max(1, Math.floor(image.height * scale));
  const data = await sharp(
    Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length),
    {
      raw: { width: image.width, height: image.height, channels: 3 },
    },
  )
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  return {
    ...image,
    width,
    height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/**
 * Reads a decoded photo into a Blueprint with a loaded runtime. A photo over `WORKING_PIXELS` is
 * read on a working copy at that size; the blueprint's coordinates are the photo's own.
 */
export async function analyzeImage(
  runtime: VisionRuntime,
  image: RgbImage,
  options: AnalyzeOptions = {},
): Promise<Blueprint> {
  if (image.width * image.height <= WORKING_PIXELS) return analyzeWorking(runtime, image, options);
  const read = await analyzeWorking(runtime, await workingCopy(image), options);
  return toPhotoPixels(read, image.width, image.height);
}

/**
 * Reads a photo file or its bytes into a Blueprint, decoding at most `WORKING_PIXELS` (libvips
 * shrinks JPEG and WebP on load, so the full-size pixels are never held); coordinates are the
 * photo's own.
 */
export async function analyzePhoto(
  runtime: VisionRuntime,
  input: string | Uint8Array,
  options: AnalyzeOptions & { limits?: Partial<ImageLimits>; source?: string } = {},
): Promise<Blueprint> {
  const read = {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.source === undefined ? {} : { source: options.source }),
  };
  // The header first (a path is read twice: the header check is cheap beside the decode).
  const probe = await probeImage(input, read);
  const image = await readImage(input, { ...read, maxDecodedPixels: WORKING_PIXELS });
  return toPhotoPixels(await analyzeImage(runtime, image, options), probe.width, probe.height);
}

async function analyzeWorking(
  runtime: VisionRuntime,
  image: RgbImage,
  options: AnalyzeOptions,
): Promise<Blueprint> {
  const timings: Record<string, number> = {};
  const time = async <T>(stage: string, run: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    timings[stage] = Math.round((performance.now() - start) * 10) / 10;
    return result;
  };
  throwIfAborted(options.signal);
  const minSide = options.minSide ?? 32;
  const tooSmall = image.width < minSide || image.height < minSide;
  const first: RawDetection = tooSmall
    ? { faces: [], bodies: [] }
    : await time('detect', () => runtime.detect(image));
  throwIfAborted(options.signal);
  const planes = await time('luminance', () => luminancePlanes(image));
  const frame = await time('frame', () => frameLight(image, planes));
  const oriented: Oriented =
    tooSmall || options.uprightSearch === false
      ? { detection: first, turns: 0, tried: [0] }
      : await time('upright', () => uprightDetection(runtime, image, planes, first, frame));
  throwIfAborted(options.signal);
  const { detection } = oriented;
  const faces = await time('faces', () =>
    detection.faces
      .map((f) => readFace(f, image.width, image.height))
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height),
  );
  const warnings: VisionWarning[] = [];
  const index = options.faceIndex ?? 0;
  if (faces.length > 0 && (index < 0 || index >= faces.length || !Number.isInteger(index))) {
    throw new PortraitistError(
      'USAGE',
      `${image.source}: there ${faces.length === 1 ? 'is 1 face' : `are ${faces.length} faces`}; no face ${index}`,
      {
        source: image.source,
        issues: [
          {
            path: 'face',
            message: `expected a face index from 0 to ${faces.length - 1} for \`face\` but received ${index}`,
          },
        ],
      },
    );
  }
  const face = faces[index] ?? null;
  if (frame.contrast < 0.02)
    warnings.push({
      code: 'blank-frame',
      message: 'the frame is nearly uniform: there is nothing to read',
    });
  if (face === null)
    warnings.push({
      code: 'no-face',
      message:
        image.width < minSide || image.height < minSide
          ? `the image is ${image.width}×${image.height}: too small to hold a face`
          : 'no face found',
    });
  if (faces.length > 1)
    warnings.push({
      code: 'several-faces',
      message: `${faces.length} faces found; reading face ${index} (largest first)`,
    });
  if (face?.cut)
    warnings.push({
      code: 'face-cut',
      message: 'the face is cut by the frame: some measures are partial',
    });
  if (face !== null && faceHeight(face.mesh) < TINY_FACE_PIXELS)
    warnings.push({
      code: 'tiny-face',
      message: `the face is ${Math.round(faceHeight(face.mesh))} px tall: expression and light readings are unreliable below ${TINY_FACE_PIXELS} px`,
    });
  if (face !== null && Math.abs(face.headPose.yaw) > PROFILE_YAW)
    warnings.push({
      code: 'profile',
      message: `the face is in profile (yaw ${face.headPose.yaw}°): the far side is hidden`,
    });

  // The body model finds one person; its posture only belongs to the face being read when its
  // head keypoints sit on that face.
  const rawBody = detection.bodies.find((b) => face === null || headOnFace(b.keypoints, face.box));
  const kept =
    rawBody === undefined
      ? []
      : trustedKeypoints(rawBody.keypoints, image.width, image.height, face);
  const refusedKeypoints = rawBody === undefined ? 0 : rawBody.keypoints.length - kept.length;
  const body: BodyReading | null =
    rawBody === undefined || rawBody.score < 0.2 || kept.length === 0
      ? null
      : {
          score: Math.round(rawBody.score * 1000) / 1000,
          box: rawBody.box,
          keypoints: kept,
          posture: measurePosture(kept, face?.headPose ?? { yaw: 0, pitch: 0, roll: 0 }, face),
        };
  const light =
    face === null
      ? null
      : await time('light', () => measureLight(face.mesh, runtime.triangulation, planes, frame));
  const palette = await time('palette', () =>
    measurePalette(image, face?.box ?? null, body?.box ?? null),
  );
  const composition =
    face === null ? null : measureComposition(image.width, image.height, face.mesh, face.box);
  const quality = await time('quality', () =>
    measureQuality(planes, face?.mesh ?? null, face?.box ?? null),
  );
  if (oriented.turns !== 0)
    warnings.push({
      code: 'rotated',
      message: `the face is upright with the photo turned ${oriented.turns * 90}° clockwise: read there (add EXIF orientation to the photo)`,
    });
  const assessed = assessReadings({ image, face, body, refusedKeypoints, light, quality });
  warnings.push(...assessed.warnings);
  return {
    version: 1,
    source: image.source,
    image: { width: image.width, height: image.height, format: image.format },
    orientation: { quarterTurns: oriented.turns, tried: oriented.tried },
    faces,
    faceIndex: face === null ? null : index,
    body,
    light,
    palette,
    composition,
    quality,
    warnings,
    readings: assessed.readings,
    timings,
  };
}

/** A vision session: one loaded runtime, photos read from paths or bytes behind the image limits. */
export interface Vision {
  analyze(
    input: string | Uint8Array | RgbImage,
    options?: AnalyzeOptions & { limits?: Partial<ImageLimits>; source?: string },
  ): Promise<Blueprint>;
  readonly runtime: VisionRuntime;
  dispose(): void;
}

/** Wraps a loaded runtime; `dispose()` releases it. */
export function createVision(runtime: VisionRuntime): Vision {
  return {
    runtime,
    async analyze(input, options = {}) {
      return typeof input === 'string' || input instanceof Uint8Array
        ? analyzePhoto(runtime, input, options)
        : analyzeImage(runtime, input, options);
    },
    dispose: () => runtime.dispose(),
  };
}
