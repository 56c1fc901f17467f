// One HTTP client for every remote engine: a timeout on each attempt, cancellation, retries with
// backoff on connection errors only (never on a server's validation error), answers checked with
// zod, and typed errors that name the service, the route and what went wrong.
import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import { PortraitistError, type Issue } from '../../errors/index.js';
import { parseAnswer } from './validate.js';

/** How a service words an error answer: its message and the fields it blames. */
export interface RemoteErrorDetail {
  readonly message: string;
  readonly issues?: readonly Issue[];
}

/** Options of {@link createRemoteClient}. */
export interface RemoteClientOptions {
  /** The service's name in messages, e.g. `ComfyUI`. */
  readonly service: string;
  /** Base URL; `user:pass@` in it becomes HTTP Basic auth (fetch refuses URLs with credentials). */
  readonly baseUrl: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly headers?: Readonly<Record<string, string>>;
  /** Time allowed for one attempt, answer body included (default 60 s). */
  readonly timeoutMs?: number;
  /** Extra attempts after a connection error (default 3). */
  readonly retries?: number;
  /** First backoff delay; it doubles with each retry (default 250 ms). */
  readonly backoffMs?: number;
  /** Largest answer body accepted (default 256 MiB). */
  readonly maxResponseBytes?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Reads the service's error body; the default shows the body's first line. */
  readonly describeError?: (status: number, body: string) => RemoteErrorDetail;
}

/** One request. */
export interface RemoteRequest {
  readonly method?: 'GET' | 'POST';
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body. */
  readonly json?: unknown;
  /** A multipart body, made afresh for each attempt. */
  readonly form?: () => FormData;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /**
   * Safe to send twice: retried after any connection error. Otherwise it is retried only when the
   * connection was refused, so the server never saw it. Defaults to true for GET, false for POST.
   */
  readonly idempotent?: boolean;
}

/** A client of one engine server. */
export interface RemoteClient {
  /** The base URL without credentials, for messages. */
  readonly origin: string;
  json<T>(path: string, schema: z.ZodType<T>, request?: RemoteRequest): Promise<T>;
  bytes(
    path: string,
    request?: RemoteRequest,
  ): Promise<{ bytes: Uint8Array; contentType: string | null }>;
  /** A request whose answer body does not matter (ComfyUI answers some with an empty 200). */
  send(path: string, request?: RemoteRequest): Promise<void>;
}

// Node's fetch (undici) reports socket trouble as a TypeError whose cause carries one of these.
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// Nothing reached the server: safe to send again whatever the request was.
const neverSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function causeCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && connectionCodes.has(code)) return code;
    // AggregateError (happy eyeballs over IPv4 and IPv6) keeps the real causes in `errors`.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.length > 0) return causeCode(inner[0]);
    e = e.cause;
  }
  return undefined;
}

class ConnectionFailure extends Error {
  constructor(
    readonly code: string,
    readonly neverSent: boolean,
    cause: unknown,
  ) {
    super(code, { cause });
  }
}

class RetryableStatus extends Error {
  constructor(readonly failure: PortraitistError) {
    super(failure.message);
  }
}

/** Splits credentials out of a URL; a bad URL is a usage error naming `url`. */
export function parseEngineUrl(
  value: string,
  field = 'url',
): { url: URL; authorization?: string; origin: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw urlError(field, value, 'an http(s) URL such as http://127.0.0.1:8188');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw urlError(field, value, 'an http: or https: URL');
  const authorization =
    url.username === ''
      ? undefined
      : `Basic ${Buffer.from(`${decodeUserinfo(url.username)}:${decodeUserinfo(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const origin = url.href.replace(/\/$/, '');
  return { url, origin, ...(authorization === undefined ? {} : { authorization }) };
}

// The URL parser leaves a `%` that starts no escape as it is (`p%w`), which decodeURIComponent
// refuses; such a character stands for itself.
function decodeUserinfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The value with anything that may be credentials hidden: everything before the last `@` (after
 * the scheme's `//`). A URL that failed to parse may still hold a password: `user:pass@host:8188`
 * (no scheme) parses as scheme `user:`, and an unescaped `/` in a password ends the authority early.
 */
function hideCredentials(value: string): string {
  const at = value.lastIndexOf('@');
  if (at === -1) return value;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  return at < scheme.length ? value : `${scheme}***${value.slice(at)}`;
}

function urlError(field: string, value: string, expected: string): PortraitistError {
  // Never echo a password back.
  const shown = hideCredentials(value);
  const message = `expected ${expected} for \`${field}\` but received ${JSON.stringify(shown)}`;
  return new PortraitistError('USAGE', message, { issues: [{ path: field, message }] });
}

const firstLine = (text: string): string => {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
};

/** A client of one engine server (see {@link RemoteClientOptions}). */
export function createRemoteClient(options: RemoteClientOptions): RemoteClient {
  const { url: base, origin, authorization } = parseEngineUrl(options.baseUrl);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 250;
  const maxBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;
  const sleep =
    options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  const describeError =
    options.describeError ??
    ((_status: number, body: string): RemoteErrorDetail => ({
      message: firstLine(body) || '(empty body)',
    }));
  const service = options.service;
  // Header names are matched case-insensitively: fetch would join `authorization` and
  // `Authorization` into one "Basic …, Bearer …" value rather than let one replace the other.
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  for (const [name, value] of Object.entries(options.headers ?? {}))
    headers[name.toLowerCase()] = value;

  const aborted = () =>
    new PortraitistError('ABORTED', `cancelled while waiting for ${service} at ${origin}`);

  function urlFor(path: string, query: RemoteRequest['query']): URL {
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  async function readBody(response: Response, route: string): Promise<Uint8Array> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw tooLarge(route, declared);
    }
    if (response.body === null) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += part.length;
      if (size > maxBytes) throw tooLarge(route, size);
      parts.push(part);
    }
    // A view of the joined bytes, not another copy of a multi-megabyte image.
    const joined = Buffer.concat(parts, size);
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  }

  function tooLarge(route: string, size: number): PortraitistError {
    return new PortraitistError(
      'ENGINE_FAILED',
      `${service} sent ${size} bytes for ${route}, over the ${maxBytes}-byte limit (maxResponseBytes)`,
    );
  }

  async function attempt<T>(
    path: string,
    request: RemoteRequest,
    read: (body: Uint8Array, response: Response, route: string) => T,
  ): Promise<T> {
    const method = request.method ?? 'GET';
    const route = `${method} /${path.replace(/^\//, '').split('?')[0] ?? ''}`;
    const timeout = new AbortController();
    const limit = request.timeoutMs ?? timeoutMs;
    const timer = setTimeout(() => timeout.abort(), limit);
    const signal =
      request.signal === undefined
        ? timeout.signal
        : AbortSignal.any([request.signal, timeout.signal]);
    try {
      const sent: Record<string, string> = { ...headers };
      const init: RequestInit = { method, headers: sent, signal };
      if (request.json !== undefined) {
        init.body = JSON.stringify(request.json);
        sent['content-type'] = 'application/json';
      } else if (request.form !== undefined) {
        // fetch writes the multipart content type itself, with the boundary it chose.
        delete sent['content-type'];
        init.body = request.form();
      }
      const response = await fetchImpl(urlFor(path, request.query), init);
      const body = await readBody(response, route);
      if (!response.ok) {
        const text = new TextDecoder().decode(body);
        const detail = describeError(response.status, text);
        const failure = new PortraitistError(
          response.status >= 500 ? 'ENGINE_FAILED' : 'ENGINE_REJECTED',
          `${service} answered ${response.status} to ${route}: ${detail.message}`,
          { issues: detail.issues ?? [], source: origin },
        );
        // A gateway or a server restarting: worth another try when the request may be repeated.
        if ([502, 503, 504].includes(response.status)) throw new RetryableStatus(failure);
        throw failure;
      }
      return read(body, response, route);
    } catch (error) {
      if (request.signal?.aborted === true) throw aborted();
      if (timeout.signal.aborted)
        throw new PortraitistError(
          'ENGINE_TIMEOUT',
          `${service} at ${origin} did not answer ${route} within ${limit} ms (timeoutMs)`,
        );
      if (error instanceof PortraitistError || error instanceof RetryableStatus) throw error;
      const code = causeCode(error);
      if (code !== undefined) throw new ConnectionFailure(code, neverSentCodes.has(code), error);
      // fetch refuses some requests outright (a port on its blocked list, a bad header): not retried.
      if (error instanceof TypeError) {
        const cause = error.cause instanceof Error ? error.cause.message : undefined;
        throw new PortraitistError(
          'ENGINE_UNREACHABLE',
          `could not send ${route} to ${service} at ${origin}: ${cause ?? error.message}`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async function withRetries<T>(
    path: string,
    request: RemoteRequest,
    read: (body: Uint8Array, response: Response, route: string) => T,
  ): Promise<T> {
    if (request.signal?.aborted === true) throw aborted();
    const idempotent = request.idempotent ?? (request.method ?? 'GET') === 'GET';
    for (let tries = 0; ; tries++) {
      try {
        return await attempt(path, request, read);
      } catch (error) {
        const retryable =
          (error instanceof ConnectionFailure && (idempotent || error.neverSent)) ||
          (error instanceof RetryableStatus && idempotent);
        if (!retryable || tries >= retries) {
          if (error instanceof RetryableStatus) throw error.failure;
          if (error instanceof ConnectionFailure)
            throw new PortraitistError(
              'ENGINE_UNREACHABLE',
              `could not reach ${service} at ${origin} (${error.code}${tries > 0 ? `, ${tries + 1} tries` : ''}); is it running, and is the URL right?`,
              { cause: error.cause },
            );
          throw error;
        }
        try {
          await sleep(backoffMs * 2 ** tries, request.signal);
        } catch {
          throw aborted();
        }
      }
    }
  }

  return {
    origin,
    json: (path, schema, request = {}) =>
      withRetries(path, request, (body, _response, route) => {
        const text = new TextDecoder().decode(body);
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          throw new PortraitistError(
            'ENGINE_FAILED',
            `${service} sent malformed JSON for ${route}: ${JSON.stringify(firstLine(text).slice(0, 80))}`,
            { source: origin },
          );
        }
        return parseAnswer(schema, value, `${service} (${route})`);
      }),
    bytes: (path, request = {}) =>
      withRetries(path, request, (bytes, response) => ({
        bytes,
        contentType: response.headers.get('content-type'),
      })),
    send: (path, request = {}) => withRetries(path, request, () => undefined),
  };
}
