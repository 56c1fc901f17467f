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
  /** Largest binary answer body accepted (default 64 MiB, the image byte cap). */
  readonly maxResponseBytes?: number;
  /** Largest JSON answer accepted unless a route says otherwise (default 20 MiB). */
  readonly maxJsonBytes?: number;
  /** Time allowed for an answer's body once its headers came (default 2 min, at most timeoutMs). */
  readonly bodyTimeoutMs?: number;
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
  /** Extra headers of this request (e.g. `Idempotency-Key`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A multipart body, made afresh for each attempt. */
  readonly form?: () => FormData;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Largest answer body of this route, in bytes (default maxJsonBytes or maxResponseBytes). */
  readonly maxBytes?: number;
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

/** Whether a URL host names this machine: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^::ffff:127\./.test(host)
  );
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
  const maxBinaryBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const maxJsonBytes = options.maxJsonBytes ?? 20 * 1024 * 1024;
  const bodyTimeoutMs = Math.min(options.bodyTimeoutMs ?? 120_000, timeoutMs);
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

  const loopback = isLoopback(base.hostname);
  const aborted = () =>
    new PortraitistError('ABORTED', `cancelled while waiting for ${service} at ${origin}`);

  function urlFor(path: string, query: RemoteRequest['query']): URL {
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  async function readBody(
    response: Response,
    route: string,
    maxBytes: number,
    limitName: string,
  ): Promise<Uint8Array> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw tooLarge(route, declared, maxBytes, limitName);
    }
    if (response.body === null) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += part.length;
      if (size > maxBytes) throw tooLarge(route, size, maxBytes, limitName);
      parts.push(part);
    }
    // A view of the joined bytes, not another copy of a multi-megabyte image.
    const joined = Buffer.concat(parts, size);
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  }

  function tooLarge(
    route: string,
    size: number,
    maxBytes: number,
    limitName: string,
  ): PortraitistError {
    return new PortraitistError(
      'ENGINE_FAILED',
      `${service} sent ${size} bytes for ${route}, over the ${maxBytes}-byte limit (${limitName})`,
      { source: origin },
    );
  }

  /** Whether a redirect may be followed: same origin (scheme, host and port) only. */
  function sameOrigin(location: URL): boolean {
    return location.origin === base.origin;
  }

  async function attempt<T>(
    path: string,
    request: RemoteRequest,
    kind: 'json' | 'binary',
    read: (body: Uint8Array, response: Response, route: string) => T,
  ): Promise<T> {
    const method = request.method ?? 'GET';
    const route = `${method} /${path.replace(/^\//, '').split('?')[0] ?? ''}`;
    const maxBytes = request.maxBytes ?? (kind === 'json' ? maxJsonBytes : maxBinaryBytes);
    const limitName =
      request.maxBytes !== undefined
        ? 'the limit of this route'
        : kind === 'json'
          ? 'maxJsonBytes'
          : 'maxResponseBytes';
    const timeout = new AbortController();
    const limit = request.timeoutMs ?? timeoutMs;
    const timer = setTimeout(() => timeout.abort(), limit);
    let bodyTimer: ReturnType<typeof setTimeout> | undefined;
    let bodyTimedOut = false;
    const signal =
      request.signal === undefined
        ? timeout.signal
        : AbortSignal.any([request.signal, timeout.signal]);
    try {
      const sent: Record<string, string> = { ...headers, ...request.headers };
      const init: RequestInit = { method, headers: sent, signal, redirect: 'manual' };
      if (request.json !== undefined) {
        init.body = JSON.stringify(request.json);
        sent['content-type'] = 'application/json';
      } else if (request.form !== undefined) {
        // fetch writes the multipart content type itself, with the boundary it chose.
        delete sent['content-type'];
        init.body = request.form();
      }
      let target = urlFor(path, request.query);
      let response = await fetchImpl(target, init);
      // Redirects are never followed blindly: a server (or whoever answers for it) could send our
      // credentials and prompts elsewhere. A GET may follow a few same-origin hops, each checked.
      for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
        const location = response.headers.get('location');
        await response.body?.cancel();
        let next: URL | undefined;
        try {
          next = location === null ? undefined : new URL(location, target);
        } catch {
          next = undefined;
        }
        if (next === undefined || !sameOrigin(next) || method !== 'GET' || hops >= 3)
          throw new PortraitistError(
            'ENGINE_REJECTED',
            `${service} at ${origin} answered ${route} with a redirect (${response.status}) to ${next === undefined ? JSON.stringify(location ?? '') : hideCredentials(next.origin + next.pathname)}; redirects ${next !== undefined && sameOrigin(next) ? (method === 'GET' ? 'are followed 3 times at most' : 'of a POST are not followed') : 'to another origin are refused'}: point the URL at the server itself`,
            { source: origin },
          );
        target = next;
        response = await fetchImpl(target, init);
      }
      // Headers came: the body now has its own, shorter limit, so a trickle cannot hold us.
      if (bodyTimeoutMs < limit)
        bodyTimer = setTimeout(() => {
          bodyTimedOut = true;
          timeout.abort();
        }, bodyTimeoutMs);
      const body = await readBody(response, route, maxBytes, limitName);
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
          bodyTimedOut
            ? `${service} at ${origin} did not finish the answer to ${route} within ${bodyTimeoutMs} ms of starting it (bodyTimeoutMs)`
            : `${service} at ${origin} did not answer ${route} within ${limit} ms (timeoutMs)`,
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
      clearTimeout(bodyTimer);
    }
  }

  async function withRetries<T>(
    path: string,
    request: RemoteRequest,
    kind: 'json' | 'binary',
    read: (body: Uint8Array, response: Response, route: string) => T,
  ): Promise<T> {
    if (request.signal?.aborted === true) throw aborted();
    const idempotent = request.idempotent ?? (request.method ?? 'GET') === 'GET';
    for (let tries = 0; ; tries++) {
      try {
        return await attempt(path, request, kind, read);
      } catch (error) {
        // Nothing listens on this machine at that port: no backoff will change that (a typo in
        // the URL, or the server is not started). A remote host may be restarting, so it is retried.
        if (error instanceof ConnectionFailure && error.code === 'ECONNREFUSED' && loopback)
          throw new PortraitistError(
            'ENGINE_UNREACHABLE',
            `could not reach ${service} at ${origin}: nothing is listening there (ECONNREFUSED); is it running, and is the URL right?`,
            { cause: error.cause },
          );
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
      withRetries(path, request, 'json', (body, _response, route) => {
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
      withRetries(path, request, 'binary', (bytes, response) => ({
        bytes,
        contentType: response.headers.get('content-type'),
      })),
    send: (path, request = {}) => withRetries(path, request, 'json', () => undefined),
  };
}
