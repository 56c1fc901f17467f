// The A1111/Forge engine against the in-process fake of backends.md §2: the engine contract on both
// flavours, the exact requests it sends (names, batches, ControlNet wiring), the answers it reads
// (info as a string, grid and maps around the results), both error shapes, and faults with no
// handle left open afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief, type BriefInput } from '../../brief/index.js';
import { engineContract, rejection } from '../../contracts/index.js';
import { readImage } from '../../image/index.js';
import { createPromptCompiler, type CompiledPrompt } from '../../prompt/index.js';
import {
  createFakeRenderer,
  leakedResources,
  readFixture,
  resourceCounts,
  startFakeA1111,
  type FakeA1111,
  type FakeA1111Options,
  type FakeA1111Request,
} from '../../testing/index.js';
import { createVision, createVisionRuntime, type Vision } from '../../vision/index.js';
import { createA1111Engine, poseSkeletonFromVision, type A1111EngineOptions } from '../index.js';
import type {
  Engine,
  EngineProgress,
  GenerationRequest,
  ReferenceImage,
  RemoteJobRef,
} from '../types.js';

const compiler = createPromptCompiler();
const renderer = createFakeRenderer();

const baseBrief: BriefInput = {
  version: 1,
  title: 'Window portrait',
  subject: { description: 'a woman in her thirties with short dark hair' },
  expression: { name: 'closed-lip-half-smile', intensity: 0.5 },
  light: { rig: 'window', side: 'left' },
  camera: { focalLength: 85, aperture: 2, shot: 'headshot', aspectRatio: '4:5' },
  authenticity: { imperfections: ['visible-pores'], retouch: 'natural' },
  output: { target: 'sdxl', width: 64, height: 80, steps: 4 },
};

/** A small request for the target, with the brief's references and their photos. */
function requestFor(
  target: 'sd15' | 'sdxl' | 'flux' = 'sdxl',
  more: Partial<BriefInput> = {},
  references: ReferenceImage[] = [],
): GenerationRequest {
  const brief = validateBrief({
    ...baseBrief,
    ...more,
    output: { ...baseBrief.output, target },
  });
  return { brief, compiled: compiler.compile(brief, target), references, count: 1, seed: 42 };
}

/** The same request with some compiled parameters changed (as another compiler might write them). */
function withParams(
  request: GenerationRequest,
  params: Partial<CompiledPrompt['params']>,
  controls?: CompiledPrompt['controls'],
): GenerationRequest {
  const compiled: CompiledPrompt = {
    ...request.compiled,
    params: { ...request.compiled.params, ...params },
    ...(controls === undefined ? {} : { controls }),
  };
  return { ...request, compiled };
}

const posts = (fake: FakeA1111, path = '/sdapi/v1/txt2img'): FakeA1111Request[] =>
  fake.requests.filter((r) => r.method === 'POST' && r.path === path);

const body = (request: FakeA1111Request | undefined): Record<string, unknown> =>
  (request?.json ?? {}) as Record<string, unknown>;

/** A fake and an engine on it, fast: tiny backoff and polling. */
async function rig(
  fakeOptions: FakeA1111Options = {},
  engineOptions: Partial<A1111EngineOptions> = {},
): Promise<{ fake: FakeA1111; engine: Engine }> {
  const fake = await startFakeA1111(fakeOptions);
  const engine = createA1111Engine({ url: fake.url, backoffMs: 1, pollMs: 2, ...engineOptions });
  return { fake, engine };
}

// A stand-in skeleton for tests that are about wiring, not drawing: a real PNG of the asked size.
const stubSkeleton: A1111EngineOptions['poseSkeleton'] = (_reference, size) =>
  renderer.render(7, size.width, size.height);

let poseReference: ReferenceImage;
beforeAll(async () => {
  poseReference = {
    role: 'pose',
    image: await readFixture('laughing'),
    source: 'poses/laughing.png',
  };
});

const poseBrief: Partial<BriefInput> = {
  references: [{ image: 'poses/laughing.png', role: 'pose', weight: 0.8 }],
};

// --- the shared contract, on both flavours ------------------------------------------------------

const fakes = new WeakMap<Engine, FakeA1111>();
const contractTeardown = async ({ engine }: { engine: Engine }) => {
  await engine.dispose();
  await fakes.get(engine)?.close();
};

engineContract(
  'a1111 (fake A1111)',
  async () => {
    const { fake, engine } = await rig();
    fakes.set(engine, fake);
    return {
      engine,
      request: requestFor('sdxl'),
      remote: { jobs: () => fake.generationCount(), collects: false },
    };
  },
  contractTeardown,
);

engineContract(
  'a1111 (fake Forge, webp samples, grid returned)',
  async () => {
    const { fake, engine } = await rig({ flavour: 'forge', format: 'webp', returnGrid: true });
    fakes.set(engine, fake);
    return {
      engine,
      request: requestFor('sd15'),
      remote: { jobs: () => fake.generationCount(), collects: false },
    };
  },
  contractTeardown,
);

// --- what it sends ------------------------------------------------------------------------------

describe('a1111 engine: requests', () => {
  it('sends A1111 names, fixed seeds and batches, and learns the server once', async () => {
    const { fake, engine } = await rig({}, { maxBatch: 2 });
    try {
      const request = requestFor('sdxl');
      const candidates = await engine.generate({ ...request, count: 5 });
      await engine.generate(request);

      expect(candidates.map((c) => c.seed)).toEqual([42, 43, 44, 45, 46]);
      const sent = posts(fake).map(body);
      expect(sent.map((b) => [b['seed'], b['batch_size']])).toEqual([
        [42, 2],
        [44, 2],
        [46, 1],
        [42, 1],
      ]);
      expect(sent[0]).toEqual({
        prompt: request.compiled.positive,
        negative_prompt: request.compiled.negative,
        width: 64,
        height: 80,
        steps: 4,
        cfg_scale: request.compiled.params.guidance,
        sampler_name: 'DPM++ 2M',
        scheduler: 'karras',
        seed: 42,
        batch_size: 2,
        n_iter: 1,
        send_images: true,
        save_images: false,
        // Our own task id per request (§2.1), recorded before the request is sent.
        force_task_id: expect.stringMatching(/^task\(.+\)$/),
      });
      expect(new Set(sent.map((b) => b['force_task_id'])).size).toBe(sent.length);
      // Lists are read once per engine, not once per generation.
      expect(fake.requests.filter((r) => r.path === '/sdapi/v1/samplers')).toHaveLength(1);
      expect(fake.requests.filter((r) => r.path === '/sdapi/v1/schedulers')).toHaveLength(1);

      const first = candidates[0];
      expect(first?.parameters).toMatchObject({
        sampler: 'DPM++ 2M',
        scheduler: 'karras',
        steps: 4,
        width: 64,
        height: 80,
        model: 'realisticVisionV60B1_v51VAE',
        modelHash: '15012c538f',
        version: 'v1.10.1',
      });
      // What the fake rendered for seed 43 is what the second candidate holds.
      expect(
        Buffer.from(candidates[1]?.image ?? []).equals(
          Buffer.from(await renderer.render(43, 64, 80)),
        ),
      ).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('uses the "Name Scheduler" form on builds before /sdapi/v1/schedulers', async () => {
    const { fake, engine } = await rig({ legacy: true });
    try {
      const [candidate] = await engine.generate(requestFor('sdxl'));
      const sent = body(posts(fake)[0]);
      expect(sent['sampler_name']).toBe('DPM++ 2M Karras');
      expect(sent).not.toHaveProperty('scheduler');
      expect(candidate?.parameters['sampler']).toBe('DPM++ 2M Karras');

      const error = await rejection(
        engine.generate(withParams(requestFor('sdxl'), { scheduler: 'simple' })),
      );
      expect(error.code).toBe('ENGINE_CAPABILITY');
      expect(error.issues.map((i) => i.path)).toEqual(['scheduler']);
      expect(error.issues[0]?.message).toContain('"DPM++ 2M Simple"');
      expect(posts(fake)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('refuses a sampler the server lacks before generating, since the server would silently use Euler', async () => {
    const { fake, engine } = await rig({ samplers: ['Euler', 'Euler a'] });
    try {
      const error = await rejection(engine.generate(requestFor('sdxl')));
      expect(error.code).toBe('ENGINE_CAPABILITY');
      expect(error.issues[0]?.path).toBe('sampler');
      expect(error.issues[0]?.message).toContain('"Euler", "Euler a"');
      expect(error.issues[0]?.message).toContain('"DPM++ 2M" (our dpmpp_2m)');
      expect(posts(fake)).toHaveLength(0);

      // The trap the check avoids: the server answers 200 and renders with another sampler.
      const answer = await fetch(`${fake.url}/sdapi/v1/txt2img`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sampler_name: 'DPM++ 2M', width: 64, height: 64, steps: 2 }),
      });
      const json = (await answer.json()) as { info: string };
      expect(answer.status).toBe(200);
      expect((JSON.parse(json.info) as { sampler_name: string }).sampler_name).toBe('Euler');

      const scheduler = await rejection(
        engine.generate(withParams(requestFor('sdxl'), { sampler: 'euler', scheduler: 'wobbly' })),
      );
      expect(scheduler.issues.map((i) => i.path)).toEqual(['scheduler']);
    } finally {
      await fake.close();
    }
  });

  it('fails a run whose answer says another sampler was used', async () => {
    const fake = await startFakeA1111();
    // A server that lists a sampler yet falls back anyway: rewrite what it reports.
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/txt2img')) return response;
      const answer = (await response.json()) as { info: string; images: string[] };
      const info = { ...(JSON.parse(answer.info) as object), sampler_name: 'Euler' };
      return Response.json({ ...answer, info: JSON.stringify(info) });
    };
    try {
      const engine = createA1111Engine({ url: fake.url, fetch: tampering });
      const error = await rejection(engine.generate(requestFor('sdxl')));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.issues[0]?.path).toBe('info.sampler_name');
    } finally {
      await fake.close();
    }
  });

  it('selects a listed checkpoint through override_settings and refuses an unknown one', async () => {
    const title = 'juggernautXL_v9Rundiffusionphoto2.safetensors [c9e3e68f89]';
    const { fake, engine } = await rig({}, { checkpoint: title });
    try {
      const [candidate] = await engine.generate(requestFor('sd15'));
      // sd15 compiles with clip skip 1, which A1111 takes as a setting.
      expect(body(posts(fake)[0])['override_settings']).toEqual({
        sd_model_checkpoint: title,
        CLIP_stop_at_last_layers: 1,
      });
      expect(candidate?.parameters).toMatchObject({
        checkpoint: title,
        model: 'juggernautXL_v9Rundiffusionphoto2',
      });

      const wrong = createA1111Engine({ url: fake.url, checkpoint: 'sdxl_base.safetensors' });
      const error = await rejection(wrong.generate(requestFor('sdxl')));
      expect(error.code).toBe('ENGINE_CAPABILITY');
      expect(error.issues[0]?.path).toBe('checkpoint');
      expect(error.issues[0]?.message).toContain(title);
      expect(posts(fake)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('refuses what it cannot honour before asking the server anything', async () => {
    const { fake, engine } = await rig();
    try {
      expect(engine.describe()).toMatchObject({
        identityReference: false,
        img2img: false,
        poseControl: true,
      });

      const identity = requestFor(
        'sdxl',
        { references: [{ image: 'me.png', role: 'identity', weight: 1 }] },
        [{ role: 'identity', image: await readFixture('soft-smile'), source: 'me.png' }],
      );
      const refused = await rejection(engine.generate(identity));
      expect(refused.code).toBe('ENGINE_CAPABILITY');
      expect(refused.issues[0]?.path).toBe('controls[0]');
      expect(refused.issues[0]?.message).toContain('ip-adapter-faceid');

      const flux = await rejection(engine.generate(requestFor('flux')));
      expect(flux.code).toBe('ENGINE_CAPABILITY');
      expect(flux.issues[0]?.path).toBe('target');

      const offGrid = await rejection(
        engine.generate(withParams(requestFor('sdxl'), { height: 100 })),
      );
      expect(offGrid.code).toBe('USAGE');
      expect(offGrid.issues[0]?.path).toBe('params.height');

      const seed = await rejection(engine.generate({ ...requestFor('sdxl'), seed: -1 }));
      expect(seed.issues[0]?.path).toBe('seed');
      expect(fake.requests).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });

  it('reports sampling progress polled from /sdapi/v1/progress', async () => {
    const { fake, engine } = await rig({ advanceOnPoll: true });
    try {
      const progress: EngineProgress[] = [];
      await engine.generate(
        { ...requestFor('sdxl'), count: 2 },
        { onProgress: (p) => progress.push(p) },
      );
      const fractions = progress.filter((p) => p.done === 0).map((p) => p.fraction);
      // Steps 1..3 of 4 are seen for sure; the 4th poll's answer may race the generation's.
      expect(fractions).toEqual(expect.arrayContaining([0.25, 0.5, 0.75]));
      expect(progress.at(-1)).toMatchObject({ done: 2, total: 2 });
      const polls = fake.requests.filter((r) => r.path === '/sdapi/v1/progress');
      expect(polls.length).toBeGreaterThanOrEqual(4);
      expect(polls[0]?.query).toEqual({ skip_current_image: 'true' });
    } finally {
      await fake.close();
    }
  });

  it('sends Basic auth from the URL and reports a refusal', async () => {
    const fake = await startFakeA1111({ auth: { username: 'ann', password: 's3cret' } });
    try {
      const url = new URL(fake.url);
      url.username = 'ann';
      url.password = 's3cret';
      const engine = createA1111Engine({ url: url.href });
      expect(await engine.generate(requestFor('sdxl'))).toHaveLength(1);

      url.password = 'wrong';
      const error = await rejection(
        createA1111Engine({ url: url.href }).generate(requestFor('sdxl')),
      );
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).toContain('401');
      expect(error.message).toContain('HTTPException: Incorrect username or password');
      expect(error.message).not.toContain('wrong');

      const anonymous = await rejection(
        createA1111Engine({ url: fake.url }).generate(requestFor('sdxl')),
      );
      expect(anonymous.message).toContain('Not authenticated');
    } finally {
      await fake.close();
    }
  });
});

// --- pose through ControlNet --------------------------------------------------------------------

describe('a1111 engine: pose ControlNet', () => {
  let vision: Vision;
  beforeAll(async () => {
    vision = createVision(await createVisionRuntime());
  }, 120_000);
  afterAll(() => vision.dispose());

  it('sends an enabled unit with the OpenPose skeleton vision drew, as base64 at the output size', async () => {
    const { fake, engine } = await rig({}, { vision });
    try {
      const request = requestFor('sd15', poseBrief, [poseReference]);
      const [candidate] = await engine.generate(request);
      const sent = body(posts(fake)[0]);
      const scripts = sent['alwayson_scripts'] as {
        controlnet: { args: Array<Record<string, unknown>> };
      };
      const unit = scripts.controlnet.args[0] ?? {};
      expect(scripts.controlnet.args).toHaveLength(1);
      expect(unit).toEqual({
        enabled: true,
        module: 'none',
        model: 'control_v11p_sd15_openpose [cab727d4]',
        image: expect.any(String),
        weight: 0.8,
        resize_mode: 'Crop and Resize',
        guidance_start: 0,
        guidance_end: 1,
        pixel_perfect: false,
        control_mode: 'Balanced',
        save_detected_map: false,
      });
      const skeleton = Buffer.from(String(unit['image']), 'base64');
      const drawn = await poseSkeletonFromVision(vision)(poseReference, { width: 64, height: 80 });
      expect(skeleton.equals(Buffer.from(drawn))).toBe(true);
      expect(await readImage(skeleton, { source: 'skeleton' })).toMatchObject({
        format: 'png',
        width: 64,
        height: 80,
      });

      // The server applied it (Mikubill ignores a unit unless enabled is true).
      expect(fake.applied[0]).toEqual([
        expect.objectContaining({
          module: 'none',
          model: 'control_v11p_sd15_openpose [cab727d4]',
          weight: 0.8,
        }),
      ]);
      expect(candidate?.parameters).toMatchObject({
        controlnet: 'control_v11p_sd15_openpose [cab727d4]',
        controlnetModule: 'none',
        controlnetWeight: 0.8,
      });

      const [xl] = await engine.generate(requestFor('sdxl', poseBrief, [poseReference]));
      expect(xl?.parameters['controlnet']).toBe('thibaud_xl_openpose [c7b9cadd]');
    } finally {
      await fake.close();
    }
  });

  it('on Forge: sends the "None" preprocessor and slices results out from between the grid and the maps', async () => {
    const { fake, engine } = await rig({ flavour: 'forge', returnGrid: true }, { vision });
    try {
      const candidates = await engine.generate({
        ...requestFor('sd15', poseBrief, [poseReference]),
        count: 2,
      });
      const unit = (
        body(posts(fake)[0])['alwayson_scripts'] as {
          controlnet: { args: Array<Record<string, unknown>> };
        }
      ).controlnet.args[0];
      expect(unit?.['module']).toBe('None');
      expect(fake.applied[0]).toHaveLength(1);
      for (const [k, candidate] of candidates.entries())
        expect(
          Buffer.from(candidate.image).equals(Buffer.from(await renderer.render(42 + k, 64, 80))),
        ).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('a Mikubill unit without enabled:true does nothing, which is why the engine always sends it', async () => {
    const fake = await startFakeA1111();
    try {
      const image = Buffer.from(await renderer.render(1, 64, 64)).toString('base64');
      const answer = await fetch(`${fake.url}/sdapi/v1/txt2img`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          steps: 2,
          width: 64,
          height: 64,
          alwayson_scripts: {
            controlnet: {
              args: [{ module: 'none', model: 'control_v11p_sd15_openpose [cab727d4]', image }],
            },
          },
        }),
      });
      expect(answer.status).toBe(200);
      expect(fake.applied).toEqual([[]]);
    } finally {
      await fake.close();
    }
  });

  it('refuses pose control when the server has no ControlNet or no OpenPose model, before generating', async () => {
    const cases: Array<[FakeA1111Options, Partial<A1111EngineOptions>, string]> = [
      [{ controlnet: false }, {}, 'controlnet'],
      [{ controlnetModels: ['control_v11p_sd15_canny [d14c016b]'] }, {}, 'controlnet'],
      [{}, { controlnetModel: 'control_sd15_openpose.pth' }, 'controlnetModel'],
    ];
    for (const [fakeOptions, engineOptions, path] of cases) {
      const { fake, engine } = await rig(fakeOptions, {
        poseSkeleton: stubSkeleton,
        ...engineOptions,
      });
      try {
        const error = await rejection(
          engine.generate(requestFor('sd15', poseBrief, [poseReference])),
        );
        expect(error.code).toBe('ENGINE_CAPABILITY');
        expect(error.issues.map((i) => i.path)).toEqual([path]);
        expect(posts(fake)).toHaveLength(0);
      } finally {
        await fake.close();
      }
    }
  });

  it('turns a FastAPI 422 into ENGINE_REJECTED naming the field', async () => {
    const { fake, engine } = await rig({}, { poseSkeleton: stubSkeleton });
    try {
      const request = requestFor('sd15', poseBrief, [poseReference]);
      const pose = request.compiled.controls[0];
      if (pose === undefined) throw new Error('the pose brief compiled without a control');
      // Mikubill checks weight within 0..2; a hand-made request can exceed what the brief allows.
      const error = await rejection(
        engine.generate(withParams(request, {}, [{ ...pose, weight: 3 }])),
      );
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.issues[0]?.path).toBe('alwayson_scripts.controlnet.args[0].weight');
      expect(error.message).toContain('422');
    } finally {
      await fake.close();
    }
  });
});

// --- faults -------------------------------------------------------------------------------------

describe('a1111 engine: faults leave no handle open', () => {
  it('server down at start: ENGINE_UNREACHABLE', async () => {
    const before = resourceCounts();
    const fake = await startFakeA1111();
    await fake.close();
    const engine = createA1111Engine({ url: fake.url, retries: 1, backoffMs: 1 });
    const error = await rejection(engine.generate(requestFor('sdxl')));
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(await leakedResources(before)).toEqual([]);
  });

  it('a connection dropped mid-run is retried (the same seed gives the same images), and gives up after the retries', async () => {
    const before = resourceCounts();
    const { fake, engine } = await rig({}, { retries: 2 });
    try {
      fake.failNext('drop');
      const [candidate] = await engine.generate(requestFor('sdxl'));
      expect(candidate?.seed).toBe(42);
      const [dropped, retried] = posts(fake);
      expect(retried?.json).toEqual(dropped?.json);

      fake.failNext('drop', Infinity);
      const error = await rejection(engine.generate(requestFor('sdxl')));
      expect(error.code).toBe('ENGINE_UNREACHABLE');
      expect(posts(fake)).toHaveLength(2 + 3);
    } finally {
      await fake.close();
    }
    expect(await leakedResources(before)).toEqual([]);
  });

  it.each([
    ['oom', 'ENGINE_FAILED', 'OutOfMemoryError: CUDA out of memory'],
    ['validation', 'ENGINE_REJECTED', 'value is not a valid integer'],
    ['malformed-json', 'ENGINE_FAILED', 'malformed JSON'],
    ['bad-info', 'ENGINE_FAILED', '`info` that is not JSON'],
    ['not-image', 'ENGINE_FAILED', 'not a usable image'],
  ] as const)('%s: %s', async (fault, code, words) => {
    const before = resourceCounts();
    const { fake, engine } = await rig({ format: 'jpeg' });
    try {
      fake.failNext(fault);
      const error = await rejection(engine.generate(requestFor('sdxl')));
      expect(error.code).toBe(code);
      expect(error.message).toContain(words);
      if (fault === 'validation')
        expect(error.issues).toEqual([expect.objectContaining({ path: 'steps' })]);
      if (fault === 'bad-info') expect(error.issues[0]?.path).toBe('info');
      // One try only: a server's answer, even a bad one, is not a connection error.
      expect(posts(fake)).toHaveLength(1);
    } finally {
      await fake.close();
    }
    expect(await leakedResources(before)).toEqual([]);
  });

  it('a server that never answers: ENGINE_TIMEOUT, and the job is interrupted', async () => {
    const before = resourceCounts();
    const { fake, engine } = await rig({}, { timeoutMs: 300 });
    try {
      fake.failNext('hang');
      const error = await rejection(engine.generate(requestFor('sdxl')));
      expect(error.code).toBe('ENGINE_TIMEOUT');
      expect(error.message).toContain('POST /sdapi/v1/txt2img');
      expect(posts(fake, '/sdapi/v1/interrupt')).toHaveLength(1);
    } finally {
      await fake.close();
    }
    expect(await leakedResources(before)).toEqual([]);
  });

  it('cancellation mid-run: ABORTED, and the server is told to interrupt', async () => {
    const before = resourceCounts();
    const { fake, engine } = await rig({ advanceOnPoll: true });
    try {
      const controller = new AbortController();
      let after = 0;
      const error = await rejection(
        engine.generate(withParams(requestFor('sdxl'), { steps: 50 }), {
          signal: controller.signal,
          onProgress: (p) => {
            if (controller.signal.aborted) after++;
            else if ((p.fraction ?? 0) > 0) controller.abort();
          },
        }),
      );
      expect(error.code).toBe('ABORTED');
      expect(after).toBe(0);
      expect(posts(fake, '/sdapi/v1/interrupt')).toHaveLength(1);
      expect(posts(fake)).toHaveLength(1);
    } finally {
      await fake.close();
    }
    expect(await leakedResources(before)).toEqual([]);
  });
});

describe('a1111 engine: resumable runs and a server that goes quiet', () => {
  it('records one force_task_id per batch before sending it; batches skip stored indices', async () => {
    const { fake, engine } = await rig({}, { maxBatch: 2 });
    try {
      const jobs: Array<RemoteJobRef & { sentBefore: number }> = [];
      const candidates = await engine.generate(
        { ...requestFor('sdxl'), count: 5 },
        {
          skipIndices: new Set([2]),
          onRemoteJob: (job) => void jobs.push({ ...job, sentBefore: posts(fake).length }),
        },
      );
      expect(candidates.map((c) => c.seed)).toEqual([42, 43, 45, 46]);
      // Runs of consecutive indices, at most maxBatch each: [0,1], [3,4].
      expect(posts(fake).map((p) => [body(p)['seed'], body(p)['batch_size']])).toEqual([
        [42, 2],
        [45, 2],
      ]);
      expect(jobs.map((j) => [j.index, j.kind, j.sentBefore])).toEqual([
        [0, 'a1111-task', 0],
        [1, 'a1111-task', 0],
        [3, 'a1111-task', 1],
        [4, 'a1111-task', 1],
      ]);
      expect(fake.taskIds).toEqual([jobs[0]?.id, jobs[2]?.id]);
      expect(candidates.map((c) => c.parameters['taskId'])).toEqual(jobs.map((j) => j.id));
    } finally {
      await fake.close();
    }
  });

  it('sends a resumed batch again under a new task id (A1111 keeps no result to collect)', async () => {
    const { fake, engine } = await rig();
    try {
      const old: RemoteJobRef = { index: 0, engine: 'a1111', kind: 'a1111-task', id: 'task(old)' };
      const again: RemoteJobRef[] = [];
      const [candidate] = await engine.generate(requestFor('sdxl'), {
        resume: [old],
        onRemoteJob: (job) => void again.push(job),
      });
      expect(candidate?.seed).toBe(42);
      expect(fake.generationCount()).toBe(1);
      expect(again).toHaveLength(1);
      expect(again[0]?.id).not.toBe('task(old)');
    } finally {
      await fake.close();
    }
  });

  it('stops waiting on a silent server after idleTimeoutMs, interrupts it, and leaves nothing open', async () => {
    const before = resourceCounts();
    const { fake, engine } = await rig({}, { idleTimeoutMs: 150, pollMs: 10 });
    fake.failNext('hang');
    const error = await rejection(engine.generate(requestFor('sdxl')));
    expect(error.code).toBe('ENGINE_TIMEOUT');
    expect(error.message).toContain('no progress');
    expect(error.message).toContain('150 ms (idleTimeoutMs)');
    expect(posts(fake, '/sdapi/v1/interrupt')).toHaveLength(1);
    await fake.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('keeps waiting while the job moves: a slow job is not idle', async () => {
    // Each poll moves the job one step; 30 steps at 10 ms polls outlast the 100 ms idle bound.
    const { fake, engine } = await rig({ advanceOnPoll: true }, { idleTimeoutMs: 100, pollMs: 10 });
    try {
      const request = requestFor('sdxl');
      const [candidate] = await engine.generate({
        ...request,
        compiled: { ...request.compiled, params: { ...request.compiled.params, steps: 30 } },
      });
      expect(candidate?.seed).toBe(42);
    } finally {
      await fake.close();
    }
  });

  it('cuts off an answer that trickles in (slowloris) after bodyTimeoutMs', async () => {
    const before = resourceCounts();
    const { fake, engine } = await rig({}, { bodyTimeoutMs: 200, retries: 0 });
    fake.failNext('trickle');
    const error = await rejection(engine.generate(requestFor('sdxl')));
    expect(error.code).toBe('ENGINE_TIMEOUT');
    expect(error.message).toContain('200 ms of starting it (bodyTimeoutMs)');
    await fake.close();
    expect(await leakedResources(before)).toEqual([]);
  });
});
