// darkroomSession: one darkroom operation on a real photo at its full resolution — read the
// photo, read the face only when the operation needs it, apply, and write the PNG atomically.
// Settings are checked (rig, vocabulary names, the LUT) before the photo is read or anything
// is written, and an existing output is refused unless `force`.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { filmStocks, findEntry, grades, type FilmStock, type Grade } from '../brief/index.js';
import {
  applyLut,
  createSegmenter,
  grade,
  gradeFromVocabulary,
  lensBlur,
  parseCubeLut,
  reframe,
  relight,
  rigTarget,
  warpExpression,
  type ExpressionDeltas,
  type GradeSettings,
  type PersonMask,
} from '../darkroom/index.js';
import { PortraitistError } from '../errors/index.js';
import { refuseExisting, writeOutputFile, type OutputFileSystem } from '../files/index.js';
import { encodePng, readImage, type RgbImage } from '../image/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from '../vision/index.js';

/** One darkroom operation and its settings (numbers already checked by the caller's schema). */
export type DarkroomOperation =
  | {
      readonly kind: 'relight';
      readonly rig: string;
      readonly side: 'left' | 'right';
      readonly intensity: number;
    }
  | { readonly kind: 'expression'; readonly deltas: ExpressionDeltas }
  | { readonly kind: 'lens'; readonly aperture: number; readonly focalLength: number }
  | {
      readonly kind: 'grade';
      readonly grade?: string;
      readonly film?: string;
      /** A .cube file, and the name it is reported under. */
      readonly lut?: { readonly path: string; readonly source: string };
      readonly temperature?: number;
      readonly contrast?: number;
      readonly saturation?: number;
      /** Split toning: a hue for the shadows and one for the highlights (hex), 0..1, −1..1. */
      readonly split?: {
        readonly shadows: string;
        readonly highlights: string;
        readonly amount: number;
        readonly balance?: number;
      };
    }
  | {
      readonly kind: 'reframe';
      readonly shot: string;
      readonly composition: string;
      readonly aspect: string;
    };

export interface DarkroomSessionOptions {
  /** The photo (absolute path) and the name errors give it. */
  readonly photo: string;
  readonly source: string;
  /** Where the PNG goes (absolute path). */
  readonly out: string;
  readonly force?: boolean;
  readonly operation: DarkroomOperation;
  /** A line of what is happening now ("reading the face", "relighting with loop …"). */
  readonly onStage?: (text: string) => void;
  readonly files?: OutputFileSystem;
  readonly now?: () => number;
}

/** What an operation wrote. */
export interface DarkroomResult {
  readonly operation: DarkroomOperation['kind'];
  readonly output: string;
  readonly width: number;
  readonly height: number;
  readonly ms: number;
}

interface Photo {
  readonly image: RgbImage;
  readonly vision: Vision;
  blueprint(): Promise<Blueprint>;
}

type Apply = (photo: Photo, stage: (text: string) => void) => Promise<RgbImage>;

/** Where the key comes from, in words: a key within a few degrees of the axis (butterfly, frontal rigs) has no side. */
export function keyPhrase(azimuth: number, side: string): string {
  return Math.abs(azimuth) < 10 ? 'from the front' : `from the subject's ${side}`;
}

/** The person mask of one photo, with a segmenter loaded for it alone. */
async function personMask(image: RgbImage, stage: (text: string) => void): Promise<PersonMask> {
  stage('segmenting the person');
  const segmenter = await createSegmenter();
  try {
    return await segmenter.segment(image);
  } finally {
    await segmenter.dispose();
  }
}

const vocabularyError = (what: string, ids: readonly string[], field: string, value: string) => {
  const message = `expected ${what} (${ids.join(', ')}) for \`${field}\` but received ${JSON.stringify(value)}`;
  return new PortraitistError('USAGE', message, { issues: [{ path: field, message }] });
};

/** The grade settings of a grade operation (vocabulary grade and film, then the sliders), checked. */
export function gradeSettingsFor(
  operation: Omit<Extract<DarkroomOperation, { kind: 'grade' }>, 'kind' | 'lut'>,
): GradeSettings {
  const vocabularyGrade =
    operation.grade === undefined
      ? undefined
      : findEntry(grades as readonly Grade[], operation.grade);
  if (operation.grade !== undefined && vocabularyGrade === undefined)
    throw vocabularyError(
      'a grade',
      grades.map((g) => g.id),
      'grade',
      operation.grade,
    );
  const film =
    operation.film === undefined
      ? undefined
      : findEntry(filmStocks as readonly FilmStock[], operation.film);
  if (operation.film !== undefined && film === undefined)
    throw vocabularyError(
      'a film stock',
      filmStocks.map((f) => f.id),
      'film',
      operation.film,
    );
  const base: GradeSettings =
    vocabularyGrade === undefined ? {} : gradeFromVocabulary(vocabularyGrade, film);
  return {
    ...base,
    ...(operation.temperature === undefined
      ? {}
      : { whiteBalance: { temperature: operation.temperature } }),
    ...(operation.contrast === undefined ? {} : { contrast: operation.contrast }),
    ...(operation.saturation === undefined ? {} : { saturation: operation.saturation }),
    ...(operation.split === undefined ? {} : { split: { ...operation.split } }),
  };
}

/** Checks a grade's settings (vocabulary names, the LUT file) and returns what applies it. */
export async function gradeFor(
  operation: Extract<DarkroomOperation, { kind: 'grade' }>,
): Promise<(image: RgbImage) => RgbImage> {
  const lut =
    operation.lut === undefined
      ? undefined
      : parseCubeLut(await readLut(operation.lut.path), operation.lut.source);
  const settings = gradeSettingsFor(operation);
  return (image) => {
    const graded = grade(image, settings);
    return lut === undefined ? graded : applyLut(graded, lut);
  };
}

/** Checks an operation's settings and returns what applies it. */
async function prepare(operation: DarkroomOperation): Promise<Apply> {
  switch (operation.kind) {
    case 'relight': {
      const target = rigTarget(operation.rig, operation.side);
      return async (photo, stage) => {
        // The mask first: its model is loaded, run and released before the vision runtime
        // loads, so the two never hold their working memory at once (issue 14).
        const mask = await personMask(photo.image, stage);
        const blueprint = await photo.blueprint();
        stage(`relighting with ${operation.rig} ${keyPhrase(target.azimuth, operation.side)}`);
        return relight(photo.image, blueprint, mask, target, {
          triangles: photo.vision.runtime.triangulation,
          intensity: operation.intensity,
        });
      };
    }
    case 'expression':
      return async (photo, stage) => {
        const blueprint = await photo.blueprint();
        stage('warping');
        return warpExpression(photo.image, blueprint, operation.deltas);
      };
    case 'lens':
      return async (photo, stage) => {
        const mask = await personMask(photo.image, stage);
        stage(`blurring the background at f/${operation.aperture}`);
        return lensBlur(photo.image, mask, {
          aperture: operation.aperture,
          focalLength: operation.focalLength,
        });
      };
    case 'grade': {
      const apply = await gradeFor(operation);
      return async (photo, stage) => {
        stage('grading');
        return apply(photo.image);
      };
    }
    case 'reframe':
      return async (photo, stage) => {
        const blueprint = await photo.blueprint();
        stage('cropping');
        return reframe(photo.image, blueprint, {
          shot: operation.shot,
          composition: operation.composition,
          aspectRatio: operation.aspect,
          lookRoom: 'auto',
        });
      };
  }
}

async function readLut(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const message = `expected a .cube file at ${path} for \`lut\` but received no readable file`;
    throw new PortraitistError('FILE_NOT_FOUND', `no LUT at ${path}`, {
      source: path,
      issues: [{ path: 'lut', message }],
      cause: error,
    });
  }
}

/** Runs one operation: check, read the photo, apply, write the PNG (atomically). */
export async function darkroomSession(options: DarkroomSessionOptions): Promise<DarkroomResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const stage = options.onStage ?? (() => undefined);
  const apply = await prepare(options.operation);
  const writeOptions = {
    force: options.force === true,
    field: 'out',
    ...(options.files === undefined ? {} : { fs: options.files }),
  };
  // Before any work: an existing output is refused unless forced.
  await refuseExisting(options.out, writeOptions);
  stage('reading the photo');
  const image = await readImage(options.photo, { source: options.source });
  let vision: Vision | undefined;
  let blueprint: Blueprint | undefined;
  try {
    const photo: Photo = {
      image,
      get vision(): Vision {
        if (vision === undefined) throw new PortraitistError('INTERNAL', 'vision not loaded');
        return vision;
      },
      async blueprint() {
        if (blueprint === undefined) {
          stage('reading the face');
          vision = createVision(await createVisionRuntime());
          blueprint = await vision.analyze(image);
          if (blueprint.faceIndex === null)
            // The path is the error's source: the printed line names it once.
            throw new PortraitistError('NO_FACE', 'no face found in the photo', {
              source: options.source,
              issues: [
                {
                  path: 'photo',
                  message: 'expected a photo with a face for `photo` but received one without',
                },
              ],
            });
        }
        return blueprint;
      },
    };
    const result = await apply(photo, stage);
    await writeOutputFile(options.out, await encodePng(result), writeOptions);
    return {
      operation: options.operation.kind,
      output: options.out,
      width: result.width,
      height: result.height,
      ms: Math.round(now() - started),
    };
  } finally {
    vision?.dispose();
  }
}
