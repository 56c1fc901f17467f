import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief } from '../../brief/index.js';
import { createSegmenter, type Segmenter } from '../../darkroom/index.js';
import { createPromptCompiler } from '../../prompt/index.js';
import { engineContract } from '../../contracts/index.js';
import { readFixture } from '../../testing/index.js';
import { createVision, createVisionRuntime, type Vision } from '../../vision/index.js';
import { createLocalEngine, readProvenance, embedProvenance } from '../index.js';
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
});
