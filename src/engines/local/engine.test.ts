import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief } from '../../brief/index.js';
import { createSegmenter, type Segmenter } from '../../darkroom/index.js';
import { createPromptCompiler } from '../../prompt/index.js';
import { engineContract } from '../../contracts/index.js';
import { readFixture } from '../../testing/index.js';
import { readImage } from '../../image/index.js';
import {
  createVision,
  createVisionRuntime,
  measureEyeSharpness,
  type Vision,
} from '../../vision/index.js';
import { createLocalEngine, readProvenance, embedProvenance } from '../index.js';
import {
  labThumbnail,
  MAX_EYE_SHARPNESS_DROP,
  MIN_CANDIDATE_DISTANCE,
  thumbnailDistance,
} from './engine.js';
import type { GenerationRequest } from '../types.js';

let vision: Vision;
let segmenter: Segmenter;
let request: GenerationRequest;
beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
  segmenter = await createSegmenter();
  const brief = validateBrief({
    version: 1,
    title: 'Window portrait',
    subject: { description: 'a woman in her twenties with long dark hair' },
    expression: { name: 'closed-lip-half-smile', intensity: 0.5 },
    light: { rig: 'window', side: 'left' },
    camera: {
      focalLength: 85,
      aperture: 2,
      film: 'portra-400',
      shot: 'headshot',
      aspectRatio: '4:5',
    },
    aesthetic: { grade: 'warm-film', composition: 'rule-of-thirds' },
    authenticity: { imperfections: ['visible-pores'], retouch: 'natural' },
  });
  request = {
    brief,
    compiled: createPromptCompiler().compile(brief, 'sdxl'),
    references: [
      { role: 'identity', image: await readFixture('soft-smile'), source: 'soft-smile.png' },
    ],
    count: 2,
    seed: 42,
  };
}, 120_000);
afterAll(async () => {
  await segmenter.dispose();
  vision.dispose();
});

engineContract(
  'local',
  async () => ({ engine: createLocalEngine({ vision, segmenter }), request }),
  async () => undefined,
  // Every call analyses and segments the photo on the CPU: minutes on a loaded 2-core machine.
  { timeoutMs: 300_000 },
);

describe('local engine', () => {
  it('makes variations within the brief, with provenance that survives in the PNG', async () => {
    const engine = createLocalEngine({ vision, segmenter });
    const candidates = await engine.generate({ ...request, count: 3 });
    const parameters = candidates.map((c) => c.parameters);
    expect(new Set(parameters.map((p) => JSON.stringify(p))).size).toBe(3);
    for (const p of parameters) {
      expect(p['rigIntensity']).toBeGreaterThanOrEqual(0.55);
      expect(p['rigIntensity']).toBeLessThanOrEqual(1);
      expect(p['film']).toBe('portra-400');
    }
    const tagged = embedProvenance(candidates[0] as (typeof candidates)[number]);
    const provenance = readProvenance(tagged);
    expect(provenance?.parameters).toContain('Seed: 42');
    expect(provenance?.parameters).toContain('Negative prompt: ');
    expect(provenance?.portraitist).toMatchObject({
      engine: 'local',
      seed: 42,
      brief: { title: 'Window portrait' },
    });
  });

  it('reframes to the brief: a 4:5 headshot', async () => {
    const engine = createLocalEngine({ vision, segmenter });
    const [candidate] = await engine.generate({ ...request, count: 1 });
    const blueprint = await vision.analyze(candidate?.image ?? new Uint8Array());
    expect(blueprint.composition?.aspectRatio).toBe('4:5');
    expect(blueprint.faces).toHaveLength(1);
  });

  it(`offers real choices: 4 candidates pairwise ≥ ${MIN_CANDIDATE_DISTANCE} ΔE apart, none upscaled, eyes as sharp as the source`, async () => {
    const engine = createLocalEngine({ vision, segmenter });
    const candidates = await engine.generate({ ...request, count: 4, seed: 7 });
    const source = await readImage(request.references[0]?.image ?? new Uint8Array());
    const blueprint = await vision.analyze(source);
    const face = blueprint.faces[blueprint.faceIndex ?? 0];
    if (face === undefined) throw new Error('the fixture lost its face');
    const sourceSharpness = measureEyeSharpness(source, face.mesh);
    const images = await Promise.all(candidates.map((c) => readImage(c.image)));
    const thumbnails = images.map(labThumbnail);
    for (let a = 0; a < images.length; a++)
      for (let b = a + 1; b < images.length; b++)
        expect(
          thumbnailDistance(thumbnails[a] as Float32Array, thumbnails[b] as Float32Array),
          `candidates ${a} and ${b}`,
        ).toBeGreaterThanOrEqual(MIN_CANDIDATE_DISTANCE);
    candidates.forEach((candidate, k) => {
      const image = images[k];
      const p = candidate.parameters;
      if (image === undefined) throw new Error('missing image');
      // Delivered at native size: the stated size is the PNG's and fits inside the source.
      expect(image.width).toBe(p['width']);
      expect(image.height).toBe(p['height']);
      expect(image.width).toBeLessThanOrEqual(source.width);
      expect(image.height).toBeLessThanOrEqual(source.height);
      expect((p['cropLeft'] as number) + image.width).toBeLessThanOrEqual(source.width);
      expect((p['cropTop'] as number) + image.height).toBeLessThanOrEqual(source.height);
      // Eye sharpness on the source's own mesh, moved into the crop.
      const mesh = face.mesh.map(
        ([x, y, z]) => [x - (p['cropLeft'] as number), y - (p['cropTop'] as number), z] as const,
      );
      expect(measureEyeSharpness(image, mesh), `candidate ${k}`).toBeGreaterThanOrEqual(
        sourceSharpness * (1 - MAX_EYE_SHARPNESS_DROP),
      );
    });
    // The spread is across the brief's tolerance, not a jitter.
    const spread = (key: string) => {
      const values = candidates.map((c) => c.parameters[key] as number);
      return Math.max(...values) - Math.min(...values);
    };
    expect(spread('rigIntensity')).toBeGreaterThanOrEqual(0.2);
    expect(spread('expressionStrength')).toBeGreaterThanOrEqual(0.3);
    expect(spread('gradeStrength')).toBeGreaterThanOrEqual(0.4);
    expect(spread('framing')).toBeGreaterThanOrEqual(0.5);
  }, 300_000);
});
