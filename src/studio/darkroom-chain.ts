// darkroomChain: the darkroom in one pass — relight, expression, lens, grade and reframe chained on
// each photo, over one photo or a folder. Each photo, its face reading and its person mask are read
// once; the models load once per `DarkroomModels` (one per process); alpha is kept; every output
// is written atomically and an existing one is refused, before any work, unless `force`. When a
// control cannot act on a photo (no face, closed lips, a face index past the photo's faces) the
// photo still gets the rest of the chain and the result says why, as it does for a small output.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  checkReframeTarget,
  createSegmenter,
  lensBlur,
  planReframe,
  relight,
  rigTarget,
  warpExpression,
  type ExpressionDeltas,
  type PersonMask,
  type RelightTarget,
  type Segmenter,
} from '../darkroom/index.js';
import { PortraitistError, fromZodError } from '../errors/index.js';
import { refuseExisting, writeOutputFile, type OutputFileSystem } from '../files/index.js';
import { cropRgb, readImage, type RgbImage } from '../image/index.js';
import {
  createVision,
  createVisionRuntime,
  type Blueprint,
  type Vision,
  type VisionRuntime,
} from '../vision/index.js';
import { gradeFor, keyPhrase, type DarkroomOperation } from './darkroom.js';

/** An output whose short side is under this many pixels gets a warning. */
export const SMALL_OUTPUT_PX = 512;
/** Below this reading (the brief's 0..1 scale) the photo's lips are closed. */
const CLOSED_LIPS = 0.05;
const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif']);

const unit = z.number().min(0).max(1);
const signed = z.number().min(-1).max(1);

/** The chain of a recipe file (and of the one-pass command line): every step optional. */
export const darkroomRecipeSchema = z
  .object({
    relight: z
      .object({
        rig: z.string(),
        side: z.enum(['left', 'right']).optional(),
        intensity: unit.optional(),
        /** Key:fill, the lit-to-shadow cheek ratio in linear light (≥ 1). */
        fill: z.number().min(1).max(32).optional(),
        softness: unit.optional(),
        rim: z.boolean().optional(),
        colourTemperature: z.number().min(1500).max(15000).optional(),
        /** One face (index into the photo's faces) or every face. */
        face: z.union([z.literal('all'), z.number().int().min(0)]).optional(),
      })
      .strict()
      .optional(),
    expression: z
      .object({
        lift: signed.optional(),
        parted: unit.optional(),
        browRaise: signed.optional(),
        furrow: signed.optional(),
        eyes: signed.optional(),
        tilt: z.number().min(-6).max(6).optional(),
      })
      .strict()
      .optional(),
    lens: z
      .object({
        aperture: z.number().min(0.7).max(64),
        focalLength: z.number().min(8).max(800).optional(),
      })
      .strict()
      .optional(),
    grade: z
      .object({
        grade: z.string().optional(),
        film: z.string().optional(),
        lut: z.string().optional(),
        temperature: z.number().min(1500).max(15000).optional(),
        contrast: signed.optional(),
        saturation: signed.optional(),
        split: z
          .object({
            shadows: z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'expected a hex colour' }),
            highlights: z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'expected a hex colour' }),
            amount: unit,
            balance: signed.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    reframe: z
      .object({
        shot: z.string().optional(),
        composition: z.string().optional(),
        aspect: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type DarkroomRecipe = z.output<typeof darkroomRecipeSchema>;

const recipeKeys: Record<string, readonly string[]> = {
  '': Object.keys(darkroomRecipeSchema.shape),
  relight: ['rig', 'side', 'intensity', 'fill', 'softness', 'rim', 'colourTemperature', 'face'],
  expression: ['lift', 'parted', 'browRaise', 'furrow', 'eyes', 'tilt'],
  lens: ['aperture', 'focalLength'],
  grade: ['grade', 'film', 'lut', 'temperature', 'contrast', 'saturation', 'split'],
  reframe: ['shot', 'composition', 'aspect'],
};

/** Checks a chain (parsed YAML or flags); USAGE naming each bad field (`relight.fill`). */
export function parseDarkroomRecipe(value: unknown, source = 'the recipe'): DarkroomRecipe {
  const parsed = darkroomRecipeSchema.safeParse(value, { reportInput: true });
  if (parsed.success) {
    if (Object.values(parsed.data).every((step) => step === undefined)) {
      const message = `expected at least one of relight, expression, lens, grade, reframe in ${source}`;
      throw new PortraitistError('USAGE', message, {
        source,
        issues: [{ path: '', message }],
      });
    }
    return parsed.data;
  }
  const issues = fromZodError(parsed.error, {
    input: value,
    root: source,
    knownKeys: (path) => recipeKeys[path.map(String).join('.')] ?? [],
  });
  throw new PortraitistError('USAGE', issues[0]?.message ?? `bad recipe ${source}`, {
    source,
    issues,
  });
}

/** Reads and checks a recipe file (YAML or JSON). */
export async function readDarkroomRecipe(path: string, source = path): Promise<DarkroomRecipe> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const message = `expected a readable recipe file for \`recipe\` but received ${source}`;
    throw new PortraitistError('FILE_NOT_FOUND', `no recipe at ${source}`, {
      source,
      issues: [{ path: 'recipe', message }],
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    const message = `expected YAML for \`recipe\` but ${source} does not parse: ${(error as Error).message}`;
    throw new PortraitistError('USAGE', message, {
      source,
      issues: [{ path: 'recipe', message }],
      cause: error,
    });
  }
  return parseDarkroomRecipe(value, source);
}

/** The models a darkroom pass needs, each loaded on first use and then shared by every photo. */
export interface DarkroomModels {
  vision(): Promise<Vision>;
  segmenter(): Promise<Segmenter>;
  dispose(): Promise<void>;
}

/** How models load (the real loaders by default; tests wrap them to count loads). */
export interface DarkroomModelLoaders {
  readonly visionRuntime?: () => Promise<VisionRuntime>;
  readonly segmenter?: () => Promise<Segmenter>;
}

export function createDarkroomModels(loaders: DarkroomModelLoaders = {}): DarkroomModels {
  let vision: Promise<Vision> | undefined;
  let segmenter: Promise<Segmenter> | undefined;
  return {
    vision() {
      vision ??= (loaders.visionRuntime ?? (() => createVisionRuntime()))().then(createVision);
      return vision;
    },
    segmenter() {
      segmenter ??= (loaders.segmenter ?? (() => createSegmenter()))();
      return segmenter;
    },
    async dispose() {
      const [v, s] = await Promise.allSettled([vision, segmenter]);
      if (v.status === 'fulfilled') v.value?.dispose();
      if (s.status === 'fulfilled') await s.value?.dispose();
    },
  };
}

/** One photo of a batch and where its result goes. */
export interface DarkroomJob {
  readonly photo: string;
  /** The name errors and lines give the photo. */
  readonly source: string;
  readonly out: string;
}

/** What happened to one photo. */
export interface DarkroomPhotoResult {
  readonly input: string;
  readonly output?: string;
  readonly width?: number;
  readonly height?: number;
  readonly alpha?: boolean;
  /** The steps that acted, in order. */
  readonly applied: readonly string[];
  /** Warnings: a control that could not act, a small output, a framing that did not fit. */
  readonly notices: readonly string[];
  readonly ms: number;
  /** Set when the photo failed; the batch goes on with the next. */
  readonly error?: PortraitistError;
}

export interface DarkroomChainOptions {
  readonly jobs: readonly DarkroomJob[];
  readonly recipe: DarkroomRecipe;
  /** Resolves a recipe's LUT path (relative to the recipe or the working folder). */
  readonly lutPath?: (lut: string) => string;
  readonly force?: boolean;
  readonly models: DarkroomModels;
  readonly onStage?: (job: DarkroomJob, text: string) => void;
  readonly onPhoto?: (result: DarkroomPhotoResult, index: number) => void;
  readonly files?: OutputFileSystem;
  readonly now?: () => number;
}

/**
 * The photos named (files, or folders whose photos are taken in name order) with an output path
 * each: `out` for a single photo, else `<outDir>/<name>.png`. Two photos that would write the same
 * output are refused.
 */
export async function darkroomJobs(
  inputs: readonly { readonly path: string; readonly source: string }[],
  target: { readonly out?: string; readonly outDir?: string },
): Promise<DarkroomJob[]> {
  const photos: { path: string; source: string }[] = [];
  for (const input of inputs) {
    let isFolder = false;
    try {
      isFolder = (await stat(input.path)).isDirectory();
    } catch (error) {
      const message = `expected a photo or a folder of photos but received ${input.source}, which is not there`;
      throw new PortraitistError('FILE_NOT_FOUND', `no photo at ${input.source}`, {
        source: input.source,
        issues: [{ path: 'photos', message }],
        cause: error,
      });
    }
    if (!isFolder) {
      photos.push(input);
      continue;
    }
    const names = (await readdir(input.path))
      .filter((name) => !name.startsWith('.') && PHOTO_EXTENSIONS.has(extname(name).toLowerCase()))
      .sort();
    for (const name of names)
      photos.push({ path: join(input.path, name), source: join(input.source, name) });
  }
  if (photos.length === 0) {
    const message = 'expected at least one photo (.jpg, .png, .webp, .avif) but found none';
    throw new PortraitistError('USAGE', message, { issues: [{ path: 'photos', message }] });
  }
  if (target.out !== undefined && target.outDir !== undefined) {
    const message = 'expected either `out` or `out-dir`, not both';
    throw new PortraitistError('USAGE', message, { issues: [{ path: 'out', message }] });
  }
  if (target.out !== undefined) {
    if (photos.length > 1) {
      const message = `expected \`out-dir\` for ${photos.length} photos; \`out\` names one file`;
      throw new PortraitistError('USAGE', message, { issues: [{ path: 'out', message }] });
    }
    const [only] = photos;
    return only === undefined ? [] : [{ photo: only.path, source: only.source, out: target.out }];
  }
  if (target.outDir === undefined) {
    const message = 'expected `out` (one photo) or `out-dir` (many) for where results go';
    throw new PortraitistError('USAGE', message, { issues: [{ path: 'out', message }] });
  }
  const outDir = target.outDir;
  const seen = new Map<string, string>();
  return photos.map((photo) => {
    const out = join(outDir, `${basename(photo.path, extname(photo.path))}.png`);
    const clash = seen.get(out);
    if (clash !== undefined) {
      const message = `expected one photo per output name but ${clash} and ${photo.source} would both write ${out}`;
      throw new PortraitistError('USAGE', message, { issues: [{ path: 'photos', message }] });
    }
    seen.set(out, photo.source);
    return { photo: photo.path, source: photo.source, out };
  });
}

/** The relight target of a recipe: the rig's own, with the overrides asked for. */
export function relightTargetOf(step: NonNullable<DarkroomRecipe['relight']>): RelightTarget {
  const rig = rigTarget(step.rig, step.side ?? 'left');
  return {
    ...rig,
    ...(step.fill === undefined ? {} : { fillRatio: step.fill }),
    ...(step.softness === undefined ? {} : { softness: step.softness }),
    ...(step.rim === undefined ? {} : { rim: step.rim }),
    ...(step.colourTemperature === undefined ? {} : { colorTemperature: step.colourTemperature }),
  };
}

const deltasOf = (step: NonNullable<DarkroomRecipe['expression']>): ExpressionDeltas => ({
  ...(step.lift === undefined ? {} : { lipCornerLift: step.lift }),
  ...(step.parted === undefined ? {} : { lipsParted: step.parted }),
  ...(step.browRaise === undefined ? {} : { browRaise: step.browRaise }),
  ...(step.furrow === undefined ? {} : { browFurrow: step.furrow }),
  ...(step.eyes === undefined ? {} : { eyeAperture: step.eyes }),
  ...(step.tilt === undefined ? {} : { headTilt: step.tilt }),
});

/**
 * The photo's alpha channel and its straight (unflattened) colour, upright as readImage turns it;
 * undefined when it has none. The face and the mask are read on the flattened photo, as everywhere;
 * the pixel operations work on the straight colour so a cut-out's edges keep no grey fringe.
 */
async function readAlpha(
  bytes: Uint8Array,
  image: RgbImage,
): Promise<{ alpha: Uint8Array; straight: RgbImage } | undefined> {
  const meta = await sharp(bytes).metadata();
  if (meta.hasAlpha !== true) return undefined;
  const { data, info } = await sharp(bytes)
    .rotate()
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== image.width || info.height !== image.height || info.channels !== 4)
    return undefined;
  const pixels = info.width * info.height;
  const alpha = new Uint8Array(pixels);
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = data[i * 4] ?? 0;
    rgb[i * 3 + 1] = data[i * 4 + 1] ?? 0;
    rgb[i * 3 + 2] = data[i * 4 + 2] ?? 0;
    alpha[i] = data[i * 4 + 3] ?? 0;
  }
  return { alpha, straight: { ...image, data: rgb } };
}

function cropAlpha(
  alpha: Uint8Array,
  width: number,
  box: { left: number; top: number; width: number; height: number },
): Uint8Array {
  const out = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++)
    out.set(
      alpha.subarray(
        (box.top + y) * width + box.left,
        (box.top + y) * width + box.left + box.width,
      ),
      y * box.width,
    );
  return out;
}

async function encode(image: RgbImage, alpha: Uint8Array | undefined): Promise<Buffer> {
  const raw = { width: image.width, height: image.height, channels: 3 as const };
  const rgb = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw,
  });
  if (alpha === undefined) return rgb.png().toBuffer();
  return rgb
    .joinChannel(Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength), {
      raw: { width: image.width, height: image.height, channels: 1 },
    })
    .png()
    .toBuffer();
}

interface Prepared {
  readonly grade?: (image: RgbImage) => RgbImage;
  readonly relightTarget?: RelightTarget;
}

/** Checks the settings (rig, vocabulary names, the LUT) before any photo is read. */
async function prepare(options: DarkroomChainOptions): Promise<Prepared> {
  const { recipe } = options;
  const relightTarget = recipe.relight === undefined ? undefined : relightTargetOf(recipe.relight);
  let gradeSettings: Prepared['grade'];
  if (recipe.grade !== undefined) {
    const g = recipe.grade;
    const operation: Extract<DarkroomOperation, { kind: 'grade' }> = {
      kind: 'grade',
      ...(g.grade === undefined ? {} : { grade: g.grade }),
      ...(g.film === undefined ? {} : { film: g.film }),
      ...(g.temperature === undefined ? {} : { temperature: g.temperature }),
      ...(g.contrast === undefined ? {} : { contrast: g.contrast }),
      ...(g.saturation === undefined ? {} : { saturation: g.saturation }),
      ...(g.split === undefined ? {} : { split: g.split }),
      ...(g.lut === undefined
        ? {}
        : { lut: { path: options.lutPath?.(g.lut) ?? g.lut, source: g.lut } }),
    };
    gradeSettings = await gradeFor(operation);
  }
  if (recipe.reframe !== undefined) {
    checkReframeTarget(reframeTarget(recipe.reframe));
  }
  return {
    ...(relightTarget === undefined ? {} : { relightTarget }),
    ...(gradeSettings === undefined ? {} : { grade: gradeSettings }),
  };
}

const reframeTarget = (step: NonNullable<DarkroomRecipe['reframe']>) => ({
  ...(step.shot === undefined ? {} : { shot: step.shot }),
  ...(step.composition === undefined ? {} : { composition: step.composition }),
  ...(step.aspect === undefined ? {} : { aspectRatio: step.aspect }),
  lookRoom: 'auto' as const,
});

/** Runs the chain on every job in turn; one photo failing does not stop the batch. */
export async function darkroomChain(options: DarkroomChainOptions): Promise<DarkroomPhotoResult[]> {
  const prepared = await prepare(options);
  const writeOptions = {
    force: options.force === true,
    field: 'out',
    ...(options.files === undefined ? {} : { fs: options.files }),
  };
  // Before any work: every existing output is refused unless forced.
  for (const job of options.jobs) await refuseExisting(job.out, writeOptions);
  const results: DarkroomPhotoResult[] = [];
  for (const [index, job] of options.jobs.entries()) {
    const result = await runOne(job, options, prepared, writeOptions);
    results.push(result);
    options.onPhoto?.(result, index);
  }
  return results;
}

async function runOne(
  job: DarkroomJob,
  options: DarkroomChainOptions,
  prepared: Prepared,
  writeOptions: { force: boolean; field: string; fs?: OutputFileSystem },
): Promise<DarkroomPhotoResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const stage = (text: string) => options.onStage?.(job, text);
  const { recipe } = options;
  const applied: string[] = [];
  const notices: string[] = [];
  try {
    stage('reading the photo');
    const bytes = new Uint8Array(await readFile(job.photo));
    const flattened = await readImage(bytes, { source: job.source });
    const withAlpha = await readAlpha(bytes, flattened);
    let alpha = withAlpha?.alpha;
    let image = flattened;
    const { width: sourceWidth } = image;

    const needsFace =
      recipe.relight !== undefined ||
      recipe.expression !== undefined ||
      recipe.reframe !== undefined;
    let blueprint: Blueprint | undefined;
    let vision: Vision | undefined;
    if (needsFace) {
      stage('reading the face');
      vision = await options.models.vision();
      const read = await vision.analyze(flattened);
      if (read.faceIndex === null) {
        for (const step of ['relight', 'expression', 'reframe'] as const)
          if (recipe[step] !== undefined)
            notices.push(`${step} cannot act: no face found in the photo`);
      } else blueprint = read;
    }
    const faceCount = blueprint?.faces.length ?? 0;
    const chosenFace = recipe.relight?.face;
    const faceMissing = typeof chosenFace === 'number' && chosenFace >= faceCount;
    if (blueprint !== undefined && faceMissing)
      notices.push(
        `relight cannot act: --face ${chosenFace} asked for, but the photo has ${faceCount} face${faceCount === 1 ? '' : 's'} (0..${faceCount - 1})`,
      );
    const relightActs =
      recipe.relight !== undefined &&
      prepared.relightTarget !== undefined &&
      blueprint !== undefined &&
      !faceMissing;

    let mask: PersonMask | undefined;
    if (relightActs || recipe.lens !== undefined) {
      stage('segmenting the person');
      mask = await (await options.models.segmenter()).segment(flattened);
    }
    if (withAlpha !== undefined) image = withAlpha.straight;

    if (relightActs && blueprint !== undefined && vision !== undefined && mask !== undefined) {
      const step = recipe.relight;
      const target = prepared.relightTarget;
      if (step !== undefined && target !== undefined) {
        stage(`relighting with ${step.rig} ${keyPhrase(target.azimuth, step.side ?? 'left')}`);
        image = relight(image, blueprint, mask, target, {
          triangles: vision.runtime.triangulation,
          intensity: step.intensity ?? 0.8,
          faces: typeof step.face === 'number' ? [step.face] : 'all',
        });
        applied.push('relight');
      }
    }

    if (recipe.expression !== undefined && blueprint !== undefined) {
      const deltas = deltasOf(recipe.expression);
      const faceIndex =
        typeof chosenFace === 'number' && chosenFace < faceCount ? chosenFace : undefined;
      const face = blueprint.faces[faceIndex ?? blueprint.faceIndex ?? 0];
      if (
        (deltas.lipsParted ?? 0) > 0 &&
        face !== undefined &&
        face.expression.lipsParted < CLOSED_LIPS
      )
        notices.push(
          'the warp cannot part closed lips: it stretches the lip line but cannot show a mouth the photo hides',
        );
      stage('warping the expression');
      image = warpExpression(
        image,
        blueprint,
        deltas,
        faceIndex === undefined ? {} : { faceIndex },
      );
      applied.push('expression');
    }

    if (recipe.lens !== undefined && mask !== undefined) {
      stage(`blurring the background at f/${recipe.lens.aperture}`);
      image = lensBlur(image, mask, {
        aperture: recipe.lens.aperture,
        focalLength: recipe.lens.focalLength ?? 85,
      });
      applied.push('lens');
    }

    if (prepared.grade !== undefined) {
      stage('grading');
      image = prepared.grade(image);
      applied.push('grade');
    }

    if (recipe.reframe !== undefined && blueprint !== undefined) {
      stage('cropping');
      const plan = planReframe(blueprint, reframeTarget(recipe.reframe));
      image = cropRgb(image, plan);
      if (alpha !== undefined) alpha = cropAlpha(alpha, sourceWidth, plan);
      if (plan.note !== undefined) notices.push(plan.note);
      applied.push('reframe');
    }

    if (Math.min(image.width, image.height) < SMALL_OUTPUT_PX)
      notices.push(
        `the output is small: ${image.width}×${image.height} px (short side under ${SMALL_OUTPUT_PX} px)`,
      );
    stage('writing');
    await writeOutputFile(job.out, await encode(image, alpha), writeOptions);
    return {
      input: job.source,
      output: job.out,
      width: image.width,
      height: image.height,
      alpha: alpha !== undefined,
      applied,
      notices,
      ms: Math.round(now() - started),
    };
  } catch (error) {
    const typed =
      error instanceof PortraitistError
        ? error
        : new PortraitistError('INTERNAL', `${job.source}: ${(error as Error).message}`, {
            source: job.source,
            cause: error,
          });
    return { input: job.source, applied, notices, ms: Math.round(now() - started), error: typed };
  }
}
