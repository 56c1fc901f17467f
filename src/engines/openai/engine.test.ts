import OpenAI, { BadRequestError, toFile } from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateBrief, type BriefInput } from '../../brief/index.js';
import { engineContract, rejection } from '../../contracts/index.js';
import { PortraitistError } from '../../errors/index.js';
import { readImage } from '../../image/index.js';
import { createPromptCompiler, type PromptCompiler } from '../../prompt/index.js';
import {
  createFakeRenderer,
  leakedResources,
  readFixture,
  resourceCounts,
  startFakeOpenAi,
  type FakeOpenAi,
  type FakeOpenAiOptions,
} from '../../testing/index.js';
import { createOpenAiEngine, type OpenAiEngineOptions } from '../index.js';
import type { Engine, GenerationRequest, ReferenceImage, RemoteJobRef } from '../types.js';

const KEY = 'sk-test-portraitist-0123456789';

const baseBrief: BriefInput = {
  version: 1,
  title: 'Window portrait',
  subject: { description: 'a woman in her thirties with short grey hair' },
  expression: { name: 'closed-lip-half-smile', intensity: 0.5 },
  light: { rig: 'window', side: 'left' },
  camera: {
    focalLength: 85,
    aperture: 2,
    film: 'portra-400',
    shot: 'headshot',
    aspectRatio: '1:1',
  },
  authenticity: { imperfections: ['visible-pores'], retouch: 'natural' },
  output: { target: 'gpt-image', count: 2 },
};

// One renderer for every fake: each fixture face is decoded once for the whole file.
const renderer = createFakeRenderer();
let compiler: PromptCompiler;
let request: GenerationRequest;
let photos: Record<'identity' | 'pose' | 'style', ReferenceImage>;

function requestFor(input: BriefInput, references: readonly ReferenceImage[] = []) {
  const brief = validateBrief(input);
  return {
    brief,
    compiled: compiler.compile(brief, 'gpt-image'),
    references,
    count: 2,
    seed: 42,
  } satisfies GenerationRequest;
}

beforeAll(async () => {
  compiler = createPromptCompiler();
  request = requestFor(baseBrief);
  photos = {
    identity: {
      role: 'identity',
      image: await readFixture('soft-smile'),
      source: 'soft-smile.png',
    },
    pose: { role: 'pose', image: await readFixture('laughing'), source: 'laughing.png' },
    style: { role: 'style', image: await readFixture('makeup'), source: 'makeup.png' },
  };
}, 120_000);

/** Runs `body` against a fresh fake and engine, then checks that nothing was left open. */
async function withFake(
  fakeOptions: FakeOpenAiOptions,
  engineOptions: Partial<OpenAiEngineOptions>,
  body: (engine: Engine, fake: FakeOpenAi) => Promise<void>,
): Promise<void> {
  const before = resourceCounts();
  const fake = await startFakeOpenAi({ renderer, ...fakeOptions });
  const engine = createOpenAiEngine({
    apiKey: KEY,
    baseURL: fake.url,
    maxRetries: 0,
    ...engineOptions,
  });
  try {
    await body(engine, fake);
  } finally {
    await engine.dispose();
    await fake.close();
  }
  expect(await leakedResources(before)).toEqual([]);
}

const apiRequests = (fake: FakeOpenAi) => fake.requests.filter((r) => r.path.startsWith('/v1/'));
const jsonBody = (fake: FakeOpenAi, i = 0) =>
  apiRequests(fake)[i]?.json as Record<string, unknown> | undefined;

// Each contract test gets its own fake; the map finds it again for teardown.
const fakes = new WeakMap<Engine, FakeOpenAi>();
engineContract(
  'openai (fake OpenAI)',
  async () => {
    const fake = await startFakeOpenAi({ apiKey: KEY, renderer });
    const engine = createOpenAiEngine({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
    fakes.set(engine, fake);
    return { engine, request, remote: { jobs: () => fake.generationCount(), collects: true } };
  },
  async ({ engine }) => {
    await engine.dispose();
    await fakes.get(engine)?.close();
  },
);

describe('openai engine: request shape', () => {
  it('generates with the compiled model, size and quality, PNG output and no response_format', async () => {
    await withFake({ apiKey: KEY }, {}, async (engine, fake) => {
      const candidates = await engine.generate(request);
      expect(candidates).toHaveLength(2);
      const [sent] = apiRequests(fake);
      expect(sent?.method).toBe('POST');
      expect(sent?.path).toBe('/v1/images/generations');
      expect(sent?.headers['authorization']).toBe(`Bearer ${KEY}`);
      expect(sent?.json).toEqual({
        model: 'gpt-image-1',
        prompt: request.compiled.positive,
        n: 2,
        size: '1024x1024',
        quality: 'high',
        output_format: 'png',
      });
      expect(candidates[0]?.parameters).toMatchObject({
        model: 'gpt-image-1',
        endpoint: 'generations',
        size: '1024x1024',
        quality: 'high',
        output_format: 'png',
        seed_honoured: false,
        request_id: 'req_fake_0',
      });
      expect(candidates[0]?.parameters['total_tokens']).toBeGreaterThan(0);
      const image = await readImage(candidates[0]?.image ?? new Uint8Array(), { source: 'c' });
      expect([image.width, image.height]).toEqual([1024, 1024]);
    });
  });

  it('sends the model option, organization, project, moderation and user', async () => {
    await withFake(
      {},
      {
        model: 'gpt-image-1-mini',
        organization: 'org-portraitist',
        project: 'proj_portraitist',
        moderation: 'low',
        user: 'hash-of-user',
      },
      async (engine, fake) => {
        await engine.generate({ ...request, count: 1 });
        const [sent] = apiRequests(fake);
        expect(sent?.json).toMatchObject({ model: 'gpt-image-1-mini', moderation: 'low' });
        expect((sent?.json as Record<string, unknown>)['user']).toBe('hash-of-user');
        expect(sent?.headers['openai-organization']).toBe('org-portraitist');
        expect(sent?.headers['openai-project']).toBe('proj_portraitist');
      },
    );
  });

  it("uses a client it is given, and keeps that client's key out of errors", async () => {
    const before = resourceCounts();
    const fake = await startFakeOpenAi({ apiKey: KEY, renderer });
    const wrong = 'sk-given-client-key-5555';
    try {
      const right = createOpenAiEngine({
        client: new OpenAI({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 }),
      });
      expect(await right.generate({ ...request, count: 1 })).toHaveLength(1);
      const refused = createOpenAiEngine({
        client: new OpenAI({ apiKey: wrong, baseURL: fake.url, maxRetries: 0 }),
      });
      const error = await rejection(refused.generate(request));
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).not.toContain(wrong);
    } finally {
      await fake.close();
    }
    expect(await leakedResources(before)).toEqual([]);
  });

  it('batches counts over 10 into several requests, with seeds numbered across them', async () => {
    const small = requestFor({ ...baseBrief, output: { target: 'gpt-image', count: 12 } });
    const compiled = {
      ...small.compiled,
      params: {
        ...small.compiled.params,
        extra: { ...small.compiled.params.extra, quality: 'low' },
      },
    };
    await withFake({}, {}, async (engine, fake) => {
      const progress: number[] = [];
      const candidates = await engine.generate(
        { ...small, compiled, count: 12 },
        { onProgress: (p) => progress.push(p.done) },
      );
      expect(apiRequests(fake).map((r) => (r.json as { n: number }).n)).toEqual([10, 2]);
      expect(candidates.map((c) => c.seed)).toEqual(Array.from({ length: 12 }, (_, k) => 42 + k));
      expect(progress).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11, 12]);
    });
  });

  it('sends dall-e-3 one image per request and asks for base64, never a URL', async () => {
    const compiled = {
      ...request.compiled,
      params: {
        ...request.compiled.params,
        extra: { ...request.compiled.params.extra, quality: 'hd' },
      },
    };
    await withFake({}, { model: 'dall-e-3' }, async (engine, fake) => {
      const candidates = await engine.generate({ ...request, compiled });
      expect(apiRequests(fake).map((r) => r.json)).toEqual([
        expect.objectContaining({ model: 'dall-e-3', n: 1, response_format: 'b64_json' }),
        expect.objectContaining({ model: 'dall-e-3', n: 1, response_format: 'b64_json' }),
      ]);
      expect(jsonBody(fake)).not.toHaveProperty('output_format');
      expect(candidates[0]?.parameters['revised_prompt']).toMatch(/^A photograph: /);
    });
  });

  it('edits with every edit-input reference as repeated image[] parts and high input fidelity for identity', async () => {
    const withRefs = requestFor(
      {
        ...baseBrief,
        references: [
          { image: 'soft-smile.png', role: 'identity' },
          { image: 'laughing.png', role: 'pose' },
          { image: 'makeup.png', role: 'style' },
          { image: 'window.png', role: 'lighting' },
        ],
      },
      [photos.identity, photos.pose, photos.style],
    );
    await withFake({}, {}, async (engine, fake) => {
      const candidates = await engine.generate({ ...withRefs, count: 1 });
      const [sent] = apiRequests(fake);
      expect(sent?.path).toBe('/v1/images/edits');
      expect(sent?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(sent?.files?.map((f) => [f.field, f.filename, f.type])).toEqual([
        ['image[]', 'identity-1.png', 'image/png'],
        ['image[]', 'pose-2.png', 'image/png'],
        ['image[]', 'style-3.png', 'image/png'],
      ]);
      for (const file of sent?.files ?? [])
        expect((await readImage(file.bytes, { source: file.filename })).format).toBe('png');
      expect(sent?.fields).toMatchObject({
        model: ['gpt-image-1'],
        n: ['1'],
        size: ['1024x1024'],
        quality: ['high'],
        output_format: ['png'],
        input_fidelity: ['high'],
      });
      expect(sent?.fields).not.toHaveProperty('response_format');
      const prompt = sent?.fields?.['prompt']?.[0] ?? '';
      expect(prompt).toMatch(/^Input images: 1 shows the person to portray/);
      expect(prompt).toContain('2 shows the pose');
      expect(prompt.endsWith(withRefs.compiled.positive)).toBe(true);
      expect(candidates[0]?.parameters).toMatchObject({
        endpoint: 'edits',
        input_fidelity: 'high',
        input_images: 'identity,pose,style',
      });
      expect(candidates[0]?.provenance.references.map((r) => r.source)).toEqual([
        'soft-smile.png',
        'laughing.png',
        'makeup.png',
      ]);
    });
  });

  it('sends one reference as a single image part, scaled down to maxInputEdge', async () => {
    const one = requestFor(
      { ...baseBrief, references: [{ image: 'soft-smile.png', role: 'identity' }] },
      [photos.identity],
    );
    await withFake({}, { maxInputEdge: 256 }, async (engine, fake) => {
      await engine.generate({ ...one, count: 1 });
      const [file] = apiRequests(fake)[0]?.files ?? [];
      expect(file?.field).toBe('image');
      const sent = await readImage(file?.bytes ?? new Uint8Array(), { source: 'sent' });
      expect(Math.max(sent.width, sent.height)).toBe(256);
    });
  });

  it('leaves input_fidelity out for gpt-image-1-mini', async () => {
    const one = requestFor(
      { ...baseBrief, references: [{ image: 'soft-smile.png', role: 'identity' }] },
      [photos.identity],
    );
    await withFake({}, { model: 'gpt-image-1-mini' }, async (engine, fake) => {
      const [candidate] = await engine.generate({ ...one, count: 1 });
      const [sent] = apiRequests(fake);
      expect(sent?.fields?.['model']).toEqual(['gpt-image-1-mini']);
      expect(sent?.fields).not.toHaveProperty('input_fidelity');
      expect(candidate?.parameters).not.toHaveProperty('input_fidelity');
    });
  });

  it('takes gpt-image-2 free sizes in multiples of 16', async () => {
    const compiled = {
      ...request.compiled,
      params: {
        ...request.compiled.params,
        extra: { ...request.compiled.params.extra, size: '512x640', quality: 'low' },
      },
    };
    await withFake({}, { model: 'gpt-image-2' }, async (engine, fake) => {
      const [candidate] = await engine.generate({ ...request, compiled, count: 1 });
      expect(jsonBody(fake)).toMatchObject({ model: 'gpt-image-2', size: '512x640' });
      const image = await readImage(candidate?.image ?? new Uint8Array(), { source: 'c' });
      expect([image.width, image.height]).toEqual([512, 640]);
    });
  });
});

describe('openai engine: refusals before any request', () => {
  const withExtra = (extra: Record<string, string>) => ({
    ...request,
    compiled: {
      ...request.compiled,
      params: { ...request.compiled.params, extra: { ...request.compiled.params.extra, ...extra } },
    },
  });

  it('refuses a missing or empty key, a bad base URL and bad limits, naming the option', () => {
    const field = (options: OpenAiEngineOptions) => {
      try {
        createOpenAiEngine(options);
      } catch (error) {
        expect(error).toBeInstanceOf(PortraitistError);
        return [(error as PortraitistError).code, (error as PortraitistError).issues[0]?.path];
      }
      return undefined;
    };
    expect(field({})).toEqual(['USAGE', 'apiKey']);
    expect(field({ apiKey: '  ' })).toEqual(['USAGE', 'apiKey']);
    expect(field({ apiKey: KEY, baseURL: 'ftp://example.com' })).toEqual(['USAGE', 'baseURL']);
    expect(field({ apiKey: KEY, timeoutMs: 0 })).toEqual(['USAGE', 'timeoutMs']);
    expect(field({ apiKey: KEY, maxRetries: 1.5 })).toEqual(['USAGE', 'maxRetries']);
    expect(field({ apiKey: KEY, model: '' })).toEqual(['USAGE', 'model']);
    expect(field({ client: new OpenAI({ apiKey: KEY }) })).toBeUndefined();
  });

  it('refuses other targets, bad sizes, qualities and too many references with typed errors', async () => {
    await withFake({}, {}, async (engine, fake) => {
      const sdxl = { ...request, compiled: compiler.compile(request.brief, 'sdxl') };
      const target = await rejection(engine.generate(sdxl));
      expect([target.code, target.issues[0]?.path]).toEqual(['ENGINE_CAPABILITY', 'target']);

      const size = await rejection(engine.generate(withExtra({ size: '1000x1000' })));
      expect([size.code, size.issues[0]?.path]).toEqual(['USAGE', 'size']);
      expect(size.issues[0]?.message).toContain('1024x1536');

      const quality = await rejection(engine.generate(withExtra({ quality: 'hd' })));
      expect([quality.code, quality.issues[0]?.path]).toEqual(['USAGE', 'quality']);

      const seventeen = Array.from({ length: 17 }, (_, i) => ({
        ...photos.style,
        source: `style-${i}.png`,
      }));
      const many = {
        ...request,
        references: seventeen,
        compiled: {
          ...request.compiled,
          controls: seventeen.map((r) => ({
            role: 'style' as const,
            image: r.source,
            mechanism: 'edit-input',
            preprocess: 'none' as const,
            weight: 1,
          })),
        },
      };
      const references = await rejection(engine.generate(many));
      expect([references.code, references.issues[0]?.path]).toEqual([
        'ENGINE_CAPABILITY',
        'references',
      ]);

      const missing = requestFor(
        { ...baseBrief, references: [{ image: 'soft-smile.png', role: 'identity' }] },
        [],
      );
      const photo = await rejection(engine.generate(missing));
      expect([photo.code, photo.issues[0]?.path]).toEqual(['ENGINE_CAPABILITY', 'references']);
      expect(fake.requests).toHaveLength(0);
    });
  });

  it('refuses sizes of another model and edits with dall-e-3', async () => {
    await withFake({}, { model: 'dall-e-3' }, async (engine, fake) => {
      const size = await rejection(engine.generate(withExtra({ size: '1024x1536' })));
      expect([size.code, size.issues[0]?.path]).toEqual(['USAGE', 'size']);
      const edit = requestFor(
        { ...baseBrief, references: [{ image: 'soft-smile.png', role: 'identity' }] },
        [photos.identity],
      );
      const hd = {
        ...edit.compiled,
        params: {
          ...edit.compiled.params,
          extra: { ...edit.compiled.params.extra, quality: 'hd' },
        },
      };
      const refused = await rejection(engine.generate({ ...edit, compiled: hd }));
      expect([refused.code, refused.issues[0]?.path]).toEqual(['ENGINE_CAPABILITY', 'references']);
      expect(fake.requests).toHaveLength(0);
    });
  });

  it('refuses work after dispose', async () => {
    await withFake({}, {}, async (engine) => {
      await engine.dispose();
      expect((await rejection(engine.generate(request))).code).toBe('USAGE');
    });
  });
});

describe('openai engine: error mapping', () => {
  it('maps a refused key to ENGINE_REJECTED naming apiKey, without repeating the key', async () => {
    const wrong = 'sk-wrong-key-that-must-not-leak-9876';
    await withFake({ apiKey: KEY }, { apiKey: wrong, maxRetries: 2 }, async (engine, fake) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.issues[0]?.path).toBe('apiKey');
      expect(error.message).toContain('401');
      const everything = `${error.message} ${JSON.stringify(error)} ${String(error.cause)}`;
      expect(everything).not.toContain(wrong);
      expect(everything).not.toContain('must-not-leak');
      expect(apiRequests(fake)).toHaveLength(1);
    });
  });

  it.each([
    [403, 'model', 'ENGINE_REJECTED'],
    [404, 'model', 'ENGINE_REJECTED'],
    [422, 'size', 'ENGINE_REJECTED'],
    [400, 'quality', 'ENGINE_REJECTED'],
  ] as const)('maps %i to %s naming the param', async (status, param, code) => {
    await withFake(
      { fault: { status, param, message: `Injected ${status} on ${param}.` } },
      { maxRetries: 2 },
      async (engine, fake) => {
        const error = await rejection(engine.generate(request));
        expect(error.code).toBe(code);
        expect(error.issues[0]?.path).toBe(param);
        expect(error.message).toContain(String(status));
        expect(error.message).toContain('req_fake_0');
        expect(apiRequests(fake)).toHaveLength(1);
      },
    );
  });

  it('maps moderation_blocked to ENGINE_REJECTED naming prompt, and never sends it again', async () => {
    await withFake({ fault: 'moderation' }, { maxRetries: 2 }, async (engine, fake) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).toMatch(/safety system refused the prompt \(moderation_blocked\)/);
      expect(error.issues[0]?.path).toBe('prompt');
      expect(apiRequests(fake)).toHaveLength(1);
    });
  });

  it('maps the old content_policy_violation the same way', async () => {
    await withFake(
      { fault: { status: 400, code: 'content_policy_violation', message: 'Refused.' } },
      {},
      async (engine) => {
        const error = await rejection(engine.generate(request));
        expect([error.code, error.issues[0]?.path]).toEqual(['ENGINE_REJECTED', 'prompt']);
      },
    );
  });

  it('retries a transient 500 and succeeds', async () => {
    await withFake(
      { fault: (n) => (n === 0 ? 'server-error' : undefined) },
      { maxRetries: 2 },
      async (engine, fake) => {
        const candidates = await engine.generate(request);
        expect(candidates).toHaveLength(2);
        expect(apiRequests(fake)).toHaveLength(2);
        expect(candidates[0]?.parameters['request_id']).toBe('req_fake_1');
      },
    );
  });

  it('gives ENGINE_FAILED after the retries when the 500 persists', async () => {
    await withFake({ fault: 'server-error' }, { maxRetries: 2 }, async (engine, fake) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toMatch(/500 after 3 tries/);
      expect(apiRequests(fake)).toHaveLength(3);
    });
  });

  it('gives ENGINE_FAILED saying "rate limited" after retrying a 429', async () => {
    await withFake({ fault: 'rate-limit' }, { maxRetries: 1 }, async (engine, fake) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toMatch(/rate limited/);
      expect(apiRequests(fake)).toHaveLength(2);
    });
  });

  it('gives ENGINE_REJECTED for an exhausted quota', async () => {
    await withFake(
      {
        fault: {
          status: 429,
          code: 'insufficient_quota',
          type: 'insufficient_quota',
          headers: { 'x-should-retry': 'false' },
          message: 'You exceeded your current quota.',
        },
      },
      { maxRetries: 2 },
      async (engine, fake) => {
        const error = await rejection(engine.generate(request));
        expect(error.code).toBe('ENGINE_REJECTED');
        expect(error.message).toMatch(/out of quota/);
        expect(apiRequests(fake)).toHaveLength(1);
      },
    );
  });
});

describe('openai engine: faults', () => {
  it('gives ENGINE_UNREACHABLE when the server is down from the start', async () => {
    const before = resourceCounts();
    const fake = await startFakeOpenAi();
    const url = fake.url;
    await fake.close();
    const engine = createOpenAiEngine({ apiKey: KEY, baseURL: url, maxRetries: 1 });
    const error = await rejection(engine.generate(request));
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toContain('2 tries');
    expect(error.message).not.toContain(KEY);
    await engine.dispose();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('gives ENGINE_UNREACHABLE when the connection drops mid-request (after the SDK retried)', async () => {
    await withFake({ fault: 'drop' }, { maxRetries: 1 }, async (engine, fake) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_UNREACHABLE');
      expect(apiRequests(fake)).toHaveLength(2);
    });
  });

  it('gives ENGINE_FAILED for malformed JSON', async () => {
    await withFake({ fault: 'malformed-json' }, {}, async (engine) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toMatch(/malformed JSON/);
    });
  });

  it('gives ENGINE_FAILED for base64 that is not an image', async () => {
    await withFake({ fault: 'not-an-image' }, {}, async (engine) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toMatch(/not a usable image/);
    });
  });

  it('gives ENGINE_FAILED naming data when the answer has none', async () => {
    await withFake({ fault: 'no-data' }, {}, async (engine) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.issues[0]?.path).toBe('data');
    });
  });

  it('downloads images answered as URLs', async () => {
    await withFake({ fault: 'url' }, {}, async (engine, fake) => {
      const candidates = await engine.generate(request);
      expect(candidates).toHaveLength(2);
      expect(fake.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
        '/files/img-0.png',
        '/files/img-1.png',
      ]);
      const image = await readImage(candidates[1]?.image ?? new Uint8Array(), { source: 'c' });
      expect(image.format).toBe('png');
      // The fake renders from the prompt: the URL answer holds the same pictures as base64 would.
      const [again] = await engine.generate({ ...request, count: 1 });
      expect(Buffer.from(again?.image ?? []).equals(Buffer.from(candidates[0]?.image ?? []))).toBe(
        true,
      );
    });
  });

  it('gives ENGINE_FAILED for an expired image URL, without the link signature', async () => {
    await withFake({ fault: 'expired-url' }, {}, async (engine) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toMatch(/403.*expire/);
      expect(error.message).not.toContain('sig=');
    });
  });

  it('gives ENGINE_TIMEOUT when the server does not answer in time', async () => {
    await withFake({ fault: 'hang' }, { timeoutMs: 300 }, async (engine) => {
      const error = await rejection(engine.generate(request));
      expect(error.code).toBe('ENGINE_TIMEOUT');
      expect(error.message).toContain('timeoutMs');
    });
  });

  it('stops with ABORTED when cancelled mid-request', async () => {
    await withFake({ fault: 'hang' }, {}, async (engine, fake) => {
      const controller = new AbortController();
      const running = engine.generate(request, { signal: controller.signal });
      while (apiRequests(fake).length === 0) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      expect((await rejection(running)).code).toBe('ABORTED');
    });
  });

  it('stops with ABORTED mid-run, after the first batch', async () => {
    await withFake({}, {}, async (engine, fake) => {
      const controller = new AbortController();
      const compiled = {
        ...request.compiled,
        params: {
          ...request.compiled.params,
          extra: { ...request.compiled.params.extra, quality: 'low' },
        },
      };
      const done: number[] = [];
      const error = await rejection(
        engine.generate(
          { ...request, compiled, count: 12 },
          {
            signal: controller.signal,
            onProgress: (p) => {
              done.push(p.done);
              if (p.done === 1) controller.abort();
            },
          },
        ),
      );
      expect(error.code).toBe('ABORTED');
      expect(apiRequests(fake)).toHaveLength(1);
      expect(done).toEqual([0, 1]);
    });
  });

  it('cancels in-flight work on dispose', async () => {
    await withFake({ fault: 'hang' }, {}, async (engine, fake) => {
      const running = engine.generate(request);
      while (apiRequests(fake).length === 0) await new Promise((r) => setTimeout(r, 5));
      await engine.dispose();
      expect((await rejection(running)).code).toBe('ABORTED');
    });
  });
});

describe('fake OpenAI: refuses what the real API refuses', () => {
  it('answers the error envelope for a missing model, response_format on GPT image, bad size and n', async () => {
    const before = resourceCounts();
    const fake = await startFakeOpenAi();
    const client = new OpenAI({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
    const refused = async (body: OpenAI.ImageGenerateParamsNonStreaming) => {
      try {
        await client.images.generate(body);
      } catch (error) {
        expect(error).toBeInstanceOf(BadRequestError);
        return (error as BadRequestError).param;
      }
      return 'accepted';
    };
    try {
      expect(await refused({ prompt: 'a portrait' })).toBe('model');
      expect(
        await refused({ model: 'gpt-image-1', prompt: 'a portrait', response_format: 'b64_json' }),
      ).toBe('response_format');
      expect(await refused({ model: 'gpt-image-1', prompt: 'a portrait', size: '512x512' })).toBe(
        'size',
      );
      expect(await refused({ model: 'gpt-image-1', prompt: 'a portrait', n: 11 })).toBe('n');
      expect(await refused({ model: 'dall-e-3', prompt: 'a portrait', n: 2 })).toBe('n');
      const edit = client.images.edit({
        model: 'gpt-image-1-mini',
        prompt: 'a portrait',
        image: await toFile(await readFixture('soft-smile'), 'a.png', {
          type: 'image/png',
        }),
        input_fidelity: 'high',
      });
      await expect(edit).rejects.toMatchObject({ status: 400, param: 'input_fidelity' });
      const anonymous = await fetch(`${fake.url}/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a portrait' }),
      });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({
        error: { type: 'invalid_request_error', param: null },
      });
    } finally {
      await fake.close();
    }
    expect(await leakedResources(before)).toEqual([]);
  });
});

describe('openai engine: idempotency keys and redirects', () => {
  it('sends one Idempotency-Key per batch, derived from the request, the same on an SDK retry', async () => {
    await withFake(
      { fault: (n) => (n === 0 ? 'drop' : undefined) },
      { maxRetries: 1 },
      async (engine, fake) => {
        const jobs: RemoteJobRef[] = [];
        const keysSeen: number[] = [];
        const candidates = await engine.generate(request, {
          onRemoteJob: (job) => {
            jobs.push(job);
            keysSeen.push(apiRequests(fake).length);
          },
        });
        expect(candidates).toHaveLength(2);
        const sent = apiRequests(fake).map((r) => r.headers['idempotency-key']);
        expect(sent).toHaveLength(2);
        expect(sent[0]).toMatch(/^portraitist-[0-9a-f]{48}$/);
        expect(sent[1]).toBe(sent[0]);
        // Recorded before anything was sent; one key for the batch, on both indices.
        expect(keysSeen).toEqual([0, 0]);
        expect(jobs.map((j) => [j.index, j.kind, j.id])).toEqual([
          [0, 'openai-idempotency', sent[0]],
          [1, 'openai-idempotency', sent[0]],
        ]);
        expect(fake.generationCount()).toBe(1);
        // Another request (another seed) gets another key.
        await engine.generate({ ...request, seed: 7 });
        expect(apiRequests(fake)[2]?.headers['idempotency-key']).not.toBe(sent[0]);
      },
    );
  });

  it('a replay after a crash reuses the recorded key: the server answers it again and bills nothing', async () => {
    await withFake({}, {}, async (engine, fake) => {
      const jobs: RemoteJobRef[] = [];
      await rejection(
        engine.generate(request, {
          onRemoteJob: (job) => void jobs.push(job),
          onCandidate: () => {
            throw new PortraitistError('INTERNAL', 'the store went away');
          },
        }),
      );
      expect(fake.generationCount()).toBe(1);
      const [second] = await engine.generate(request, {
        resume: jobs,
        skipIndices: new Set([0]),
      });
      expect(second?.seed).toBe(43);
      expect(fake.generationCount()).toBe(1);
      expect(fake.replayed).toEqual([jobs[0]?.id]);
    });
  });

  it('refuses a redirect: the key and the prompt go nowhere else', async () => {
    await withFake(
      { fault: { status: 302, headers: { location: 'http://192.0.2.1/v1/images/generations' } } },
      { maxRetries: 2 },
      async (engine, fake) => {
        const error = await rejection(engine.generate(request));
        expect(error.code).toBe('ENGINE_REJECTED');
        expect(error.message).toContain('redirect (302)');
        expect(error.issues[0]?.path).toBe('baseURL');
        expect(error.message).not.toContain(KEY);
        expect(apiRequests(fake)).toHaveLength(1);
      },
    );
  });
});
