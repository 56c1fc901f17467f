import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief, type BriefInput, type Target } from '../../brief/index.js';
import { engineContract, rejection } from '../../contracts/index.js';
import { createPromptCompiler, type CompiledPrompt } from '../../prompt/index.js';
import {
  closedPort,
  createFakeRenderer,
  leakedResources,
  readFixture,
  resourceCounts,
  startFakeComfy,
  type FakeComfy,
  type FakeComfyOptions,
} from '../../testing/index.js';
import {
  engineProgressSchema,
  type EngineProgress,
  type GenerationRequest,
  type RemoteJobRef,
} from '../types.js';
import { describeComfyError, parseBinaryEvent, parseTextEvent } from './client.js';
import { createComfyEngine, type ComfyEngineOptions } from './engine.js';

const compiler = createPromptCompiler();
let identityPhoto: Uint8Array;
beforeAll(async () => {
  identityPhoto = await readFixture('soft-smile');
});

function compile(extra: Partial<BriefInput> = {}, target: Target = 'sdxl'): CompiledPrompt {
  const compiled = compiler.compile(
    validateBrief({
      version: 1,
      title: 'Window portrait',
      subject: { description: 'a woman in her twenties with long dark hair' },
      expression: { name: 'closed-lip-half-smile', intensity: 0.5 },
      light: { rig: 'window', side: 'left' },
      camera: { focalLength: 85, shot: 'headshot', aspectRatio: '4:5' },
      ...extra,
    }),
    target,
  );
  // Small images keep the fake fast; the graph takes whatever size the prompt says.
  return { ...compiled, params: { ...compiled.params, width: 256, height: 320, steps: 6 } };
}

function requestFor(
  compiled: CompiledPrompt,
  extra: Partial<GenerationRequest> = {},
): GenerationRequest {
  return {
    brief: validateBrief({ version: 1, subject: { description: 'a woman' } }),
    compiled,
    references: [],
    count: 1,
    seed: 1234,
    ...extra,
  };
}

const fakes: FakeComfy[] = [];
async function fake(options: FakeComfyOptions = {}): Promise<FakeComfy> {
  const server = await startFakeComfy(options);
  fakes.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

const fast: Partial<ComfyEngineOptions> = { pollMs: 20, backoffMs: 5, retries: 2 };
const engineFor = (server: FakeComfy, extra: Partial<ComfyEngineOptions> = {}) =>
  createComfyEngine({ url: server.url, ...fast, ...extra });

engineContract('comfyui (fake ComfyUI)', async () => {
  const server = await fake();
  return {
    engine: engineFor(server),
    request: requestFor(compile(), { count: 2 }),
    remote: { jobs: () => server.queuedCount(), collects: true },
  };
});

describe('comfyui engine: what it sends', () => {
  it('connects the WebSocket before queueing, one prompt per candidate with our ids and seeds', async () => {
    const server = await fake();
    const compiled = compile();
    const candidates = await engineFor(server).generate(requestFor(compiled, { count: 3 }));
    expect(candidates.map((c) => c.seed)).toEqual([1234, 1235, 1236]);
    const order = server.requests.map((r) => `${r.method} ${r.path}`);
    const ws = order.indexOf('WS /ws');
    expect(ws).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('POST /prompt')).toBeGreaterThan(ws);
    const clientId = (server.requests[ws]?.body as { clientId: string }).clientId;
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    const posts = server.requests.filter((r) => r.path === '/prompt' && r.method === 'POST');
    expect(posts).toHaveLength(3);
    for (const [k, post] of posts.entries()) {
      const body = post.body as {
        client_id: string;
        prompt_id: string;
        prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
      };
      expect(body.client_id).toBe(clientId);
      expect(candidates[k]?.parameters['promptId']).toBe(body.prompt_id);
      const sampler = Object.values(body.prompt).find((n) => n.class_type === 'KSampler');
      expect(sampler?.inputs).toMatchObject({
        seed: 1234 + k,
        steps: 6,
        sampler_name: 'dpmpp_2m',
        scheduler: 'karras',
        cfg: compiled.params.guidance,
      });
      const save = Object.values(body.prompt).find((n) => n.class_type === 'SaveImage');
      expect(save?.inputs['filename_prefix']).toMatch(/^portraitist\/[0-9a-f]{16}\/c\d$/);
    }
    // Our prompts are not left readable in the server's shared history (§1.11).
    expect(server.history.size).toBe(0);
    for (const candidate of candidates) {
      const meta = await sharp(Buffer.from(candidate.image)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 256, 320]);
      expect(candidate.parameters['checkpoint']).toBe('sd_xl_base_1.0.safetensors');
    }
  });

  it('picks a checkpoint of the target family, and builds Flux graphs where the server has FluxGuidance', async () => {
    const server = await fake();
    const [sd15] = await engineFor(server).generate(requestFor(compile({}, 'sd15')));
    expect(sd15?.parameters['checkpoint']).toBe('v1-5-pruned-emaonly.safetensors');
    const flux = compile({}, 'flux');
    const [candidate] = await engineFor(server).generate(requestFor(flux));
    expect(candidate?.parameters['checkpoint']).toBe('flux1-dev-fp8.safetensors');
    const graph = [...server.prompts.values()].at(-1) ?? {};
    const classes = Object.values(graph).map((n) => n.class_type);
    expect(classes).toContain('FluxGuidance');
    expect(classes).toContain('EmptySD3LatentImage');
    expect(Object.values(graph).find((n) => n.class_type === 'KSampler')?.inputs['cfg']).toBe(1);
  });

  it('names the checkpoints the server has, by family, and the --target that would use them', async () => {
    const server = await fake({
      checkpoints: ['juggernautXL_v9.safetensors', 'ponyDiffusion.safetensors'],
    });
    const error = await engineFor(server)
      .generate(requestFor(compile({}, 'flux')))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENGINE_CAPABILITY' });
    const message = (error as Error).message;
    expect(message).toContain('no flux checkpoint on the ComfyUI server');
    expect(message).toContain('--target sdxl');
    expect(message).not.toContain('--target sd15');
    const issue = (error as { issues: { path: string; message: string }[] }).issues[0];
    expect(issue?.path).toBe('checkpoint');
    expect(issue?.message).toContain('juggernautXL_v9.safetensors (sdxl)');
  });

  it('uploads the pose skeleton under a random job folder and wires it through the ControlNet', async () => {
    const server = await fake();
    const skeletonSizes: string[] = [];
    const renderer = createFakeRenderer();
    const engine = engineFor(server, {
      poseSkeleton: async (reference, size) => {
        skeletonSizes.push(`${reference.source} ${size.width}x${size.height}`);
        return renderer.render(99, size.width, size.height);
      },
    });
    const compiled = compile({ references: [{ image: 'pose.jpg', role: 'pose', weight: 0.7 }] });
    const [candidate] = await engine.generate(
      requestFor(compiled, {
        references: [{ role: 'pose', image: identityPhoto, source: 'pose.jpg' }],
      }),
    );
    expect(skeletonSizes).toEqual(['pose.jpg 256x320']);
    expect(candidate?.parameters['poseControl']).toBe(true);
    const [uploaded] = [...server.uploads.keys()];
    expect(uploaded).toMatch(/^portraitist\/[0-9a-f]{16}\/[0-9a-f-]{36}\.png$/);
    const graph = [...server.prompts.values()][0] ?? {};
    const load = Object.values(graph).find((n) => n.class_type === 'LoadImage');
    expect(load?.inputs['image']).toBe(uploaded);
    const apply = Object.values(graph).find((n) => n.class_type === 'ControlNetApplyAdvanced');
    expect(apply?.inputs['strength']).toBe(0.7);
    // Without vision or a skeleton source the pose is refused up front, not dropped.
    const error = await rejection(
      engineFor(server).generate(
        requestFor(compiled, {
          references: [{ role: 'pose', image: identityPhoto, source: 'pose.jpg' }],
        }),
      ),
    );
    expect(error.code).toBe('ENGINE_CAPABILITY');
    expect(error.issues[0]?.path).toBe('vision');
  });

  it("runs an artist's template with the brief bound in, and reports node, steps and previews", async () => {
    const server = await fake({ previews: true });
    const template = JSON.parse(
      readFileSync(new URL('../../../examples/comfyui/invert.json', import.meta.url), 'utf8'),
    ) as unknown;
    const engine = engineFor(server, { template });
    expect(engine.describe()).toMatchObject({
      img2img: true,
      identityReference: true,
      needsReferencePhoto: true,
    });
    const progress: EngineProgress[] = [];
    const [candidate] = await engine.generate(
      requestFor(compile(), {
        references: [{ role: 'identity', image: identityPhoto, source: 'me.png' }],
      }),
      { onProgress: (p) => progress.push(p) },
    );
    // LoadImage → ImageInvert → SaveImage really ran on the uploaded photo.
    const [ours, expected] = await Promise.all([
      sharp(Buffer.from(candidate?.image ?? []))
        .removeAlpha()
        .raw()
        .toBuffer(),
      sharp(Buffer.from(identityPhoto)).negate({ alpha: false }).removeAlpha().raw().toBuffer(),
    ]);
    expect(ours.equals(expected)).toBe(true);
    expect(candidate?.parameters['workflow']).toBe('template');
    expect(progress.map((p) => p.node).filter(Boolean)).toEqual(
      expect.arrayContaining(['Load the reference', 'Invert', 'Save']),
    );

    const sampled: EngineProgress[] = [];
    await engineFor(server).generate(requestFor(compile()), { onProgress: (p) => sampled.push(p) });
    const steps = sampled.filter((p) => p.step !== undefined);
    expect(steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps.every((p) => p.steps === 6 && p.node === 'KSampler')).toBe(true);
    const previews = sampled.filter((p) => p.preview !== undefined);
    expect(previews).toHaveLength(2);
    expect(previews[0]?.preview?.format).toBe('jpeg');
    const preview = Buffer.from(previews[1]?.preview?.base64 ?? '', 'base64');
    expect(Array.from(preview.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
    // Every event is plain JSON that the shared schema accepts after a round trip.
    for (const event of sampled)
      expect(engineProgressSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });
});

describe('comfyui engine: what the server lacks or refuses', () => {
  it('fails early, before uploading or queueing, when the server lacks a checkpoint, sampler or node', async () => {
    const server = await fake({ comboStyle: 'v3', samplers: ['euler'], optionalNodes: [] });
    const sampler = await rejection(engineFor(server).generate(requestFor(compile())));
    expect(sampler.code).toBe('ENGINE_CAPABILITY');
    expect(sampler.issues.map((i) => i.path)).toEqual(['sampler']);
    const flux = await rejection(engineFor(server).generate(requestFor(compile({}, 'flux'))));
    expect(flux.issues.map((i) => i.path)).toContain('nodes.FluxGuidance');
    const named = await rejection(
      engineFor(server, { checkpoint: 'missing.safetensors' }).generate(
        requestFor(compile({}, 'sd15')),
      ),
    );
    expect(named.issues[0]?.message).toContain('missing.safetensors');
    expect(server.requests.some((r) => r.path === '/prompt' || r.path === '/upload/image')).toBe(
      false,
    );
    const hosted = await rejection(
      engineFor(server).generate(requestFor(compile({}, 'gpt-image'))),
    );
    expect(hosted.issues[0]?.path).toBe('target');
  });

  for (const errorShape of ['current', 'old'] as const) {
    it(`reports the server's validation errors per input (${errorShape} error body)`, async () => {
      const server = await fake({ errorShape });
      const template = {
        '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'nope.safetensors' } },
        '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{positive}}', clip: ['4', 1] } },
        '5': {
          class_type: 'EmptyLatentImage',
          inputs: { width: '{{width}}', height: '{{height}}', batch_size: 1 },
        },
        '3': {
          class_type: 'KSampler',
          inputs: {
            model: ['4', 0],
            seed: '{{seed}}',
            steps: 4,
            cfg: 200,
            sampler_name: 'euler',
            scheduler: 'simple',
            positive: ['6', 0],
            negative: ['6', 0],
            latent_image: ['5', 0],
            denoise: 1,
          },
        },
        '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
        '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'x' } },
      };
      const error = await rejection(
        engineFor(server, { template }).generate(requestFor(compile())),
      );
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).toContain('Prompt outputs failed validation');
      expect(error.issues.map((i) => i.path).sort()).toEqual([
        '3.inputs.cfg',
        '4.inputs.ckpt_name',
      ]);
      expect(error.issues.find((i) => i.path === '4.inputs.ckpt_name')?.message).toContain(
        "'nope.safetensors' not in",
      );
      // A validation error is never retried.
      expect(server.requests.filter((r) => r.path === '/prompt')).toHaveLength(1);
    });
  }

  it('parses both error-body shapes and a plain-text 500', () => {
    expect(describeComfyError(400, '{"error": "no prompt", "node_errors": []}')).toEqual({
      message: 'no prompt',
      issues: [],
    });
    const current = describeComfyError(
      400,
      JSON.stringify({
        error: {
          type: 'invalid_prompt',
          message: 'Cannot execute because node Foo does not exist.',
          details: "Node ID '#3'",
          extra_info: {},
        },
        node_errors: {},
      }),
    );
    expect(current.message).toBe(
      "Cannot execute because node Foo does not exist. (invalid_prompt): Node ID '#3'",
    );
    expect(
      describeComfyError(500, '500 Internal Server Error\n\nServer got itself in trouble').message,
    ).toBe('500 Internal Server Error');
  });

  it('refuses seeds a JS number cannot hold and bad counts, naming the field', async () => {
    const server = await fake();
    const engine = engineFor(server);
    const error = await rejection(
      engine.generate(requestFor(compile(), { seed: Number.MAX_SAFE_INTEGER, count: 2 })),
    );
    expect(error.issues[0]?.path).toBe('seed');
    const [last] = await engine.generate(requestFor(compile(), { seed: Number.MAX_SAFE_INTEGER }));
    expect(last?.seed).toBe(Number.MAX_SAFE_INTEGER);
    const sampler = Object.values([...server.prompts.values()][0] ?? {}).find(
      (n) => n.class_type === 'KSampler',
    );
    expect(sampler?.inputs['seed']).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('comfyui engine: faults', () => {
  it('server down at start (a typo in a local URL): ENGINE_UNREACHABLE at once, naming the URL, nothing left open', async () => {
    const before = resourceCounts();
    const port = await closedPort();
    const error = await rejection(
      // Default retries and backoff: a refused loopback port is not retried at all.
      createComfyEngine({ url: `http://127.0.0.1:${port}` }).generate(requestFor(compile())),
    );
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('tries');
    expect(await leakedResources(before)).toEqual([]);
  });

  it('connection dropped while queueing: checks the queue for our prompt id, then posts once more', async () => {
    const before = resourceCounts();
    const server = await startFakeComfy({ faults: { prompt: ['drop'], history: ['drop'] } });
    const candidates = await engineFor(server).generate(requestFor(compile(), { count: 2 }));
    expect(candidates).toHaveLength(2);
    const order = server.requests.map((r) => `${r.method} ${r.path}`);
    const firstPost = order.indexOf('POST /prompt');
    expect(order.slice(firstPost + 1, firstPost + 3)).toEqual([
      'GET /queue',
      'GET /history/' + String(candidates[0]?.parameters['promptId']),
    ]);
    // Exactly one run per candidate: the dropped post never reached the queue, and was not doubled.
    expect(server.prompts.size).toBe(2);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('WebSocket closed mid-run: finishes from /history', async () => {
    const before = resourceCounts();
    const server = await startFakeComfy({ closeSocketsMidRun: true, stepMs: 2 });
    const candidates = await engineFor(server).generate(requestFor(compile(), { count: 2 }));
    expect(candidates).toHaveLength(2);
    expect(server.socketCount()).toBe(0);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  const failures: Array<[string, FakeComfyOptions, string, RegExp]> = [
    [
      'a 500 on /prompt',
      { faults: { prompt: ['status500'] } },
      'ENGINE_FAILED',
      /answered 500 to POST \/prompt: 500 Internal Server Error/,
    ],
    [
      'malformed JSON from /history',
      { faults: { history: ['malformed'] } },
      'ENGINE_FAILED',
      /malformed JSON for GET \/history/,
    ],
    [
      'an image that is not an image',
      { faults: { view: ['not-image'] } },
      'ENGINE_FAILED',
      /not a usable image \(IMAGE_UNSUPPORTED/,
    ],
    [
      'a cut-off image',
      { faults: { view: ['truncated'] } },
      'ENGINE_FAILED',
      /not a usable image \(IMAGE_TRUNCATED/,
    ],
    [
      'an error while executing',
      { executionError: { classType: 'KSampler', message: 'CUDA out of memory' } },
      'ENGINE_FAILED',
      /node 3 \(KSampler\): torch.OutOfMemoryError CUDA out of memory/,
    ],
    [
      'a hanging /object_info',
      { faults: { object_info: ['hang'] } },
      'ENGINE_TIMEOUT',
      /within 200 ms \(timeoutMs\)/,
    ],
  ];
  for (const [name, options, code, message] of failures) {
    it(`${name}: ${code}, nothing left open`, async () => {
      const before = resourceCounts();
      const server = await startFakeComfy(options);
      const error = await rejection(
        engineFor(server, { timeoutMs: 200 }).generate(requestFor(compile())),
      );
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      await server.close();
      expect(await leakedResources(before)).toEqual([]);
    });
  }

  it('a candidate that takes too long: ENGINE_TIMEOUT, and the run is interrupted', async () => {
    const server = await fake({ stepMs: 50 });
    const error = await rejection(
      engineFor(server, { jobTimeoutMs: 100 }).generate(requestFor(compile())),
    );
    expect(error.code).toBe('ENGINE_TIMEOUT');
    expect(error.message).toContain('jobTimeoutMs');
    expect(server.interrupted).toHaveLength(1);
  });

  it('cancellation mid-run: interrupts the running prompt, removes the queued ones, cleans history', async () => {
    const before = resourceCounts();
    const server = await startFakeComfy({ stepMs: 15 });
    const controller = new AbortController();
    const error = await rejection(
      engineFor(server).generate(requestFor(compile(), { count: 3 }), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 2) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('ABORTED');
    const ids = server.requests
      .filter((r) => r.path === '/prompt' && r.method === 'POST')
      .map((r) => (r.body as { prompt_id: string }).prompt_id);
    expect(ids).toHaveLength(3);
    expect(server.interrupted).toEqual(ids);
    expect(server.deleted).toEqual(ids);
    expect(server.history.size).toBe(0);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('a process that cancels a run exits on its own (no orphan timers, sockets or listeners)', async () => {
    const server = await fake({ stepMs: 20 });
    const engineModule = fileURLToPath(new URL('./engine.ts', import.meta.url));
    const script = `
      const { createComfyEngine } = await import(${JSON.stringify(engineModule)});
      const compiled = JSON.parse(process.env.COMPILED);
      const engine = createComfyEngine({ url: process.env.URL, pollMs: 50 });
      const controller = new AbortController();
      const request = { brief: { version: 1, references: [] }, compiled, references: [], count: 2, seed: 1 };
      engine.generate(request, { signal: controller.signal, onProgress: (p) => { if (p.step === 1) controller.abort(); } })
        .then(() => console.log('finished'), (error) => console.log(error.code));
    `;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        env: { ...process.env, URL: server.url, COMPILED: JSON.stringify(compile()) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve) => child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    clearTimeout(guard);
    expect(output.trim()).toBe('ABORTED');
    expect(exit).toEqual({ code: 0, signal: null });
  }, 40_000);
});

describe('comfyui WebSocket protocol', () => {
  const transcripts = ['comfyui-ws-v0.3.65.jsonl', 'comfyui-ws-v0.8.0.jsonl'].map((name) => ({
    name,
    lines: readFileSync(
      fileURLToPath(new URL(`../../../../shared/reference/${name}`, import.meta.url)),
      'utf8',
    )
      .split('\n')
      .filter((line) => line.trim() !== ''),
  }));

  for (const { name, lines } of transcripts) {
    it(`reads every event of the real transcript ${name}`, () => {
      const events = lines.map((line) => parseTextEvent(line));
      const promptId = events.find((e) => e?.type === 'execution_start');
      expect(promptId?.type).toBe('execution_start');
      expect(events.map((e) => e?.type)).toEqual(
        lines.map((line) => {
          const type = (JSON.parse(line) as { type: string }).type;
          return type === 'progress_state' || type === 'execution_cached' ? undefined : type;
        }),
      );
      expect(events.at(-1)).toMatchObject({ type: 'executing', node: null });
    });

    it(`the fake sends the same event sequence as ${name} for the same graph`, async () => {
      const server = await fake();
      const template = JSON.parse(
        readFileSync(new URL('../../../examples/comfyui/invert.json', import.meta.url), 'utf8'),
      ) as unknown;
      const engine = engineFor(server, { template });
      await engine.generate(
        requestFor(compile(), {
          references: [{ role: 'identity', image: identityPhoto, source: 'me.png' }],
        }),
      );
      const [log] = [...server.events.values()];
      const shape = (type: string, data: Record<string, unknown>) =>
        `${type}(${Object.keys(data)
          .filter((k) => k !== 'sid')
          .sort()
          .join(',')})`;
      const real = lines.map((line) => {
        const event = JSON.parse(line) as { type: string; data: Record<string, unknown> };
        return shape(event.type, event.data);
      });
      // The transcript's graph has node ids 1, 2, 3 like the example template.
      expect(log?.map((e) => shape(e.type, e.data))).toEqual(real);
    });
  }

  it('reads binary previews of type 1 and 4 and ignores other frames', () => {
    const jpeg = [0xff, 0xd8, 0xff];
    const one = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, ...jpeg]);
    expect(parseBinaryEvent(one)).toMatchObject({ type: 'preview', format: 'png', promptId: null });
    const meta = new TextEncoder().encode(
      JSON.stringify({ prompt_id: 'p1', image_type: 'image/jpeg' }),
    );
    const four = new Uint8Array([0, 0, 0, 4, 0, 0, 0, meta.length, ...meta, ...jpeg]);
    expect(parseBinaryEvent(four)).toMatchObject({
      type: 'preview',
      format: 'jpeg',
      promptId: 'p1',
      image: new Uint8Array(jpeg),
    });
    expect(parseBinaryEvent(new Uint8Array([0, 0, 0, 3, 0, 0, 0, 1, 65]))).toBeUndefined();
    expect(parseTextEvent('{"type":"crystools.monitor","data":{}}')).toBeUndefined();
    expect(parseTextEvent('not json')).toBeUndefined();
  });
});

describe('comfyui engine: resumable runs', () => {
  it('records each prompt id before posting it, and a resumed run collects from /history without posting', async () => {
    const server = await fake();
    const recorded: Array<{ id: string; known: boolean }> = [];
    const jobs: RemoteJobRef[] = [];
    const first = await engineFor(server, { keepHistory: true }).generate(
      requestFor(compile(), { count: 2 }),
      {
        onRemoteJob: (job) => {
          jobs.push(job);
          // Recorded while the server has never heard of it: a crash now loses nothing.
          recorded.push({ id: job.id, known: server.prompts.has(job.id) });
        },
      },
    );
    expect(recorded.map((r) => r.known)).toEqual([false, false]);
    expect(jobs.map((j) => [j.index, j.kind, j.engine])).toEqual([
      [0, 'comfyui-prompt', 'comfyui'],
      [1, 'comfyui-prompt', 'comfyui'],
    ]);
    expect(first.map((c) => c.parameters['promptId'])).toEqual(jobs.map((j) => j.id));
    const queued = server.queuedCount();

    // A replay of the whole run (nothing stored yet) collects both finished prompts.
    const replay = await engineFor(server).generate(requestFor(compile(), { count: 2 }), {
      resume: jobs,
      onRemoteJob: () => {
        throw new Error('nothing new should be recorded');
      },
    });
    expect(server.queuedCount()).toBe(queued);
    expect(replay.map((c) => Buffer.from(c.image).toString('base64'))).toEqual(
      first.map((c) => Buffer.from(c.image).toString('base64')),
    );
    expect(Math.max(...server.queuedTimes.values())).toBe(1);
    // Collected, then cleaned: the entries are gone from the shared history.
    expect(server.history.size).toBe(0);
  });

  it('collects resumed prompts that are still queued by waiting on them, and posts only one it never saw', async () => {
    const server = await fake({ paused: true });
    const jobs: RemoteJobRef[] = [];
    const stop = new AbortController();
    // The first process queues both prompts, then is gone (here: left waiting, later stopped).
    const first = engineFor(server, { keepHistory: true }).generate(
      requestFor(compile(), { count: 3 }),
      { signal: stop.signal, onRemoteJob: (job) => void jobs.push(job) },
    );
    first.catch(() => undefined);
    while (server.queuedCount() < 3) await delay(5);
    // Index 2 is as if the crash came between recording and posting: the server never saw it.
    const lost: RemoteJobRef = {
      index: 2,
      engine: 'comfyui',
      kind: 'comfyui-prompt',
      id: 'recorded-never-posted',
    };
    const resumed = engineFor(server).generate(requestFor(compile(), { count: 3 }), {
      resume: [...jobs.slice(0, 2), lost],
      onProgress: (p) => {
        if (p.stage === 'queued') server.resume();
      },
    });
    const candidates = await resumed;
    expect(candidates.map((c) => c.seed)).toEqual([1234, 1235, 1236]);
    expect(candidates.map((c) => c.parameters['promptId'])).toEqual([
      jobs[0]?.id,
      jobs[1]?.id,
      'recorded-never-posted',
    ]);
    // Three queued by the first process, one by the resumed one: only the prompt it never saw.
    expect(server.queuedCount()).toBe(4);
    expect(server.queuedTimes.get('recorded-never-posted')).toBe(1);
    expect(server.queuedTimes.get(jobs[0]?.id ?? '')).toBe(1);
    // The first process, had it lived, would have got the same prompts; stop it either way.
    stop.abort();
    await Promise.allSettled([first]);
  });

  it('refuses resume refs of another engine, naming the field', async () => {
    const server = await fake();
    const error = await rejection(
      engineFor(server).generate(requestFor(compile()), {
        resume: [{ index: 0, engine: 'openai', kind: 'openai-idempotency', id: 'k' }],
      }),
    );
    expect(error.code).toBe('USAGE');
    expect(error.issues[0]?.path).toBe('resume[0].kind');
    expect(server.queuedCount()).toBe(0);
  });
});

describe('comfyui engine: hostile answers', () => {
  it('refuses a huge JSON answer at the per-route cap while it streams', async () => {
    const before = resourceCounts();
    const server = await startFakeComfy({ faults: { object_info: ['huge'] } });
    const error = await rejection(
      engineFor(server, { retries: 0 }).generate(requestFor(compile())),
    );
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('GET /object_info');
    expect(error.message).toContain(`${20 * 1024 * 1024}-byte limit (maxJsonBytes)`);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('refuses a redirect to another host: nothing reaches it', async () => {
    const elsewhere = await fake();
    const server = await fake({ faults: { object_info: ['redirect'] }, redirectTo: elsewhere.url });
    const error = await rejection(engineFor(server).generate(requestFor(compile())));
    expect(error.code).toBe('ENGINE_REJECTED');
    expect(error.message).toContain('redirect (302)');
    expect(error.message).toContain('to another origin are refused');
    expect(elsewhere.requests).toEqual([]);
    expect(server.queuedCount()).toBe(0);
  });

  it('refuses an image bomb from /view by its header, before decoding it', async () => {
    const server = await fake({ faults: { view: ['bomb'] } });
    const error = await rejection(engineFor(server).generate(requestFor(compile())));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toMatch(/7070/);
    expect(error.message).toMatch(/IMAGE_TOO_LARGE|pixels/);
    // The prompt was ours: its entry is still cleaned up.
    expect(server.history.size).toBe(0);
  });

  it('on cancel, waits for the running prompt to stop (cancelWaitMs) so its history entry is deleted', async () => {
    const server = await fake({ stepMs: 120 });
    const controller = new AbortController();
    const warnings: string[] = [];
    const error = await rejection(
      engineFor(server, { cancelWaitMs: 10_000, onWarning: (w) => warnings.push(w) }).generate(
        requestFor(compile()),
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.step === 1) controller.abort();
          },
        },
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(warnings).toEqual([]);
    expect(server.history.size).toBe(0);
  });

  it('on cancel, warns when the prompt does not stop within cancelWaitMs: its entry stays', async () => {
    const server = await fake({ stepMs: 400 });
    const controller = new AbortController();
    const warnings: string[] = [];
    const error = await rejection(
      engineFor(server, { cancelWaitMs: 30, onWarning: (w) => warnings.push(w) }).generate(
        requestFor(compile()),
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.step === 1) controller.abort();
          },
        },
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('within 30 ms (cancelWaitMs)');
    expect(warnings[0]).toContain('history entry');
    expect(error.message).toContain('cancelWaitMs');
    // The prompt stops at its next step and its entry appears after our clean-up.
    for (let i = 0; i < 200 && server.history.size === 0; i++) await delay(20);
    expect(server.history.size).toBe(1);
  });
});
