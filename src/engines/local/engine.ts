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
  reframe,
  relight,
  vignette,
  warpExpression,
  type ExpressionDeltas,
  type PersonMask,
  type RelightTarget,
  type Segmenter,
} from '../../darkroom/index.js';
import { PortraitistError } from '../../errors/index.js';
import { encodePng, readImage, type RgbImage } from '../../image/index.js';
import type { Blueprint, Vision } from '../../vision/index.js';
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
      for (const [position, k] of run.indices.entries()) {
        const done = skipped + position;
        const began = performance.now();
        const seed = request.seed + k;
        const next = random(seed);
        const variation = {
          rigIntensity: Math.round((0.55 + 0.45 * next()) * 100) / 100,
          expressionStrength: Math.round((0.6 + 0.6 * next()) * 100) / 100,
          warmth: Math.round((next() - 0.5) * 600),
          contrast: Math.round((next() - 0.5) * 15) / 100,
        };
        const report = (stage: string, fraction: number) =>
          onProgress?.({ stage, done, total: request.count, fraction });
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
        const base =
          vocabularyGrade === undefined ? {} : gradeFromVocabulary(vocabularyGrade, film);
        image = grade(image, {
          ...base,
          contrast: clamp((base.contrast ?? 0) + variation.contrast, -1, 1),
          whiteBalance: {
            temperature: 5500 - variation.warmth,
            ...(base.whiteBalance?.tint === undefined ? {} : { tint: base.whiteBalance.tint }),
          },
          fromTemperature: 5500,
        });
        const grain = grainForStock(film, brief.camera?.iso);
        if (grain > 0)
          image = addGrain(image, {
            amount: grain,
            seed,
            monochrome: film?.kind === 'black-and-white',
          });
        if (brief.aesthetic?.texture === 'soft-diffusion' || vocabularyGrade?.fade !== undefined)
          image = vignette(image, { amount: 0.15 });
        check(signal);
        if (brief.camera !== undefined) {
          report('framing', 0.9);
          image = reframe(image, blueprint, {
            shot: brief.camera.shot,
            composition: brief.aesthetic?.composition ?? 'rule-of-thirds',
            aspectRatio: brief.camera.aspectRatio,
            lookRoom: 'auto',
          });
        }
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
