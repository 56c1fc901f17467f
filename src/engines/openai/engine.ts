// The OpenAI Images engine: gpt-image generations, and edits when the brief sends reference photos,
// through the official `openai` package (reference/backends.md §3). The SDK owns the connection,
// timeouts and retries; this file shapes requests for the chosen model, checks every answer, and
// maps every failure to our error codes without ever repeating the API key.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  toFile,
} from 'openai';
import { z } from 'zod';
import { PortraitistError, isPortraitistError } from '../../errors/index.js';
import { encodePng, readImage, toSharp } from '../../image/index.js';
import type { ControlRequest } from '../../prompt/index.js';
import { referenceFor } from '../controls.js';
import { candidatePng } from '../remote/images.js';
import { parseAnswer } from '../remote/validate.js';
import {
  checkCount,
  checkSeedRange,
  makeCandidate,
  planRun,
  referenceProvenance,
  throwIfAborted,
} from '../request.js';
import type {
  Candidate,
  Engine,
  EngineCapabilities,
  GenerateOptions,
  GenerationRequest,
  ReferenceImage,
} from '../types.js';

const SERVICE = 'OpenAI Images';
const DEFAULT_MODEL = 'gpt-image-1';
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Candidates per generate call: 4 requests of 10 images at most. */
const MAX_COUNT = 40;

/** Options of {@link createOpenAiEngine}. */
export interface OpenAiEngineOptions {
  /** The API key (keep it on the server); required unless `client` is given. */
  readonly apiKey?: string;
  /** A ready client of this `openai` package; when given, the connection options below are unused. */
  readonly client?: OpenAI;
  /** Base URL including `/v1` (default https://api.openai.com/v1): a proxy, or a fake in tests. */
  readonly baseURL?: string;
  /** The model of every request (default: the compiled prompt's `model`, else gpt-image-1). */
  readonly model?: string;
  readonly organization?: string;
  readonly project?: string;
  /**
   * Time allowed for one attempt until the answer's headers arrive (the SDK's `timeout`; default
   * 10 min, as a high-quality image takes a minute or more); also the limit of each URL download.
   */
  readonly timeoutMs?: number;
  /** The SDK's retries after connection errors, 408, 409, 429 and ≥500 (default 2). */
  readonly maxRetries?: number;
  /** The fetch the SDK and URL downloads use (default: the global one). */
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
  /** GPT image `moderation` for generations; the API's default (`auto`) when absent. */
  readonly moderation?: 'low' | 'auto';
  /** An opaque end-user id for OpenAI's abuse monitoring: a hash, never an e-mail address. */
  readonly user?: string;
  /** Longest edge of a reference photo sent as an edit input; larger ones are scaled down (default 2048). */
  readonly maxInputEdge?: number;
  /** Largest image accepted from a `url` answer, in bytes (default 64 MiB). */
  readonly maxImageBytes?: number;
}

type Family = 'gpt-image' | 'dall-e-3' | 'dall-e-2';
type Quality = NonNullable<OpenAI.ImageGenerateParamsNonStreaming['quality']>;
type EditQuality = NonNullable<OpenAI.ImageEditParamsNonStreaming['quality']>;

/** What one model accepts (reference/backends.md §3.1–3.2). */
interface ModelRules {
  readonly family: Family;
  readonly sizes: readonly string[];
  /** gpt-image-2 also takes any WxH in multiples of 16 within its limits. */
  readonly freeSize: boolean;
  readonly qualities: readonly Quality[];
  readonly maxN: number;
  readonly maxPrompt: number;
  /** Input images an edit takes; 0 where the model cannot edit. */
  readonly maxEditImages: number;
  readonly inputFidelity: boolean;
  readonly sizeRange: EngineCapabilities['sizes'];
}

function modelRules(model: string): ModelRules {
  if (model.startsWith('dall-e-3'))
    return {
      family: 'dall-e-3',
      sizes: ['1024x1024', '1792x1024', '1024x1792'],
      freeSize: false,
      qualities: ['standard', 'hd'],
      maxN: 1,
      maxPrompt: 4000,
      maxEditImages: 0,
      inputFidelity: false,
      sizeRange: { min: 1024, max: 1792, multipleOf: 256 },
    };
  if (model.startsWith('dall-e-2'))
    return {
      family: 'dall-e-2',
      sizes: ['256x256', '512x512', '1024x1024'],
      freeSize: false,
      qualities: ['standard'],
      maxN: 10,
      maxPrompt: 1000,
      maxEditImages: 1,
      inputFidelity: false,
      sizeRange: { min: 256, max: 1024, multipleOf: 256 },
    };
  // gpt-image-1, -1-mini, -1.5, -2, chatgpt-image-latest, and newer GPT image models.
  const freeSize = model.startsWith('gpt-image-2');
  return {
    family: 'gpt-image',
    sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'],
    freeSize,
    qualities: ['low', 'medium', 'high', 'auto'],
    maxN: 10,
    maxPrompt: 32_000,
    maxEditImages: 16,
    inputFidelity: !model.startsWith('gpt-image-1-mini'),
    // The fixed sizes are 1024 and 1536 on each side; gpt-image-2 checks its pixel limits itself.
    sizeRange: freeSize
      ? { min: 16, max: 3840, multipleOf: 16 }
      : { min: 1024, max: 1536, multipleOf: 512 },
  };
}

/** gpt-image-2's free sizes: multiples of 16, aspect 1:3 to 3:1, at most 3840 on a side and 3840×2160 in all. */
function freeSizeAccepted(size: string): boolean {
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (match === null) return false;
  const width = Number(match[1]);
  const height = Number(match[2]);
  return (
    width > 0 &&
    height > 0 &&
    width % 16 === 0 &&
    height % 16 === 0 &&
    Math.max(width, height) <= 3840 &&
    width * height <= 3840 * 2160 &&
    width / height >= 1 / 3 &&
    width / height <= 3
  );
}

// The SDK parses JSON without checking it; the answer is checked here (reference/backends.md §3.3).
const answerSchema = z.object({
  created: z.number().optional(),
  data: z
    .array(
      z.object({
        b64_json: z.string().optional(),
        url: z.string().optional(),
        revised_prompt: z.string().optional(),
      }),
    )
    .optional(),
  background: z.string().optional(),
  output_format: z.string().optional(),
  quality: z.string().optional(),
  size: z.string().optional(),
  usage: z
    .object({
      input_tokens: z.number().optional(),
      output_tokens: z.number().optional(),
      total_tokens: z.number().optional(),
    })
    .optional(),
});
type Answer = z.infer<typeof answerSchema>;

/**
 * Strict base64: Buffer skips characters outside the alphabet, so a string is clean exactly when
 * it decodes to 3/4 of its unpadded length (and is not empty).
 */
function decodeBase64(text: string): Uint8Array | undefined {
  if (text === '' || text.length % 4 === 1) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(text, 'base64');
  const expected = Math.floor(((text.length - padding) * 3) / 4);
  return bytes.length === expected && expected > 0 ? new Uint8Array(bytes) : undefined;
}

// What each edit input is for, said in the prompt: the API takes images without roles.
const roleGuide: Readonly<Record<string, string>> = {
  identity: 'shows the person to portray: keep their face and identity',
  pose: 'shows the pose to take (a hint, not an exact match)',
  style: 'sets the photographic style',
  palette: 'sets the colour palette',
  expression: 'shows the expression to take',
  lighting: 'shows the lighting to match',
};

const usage = (path: string, message: string, summary = message): PortraitistError =>
  new PortraitistError('USAGE', summary, { issues: [{ path, message }] });

const capability = (path: string, message: string, summary: string): PortraitistError =>
  new PortraitistError('ENGINE_CAPABILITY', summary, { issues: [{ path, message }] });

function checkOptions(options: OpenAiEngineOptions): void {
  if (options.client === undefined && (options.apiKey ?? '').trim() === '')
    throw usage(
      'apiKey',
      `expected an OpenAI API key for \`apiKey\` but received ${options.apiKey === undefined ? 'nothing' : 'an empty string'}`,
    );
  if (options.baseURL !== undefined && !/^https?:\/\/[^/]/.test(options.baseURL))
    throw usage(
      'baseURL',
      `expected an http(s) URL such as ${DEFAULT_BASE_URL} for \`baseURL\` but received ${JSON.stringify(options.baseURL.replace(/\/\/[^/@]*@/, '//***@'))}`,
    );
  if (options.model !== undefined && options.model.trim() === '')
    throw usage('model', 'expected a model name such as gpt-image-1 for `model` but received ""');
  const positive = (field: keyof OpenAiEngineOptions, minimum: number, whole: boolean) => {
    const value = options[field];
    if (value === undefined) return;
    if (typeof value === 'number' && value >= minimum && (!whole || Number.isInteger(value)))
      return;
    throw usage(
      field,
      `expected a ${whole ? 'whole ' : ''}number of at least ${minimum} for \`${field}\` but received ${String(value)}`,
    );
  };
  positive('timeoutMs', 1, false);
  positive('maxRetries', 0, true);
  positive('maxInputEdge', 64, true);
  positive('maxImageBytes', 1, true);
}

/** The base URL without credentials, for messages. */
function shownOrigin(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  } catch {
    return baseURL;
  }
}

/** A signal that fires when any of `sources` does; `release` drops the listeners. */
function linkSignals(sources: readonly (AbortSignal | undefined)[]): {
  signal: AbortSignal;
  release: () => void;
} {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const live = sources.filter((s): s is AbortSignal => s !== undefined);
  for (const source of live) {
    if (source.aborted) controller.abort();
    else source.addEventListener('abort', abort, { once: true });
  }
  return {
    signal: controller.signal,
    release: () => {
      for (const source of live) source.removeEventListener('abort', abort);
    },
  };
}

/** `work`, or ABORTED as soon as `signal` fires (the SDK's retry sleep does not watch it). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, aborted: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The idempotency key of one batch: a hash of everything the request sends plus the batch's place
 * in the run, so the same request replayed (after a crash, by a queue) reuses the key.
 */
export function idempotencyKey(parts: Readonly<Record<string, unknown>>): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `portraitist-${digest.slice(0, 48)}`;
}

/**
 * An engine on the OpenAI Images API (target `gpt-image`). OpenAI takes no seed: each candidate's
 * `seed` is request.seed + k for bookkeeping only, and its parameters say `seed_honoured: false`.
 */
export function createOpenAiEngine(options: OpenAiEngineOptions): Engine {
  checkOptions(options);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const maxInputEdge = options.maxInputEdge ?? 2048;
  const maxImageBytes = options.maxImageBytes ?? 64 * 1024 * 1024;
  const client =
    options.client ??
    new OpenAI({
      apiKey: options.apiKey ?? '',
      baseURL: options.baseURL ?? DEFAULT_BASE_URL,
      // Explicit nulls keep OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment out of it.
      organization: options.organization ?? null,
      project: options.project ?? null,
      timeout: options.timeoutMs ?? 10 * 60 * 1000,
      maxRetries: options.maxRetries ?? 2,
      // Redirects are not followed: the key and the prompt would go wherever a proxy (or whoever
      // answers for it) points. A 3xx reaches the SDK as an error status, reported below.
      fetch: (url, init) => fetchImpl(url, { ...init, redirect: 'manual' }),
    });
  const origin = shownOrigin(client.baseURL);
  const timeoutMs = client.timeout;
  const tries = client.maxRetries + 1;
  const secret = (options.apiKey ?? client.apiKey ?? '').trim();
  const disposer = new AbortController();

  /** Removes the key from anything a server said (OpenAI echoes a masked key; a proxy may not). */
  const redact = (text: string): string => {
    const masked = secret.length >= 4 ? text.split(secret).join('***') : text;
    return masked.replace(/\bsk-[A-Za-z0-9_*-]{4,}/g, 'sk-***');
  };
  const aborted = () =>
    new PortraitistError('ABORTED', `cancelled while waiting for ${SERVICE} at ${origin}`, {
      source: origin,
    });

  const capabilities: EngineCapabilities = {
    id: 'openai',
    targets: ['gpt-image'],
    // A pose reference goes in as one more edit input: a hint to the model, not a control.
    poseControl: false,
    identityReference: true,
    img2img: true,
    needsReferencePhoto: false,
    maxCount: MAX_COUNT,
    sizes: modelRules(options.model ?? DEFAULT_MODEL).sizeRange,
  };

  /** Our typed error for anything the SDK (or the answer) threw. */
  function mapError(error: unknown, route: string, signal: AbortSignal): PortraitistError {
    if (isPortraitistError(error)) return error;
    if (signal.aborted || error instanceof APIUserAbortError) return aborted();
    if (error instanceof APIConnectionTimeoutError)
      return new PortraitistError(
        'ENGINE_TIMEOUT',
        `${SERVICE} at ${origin} did not answer ${route} within ${timeoutMs} ms (timeoutMs), ${tries} ${tries === 1 ? 'try' : 'tries'}`,
        { source: origin },
      );
    if (error instanceof APIConnectionError) {
      const cause = error.cause instanceof Error ? (error.cause.cause ?? error.cause) : undefined;
      const detail = cause instanceof Error ? redact(cause.message) : redact(error.message);
      return new PortraitistError(
        'ENGINE_UNREACHABLE',
        `could not reach ${SERVICE} at ${origin} for ${route} (${detail}, ${tries} ${tries === 1 ? 'try' : 'tries'}); is the network up, and is \`baseURL\` right?`,
        { source: origin, cause: error },
      );
    }
    if (error instanceof APIError && typeof error.status === 'number') return statusError(error);
    if (error instanceof SyntaxError)
      return new PortraitistError(
        'ENGINE_FAILED',
        `${SERVICE} sent malformed JSON for ${route} (${redact(error.message)})`,
        { source: origin },
      );
    const message = error instanceof Error ? redact(error.message) : String(error);
    return new PortraitistError('ENGINE_FAILED', `${SERVICE} failed on ${route}: ${message}`, {
      source: origin,
    });

    function statusError(apiError: APIError): PortraitistError {
      const status = apiError.status ?? 0;
      const body = apiError.error as { message?: unknown } | undefined;
      const said = redact(
        typeof body?.message === 'string' ? body.message : apiError.message,
      ).slice(0, 300);
      const code = apiError.code ?? null;
      const param = apiError.param ?? null;
      const request = apiError.requestID ? ` (request ${apiError.requestID})` : '';
      const named = (path: string, message: string) => ({ issues: [{ path, message }] });
      // No `cause`: the SDK error's message repeats the server's words, key included if echoed.
      const make = (
        kind: 'ENGINE_REJECTED' | 'ENGINE_FAILED' | 'ENGINE_TIMEOUT',
        message: string,
        extra: { issues?: { path: string; message: string }[] } = {},
      ) => new PortraitistError(kind, `${message}${request}`, { source: origin, ...extra });
      if (code === 'moderation_blocked' || code === 'content_policy_violation')
        return make(
          'ENGINE_REJECTED',
          `${SERVICE}: OpenAI's safety system refused the prompt (${code}); reword the brief, as sending it again will not help. ${said}`,
          named(
            'prompt',
            `expected a prompt OpenAI's safety system accepts for \`prompt\` but it was refused (${code})`,
          ),
        );
      if (status === 401)
        return make(
          'ENGINE_REJECTED',
          `${SERVICE} refused the API key (401): ${said}`,
          named('apiKey', 'expected a valid OpenAI API key for `apiKey` but it was refused'),
        );
      if (status === 429 && code === 'insufficient_quota')
        return make(
          'ENGINE_REJECTED',
          `${SERVICE}: the account is out of quota (429 insufficient_quota); check its plan and billing. ${said}`,
          named('apiKey', 'expected an API key of an account with quota for `apiKey`'),
        );
      // Rate limits pass: the SDK already waited and retried, so say so and let a later run try.
      if (status === 429)
        return make(
          'ENGINE_FAILED',
          `${SERVICE} rate limited the request (429) after ${tries} ${tries === 1 ? 'try' : 'tries'}; wait and try again, or ask for fewer candidates. ${said}`,
        );
      if (status === 408)
        return make('ENGINE_TIMEOUT', `${SERVICE} timed out on ${route} (408): ${said}`);
      if (status >= 300 && status < 400)
        return make(
          'ENGINE_REJECTED',
          `${SERVICE} at ${origin} answered ${route} with a redirect (${status}); redirects are not followed, so the key and prompt go nowhere else: set \`baseURL\` to the API itself`,
          named(
            'baseURL',
            `expected a \`baseURL\` that answers without a redirect but received ${status}`,
          ),
        );
      if (status >= 500 || status === 409)
        return make(
          'ENGINE_FAILED',
          `${SERVICE} failed on ${route} with ${status} after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${said}`,
        );
      const field = param ?? (status === 403 || status === 404 ? 'model' : '');
      const why =
        status === 403
          ? ' (GPT image models need a verified organization)'
          : status === 404
            ? ' (is the model name right, and `baseURL`?)'
            : '';
      return make(
        'ENGINE_REJECTED',
        `${SERVICE} refused ${route} (${status}${code === null ? '' : ` ${code}`})${why}: ${said}`,
        field === '' ? {} : named(field, `${SERVICE} refused the value of \`${field}\`: ${said}`),
      );
    }
  }

  /** Downloads an image from a `url` answer, with the timeout, the cancellation and a size cap. */
  async function download(url: string, what: string, signal: AbortSignal): Promise<Uint8Array> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new PortraitistError('ENGINE_FAILED', `${SERVICE} sent ${what} as a bad URL`, {
        source: origin,
      });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new PortraitistError(
        'ENGINE_FAILED',
        `${SERVICE} sent ${what} as a ${parsed.protocol} URL; only http(s) is fetched`,
        { source: origin },
      );
    // The query of a signed link is a credential: keep it out of messages.
    const shown = `${parsed.origin}${parsed.pathname}`;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    if (signal.aborted) controller.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await fetchImpl(parsed, { signal: controller.signal, redirect: 'manual' });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        throw new PortraitistError(
          'ENGINE_FAILED',
          `${what} at ${shown} answered with a redirect (${response.status}); image links are fetched without following redirects`,
          { source: origin },
        );
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new PortraitistError(
          'ENGINE_FAILED',
          `could not download ${what} from ${shown}: ${response.status} (OpenAI image links expire 60 minutes after generation)`,
          { source: origin },
        );
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      const tooBig = (size: number) =>
        new PortraitistError(
          'ENGINE_FAILED',
          `${what} from ${shown} is ${size} bytes, over the ${maxImageBytes}-byte limit (maxImageBytes)`,
          { source: origin },
        );
      if (declared > maxImageBytes) {
        await response.body?.cancel();
        throw tooBig(declared);
      }
      const parts: Uint8Array[] = [];
      let size = 0;
      for await (const part of (response.body ?? []) as AsyncIterable<Uint8Array>) {
        size += part.length;
        if (size > maxImageBytes) throw tooBig(size);
        parts.push(part);
      }
      return new Uint8Array(Buffer.concat(parts));
    } catch (error) {
      if (signal.aborted) throw aborted();
      if (timedOut)
        throw new PortraitistError(
          'ENGINE_TIMEOUT',
          `${shown} did not send ${what} within ${timeoutMs} ms (timeoutMs)`,
          { source: origin },
        );
      if (isPortraitistError(error)) throw error;
      throw new PortraitistError(
        'ENGINE_UNREACHABLE',
        `could not download ${what} from ${shown} (${error instanceof Error ? error.message : String(error)})`,
        { source: origin, cause: error },
      );
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The bytes of one answered image (b64_json or a downloaded url). */
  async function imageBytes(
    item: NonNullable<Answer['data']>[number],
    index: number,
    what: string,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    if (item.b64_json !== undefined) {
      // Decode first and check the length: a regex over megabytes of base64 cost ~20 ms an image.
      const bytes = decodeBase64(item.b64_json) ?? decodeBase64(item.b64_json.replace(/\s+/g, ''));
      if (bytes === undefined) {
        const empty = item.b64_json.trim() === '';
        const message = `expected base64 image data for \`data.${index}.b64_json\` but received ${empty ? 'an empty string' : 'other text'}`;
        throw new PortraitistError('ENGINE_FAILED', `${SERVICE} sent ${what} as bad base64`, {
          source: origin,
          issues: [{ path: `data.${index}.b64_json`, message }],
        });
      }
      return bytes;
    }
    if (item.url !== undefined) return download(item.url, what, signal);
    const message = `expected \`b64_json\` or \`url\` for \`data.${index}\` but received neither`;
    throw new PortraitistError('ENGINE_FAILED', `${SERVICE} sent ${what} without image data`, {
      source: origin,
      issues: [{ path: `data.${index}`, message }],
    });
  }

  /** The reference photos sent as edit inputs, upright, metadata-free PNGs within `maxInputEdge`. */
  async function editInputs(
    request: GenerationRequest,
    rules: ModelRules,
    model: string,
  ): Promise<{ files: File[]; roles: string[] }> {
    const controls = request.compiled.controls;
    const unknown = controls.find((c) => c.mechanism !== 'edit-input');
    if (unknown !== undefined)
      throw capability(
        'controls',
        `expected controls with mechanism edit-input for \`controls\` but received ${unknown.mechanism} (${unknown.role})`,
        `${SERVICE} takes references only as edit inputs, not as ${unknown.mechanism}`,
      );
    const chosen: { control: ControlRequest; reference: ReferenceImage }[] = [];
    for (const control of controls) {
      const reference = referenceFor(request, control, SERVICE);
      if (!chosen.some((c) => c.reference === reference)) chosen.push({ control, reference });
    }
    if (chosen.length > rules.maxEditImages)
      throw capability(
        'references',
        rules.maxEditImages === 0
          ? `expected no reference photos for \`references\` with ${model}, which cannot edit, but received ${chosen.length}`
          : `expected at most ${rules.maxEditImages} reference photos for \`references\` with ${model} but received ${chosen.length}`,
        rules.maxEditImages === 0
          ? `${model} cannot take reference photos (no edits); use a GPT image model`
          : `${model} takes at most ${rules.maxEditImages} input images`,
      );
    const files: File[] = [];
    for (const [i, { control, reference }] of chosen.entries()) {
      // Decoding applies EXIF orientation and drops metadata (GPS) before the photo leaves us.
      const rgb = await readImage(reference.image, { source: reference.source });
      const scale = Math.min(1, maxInputEdge / Math.max(rgb.width, rgb.height));
      const png =
        scale < 1
          ? await toSharp(rgb)
              .resize({
                width: Math.max(1, Math.round(rgb.width * scale)),
                height: Math.max(1, Math.round(rgb.height * scale)),
              })
              .png()
              .toBuffer()
          : await encodePng(rgb);
      files.push(await toFile(png, `${control.role}-${i + 1}.png`, { type: 'image/png' }));
    }
    return { files, roles: chosen.map((c) => c.control.role) };
  }

  function guideFor(roles: readonly string[]): string {
    if (roles.length === 1)
      return `The input image ${roleGuide[roles[0] ?? ''] ?? 'is a reference'}.`;
    return `Input images: ${roles.map((role, i) => `${i + 1} ${roleGuide[role] ?? 'is a reference'}`).join('; ')}.`;
  }

  return {
    id: 'openai',
    describe: () => capabilities,

    async generate(request: GenerationRequest, generateOptions: GenerateOptions = {}) {
      const { onProgress } = generateOptions;
      throwIfAborted(generateOptions.signal);
      if (disposer.signal.aborted)
        throw new PortraitistError('USAGE', 'the openai engine was disposed; make a new one');
      const compiled = request.compiled;
      if (compiled.target !== 'gpt-image')
        throw capability(
          'target',
          `expected gpt-image for \`target\` but received ${compiled.target}`,
          `${SERVICE} renders gpt-image prompts only; compile the brief for gpt-image`,
        );
      checkCount(request.count, MAX_COUNT);
      checkSeedRange(request.seed, request.count);
      const run = planRun(request, generateOptions, 'openai', 'openai-idempotency');
      if (run.indices.length === 0) return [];

      const extra = compiled.params.extra;
      const model =
        options.model ?? (typeof extra['model'] === 'string' ? extra['model'] : DEFAULT_MODEL);
      const rules = modelRules(model);
      const size =
        typeof extra['size'] === 'string'
          ? extra['size']
          : compiled.params.width !== null && compiled.params.height !== null
            ? `${compiled.params.width}x${compiled.params.height}`
            : 'auto';
      if (!rules.sizes.includes(size) && !(rules.freeSize && freeSizeAccepted(size)))
        throw usage(
          'size',
          `expected ${rules.freeSize ? `WxH in multiples of 16 (aspect 1:3 to 3:1, at most 3840x2160) or one of ${rules.sizes.join(', ')}` : `one of ${rules.sizes.join(', ')}`} for \`size\` with ${model} but received ${JSON.stringify(size)}`,
          `${model} cannot make ${size} images`,
        );
      const wantedQuality = extra['quality'] ?? 'auto';
      const quality = rules.qualities.find((q) => q === wantedQuality);
      if (quality === undefined)
        throw usage(
          'quality',
          `expected one of ${rules.qualities.join(', ')} for \`quality\` with ${model} but received ${JSON.stringify(wantedQuality)}`,
        );
      const fidelity = extra['inputFidelity'];
      if (fidelity !== undefined && fidelity !== 'high' && fidelity !== 'low')
        throw usage(
          'inputFidelity',
          `expected high or low for \`inputFidelity\` but received ${JSON.stringify(fidelity)}`,
        );

      const { files, roles } = await editInputs(request, rules, model);
      const edit = files.length > 0;
      const prompt = edit ? `${guideFor(roles)} ${compiled.positive}` : compiled.positive;
      if (prompt.length > rules.maxPrompt)
        throw usage(
          'prompt',
          `expected at most ${rules.maxPrompt} characters for \`prompt\` with ${model} but received ${prompt.length}`,
        );
      const route = edit ? 'POST /images/edits' : 'POST /images/generations';
      const gpt = rules.family === 'gpt-image';
      // GPT image models always answer base64; dall-e would answer expiring URLs unless asked.
      const format = gpt
        ? { output_format: 'png' as const }
        : { response_format: 'b64_json' as const };
      const sendFidelity = edit && rules.inputFidelity && fidelity !== undefined;

      const link = linkSignals([generateOptions.signal, disposer.signal]);
      const signal = link.signal;
      const candidates: Candidate[] = [];
      const wanted = new Set(run.indices);
      // The batches are laid out from the count alone, never from what is skipped, so a replay
      // sends the same requests under the same idempotency keys and pays for nothing twice.
      const batches: Array<{ start: number; n: number }> = [];
      for (let start = 0; start < request.count; start += rules.maxN)
        batches.push({ start, n: Math.min(rules.maxN, request.count - start) });
      let finished = request.count - run.indices.length;
      try {
        for (const { start, n } of batches) {
          const indices = Array.from({ length: n }, (_, i) => start + i);
          const needed = indices.filter((k) => wanted.has(k));
          if (needed.length === 0) continue;
          throwIfAborted(signal);
          const done = finished;
          const key =
            indices.map((k) => run.resumed.get(k)?.id).find((id) => id !== undefined) ??
            idempotencyKey({
              route,
              model,
              prompt,
              size,
              quality,
              format,
              fidelity: sendFidelity ? fidelity : null,
              moderation: gpt && !edit ? (options.moderation ?? null) : null,
              user: options.user ?? null,
              references: referenceProvenance(request.references).map((r) => [r.role, r.sha256]),
              seed: request.seed,
              count: request.count,
              start,
              n,
            });
          for (const k of needed)
            if (run.resumed.get(k)?.id !== key)
              await run.record({ index: k, engine: 'openai', kind: 'openai-idempotency', id: key });
          throwIfAborted(signal);
          onProgress?.({
            stage: `${edit ? 'editing' : 'generating'} ${n} with ${model}`,
            done,
            total: request.count,
            fraction: 0,
          });
          throwIfAborted(signal);
          const began = performance.now();
          // The same key on every retry of the SDK and on every replay of this batch: the API
          // answers a repeat with the first result instead of making (and billing) it again.
          const requestOptions = { signal, headers: { 'Idempotency-Key': key } };
          const call = edit
            ? client.images.edit(
                {
                  model,
                  prompt,
                  image: files.length === 1 ? (files[0] as File) : files,
                  n,
                  size,
                  // Only dall-e-3 takes `hd`, and it cannot edit (refused above).
                  quality: quality as EditQuality,
                  ...format,
                  ...(sendFidelity ? { input_fidelity: fidelity } : {}),
                  ...(options.user === undefined ? {} : { user: options.user }),
                },
                requestOptions,
              )
            : client.images.generate(
                {
                  model,
                  prompt,
                  n,
                  size,
                  quality,
                  ...format,
                  ...(options.moderation !== undefined && gpt
                    ? { moderation: options.moderation }
                    : {}),
                  ...(options.user === undefined ? {} : { user: options.user }),
                },
                requestOptions,
              );
          let answered: { data: unknown; request_id: string | null };
          try {
            answered = await untilAborted(call.withResponse(), signal, aborted);
          } catch (error) {
            throw mapError(error, route, signal);
          }
          const answer = parseAnswer(answerSchema, answered.data, `${SERVICE} (${route})`);
          const data = answer.data ?? [];
          if (data.length < n)
            throw new PortraitistError(
              'ENGINE_FAILED',
              `${SERVICE} sent ${data.length} of the ${n} images asked for on ${route}`,
              {
                source: origin,
                issues: [
                  {
                    path: 'data',
                    message: `expected ${n} image${n === 1 ? '' : 's'} for \`data\` but received ${answer.data === undefined ? 'nothing' : data.length}`,
                  },
                ],
              },
            );
          for (const [i, item] of data.slice(0, n).entries()) {
            const k = start + i;
            if (!wanted.has(k)) continue;
            const what = `image ${k + 1} of ${request.count}`;
            const png = await candidatePng(await imageBytes(item, i, what, signal), SERVICE, what);
            throwIfAborted(signal);
            const tokens = answer.usage;
            const candidate = makeCandidate(request, {
              engine: 'openai',
              image: png,
              seed: request.seed + k,
              parameters: {
                model,
                endpoint: edit ? 'edits' : 'generations',
                size,
                quality,
                ...(gpt ? { output_format: 'png' } : { response_format: 'b64_json' }),
                n,
                seed_honoured: false,
                ...(sendFidelity ? { input_fidelity: fidelity } : {}),
                ...(edit ? { input_images: roles.join(',') } : {}),
                ...(options.moderation !== undefined && gpt && !edit
                  ? { moderation: options.moderation }
                  : {}),
                ...(item.revised_prompt === undefined
                  ? {}
                  : { revised_prompt: item.revised_prompt }),
                // Usage covers the whole request, that is all `n` images.
                ...(tokens?.input_tokens === undefined
                  ? {}
                  : { input_tokens: tokens.input_tokens }),
                ...(tokens?.output_tokens === undefined
                  ? {}
                  : { output_tokens: tokens.output_tokens }),
                ...(tokens?.total_tokens === undefined
                  ? {}
                  : { total_tokens: tokens.total_tokens }),
                ...(answered.request_id === null ? {} : { request_id: answered.request_id }),
                idempotency_key: key,
              },
              // One request made all n images: each gets its share of the time.
              totalMs: (performance.now() - began) / n,
              createdAt: now(),
            });
            candidates.push(candidate);
            await run.deliver(candidate, k);
            finished++;
            throwIfAborted(signal);
            onProgress?.({
              stage: 'candidate done',
              done: finished,
              total: request.count,
              fraction: 1,
            });
          }
        }
        return candidates;
      } catch (error) {
        throw mapError(error, route, signal);
      } finally {
        link.release();
      }
    },

    async dispose() {
      // Nothing is held between calls; cancel what is in flight and refuse new work.
      disposer.abort();
    },
  };
}
