// An in-process fake of the OpenAI Images API (reference/backends.md §3): POST /v1/images/generations
// (JSON) and POST /v1/images/edits (multipart), answered with deterministic face photos. It checks
// what a client sends as the real API does (or more strictly: `model` is required) and answers the
// documented error envelope, so engine tests fail when a request is shaped wrong; faults are injected
// per request.
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sniffFormat } from '../../image/index.js';
import { createFakeRenderer, type FakeRenderer } from './render.js';

/**
 * A fault the fake injects instead of its normal answer, after checking the request:
 * - `server-error`: 500 with `retry-after-ms: 1` (the SDK retries it quickly);
 * - `rate-limit`: 429 `rate_limit_exceeded` with `retry-after-ms: 1`;
 * - `moderation`: 400 `moderation_blocked`, as the safety system answers;
 * - `malformed-json`: a 200 whose JSON body is cut off;
 * - `not-an-image`: a 200 whose `b64_json` is text, not an image;
 * - `no-data`: a 200 without `data`;
 * - `url`: images as `url` (served by the fake) instead of `b64_json`;
 * - `expired-url`: images as `url`s that answer 403, as expired links do;
 * - `hang`: never answers (until the client gives up or the fake closes);
 * - `drop`: destroys the connection without answering;
 * - `{ status, … }`: that status with the error envelope built from the other fields.
 */
export type FakeOpenAiFault =
  | 'server-error'
  | 'rate-limit'
  | 'moderation'
  | 'malformed-json'
  | 'not-an-image'
  | 'no-data'
  | 'url'
  | 'expired-url'
  | 'hang'
  | 'drop'
  | {
      readonly status: number;
      readonly type?: string;
      readonly code?: string | null;
      readonly param?: string | null;
      readonly message?: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** Options of {@link startFakeOpenAi}. */
export interface FakeOpenAiOptions {
  /** The only key accepted; without it any `Bearer` key is. */
  readonly apiKey?: string;
  /** A fault for every API request, or one chosen by the request's 0-based number. */
  readonly fault?: FakeOpenAiFault | ((n: number) => FakeOpenAiFault | undefined);
  /** The renderer of its pictures; share one between fakes to decode each fixture face once. */
  readonly renderer?: FakeRenderer;
}

/** A file part of a multipart request. */
export interface RecordedFilePart {
  readonly field: string;
  readonly filename: string;
  readonly type: string;
  readonly bytes: Uint8Array;
}

/** One request the fake received, as it came. */
export interface RecordedOpenAiRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case (`authorization` included). */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, when there was one. */
  readonly json?: unknown;
  /** The text parts of a multipart body, each name with its values in order. */
  readonly fields?: Readonly<Record<string, readonly string[]>>;
  /** The file parts of a multipart body, in order. */
  readonly files?: readonly RecordedFilePart[];
}

/** A running fake OpenAI API. */
export interface FakeOpenAi {
  /** Base URL including `/v1`, as the SDK's `baseURL` takes it. */
  readonly url: string;
  readonly requests: readonly RecordedOpenAiRequest[];
  /** Milliseconds the server spent on each image request it answered, in order. */
  readonly serverMs: readonly number[];
  /** Image requests that made (and would bill) images: replays of an idempotency key are not counted. */
  generationCount(): number;
  /** Answers replayed for an `Idempotency-Key` seen before, in order. */
  readonly replayed: readonly string[];
  close(): Promise<void>;
}

interface ErrorEnvelope {
  readonly status: number;
  readonly message: string;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
}

interface ImageParams {
  readonly model?: string;
  readonly prompt?: string;
  readonly n?: string;
  readonly size?: string;
  readonly quality?: string;
  readonly response_format?: string;
  readonly output_format?: string;
  readonly input_fidelity?: string;
  readonly moderation?: string;
  readonly background?: string;
  readonly style?: string;
}

type Family = 'gpt-image' | 'dall-e-3' | 'dall-e-2';

// The fake's own table (it must not share the engine's, or a wrong rule would pass both).
const familyOf: Readonly<Record<string, Family>> = {
  'gpt-image-1': 'gpt-image',
  'gpt-image-1-mini': 'gpt-image',
  'gpt-image-1.5': 'gpt-image',
  'gpt-image-2': 'gpt-image',
  'gpt-image-2-2026-04-21': 'gpt-image',
  'chatgpt-image-latest': 'gpt-image',
  'dall-e-3': 'dall-e-3',
  'dall-e-2': 'dall-e-2',
};
const sizesOf: Readonly<Record<Family, readonly string[]>> = {
  'gpt-image': ['1024x1024', '1536x1024', '1024x1536', 'auto'],
  'dall-e-3': ['1024x1024', '1792x1024', '1024x1792'],
  'dall-e-2': ['256x256', '512x512', '1024x1024'],
};
const qualitiesOf: Readonly<Record<Family, readonly string[]>> = {
  'gpt-image': ['low', 'medium', 'high', 'auto'],
  'dall-e-3': ['standard', 'hd'],
  'dall-e-2': ['standard'],
};
const promptLimit: Readonly<Record<Family, number>> = {
  'gpt-image': 32_000,
  'dall-e-3': 4_000,
  'dall-e-2': 1_000,
};
// Output tokens of one 1024×1024 image by quality (OpenAI's published table for gpt-image-1).
const outputTokens: Readonly<Record<string, number>> = { low: 272, medium: 1056, high: 4160 };

const invalid = (message: string, param: string | null, code: string | null = null) =>
  ({ status: 400, message, type: 'invalid_request_error', param, code }) satisfies ErrorEnvelope;

const asText = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** The request's parameters as strings, whether they came as JSON or as multipart fields. */
function paramsOf(source: Readonly<Record<string, unknown>>): ImageParams {
  const read = (key: keyof ImageParams) => {
    const value = asText(source[key]);
    return value === undefined ? {} : { [key]: value };
  };
  return Object.assign(
    {},
    ...(
      [
        'model',
        'prompt',
        'n',
        'size',
        'quality',
        'response_format',
        'output_format',
        'input_fidelity',
        'moderation',
        'background',
        'style',
      ] as const
    ).map(read),
  ) as ImageParams;
}

/** What the real API would refuse in this request (and `model` missing, which it defaults). */
function checkParams(
  endpoint: 'generations' | 'edits',
  params: ImageParams,
  images: readonly RecordedFilePart[],
): ErrorEnvelope | undefined {
  if (params.prompt === undefined || params.prompt === '')
    return invalid("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  // The real API falls back to dall-e-2 (generations) or gpt-image-1.5 (edits); a client that
  // relies on that gets a model it did not choose, so the fake refuses it.
  if (params.model === undefined)
    return invalid(
      "Missing parameter: 'model' (the fake requires it; the real API would pick a default model).",
      'model',
      'missing_required_parameter',
    );
  const family = familyOf[params.model];
  if (family === undefined)
    return invalid(
      `Invalid value: '${params.model}'. Unknown image model.`,
      'model',
      'invalid_value',
    );
  if (params.prompt.length > promptLimit[family])
    return invalid(
      `Invalid 'prompt': string too long. Expected a string with maximum length ${promptLimit[family]}, but got a string with length ${params.prompt.length} instead.`,
      'prompt',
      'string_above_max_length',
    );
  if (params.n !== undefined) {
    const n = Number(params.n);
    if (!Number.isInteger(n) || n < 1 || n > 10)
      return invalid(
        `Invalid 'n': expected an integer from 1 to 10, got ${params.n}.`,
        'n',
        'invalid_value',
      );
    if (family === 'dall-e-3' && n !== 1)
      return invalid('dall-e-3 only supports n=1.', 'n', 'invalid_value');
  }
  if (params.size !== undefined && !sizeAccepted(params.model, family, params.size))
    return invalid(
      `Invalid value: '${params.size}'. Supported values are: ${sizesOf[family].map((s) => `'${s}'`).join(', ')}.`,
      'size',
      'invalid_value',
    );
  if (params.quality !== undefined && !qualitiesOf[family].includes(params.quality))
    return invalid(
      `Invalid value: '${params.quality}'. Supported values are: ${qualitiesOf[family].map((s) => `'${s}'`).join(', ')}.`,
      'quality',
      'invalid_value',
    );
  if (params.response_format !== undefined) {
    if (family === 'gpt-image')
      return invalid(
        "Unknown parameter: 'response_format'.",
        'response_format',
        'unknown_parameter',
      );
    if (!['url', 'b64_json'].includes(params.response_format))
      return invalid(
        `Invalid value: '${params.response_format}'.`,
        'response_format',
        'invalid_value',
      );
  }
  if (params.output_format !== undefined) {
    if (family !== 'gpt-image')
      return invalid("Unknown parameter: 'output_format'.", 'output_format', 'unknown_parameter');
    if (!['png', 'jpeg', 'webp'].includes(params.output_format))
      return invalid(`Invalid value: '${params.output_format}'.`, 'output_format', 'invalid_value');
  }
  if (params.moderation !== undefined) {
    if (endpoint !== 'generations' || family !== 'gpt-image')
      return invalid("Unknown parameter: 'moderation'.", 'moderation', 'unknown_parameter');
    if (!['low', 'auto'].includes(params.moderation))
      return invalid(`Invalid value: '${params.moderation}'.`, 'moderation', 'invalid_value');
  }
  if (params.style !== undefined && family !== 'dall-e-3')
    return invalid("Unknown parameter: 'style'.", 'style', 'unknown_parameter');
  if (endpoint === 'generations') {
    if (params.input_fidelity !== undefined)
      return invalid("Unknown parameter: 'input_fidelity'.", 'input_fidelity', 'unknown_parameter');
    return undefined;
  }
  if (params.input_fidelity !== undefined) {
    if (family !== 'gpt-image' || params.model.startsWith('gpt-image-1-mini'))
      return invalid(
        `input_fidelity is not supported for ${params.model}.`,
        'input_fidelity',
        'unsupported_parameter',
      );
    if (!['high', 'low'].includes(params.input_fidelity))
      return invalid(
        `Invalid value: '${params.input_fidelity}'.`,
        'input_fidelity',
        'invalid_value',
      );
  }
  if (family === 'dall-e-3')
    return invalid('dall-e-3 does not support image edits.', 'model', 'invalid_value');
  if (images.length === 0)
    return invalid("Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
  const most = family === 'dall-e-2' ? 1 : 16;
  if (images.length > most)
    return invalid(
      `Too many images: at most ${most} for ${params.model}.`,
      'image',
      'invalid_value',
    );
  for (const image of images) {
    const format = sniffFormat(image.bytes);
    if (!(family === 'dall-e-2' ? ['png'] : ['png', 'jpeg', 'webp']).includes(format))
      return invalid(
        `Invalid image file or mode for image '${image.filename}': expected png, jpeg or webp, got ${format}.`,
        'image',
        'invalid_image_format',
      );
  }
  return undefined;
}

function sizeAccepted(model: string, family: Family, size: string): boolean {
  if (sizesOf[family].includes(size)) return true;
  if (!model.startsWith('gpt-image-2')) return false;
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (match === null) return false;
  const width = Number(match[1]);
  const height = Number(match[2]);
  const ratio = width / height;
  return (
    width % 16 === 0 &&
    height % 16 === 0 &&
    width > 0 &&
    height > 0 &&
    Math.max(width, height) <= 3840 &&
    width * height <= 3840 * 2160 &&
    ratio >= 1 / 3 &&
    ratio <= 3
  );
}

/** A seed from the prompt, so the same request always renders the same pictures. */
function promptSeed(prompt: string, model: string, size: string): number {
  return createHash('sha256').update(`${model}\n${size}\n${prompt}`).digest().readUInt32BE(0);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Starts a fake OpenAI Images API on 127.0.0.1 (a free port); `close()` ends every connection. */
export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const renderer = options.renderer ?? createFakeRenderer();
  const requests: RecordedOpenAiRequest[] = [];
  const files = new Map<string, Uint8Array>();
  let apiRequests = 0;
  let generations = 0;
  // Answers kept per Idempotency-Key, with the parameters they were made for.
  const idempotent = new Map<string, { fingerprint: string; body: unknown }>();
  const inFlight = new Set<string>();
  const replayed: string[] = [];
  let fileCounter = 0;
  let origin = '';

  const faultFor = (n: number): FakeOpenAiFault | undefined =>
    typeof options.fault === 'function' ? options.fault(n) : options.fault;

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  function sendError(
    res: ServerResponse,
    error: ErrorEnvelope,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    const { status, ...body } = error;
    sendJson(res, status, { error: body }, headers);
  }

  function serveFile(path: string, res: ServerResponse): void {
    const id = path.slice('/files/'.length);
    const bytes = files.get(id);
    if (bytes === undefined || id.startsWith('expired-')) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<Error><Code>AuthenticationFailed</Code><Message>Signature expired</Message></Error>',
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
    res.end(bytes);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const contentType = headers['content-type'] ?? '';

    let json: unknown;
    let fields: Record<string, string[]> | undefined;
    let parts: RecordedFilePart[] | undefined;
    let unreadable: string | undefined;
    if (contentType.startsWith('application/json')) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        unreadable = 'We could not parse the JSON body of your request.';
      }
    } else if (contentType.startsWith('multipart/form-data')) {
      try {
        const form = await new Request('http://fake.invalid/', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        }).formData();
        fields = {};
        parts = [];
        for (const [name, value] of form.entries()) {
          if (typeof value === 'string') (fields[name] ??= []).push(value);
          else
            parts.push({
              field: name,
              filename: value.name,
              type: value.type,
              bytes: new Uint8Array(await value.arrayBuffer()),
            });
        }
      } catch {
        unreadable = 'We could not parse the multipart body of your request.';
      }
    }
    requests.push({
      method,
      path,
      headers,
      ...(json === undefined ? {} : { json }),
      ...(fields === undefined ? {} : { fields }),
      ...(parts === undefined ? {} : { files: parts }),
    });

    if (method === 'GET' && path.startsWith('/files/')) return serveFile(path, res);
    const endpoint =
      method === 'POST' && path === '/v1/images/generations'
        ? 'generations'
        : method === 'POST' && path === '/v1/images/edits'
          ? 'edits'
          : undefined;
    if (endpoint === undefined)
      return sendError(res, {
        status: 404,
        message: `Invalid URL (${method} ${path})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    const requestId = `req_fake_${apiRequests}`;
    const fault = faultFor(apiRequests);
    apiRequests++;

    const authorization = headers['authorization'] ?? '';
    const key = /^Bearer (.+)$/.exec(authorization)?.[1];
    if (key === undefined || (options.apiKey !== undefined && key !== options.apiKey))
      return sendError(
        res,
        {
          status: 401,
          // Unlike the real API, the key is echoed unmasked, so tests can check that clients
          // never repeat what a server says about it.
          message:
            key === undefined
              ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
              : `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: key === undefined ? null : 'invalid_api_key',
        },
        { 'x-request-id': requestId },
      );
    if (unreadable !== undefined)
      return sendError(res, invalid(unreadable, null), { 'x-request-id': requestId });
    const wanted = endpoint === 'generations' ? 'application/json' : 'multipart/form-data';
    if (!contentType.startsWith(wanted))
      return sendError(
        res,
        invalid(
          `Expected a ${wanted} body for /images/${endpoint}, got ${contentType || 'none'}.`,
          null,
        ),
        { 'x-request-id': requestId },
      );
    const source: Record<string, unknown> =
      endpoint === 'generations'
        ? typeof json === 'object' && json !== null && !Array.isArray(json)
          ? (json as Record<string, unknown>)
          : {}
        : Object.fromEntries(Object.entries(fields ?? {}).map(([k, v]) => [k, v[v.length - 1]]));
    const params = paramsOf(source);
    const images = (parts ?? []).filter((p) => p.field === 'image' || p.field === 'image[]');
    const refused = checkParams(endpoint, params, images);
    if (refused !== undefined) return sendError(res, refused, { 'x-request-id': requestId });

    const ids = { 'x-request-id': requestId };
    const fast = { ...ids, 'retry-after-ms': '1' };
    // Idempotency keys: the same key with the same parameters answers the kept result again and
    // makes nothing new; with other parameters it is refused; while the first is running, 409.
    const idempotencyKey = headers['idempotency-key'];
    const fingerprint = JSON.stringify([
      endpoint,
      params,
      images.map((p) => Buffer.from(p.bytes).toString('base64')),
    ]);
    if (idempotencyKey !== undefined) {
      const kept = idempotent.get(idempotencyKey);
      if (kept !== undefined && kept.fingerprint !== fingerprint)
        return sendError(
          res,
          invalid('Keys for idempotent requests can only be used with the same parameters.', null),
          ids,
        );
      if (kept !== undefined) {
        replayed.push(idempotencyKey);
        return sendJson(res, 200, kept.body, { ...ids, 'idempotent-replayed': 'true' });
      }
      if (inFlight.has(idempotencyKey))
        return sendError(
          res,
          {
            status: 409,
            message: 'A request with this idempotency key is still being processed.',
            type: 'invalid_request_error',
            param: null,
            code: 'idempotency_key_in_use',
          },
          fast,
        );
      inFlight.add(idempotencyKey);
      res.once('close', () => inFlight.delete(idempotencyKey));
    }
    const answer = (body: unknown) => {
      generations++;
      if (idempotencyKey !== undefined) idempotent.set(idempotencyKey, { fingerprint, body });
      sendJson(res, 200, body, ids);
    };
    if (fault === 'hang') return; // the response stays open until the client or close() ends it
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault === 'server-error')
      return sendError(
        res,
        {
          status: 500,
          message: 'The server had an error while processing your request.',
          type: 'server_error',
          param: null,
          code: null,
        },
        fast,
      );
    if (fault === 'rate-limit')
      return sendError(
        res,
        {
          status: 429,
          message: 'Rate limit reached for images per minute. Please try again later.',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
        fast,
      );
    if (fault === 'moderation')
      return sendError(
        res,
        {
          status: 400,
          message:
            'Your request was rejected by the safety system. If you believe this is an error, contact us.',
          type: 'image_generation_user_error',
          param: null,
          code: 'moderation_blocked',
        },
        ids,
      );
    if (typeof fault === 'object')
      return sendError(
        res,
        {
          status: fault.status,
          message: fault.message ?? `Injected ${fault.status}.`,
          type: fault.type ?? (fault.status >= 500 ? 'server_error' : 'invalid_request_error'),
          param: fault.param ?? null,
          code: fault.code ?? null,
        },
        { ...ids, ...fault.headers },
      );
    if (fault === 'malformed-json') {
      res.writeHead(200, { 'content-type': 'application/json', ...ids });
      res.end('{"created": 1713833628, "data": [{"b64_json": "iVBOR');
      return;
    }

    const model = params.model ?? '';
    const family = familyOf[model] ?? 'gpt-image';
    const size = params.size === undefined || params.size === 'auto' ? '1024x1024' : params.size;
    const [width, height] = size.split('x').map(Number) as [number, number];
    const n = Number(params.n ?? '1');
    const format = family === 'gpt-image' ? (params.output_format ?? 'png') : 'png';
    const quality =
      family === 'gpt-image'
        ? params.quality === undefined || params.quality === 'auto'
          ? 'medium'
          : params.quality
        : (params.quality ?? 'standard');
    const asUrl =
      fault === 'url' ||
      fault === 'expired-url' ||
      (family !== 'gpt-image' && params.response_format !== 'b64_json');
    const seed = promptSeed(params.prompt ?? '', model, size);
    const data: Record<string, string>[] = [];
    for (let i = 0; i < n; i++) {
      const bytes =
        fault === 'not-an-image'
          ? new TextEncoder().encode('this is not an image, just text\n'.repeat(8))
          : await renderer.render(seed + i, width, height, format as 'png' | 'jpeg' | 'webp');
      const item: Record<string, string> = {};
      if (asUrl) {
        const id = `${fault === 'expired-url' ? 'expired-' : ''}img-${fileCounter++}.${format}`;
        files.set(id, bytes);
        item['url'] = `${origin}/files/${id}?se=2099-01-01&sig=secret`;
      } else item['b64_json'] = Buffer.from(bytes).toString('base64');
      if (family === 'dall-e-3') item['revised_prompt'] = `A photograph: ${params.prompt ?? ''}`;
      data.push(item);
    }
    const created = Math.floor(Date.now() / 1000);
    if (fault === 'no-data') return answer({ created });
    if (family !== 'gpt-image') return answer({ created, data });
    const textTokens = Math.ceil((params.prompt ?? '').length / 4);
    const imageTokens = images.length * 323;
    const perImage = Math.round(((outputTokens[quality] ?? 1056) * width * height) / (1024 * 1024));
    const input = textTokens + imageTokens;
    return answer({
      created,
      data,
      background: 'opaque',
      output_format: format,
      quality,
      size,
      usage: {
        input_tokens: input,
        input_tokens_details: { text_tokens: textTokens, image_tokens: imageTokens },
        output_tokens: perImage * n,
        total_tokens: input + perImage * n,
      },
    });
  }

  const serverMs: number[] = [];
  const server = createServer((req, res) => {
    // The server's own time per image request, from its first byte to the answer's last.
    const began = performance.now();
    if (req.method === 'POST' && (req.url ?? '').startsWith('/v1/images/'))
      res.once('finish', () => serverMs.push(performance.now() - began));
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else
        sendError(res, {
          status: 500,
          message: `fake OpenAI failed: ${error instanceof Error ? error.message : String(error)}`,
          type: 'server_error',
          param: null,
          code: null,
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    requests,
    serverMs,
    generationCount: () => generations,
    replayed,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hanging requests and idle keep-alive sockets would hold close() open.
        server.closeAllConnections();
      }),
  };
}
