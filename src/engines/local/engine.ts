// The local engine: the darkroom as an Engine. Given a brief and a real reference photo it makes N
// candidates as variations within the brief — expression, light, lens, grade, grain, framing —
// with no GPU, no network and no account.
import { performance } from 'node:perf_hooks';
import {
  filmStocks,
  findEntry,
  grades,
  resolveExpression,
  resolveLight,
  type Brief,
  type FilmStock,
  type Grade,
  type ReferenceRole,
} from '../../brief/index.js';
import {
  addGrain,
  createSegmenter,
  grade,
  gradeFromVocabulary,
  grainForStock,
  lensBlur,
  planReframe,
  relight,
  vignette,
  warpExpression,
  type ExpressionDeltas,
  type GradeSettings,
  type PersonMask,
  type RelightTarget,
  type Segmenter,
} from '../../darkroom/index.js';
import { PortraitistError } from '../../errors/index.js';
import { cropRgb, encodePng, readImage, rgbToLab, type RgbImage } from '../../image/index.js';
import {
  measureEyeSharpness,
  meshContours,
  type Blueprint,
  type MeshPoint,
  type Vision,
} from '../../vision/index.js';
import type {
  Candidate,
  Engine,
  EngineCapabilities,
  GenerateOptions,
  GenerationRequest,
} from '../types.js';
import { checkCount, planRun, referenceProvenance, throwIfAborted } from '../request.js';

/** Which reference photo the darkroom starts from, in order of preference. */
const startingRoles: readonly ReferenceRole[] = [
  'identity',
  'style',
  'pose',
  'expression',
  'lighting',
  'palette',
];

/** A small deterministic PRNG (mulberry32): the same seed always gives the same candidate. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (value: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, value));

/** The expression change that takes the photo's measured face toward the brief's, scaled. */
function expressionDeltas(
  brief: Brief,
  blueprint: Blueprint,
  strength: number,
): ExpressionDeltas | undefined {
  const wanted = resolveExpression(brief);
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  if (wanted === undefined || face === undefined) return undefined;
  const delta = (
    key: 'lipCornerLift' | 'browRaise' | 'browFurrow' | 'eyeAperture',
    min: number,
    max: number,
  ) => clamp((wanted.geometry[key] - face.expression[key]) * strength, min, max);
  return {
    lipCornerLift: delta('lipCornerLift', -1, 1),
    // A warp can open lips a little; it cannot close an open mouth honestly.
    lipsParted: clamp((wanted.geometry.lipsParted - face.expression.lipsParted) * strength, 0, 0.6),
    browRaise: delta('browRaise', 0, 1),
    browFurrow: delta('browFurrow', 0, 1),
    eyeAperture: delta('eyeAperture', -1, 1),
  };
}

function relightTarget(brief: Brief): RelightTarget | undefined {
  const light = resolveLight(brief);
  if (light === undefined) return undefined;
  return {
    azimuth: light.azimuth,
    elevation: light.elevation,
    fillRatio: light.fillRatio ?? 6,
    softness: light.softness,
    colorTemperature: light.colorTemperature,
    rim: light.rim,
  };
}

/**
 * The least perceptual distance between any two candidates: mean CIELAB ΔE76 over a 48×60
 * thumbnail of each (a different framing counts as the difference it is). Below about 2 two
 * pictures read as the same one on a contact sheet.
 */
export const MIN_CANDIDATE_DISTANCE = 3;
/** A candidate's eye sharpness may fall at most this far below the source's (10 %). */
export const MAX_EYE_SHARPNESS_DROP = 0.1;

const THUMB_WIDTH = 48;
const THUMB_HEIGHT = 60;

/** CIELAB of an area-averaged thumbnail, the photo scaled to cover 48×60 and centred. */
export function labThumbnail(image: RgbImage): Float32Array {
  const scale = Math.max(THUMB_WIDTH / image.width, THUMB_HEIGHT / image.height);
  const cropW = THUMB_WIDTH / scale;
  const cropH = THUMB_HEIGHT / scale;
  const x0 = (image.width - cropW) / 2;
  const y0 = (image.height - cropH) / 2;
  const out = new Float32Array(THUMB_WIDTH * THUMB_HEIGHT * 3);
  for (let ty = 0; ty < THUMB_HEIGHT; ty++) {
    for (let tx = 0; tx < THUMB_WIDTH; tx++) {
      const xa = Math.floor(x0 + tx / scale);
      const xb = Math.max(xa + 1, Math.floor(x0 + (tx + 1) / scale));
      const ya = Math.floor(y0 + ty / scale);
      const yb = Math.max(ya + 1, Math.floor(y0 + (ty + 1) / scale));
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let y = ya; y < Math.min(image.height, yb); y++)
        for (let x = xa; x < Math.min(image.width, xb); x++) {
          const i = (y * image.width + x) * 3;
          r += image.data[i] ?? 0;
          g += image.data[i + 1] ?? 0;
          b += image.data[i + 2] ?? 0;
          n++;
        }
      const lab = rgbToLab(r / Math.max(1, n), g / Math.max(1, n), b / Math.max(1, n));
      out.set(lab, (ty * THUMB_WIDTH + tx) * 3);
    }
  }
  return out;
}

/** Mean ΔE76 between two Lab thumbnails. */
export function thumbnailDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 3)
    sum += Math.hypot(
      (a[i] ?? 0) - (b[i] ?? 0),
      (a[i + 1] ?? 0) - (b[i + 1] ?? 0),
      (a[i + 2] ?? 0) - (b[i + 2] ?? 0),
    );
  return sum / (a.length / 3);
}

/** Where candidate k of n sits on each axis of the variation, 0..1: a seeded Latin hypercube. */
function design(count: number, seed: number, axes: number): number[][] {
  const next = random(seed ^ 0x5bd1e995);
  const columns = Array.from({ length: axes }, () => {
    const order = Array.from({ length: count }, (_, k) => k);
    for (let k = count - 1; k > 0; k--) {
      const j = Math.floor(next() * (k + 1));
      [order[k], order[j]] = [order[j] as number, order[k] as number];
    }
    return order.map((k) => (count === 1 ? 0.5 : k / (count - 1)));
  });
  return Array.from({ length: count }, (_, k) => columns.map((column) => column[k] as number));
}

/** A vocabulary grade's settings at `strength` (1 = as named, 0 = none). */
function scaledGrade(base: GradeSettings, strength: number): GradeSettings {
  const scaled: GradeSettings = {
    contrast: clamp((base.contrast ?? 0) * strength, -1, 1),
    saturation: base.saturation === -1 ? -1 : clamp((base.saturation ?? 0) * strength, -1, 1),
    fade: clamp((base.fade ?? 0) * strength, 0, 1),
  };
  if (base.whiteBalance !== undefined) {
    const from = base.fromTemperature ?? 5500;
    const mired = 1e6 / from + (1e6 / base.whiteBalance.temperature - 1e6 / from) * strength;
    scaled.whiteBalance = {
      temperature: clamp(Math.round(1e6 / mired), 2000, 15000),
      tint: clamp((base.whiteBalance.tint ?? 0) * strength, -1, 1),
    };
    scaled.fromTemperature = from;
  }
  if (base.split !== undefined)
    scaled.split = { ...base.split, amount: clamp(base.split.amount * strength, 0, 1) };
  return scaled;
}

/** A 3×3 box blur of one channel-interleaved region, for unsharp masking. */
function sharpenEyes(image: RgbImage, mesh: readonly MeshPoint[], amount: number): RgbImage {
  const data = image.data.slice();
  const { width, height } = image;
  for (const contour of [meshContours['rightEye'] ?? [], meshContours['leftEye'] ?? []]) {
    const xs = contour.map((i) => mesh[i]?.[0] ?? 0);
    const ys = contour.map((i) => mesh[i]?.[1] ?? 0);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const rx = (Math.max(...xs) - Math.min(...xs)) * 0.8 + 2;
    const ry = (Math.max(...ys) - Math.min(...ys)) * 1.2 + 2;
    for (let y = Math.max(1, Math.floor(cy - ry)); y <= Math.min(height - 2, cy + ry); y++) {
      for (let x = Math.max(1, Math.floor(cx - rx)); x <= Math.min(width - 2, cx + rx); x++) {
        const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
        if (d >= 1) continue;
        const weight = amount * (1 - d) ** 2; // feathered to nothing at the ellipse's edge
        for (let c = 0; c < 3; c++) {
          const i = (y * width + x) * 3 + c;
          let blur = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) blur += image.data[i + (dy * width + dx) * 3] ?? 0;
          const v = image.data[i] ?? 0;
          data[i] = Math.round(clamp(v + weight * (v - blur / 9), 0, 255));
        }
      }
    }
  }
  return { ...image, data };
}

/** Options of the local engine. */
export interface LocalEngineOptions {
  /** A loaded vision session (its runtime's mesh triangulation is used for relighting). */
  readonly vision: Vision;
  /** Person segmentation; loaded on first use when not given. */
  readonly segmenter?: Segmenter;
  readonly now?: () => Date;
}

/** The local darkroom engine. */
export function createLocalEngine(options: LocalEngineOptions): Engine {
  let segmenter: Promise<Segmenter> | undefined =
    options.segmenter === undefined ? undefined : Promise.resolve(options.segmenter);
  const ownsSegmenter = options.segmenter === undefined;
  const now = options.now ?? (() => new Date());
  const capabilities: EngineCapabilities = {
    id: 'local',
    targets: ['sd15', 'sdxl', 'flux', 'gpt-image', 'midjourney'],
    poseControl: false,
    identityReference: true,
    img2img: true,
    needsReferencePhoto: true,
    maxCount: 64,
    sizes: { min: 64, max: 8192, multipleOf: 1 },
  };
  const check = (signal: AbortSignal | undefined) => throwIfAborted(signal);
  return {
    id: 'local',
    describe: () => capabilities,
    async generate(
      request: GenerationRequest,
      generateOptions: GenerateOptions = {},
    ): Promise<Candidate[]> {
      const { signal, onProgress } = generateOptions;
      check(signal);
      checkCount(request.count, capabilities.maxCount);
      // Nothing remote: no jobs to record or collect, so `resume` refs are refused by kind.
      const run = planRun(request, { ...generateOptions, resume: [] }, 'local', 'comfyui-prompt');
      if ((generateOptions.resume ?? []).length > 0)
        throw new PortraitistError(
          'USAGE',
          'the local engine queues no remote jobs, so there is nothing to resume',
          {
            issues: [
              {
                path: 'resume',
                message: 'expected no remote jobs for `resume` with the local engine',
              },
            ],
          },
        );
      const skipped = request.count - run.indices.length;
      const start = startingRoles
        .map((role) => request.references.find((r) => r.role === role))
        .find((r) => r !== undefined);
      if (start === undefined) {
        throw new PortraitistError(
          'ENGINE_CAPABILITY',
          'the local engine re-directs a real photo: give it a reference photo',
          {
            issues: [
              {
                path: 'references',
                message:
                  'expected a reference photo (identity, style, pose, expression, lighting or palette) for `references` but received none',
              },
            ],
          },
        );
      }
      if (run.indices.length === 0) return [];
      onProgress?.({
        stage: 'reading the reference',
        done: skipped,
        total: request.count,
        fraction: 0,
      });
      const photo = await readImage(start.image, { source: start.source });
      const blueprint = await options.vision.analyze(photo);
      if (blueprint.faceIndex === null) {
        throw new PortraitistError(
          'ENGINE_CAPABILITY',
          `${start.source}: the reference photo shows no face to direct`,
          {
            source: start.source,
            issues: [
              {
                path: 'references',
                message:
                  'expected a reference photo with a face for `references` but received one without',
              },
            ],
          },
        );
      }
      check(signal);
      segmenter ??= createSegmenter();
      const mask: PersonMask = await (await segmenter).segment(photo);
      check(signal);
      const brief = request.brief;
      const film = findEntry(filmStocks as readonly FilmStock[], brief.camera?.film ?? '');
      const vocabularyGrade = findEntry(grades as readonly Grade[], brief.aesthetic?.grade ?? '');
      const lightTarget = relightTarget(brief);
      const candidates: Candidate[] = [];
      const face = blueprint.faces[blueprint.faceIndex] as Blueprint['faces'][number];
      const sourceSharpness = measureEyeSharpness(photo, face.mesh);
      const baseGrade: GradeSettings =
        vocabularyGrade === undefined ? {} : gradeFromVocabulary(vocabularyGrade, film);
      const grainAmount = grainForStock(film, brief.camera?.iso);
      // Spread across the brief's tolerance: the first candidate is the brief as written, the
      // others a Latin hypercube over rig intensity, expression strength, framing and grade.
      const points = design(request.count, request.seed, 4).map((point, k) =>
        k === 0 ? [0.5, 0.5, 0.5, 0.5] : point,
      );
      const thumbnails: Float32Array[] = [];
      // Candidates finished so far (stored ones included), for progress from inside make().
      let doneSoFar = skipped;
      const make = async (k: number, point: readonly number[]) => {
        const [uLight = 0.5, uExpression = 0.5, uFraming = 0.5, uGrade = 0.5] = point;
        const seed = request.seed + k;
        const report = (stage: string, fraction: number) =>
          onProgress?.({ stage, done: doneSoFar, total: request.count, fraction });
        const variation = {
          rigIntensity: Math.round((0.6 + 0.4 * uLight) * 100) / 100,
          expressionStrength: Math.round((0.7 + 0.6 * uExpression) * 100) / 100,
          gradeStrength: Math.round((0.5 + 0.8 * uGrade) * 100) / 100,
          // Framing alternatives of the same shot: loose .. tight in its face-size
          // range.
          framing: Math.round(uFraming * 100) / 100,
        };
        let image: RgbImage = photo;
        const deltas = expressionDeltas(brief, blueprint, variation.expressionStrength);
        if (deltas !== undefined) {
          report('expression', 0.1);
          image = warpExpression(image, blueprint, deltas);
          check(signal);
        }
        if (lightTarget !== undefined) {
          report('light', 0.3);
          image = relight(image, blueprint, mask, lightTarget, {
            triangles: options.vision.runtime.triangulation,
            intensity: variation.rigIntensity,
          });
          check(signal);
        }
        if (brief.camera !== undefined && brief.camera.aperture <= 4) {
          report('lens', 0.5);
          image = lensBlur(image, mask, {
            aperture: brief.camera.aperture,
            focalLength: brief.camera.focalLength,
          });
          check(signal);
        }
        report('grade', 0.7);
        const graded = scaledGrade(baseGrade, variation.gradeStrength);
        // Without a named grade, the grade axis is a gentle contrast spread around none.
        if (vocabularyGrade === undefined) graded.contrast = (variation.gradeStrength - 0.9) * 0.2;
        image = grade(image, graded);
        if (brief.aesthetic?.texture === 'soft-diffusion' || vocabularyGrade?.fade !== undefined)
          image = vignette(image, { amount: 0.15 * variation.gradeStrength });
        check(signal);
        // The crop, planned first so grain can be scaled to the picture actually delivered.
        const plan =
          brief.camera === undefined
            ? { left: 0, top: 0, width: photo.width, height: photo.height }
            : planReframe(blueprint, {
                shot: brief.camera.shot,
                composition: brief.aesthetic?.composition ?? 'rule-of-thirds',
                aspectRatio: brief.camera.aspectRatio,
                lookRoom: 'auto',
                within: variation.framing,
              });
        if (grainAmount > 0) {
          // Grain reads against the delivered frame: a small crop gets finer, lighter grain
          // rather than the full frame's clumps.
          const long = Math.max(plan.width, plan.height);
          image = addGrain(image, {
            amount: grainAmount * Math.sqrt(clamp(long / 1500, 0.3, 1)),
            size: clamp(long / 3000, 0.5, 16),
            seed,
            monochrome: film?.kind === 'black-and-white',
          });
        }
        // The eyes stay as sharp as the source's: a local unsharp mask where the steps above
        // (the warp's resampling, a darker key on the eyes) took detail away.
        for (const amount of [0.4, 0.8, 1.2, 1.8]) {
          if (
            measureEyeSharpness(image, face.mesh) >=
            sourceSharpness * (1 - MAX_EYE_SHARPNESS_DROP / 2)
          )
            break;
          image = sharpenEyes(image, face.mesh, amount);
        }
        check(signal);
        report('framing', 0.9);
        // A crop at native size: never resampled, never larger than the source's pixels.
        image = cropRgb(image, plan);
        return { image, variation, plan, seed };
      };
      for (const [position, k] of run.indices.entries()) {
        const done = skipped + position;
        doneSoFar = done;
        const began = performance.now();
        // A resumed run compares only with the candidates it makes itself.
        let made = await make(k, points[k] as number[]);
        let thumbnail = labThumbnail(made.image);
        // Too close to an earlier candidate: push this one to the far corner of the design.
        for (let attempt = 0; attempt < 2; attempt++) {
          const nearest = Math.min(
            Number.POSITIVE_INFINITY,
            ...thumbnails.map((t) => thumbnailDistance(t, thumbnail)),
          );
          if (nearest >= MIN_CANDIDATE_DISTANCE) break;
          const point = (points[k] as number[]).map((u, axis) =>
            attempt === 0 ? (u < 0.5 ? 0 : 1) : axis % 2 === k % 2 ? 1 - u : u,
          );
          made = await make(k, point);
          thumbnail = labThumbnail(made.image);
        }
        thumbnails.push(thumbnail);
        const { image, variation, plan, seed } = made;
        const png = new Uint8Array(await encodePng(image));
        const candidate: Candidate = {
          image: png,
          seed,
          engine: 'local',
          prompt: request.compiled,
          parameters: {
            ...variation,
            film: film?.id ?? 'none',
            grade: vocabularyGrade?.id ?? 'none',
            // The delivered size, and where it sits in the source: a crop, never upscaled.
            width: image.width,
            height: image.height,
            cropLeft: plan.left,
            cropTop: plan.top,
            sourceWidth: photo.width,
            sourceHeight: photo.height,
          },
          timings: { totalMs: Math.round(performance.now() - began) },
          provenance: {
            brief,
            references: referenceProvenance(request.references),
            createdAt: now().toISOString(),
          },
        };
        candidates.push(candidate);
        await run.deliver(candidate, k);
        check(signal);
        onProgress?.({
          stage: 'candidate done',
          done: done + 1,
          total: request.count,
          fraction: 1,
        });
      }
      return candidates;
    },
    async dispose() {
      if (ownsSegmenter && segmenter !== undefined) await (await segmenter).dispose();
      segmenter = undefined;
    },
  };
}
