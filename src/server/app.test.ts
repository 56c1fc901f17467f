import { Ajv2020 } from 'ajv/dist/2020.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibrary, type Library } from '../studio/index.js';
import { onePixelPng, pngBomb, readFixture } from '../testing/index.js';
import {
  createApp,
  createStudioApi,
  routeTable,
  startServer,
  studioOpenApi,
  type StudioApi,
} from './index.js';

// One studio API for the file: the tokenizer and the vision models load once.
let api: StudioApi;
let photo: Uint8Array;
let library: Library;
let folder: string;
const document = studioOpenApi();
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...document, $id: 'openapi' });

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'portraitist-api-'));
  library = openLibrary({ folder });
  api = createStudioApi({ blobs: library.blobs, store: library.store });
  photo = await readFixture('soft-smile');
});
afterAll(async () => {
  await api.dispose();
  await library.store.close();
  await rm(folder, { recursive: true, force: true });
});

type Operation = {
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content: Record<string, { schema: { $ref?: string } }> }>;
};

/** The OpenAPI operation of a concrete path, matched against the document's templates. */
function operationOf(method: string, path: string): Operation {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  for (const [template, operations] of Object.entries(paths)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    const operation = operations[method.toLowerCase()];
    if (pattern.test(path.split('?')[0] ?? '') && operation !== undefined) return operation;
  }
  throw new Error(`no operation for ${method} ${path} in the OpenAPI document`);
}

function check(ref: string | undefined, value: unknown, what: string): void {
  expect(ref, `${what} has a schema`).toBeDefined();
  const validate = ajv.getSchema(`openapi${ref}`) ?? ajv.compile({ $ref: `openapi${ref}` });
  const ok = validate(value);
  expect(ok, `${what}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
}

// Answers are checked against the document; the tests then read fields freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = Record<string, any>;

/** Calls the app in-process and checks request and answer against the OpenAPI document. */
async function call(
  app: ReturnType<typeof createApp>,
  method: string,
  path: string,
  options: {
    json?: unknown;
    bytes?: Uint8Array;
    type?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const operation = operationOf(method, path);
  const headers: Record<string, string> = { host: '127.0.0.1:4780', ...options.headers };
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (options.json !== undefined) {
    check(
      operation.requestBody?.content['application/json']?.schema.$ref,
      options.json,
      `request of ${method} ${path}`,
    );
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.bytes !== undefined) {
    headers['content-type'] = options.type ?? 'image/png';
    body = options.bytes as Uint8Array<ArrayBuffer>;
  }
  const response = await app.request(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const declared = operation.responses[String(response.status)];
  expect(
    declared,
    `${method} ${path} answered ${response.status}, which the document lists`,
  ).toBeDefined();
  const type = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
  expect(Object.keys(declared?.content ?? {})).toContain(type);
  if (type === 'application/json') {
    const json: unknown = await response.json();
    check(
      declared?.content[type]?.schema.$ref,
      json,
      `answer ${response.status} of ${method} ${path}`,
    );
    return {
      status: response.status,
      json: json as Answer,
      bytes: new Uint8Array(),
      headers: response.headers,
    };
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    bytes,
    json: {} as Answer,
    headers: response.headers,
  };
}

const brief = {
  version: 1,
  subject: { description: 'a retired boxer in his sixties, broken nose, grey stubble' },
  light: { rig: 'split', side: 'right' },
  expression: { name: 'determined', intensity: 0.6 },
  output: { target: 'sdxl' },
};

describe('the API in-process', () => {
  const app = () => createApp({ api });

  it('has a document whose schemas bite: an answer off its schema fails validation', () => {
    const validate = ajv.compile({ $ref: 'openapi#/components/schemas/Health' });
    expect(validate({ ok: true, version: '1', vision: 'idle' })).toBe(true);
    expect(validate({ ok: false, version: '1', vision: 'idle' })).toBe(false);
    const paths = Object.keys(document.paths as object);
    for (const route of routeTable('x')) expect(paths).toContain(route.path);
  });

  it('answers health and serves its OpenAPI document', async () => {
    const health = await call(app(), 'GET', '/api/health');
    expect(health.json).toMatchObject({ ok: true });
    const doc = await app().request('/api/openapi.json', { headers: { host: 'localhost' } });
    expect(((await doc.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('lists the example briefs as templates', async () => {
    const { status, json } = await call(app(), 'GET', '/api/templates');
    expect(status).toBe(200);
    expect(json.templates.length).toBeGreaterThanOrEqual(10);
    expect(json.templates[0].brief.version).toBe(1);
  });

  it('lists vocabularies with one-line descriptions', async () => {
    const { json } = await call(app(), 'GET', '/api/vocabulary');
    const rigs = json.fields['light.rig'] as Array<{ id: string; effect: string }>;
    expect(rigs.find((r) => r.id === 'rembrandt')?.effect).toMatch(/triangle/);
    expect(json.targets).toContain('sdxl');
  });

  it('validates a brief, naming the field of each issue', async () => {
    const ok = await call(app(), 'POST', '/api/briefs/validate', { json: { brief } });
    expect(ok.json.valid).toBe(true);
    expect(ok.json.brief.camera).toBeUndefined();
    const bad = await call(app(), 'POST', '/api/briefs/validate', {
      json: { brief: { ...brief, light: { rig: 'rembrant' } } },
    });
    expect(bad.json.valid).toBe(false);
    expect(bad.json.issues[0].path).toBe('light.rig');
    expect(bad.json.issues[0].message).toMatch(/rembrandt/);
    const text = await call(app(), 'POST', '/api/briefs/validate', {
      json: { text: 'version: 1\nsubject:\n  description: a potter\ncamera:\n  aperture: 99\n' },
    });
    expect(text.json.issues[0]).toMatchObject({ path: 'camera.aperture', line: 5 });
  });

  it('compiles a brief with CLIP windows, and refuses an invalid one with 422 and paths', async () => {
    const { status, json } = await call(app(), 'POST', '/api/briefs/compile', {
      json: { brief, target: 'sd15' },
    });
    expect(status).toBe(200);
    expect(json.prompt.target).toBe('sd15');
    expect(json.prompt.sections.some((s: { id: string }) => s.id === 'light')).toBe(true);
    expect(json.prompt.tokens.windows).toBeGreaterThanOrEqual(1);
    const invalid = await call(app(), 'POST', '/api/briefs/compile', {
      json: { brief: { ...brief, camera: { aperture: 0.1 } } },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json.error.code).toBe('BRIEF_INVALID');
    expect(invalid.json.error.issues[0].path).toBe('camera.aperture');
  });

  it('refuses a request off its schema with 400 naming the field', async () => {
    const app1 = app();
    const response = await app1.request('/api/briefs/compile', {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': 'application/json' },
      body: JSON.stringify({ brief, target: 'dalle-9' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('USAGE');
    expect(body.error.issues[0]?.path).toBe('target');
    check('#/components/schemas/Error', body, 'error body');
  });

  it('writes a brief as a YAML file that validates back to the same brief', async () => {
    const { json } = await call(app(), 'POST', '/api/briefs/text', { json: { brief } });
    expect(json.text).toMatch(/^version: 1/m);
    const back = await call(app(), 'POST', '/api/briefs/validate', { json: { text: json.text } });
    expect(back.json.valid).toBe(true);
    expect(back.json.brief.light.rig).toBe('split');
  });

  it('lints a brief and applies a nudge patch', async () => {
    const templates = await api.templates();
    const contradictions = templates.find((t) => t.file === 'contradictions.yaml');
    expect(contradictions).toBeDefined();
    const lint = await call(app(), 'POST', '/api/briefs/lint', {
      json: { brief: contradictions?.brief },
    });
    expect(lint.json.nudges.length).toBeGreaterThan(0);
    const first = lint.json.nudges[0] as { rule: string; patch: unknown[] };
    const patched = await call(app(), 'POST', '/api/briefs/patch', {
      json: { brief: contradictions?.brief, patch: first.patch },
    });
    expect(patched.status).toBe(200);
    const again = await call(app(), 'POST', '/api/briefs/lint', {
      json: { brief: patched.json.brief },
    });
    expect(again.json.nudges.map((n: { rule: string }) => n.rule)).not.toContain(first.rule);
  });

  it('uploads a reference, serves it by hash, reads its blueprint and draws its overlay', async () => {
    const upload = await call(app(), 'POST', '/api/references?name=soft-smile.png', {
      bytes: photo,
    });
    expect(upload.status).toBe(201);
    expect(upload.json).toMatchObject({ format: 'png', name: 'soft-smile.png' });
    const id = upload.json.blob as string;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const blob = await call(app(), 'GET', `/api/blobs/${id}`);
    expect(Buffer.from(blob.bytes).equals(Buffer.from(photo))).toBe(true);
    const bp = await call(app(), 'GET', `/api/references/${id}/blueprint`);
    expect(bp.status).toBe(200);
    expect(bp.json.blueprint.faces.length).toBe(1);
    expect(bp.json.blueprint.faces[0].mesh.length).toBe(478);
    expect(bp.json.brief.version).toBe(1);
    const overlay = await call(app(), 'GET', `/api/references/${id}/overlay.png?maxSize=400`);
    expect(overlay.status).toBe(200);
    expect(Buffer.from(overlay.bytes.subarray(1, 4)).toString()).toBe('PNG');
    // The overlay differs from the photo: something was drawn.
    expect(overlay.bytes.byteLength).toBeGreaterThan(1000);
  }, 180_000);

  it('reads a photo without a face into a blueprint that says so, not a server error', async () => {
    const upload = await call(app(), 'POST', '/api/references?name=dot.png', {
      bytes: onePixelPng(120, 90, 60),
    });
    expect(upload.status).toBe(201);
    const bp = await call(app(), 'GET', `/api/references/${upload.json.blob}/blueprint`);
    expect([200, 422]).toContain(bp.status);
    if (bp.status === 200) {
      expect(bp.json.blueprint.faces).toEqual([]);
      expect(bp.json.blueprint.warnings.length).toBeGreaterThan(0);
    } else expect(bp.json.error.issues.length).toBeGreaterThan(0);
  }, 180_000);

  it('answers 404 with a code for a blob that is not stored', async () => {
    const missing = await call(app(), 'GET', `/api/blobs/${'0'.repeat(64)}`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('BLOB_NOT_FOUND');
  });
});

/** Reads Server-Sent Events until `finished`; returns them parsed. */
async function readEvents(response: Response): Promise<Answer[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Answer);
}

describe('the darkroom', () => {
  const app = () => createApp({ api });
  /** Mean absolute difference per channel between two JPEGs of the same size. */
  const difference = async (a: Uint8Array, b: Uint8Array): Promise<number> => {
    const [x, y] = await Promise.all(
      [a, b].map((bytes) => sharp(Buffer.from(bytes)).removeAlpha().raw().toBuffer()),
    );
    expect(x?.length).toBe(y?.length);
    let sum = 0;
    for (let i = 0; i < (x?.length ?? 0); i++) sum += Math.abs((x?.[i] ?? 0) - (y?.[i] ?? 0));
    return sum / (x?.length ?? 1);
  };

  it('previews the sliders at screen size, re-rendering only what changed, and exports at full size', async () => {
    const upload = await call(app(), 'POST', '/api/references?name=soft-smile.png', {
      bytes: photo,
    });
    const blob = upload.json.blob as string;
    const { width, height } = await sharp(Buffer.from(photo)).metadata();
    const plain = await call(app(), 'POST', '/api/darkroom/preview', {
      json: { blob, settings: {}, maxSize: 320 },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('image/jpeg');
    const plainSize = await sharp(Buffer.from(plain.bytes)).metadata();
    expect(Math.max(plainSize.width ?? 0, plainSize.height ?? 0)).toBe(
      Math.min(320, Math.max(width ?? 0, height ?? 0)),
    );
    const lit = await call(app(), 'POST', '/api/darkroom/preview', {
      json: {
        blob,
        settings: { key: { rig: 'split', side: 'left', intensity: 1 }, smile: 0.5 },
        maxSize: 320,
      },
    });
    expect(lit.status).toBe(200);
    // A split key and a smile change the picture well beyond JPEG noise.
    expect(await difference(plain.bytes, lit.bytes)).toBeGreaterThan(2);

    // Through the use case: the photo, mesh and mask are cached; a grade change renders one stage.
    const settings = { key: { rig: 'split', side: 'left' as const, intensity: 1 }, smile: 0.5 };
    const warm = await api.darkroomPreview(blob, settings, { maxSize: 320 });
    expect(warm).toMatchObject({ warm: true, rendered: 0 });
    const graded = await api.darkroomPreview(
      blob,
      { ...settings, grade: { saturation: -1 } },
      { maxSize: 320 },
    );
    expect(graded).toMatchObject({ warm: true, rendered: 1 });
    const mono = await sharp(Buffer.from(graded.jpeg)).raw().toBuffer();
    let chroma = 0;
    for (let i = 0; i < mono.length; i += 3)
      chroma += Math.abs((mono[i] ?? 0) - (mono[i + 2] ?? 0));
    expect(chroma / (mono.length / 3)).toBeLessThan(3);
    const keyed = await api.darkroomPreview(
      blob,
      { ...settings, key: { ...settings.key, side: 'right' }, grade: { saturation: -1 } },
      { maxSize: 320 },
    );
    expect(keyed.rendered).toBe(3);
    // A look at the photo before (no sliders) keeps the develop cached.
    const keyedSettings = {
      ...settings,
      key: { ...settings.key, side: 'right' as const },
      grade: { saturation: -1 },
    };
    expect(await api.darkroomPreview(blob, {}, { maxSize: 320 })).toMatchObject({ rendered: 0 });
    expect(await api.darkroomPreview(blob, keyedSettings, { maxSize: 320 })).toMatchObject({
      rendered: 0,
    });
    // The relight panel's own sliders (fill, softness, rim, colour) override the rig's.
    const filled = await call(app(), 'POST', '/api/darkroom/preview', {
      json: {
        blob,
        settings: {
          ...settings,
          key: { ...settings.key, fill: 1.2, softness: 1, rim: true, temperature: 3200 },
        },
        maxSize: 320,
      },
    });
    expect(filled.status).toBe(200);
    expect(await difference(lit.bytes, filled.bytes)).toBeGreaterThan(1);

    const exported = await call(app(), 'POST', '/api/darkroom/export', {
      json: { blob, settings },
    });
    expect(exported.status).toBe(201);
    expect(exported.json).toMatchObject({ width, height });
    const png = await call(app(), 'GET', `/api/blobs/${exported.json.blob as string}`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect((await sharp(Buffer.from(png.bytes)).metadata()).width).toBe(width);
  }, 240_000);

  it('refuses sliders off their range or vocabulary, naming the field', async () => {
    const upload = await call(app(), 'POST', '/api/references?name=soft-smile.png', {
      bytes: photo,
    });
    const blob = upload.json.blob as string;
    // Off the document's schema, so sent without the request check.
    const range = await app().request('/api/darkroom/preview', {
      method: 'POST',
      headers: { host: '127.0.0.1:4780', 'content-type': 'application/json' },
      body: JSON.stringify({
        blob,
        settings: { key: { rig: 'loop', side: 'left', intensity: 2 } },
      }),
    });
    expect(range.status).toBe(400);
    const rangeBody = (await range.json()) as Answer;
    expect(rangeBody.error.issues[0].path).toBe('settings.key.intensity');
    const rig = await call(app(), 'POST', '/api/darkroom/preview', {
      json: { blob, settings: { grade: { grade: 'no-such-grade' } } },
    });
    expect(rig.status).toBeGreaterThanOrEqual(400);
    expect(rig.json.error.issues[0].path).toBe('grade');
    const missing = await call(app(), 'POST', '/api/darkroom/preview', {
      json: { blob: 'a'.repeat(64), settings: {} },
    });
    expect(missing.status).toBe(404);
  }, 120_000);
});

describe('sessions, rounds, candidates, picks and search', () => {
  const app = () => createApp({ api });

  it('creates a session from a brief, lists it, and shows brief versions with their diffs', async () => {
    const created = await call(app(), 'POST', '/api/sessions', { json: { brief } });
    expect(created.status).toBe(201);
    expect(created.json.title).toMatch(/retired boxer/);
    const list = await call(app(), 'GET', '/api/sessions');
    expect(list.json.sessions.map((s: Answer) => s.id)).toContain(created.json.id);
    // The session keeps the brief as validated (defaults filled in); v2 changes one field.
    const v1 = (await library.store.getBriefVersion(created.json.id, 1))?.brief as Answer;
    await library.store.addBriefVersion(
      created.json.id,
      { ...v1, light: { ...v1['light'], rig: 'rembrandt' } },
      'softer light',
    );
    const detail = await call(app(), 'GET', `/api/sessions/${created.json.id}`);
    expect(detail.json.briefVersions).toHaveLength(2);
    expect(detail.json.briefVersions[0].changes).toEqual([]);
    expect(detail.json.briefVersions[1].changes).toEqual([
      { path: 'light.rig', kind: 'changed', before: 'split', after: 'rembrandt' },
    ]);
    const missing = await call(app(), 'GET', '/api/sessions/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.error.issues[0].path).toBe('id');
    const bad = await call(app(), 'POST', '/api/sessions', {
      json: { brief: { version: 1, subject: {} } },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.error.issues.map((i: Answer) => i.path)).toContain('subject.description');
  });

  it("lists a round's candidates with pillar scores and flags, picks them, and finds them by score", async () => {
    const session = await library.store.createSession({ title: 'picks', brief });
    const round = await library.store.startRound(session.id, {
      briefVersion: 1,
      engine: 'local',
      count: 2,
      seed: 7,
      nudges: [],
    });
    const image = await library.blobs.put(photo);
    const card = (expression: number) => ({
      source: 'c',
      overall: expression,
      pillars: [
        {
          pillar: 'expression',
          wanted: 'determined',
          measured: 'neutral',
          score: expression,
          reason: 'r',
          details: {},
        },
      ],
      flags: expression < 0.5 ? ['soft-eyes'] : [],
      nudges: [],
    });
    for (const [index, expression] of [0.9, 0.3].entries())
      await library.store.addCandidate(round.id, {
        index,
        engine: 'local',
        seed: 7 + index,
        parameters: {},
        provenance: {},
        image,
        scorecard: card(expression),
        scores: { expression, overall: expression },
      });
    const { json } = await call(app(), 'GET', `/api/rounds/${round.id}/candidates`);
    expect(json.candidates.map((c: Answer) => c.scores.expression)).toEqual([0.9, 0.3]);
    expect(json.candidates[1].flags).toEqual(['soft-eyes']);
    expect(json.candidates[0].pillars[0]).toMatchObject({ pillar: 'expression', score: 0.9 });
    const first = json.candidates[0].id as string;
    const picked = await call(app(), 'POST', `/api/candidates/${first}/pick`, {
      json: { verdict: 'pick', stars: 4, note: 'the eyes' },
    });
    expect(picked.json.pick).toMatchObject({ verdict: 'pick', stars: 4, note: 'the eyes' });
    const cleared = await call(app(), 'POST', `/api/candidates/${first}/pick`, {
      json: { stars: null },
    });
    expect(cleared.json.pick).toMatchObject({ verdict: 'pick', stars: null });
    const badStars = await app().request(`/api/candidates/${first}/pick`, {
      method: 'POST',
      headers: { host: 'localhost', 'content-type': 'application/json' },
      body: JSON.stringify({ stars: 6 }),
    });
    expect(badStars.status).toBe(400);
    const badBody = (await badStars.json()) as Answer;
    expect(badBody.error.issues[0].path).toBe('stars');
    const found = await call(
      app(),
      'GET',
      `/api/library/search?pillar=${encodeURIComponent('expression>=0.8')}&session=${session.id}`,
    );
    expect(found.json.candidates.map((c: Answer) => c.id)).toEqual([first]);
    const two = await call(
      app(),
      'GET',
      `/api/library/search?pillar=${encodeURIComponent('expression>=0.2')}&pillar=${encodeURIComponent('expression<=0.5')}&session=${session.id}`,
    );
    expect(two.json.candidates).toHaveLength(1);
    expect(two.json.candidates[0].scores.expression).toBe(0.3);
    const wrong = await call(app(), 'GET', '/api/library/search?pillar=mood>0.5');
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.issues[0].path).toBe('--pillar[0]');
  });

  it('runs a round on the local engine with progress over SSE, and cancels one', async () => {
    const upload = await call(app(), 'POST', '/api/references?name=soft-smile.png', {
      bytes: photo,
    });
    const withReference = {
      ...brief,
      references: [{ image: upload.json.blob, role: 'identity' }],
    };
    const session = await call(app(), 'POST', '/api/sessions', { json: { brief: withReference } });
    const started = await call(app(), 'POST', `/api/sessions/${session.json.id}/rounds`, {
      json: { count: 1 },
    });
    expect(started.status).toBe(201);
    expect(started.json.round).toMatchObject({ number: 1, engine: 'local', status: 'running' });
    const roundId = started.json.round.id as string;
    const stream = await call(app(), 'GET', `/api/rounds/${roundId}/events`);
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = (await new Response(stream.bytes).text())
      .split('\n\n')
      .filter((b) => b.includes('data: '))
      .map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)) as Answer);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('started');
    expect(types).toContain('progress');
    expect(types.at(-1)).toBe('finished');
    expect(events.at(-1)).toMatchObject({ status: 'done' });
    const candidate = events.find((e) => e.type === 'candidate')?.candidate as Answer;
    // The event's candidate is shaped as GET /api/rounds/{id}/candidates answers it.
    check('#/components/schemas/Candidates', { candidates: [candidate] }, 'candidate event');
    expect(candidate.scores.overall).toBeGreaterThan(0);
    expect(candidate.pillars.map((p: Answer) => p.pillar)).toContain('expression');
    const image = await call(app(), 'GET', `/api/blobs/${candidate.image}`);
    expect(image.headers.get('content-type')).toBe('image/png');
    // A second listener after the end hears the whole round again.
    const again = await readEvents(
      await app().request(`/api/rounds/${roundId}/events`, { headers: { host: 'localhost' } }),
    );
    expect(again.map((e) => e.type)).toEqual(types);

    // The next round, from an edited brief: a new version, and a cancel before it generates.
    const next = await call(app(), 'POST', `/api/sessions/${session.json.id}/rounds`, {
      json: {
        count: 1,
        brief: { ...withReference, light: { rig: 'rembrandt', side: 'left' } },
        note: 'rembrandt',
      },
    });
    expect(next.json.round).toMatchObject({ number: 2, briefVersion: 2 });
    const cancelled = await call(app(), 'POST', `/api/rounds/${next.json.round.id}/cancel`);
    expect(cancelled.json.round.status).toBe('cancelled');
    const detail = await call(app(), 'GET', `/api/sessions/${session.json.id}`);
    expect(detail.json.rounds.map((r: Answer) => r.status)).toEqual(['done', 'cancelled']);
    expect(detail.json.briefVersions[1].changes.map((c: Answer) => c.path)).toEqual(
      expect.arrayContaining(['light.rig', 'light.side']),
    );
  }, 600_000);
});

describe('resume over HTTP', () => {
  const app = () => createApp({ api });

  it('continues a round an interrupted server left running, keeping what it stored', async () => {
    const upload = await call(app(), 'POST', '/api/references?name=soft-smile.png', {
      bytes: photo,
    });
    const withReference = {
      ...brief,
      references: [{ image: upload.json.blob, role: 'identity' }],
    };
    const session = await call(app(), 'POST', '/api/sessions', { json: { brief: withReference } });
    // What a server killed mid-round leaves in the library: the round running, one candidate
    // stored but not yet scored, and no run of it in this process.
    const round = await library.store.startRound(session.json.id, {
      briefVersion: 1,
      engine: 'local',
      count: 2,
      seed: 11,
      nudges: [],
    });
    const kept = await library.store.addCandidate(round.id, {
      index: 0,
      engine: 'local',
      seed: 11,
      parameters: {},
      provenance: {},
      image: await library.blobs.put(photo),
    });
    const before = await readEvents(
      await app().request(`/api/rounds/${round.id}/events`, { headers: { host: 'localhost' } }),
    );
    expect(before).toEqual([
      expect.objectContaining({ type: 'finished', status: 'interrupted', roundId: round.id }),
    ]);

    const resumed = await call(app(), 'POST', `/api/rounds/${round.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json.round).toMatchObject({ id: round.id, number: 1, status: 'running' });
    const events = await readEvents(
      await app().request(`/api/rounds/${round.id}/events`, { headers: { host: 'localhost' } }),
    );
    expect(events.map((e) => e.type)[0]).toBe('started');
    expect(events.at(-1)).toMatchObject({ type: 'finished', status: 'done' });

    const { json } = await call(app(), 'GET', `/api/rounds/${round.id}/candidates`);
    expect(json.candidates.map((c: Answer) => c.index)).toEqual([0, 1]);
    // The stored candidate is the same row, scored now; only the missing one was made.
    expect(json.candidates[0].id).toBe(kept.id);
    expect(json.candidates[0].scores.overall).toBeGreaterThan(0);
    expect(json.candidates[1].seed).toBe(12);
    const detail = await call(app(), 'GET', `/api/sessions/${session.json.id}`);
    expect(detail.json.rounds.map((r: Answer) => r.status)).toEqual(['done']);

    // A finished round does not resume; an unknown one is named.
    const again = await call(app(), 'POST', `/api/rounds/${round.id}/resume`);
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({ code: 'USAGE' });
    expect(again.json.error.issues[0]).toMatchObject({ path: 'id' });
    expect(again.json.error.issues[0].message).toMatch(/is done/);
    const unknown = await call(app(), 'POST', '/api/rounds/no-such-round/resume');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'NOT_FOUND' });
    expect(unknown.json.error.issues[0].path).toBe('id');
  }, 600_000);
});

describe('security', () => {
  // One concrete request per route of the table, so a new route is covered by these tests.
  const id = 'a'.repeat(64);
  const concrete = routeTable('test').map((route) => ({
    method: route.method.toUpperCase(),
    path: route.path.replace('{id}', id),
  }));

  it('refuses a foreign Host with 403 on every route, static pages included', async () => {
    const app = createApp({ api });
    for (const { method, path } of [
      ...concrete,
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/api/openapi.json' },
    ]) {
      const response = await app.request(path, {
        method,
        headers: { host: 'evil.example:4780', 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect(response.status, `${method} ${path}`).toBe(403);
      const body = (await response.json()) as {
        error: { code: string; issues: { path: string }[] };
      };
      expect(body.error.code).toBe('HOST_FORBIDDEN');
      expect(body.error.issues[0]?.path).toBe('host');
    }
  });

  it('refuses a foreign Origin (cross-site request) with 403 and sends no CORS or cookies', async () => {
    const app = createApp({ api });
    const cross = await app.request('/api/briefs/validate', {
      method: 'POST',
      headers: {
        host: 'localhost:4780',
        origin: 'https://evil.example',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ brief }),
    });
    expect(cross.status).toBe(403);
    const preflight = await app.request('/api/briefs/validate', {
      method: 'OPTIONS',
      headers: {
        host: 'localhost',
        origin: 'http://localhost:4780',
        'access-control-request-method': 'POST',
      },
    });
    for (const response of [cross, preflight]) {
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    const same = await app.request('/api/health', {
      headers: { host: 'localhost:4780', origin: 'http://localhost:4780' },
    });
    expect(same.status).toBe(200);
    expect(same.headers.get('set-cookie')).toBeNull();
  });

  it('requires the token on every API route when one is set (401), and accepts it', async () => {
    const app = createApp({ api, token: 's3cret-token' });
    for (const { method, path } of concrete) {
      for (const authorization of [undefined, 'Bearer wrong', 's3cret-token']) {
        const response = await app.request(path, {
          method,
          headers: { host: 'localhost', ...(authorization === undefined ? {} : { authorization }) },
        });
        expect(response.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
          'UNAUTHORIZED',
        );
      }
    }
    const ok = await app.request('/api/health', {
      headers: { host: 'localhost', authorization: 'Bearer s3cret-token' },
    });
    expect(ok.status).toBe(200);
  });

  it('refuses blob ids that are not content hashes (path traversal)', async () => {
    const app = createApp({ api });
    for (const path of [
      '/api/blobs/..%2F..%2Fetc%2Fpasswd',
      '/api/blobs/../../etc/passwd',
      `/api/blobs/${'A'.repeat(64)}`,
      `/api/blobs/${'a'.repeat(63)}`,
      '/api/references/..%2Fpackage.json/blueprint',
      '/api/blobs/%2e%2e%2f%2e%2e%2fpackage.json',
    ]) {
      const response = await app.request(path, { headers: { host: 'localhost' } });
      expect([400, 404], path).toContain(response.status);
      const text = await response.text();
      expect(text).not.toMatch(/portraitist|root:/);
    }
    const bad = await call(app, 'GET', `/api/blobs/${'A'.repeat(64)}`);
    expect(bad.json.error.issues[0].path).toBe('params.id');
  });

  it('refuses an oversized upload and an oversized JSON body with 413', async () => {
    const app = createApp({ api, maxUploadBytes: 1000, maxJsonBytes: 2000 });
    const upload = await call(app, 'POST', '/api/references', { bytes: photo });
    expect(upload.status).toBe(413);
    expect(upload.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const big = await call(app, 'POST', '/api/briefs/validate', {
      json: { brief: { ...brief, notes: 'x'.repeat(3000) } },
    });
    expect(big.status).toBe(413);
  });

  it('refuses a decompression bomb from its header, before decoding, with a typed error', async () => {
    const app = createApp({ api });
    const bomb = pngBomb(60_000, 60_000);
    expect(bomb.byteLength).toBeLessThan(2000);
    const response = await call(app, 'POST', '/api/references?name=bomb.png', { bytes: bomb });
    expect(response.status).toBe(413);
    expect(response.json.error.code).toBe('IMAGE_TOO_LARGE');
    expect(response.json.error.message).toMatch(/60000×60000/);
    expect(response.json.error.issues[0].path).toBe('image');
    // Nothing of it was kept.
    const { createHash } = await import('node:crypto');
    const id = createHash('sha256').update(bomb).digest('hex');
    expect((await call(app, 'GET', `/api/blobs/${id}`)).status).toBe(404);
  });

  it('refuses a file that is not an accepted image, whatever its content type says', async () => {
    const app = createApp({ api });
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    const response = await call(app, 'POST', '/api/references', { bytes: svg, type: 'image/png' });
    expect(response.status).toBe(415);
    expect(response.json.error.code).toBe('IMAGE_UNSUPPORTED');
  });

  it('refuses an engine URL in a request body with a typed error naming the field', async () => {
    const app = createApp({ api });
    for (const json of [
      { brief, target: 'sdxl', engineUrl: 'http://169.254.169.254/' },
      { brief: { ...brief, output: { target: 'sdxl', baseUrl: 'http://10.0.0.1:8188' } } },
    ]) {
      const response = await app.request('/api/briefs/compile', {
        method: 'POST',
        headers: { host: 'localhost', 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as {
        error: { code: string; issues: { path: string }[] };
      };
      expect(body.error.code).toBe('ENGINE_URL_REFUSED');
      expect(body.error.issues[0]?.path).toMatch(/engineUrl|output\.baseUrl/);
    }
  });
});

/** A raw HTTP request (fetch does not let a test choose the Host header). */
function raw(port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('over a real socket', () => {
  it('binds 127.0.0.1 by default, answers, and refuses a rebound Host', async () => {
    const server = await startServer({ api, port: 0 });
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.token).toBeUndefined();
      const health = await fetch(`http://127.0.0.1:${server.port}/api/health`);
      expect(health.status).toBe(200);
      check(
        operationOf('GET', '/api/health').responses['200']?.content['application/json']?.schema
          .$ref,
        await health.json(),
        'health over a socket',
      );
      const rebound = await raw(server.port, '/api/health', {
        host: `attacker.example:${server.port}`,
      });
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body).error.code).toBe('HOST_FORBIDDEN');
      const compiled = await fetch(`http://127.0.0.1:${server.port}/api/briefs/compile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ brief }),
      });
      expect(compiled.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('requires a token when bound beyond loopback: 401 without, 200 with', async () => {
    const server = await startServer({ api, port: 0, host: '0.0.0.0', newToken: () => 'tok-123' });
    try {
      expect(server.token).toBe('tok-123');
      expect(server.url).toMatch(/#token=tok-123$/);
      const without = await fetch(`http://127.0.0.1:${server.port}/api/health`);
      expect(without.status).toBe(401);
      const withToken = await fetch(`http://127.0.0.1:${server.port}/api/health`, {
        headers: { authorization: 'Bearer tok-123' },
      });
      expect(withToken.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
