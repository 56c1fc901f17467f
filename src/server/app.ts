// createApp: the HTTP API and the studio's static files, secure by default. Every route passes
// the Host/Origin allowlist (DNS rebinding, cross-site requests), the token check when one is
// set, and body caps; requests and answers are shaped by the route table's zod schemas.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { PortraitistError } from '../errors/index.js';
import { errorAnswer, issuesFromZod } from './errors.js';
import { openApiDocument } from './openapi.js';
import { routeTable, type RouteAnswer, type RouteDefinition } from './routes.js';
import type { StudioApi } from './studio-api.js';

/** What the app is built from; the API's use cases are injected. */
export interface AppOptions {
  readonly api: StudioApi;
  readonly version?: string;
  /** Host names (without port) the server answers to; loopback names are always allowed. */
  readonly allowedHosts?: readonly string[];
  /** When set, every /api route requires `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Folder of the built studio (dist/web); without it only the API is served. */
  readonly webRoot?: string;
  /** Largest JSON body in bytes (default 1 MiB). */
  readonly maxJsonBytes?: number;
  /** Largest upload in bytes (default 20 MiB). */
  readonly maxUploadBytes?: number;
}

const loopbackHosts = ['127.0.0.1', 'localhost', '[::1]', '::1'];

const staticTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The host name of a Host header value, without the port, lower case. */
export function hostName(value: string): string {
  const host = value.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

// Keys a request body may not carry anywhere: engine servers are the operator's choice (SSRF).
const engineUrlKey = /(url|uri)s?$|^(endpoint|host|hostname|server|origin|webhook|address|base)$/i;

/** The dotted path of the first key in `value` that would name a server, if any. */
function findEngineUrl(value: unknown, path: string, depth = 0): string | undefined {
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findEngineUrl(item, `${path}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const where = path === '' ? key : `${path}.${key}`;
    if (engineUrlKey.test(key)) return where;
    const found = findEngineUrl(item, where, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function tooLarge(what: string, limit: number, received?: number): PortraitistError {
  return new PortraitistError('PAYLOAD_TOO_LARGE', `the ${what} is over the ${limit}-byte limit`, {
    issues: [
      {
        path: 'body',
        message: `expected at most ${limit} bytes for \`body\` but received ${received ?? 'more'}`,
      },
    ],
  });
}

/** Reads a request body, refusing it as soon as it passes `limit` bytes. */
async function readCapped(request: Request, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(what, limit, declared);
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(what, limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function parseWith(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (schema === undefined) return {};
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = issuesFromZod(parsed.error.issues, where === 'body' ? '' : where);
  throw new PortraitistError(
    'USAGE',
    `invalid request ${where}: ${issues[0]?.path ?? ''} ${issues[0]?.message ?? ''}`
      .replace(/\s+/g, ' ')
      .trim(),
    {
      issues,
    },
  );
}

function mediaTypeOf(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function readBody(
  c: Context,
  route: RouteDefinition,
  limits: { json: number; upload: number },
): Promise<unknown> {
  const body = route.body;
  if (body === undefined) return undefined;
  const type = mediaTypeOf(c);
  if (body.kind === 'binary') {
    if (!body.mediaTypes.includes(type)) {
      throw new PortraitistError(
        'IMAGE_UNSUPPORTED',
        `uploads must be ${body.mediaTypes.join(', ')}`,
        {
          issues: [
            {
              path: 'content-type',
              message: `expected one of ${body.mediaTypes.join(', ')} for \`content-type\` but received ${JSON.stringify(type)}`,
            },
          ],
        },
      );
    }
    return readCapped(c.req.raw, limits.upload, 'upload');
  }
  // JSON only: a cross-site form cannot send it without a preflight, which CORS refuses.
  if (type !== 'application/json') {
    throw new PortraitistError('USAGE', 'the body must be application/json', {
      issues: [
        {
          path: 'content-type',
          message: `expected application/json for \`content-type\` but received ${JSON.stringify(type)}`,
        },
      ],
    });
  }
  const bytes = await readCapped(c.req.raw, limits.json, 'JSON body');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new PortraitistError('USAGE', 'the body is not valid JSON', {
      issues: [{ path: 'body', message: 'expected a JSON document for `body`' }],
      cause: error,
    });
  }
  const url = findEngineUrl(value, '');
  if (url !== undefined) {
    throw new PortraitistError(
      'ENGINE_URL_REFUSED',
      `\`${url}\` looks like a server address; engine URLs are set by the operator, never by a request`,
      {
        issues: [
          {
            path: url,
            message: `expected no server address for \`${url}\`: engines are configured where the server runs`,
          },
        ],
      },
    );
  }
  return parseWith(body.schema, value, 'body');
}

function answer(c: Context, route: RouteDefinition, result: RouteAnswer): Response {
  if ('stream' in result) {
    return new Response(result.stream, {
      status: 200,
      headers: {
        'content-type': `${result.mediaType}; charset=utf-8`,
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      },
    });
  }
  const status = (result.status ?? route.answer.status) as 200;
  if ('bytes' in result) {
    return c.body(result.bytes as Uint8Array<ArrayBuffer>, status, {
      'content-type': result.mediaType,
      // Content-addressed: the same URL always means the same bytes.
      'cache-control': 'private, max-age=31536000, immutable',
    });
  }
  return c.json(result.json as object, status);
}

function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Lists the files under `root` once, so only files that were built can ever be served. */
async function listFiles(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(`/${relative(root, full).split(sep).join('/')}`, full);
  }
  return files;
}

/** Builds the HTTP app: the API under /api, its OpenAPI document, and the studio page. */
export function createApp(options: AppOptions): Hono {
  const { api } = options;
  const version = options.version ?? '0.1.0';
  const allowed = new Set([...loopbackHosts, ...(options.allowedHosts ?? []).map(hostName)]);
  const limits = {
    json: options.maxJsonBytes ?? 1024 * 1024,
    upload: options.maxUploadBytes ?? 20 * 1024 * 1024,
  };
  const routes = routeTable(version);
  const document = openApiDocument(routes, { version, tokenRequired: options.token !== undefined });
  let staticFiles: Promise<Map<string, string>> | undefined;

  const app = new Hono();

  app.onError((error, c) => {
    const { status, body } = errorAnswer(error);
    return c.json(body, status as 400);
  });
  app.notFound((c) => {
    const { status, body } = errorAnswer(
      new PortraitistError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, {
        issues: [
          {
            path: 'path',
            message: `expected a route of the API for \`path\` but received ${c.req.path}`,
          },
        ],
      }),
    );
    return c.json(body, status as 404);
  });

  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!allowed.has(hostName(host))) {
      throw new PortraitistError('HOST_FORBIDDEN', `host ${JSON.stringify(host)} is not allowed`, {
        issues: [
          {
            path: 'host',
            message: `expected one of ${[...allowed].join(', ')} for \`host\` but received ${JSON.stringify(host)}`,
          },
        ],
      });
    }
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = origin;
      }
      // Only the studio's own page may call the API from a browser: no CORS, no other origin.
      if (origin === 'null' || !allowed.has(hostName(originHost))) {
        throw new PortraitistError(
          'HOST_FORBIDDEN',
          `origin ${JSON.stringify(origin)} is not allowed`,
          {
            issues: [
              {
                path: 'origin',
                message: `expected the studio's own origin for \`origin\` but received ${JSON.stringify(origin)}`,
              },
            ],
          },
        );
      }
    }
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-frame-options', 'DENY');
    c.header('cross-origin-resource-policy', 'same-origin');
    c.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });

  app.use('/api/*', async (c, next) => {
    if (options.token !== undefined) {
      const header = c.req.header('authorization') ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (given === '' || !sameToken(given, options.token)) {
        throw new PortraitistError('UNAUTHORIZED', 'a valid token is required', {
          issues: [
            {
              path: 'authorization',
              message:
                'expected `authorization` to be "Bearer <token>" with the token `serve` printed',
            },
          ],
        });
      }
    }
    await next();
  });

  app.get('/api/openapi.json', (c) => c.json(document));

  for (const route of routes) {
    const path = route.path.replace(/\{(\w+)\}/g, ':$1');
    app.on(route.method.toUpperCase(), path, async (c) => {
      const params = parseWith(route.params, c.req.param(), 'params');
      // A repeated query key (pillar=…&pillar=…) arrives as a list.
      const rawQuery = Object.fromEntries(
        Object.entries(c.req.queries()).map(([k, v]) => [k, v.length > 1 ? v : v[0]]),
      );
      const query = parseWith(route.query, rawQuery, 'query');
      const body = await readBody(c, route, limits);
      return answer(c, route, await route.handle({ params, query, body }, api));
    });
  }

  if (options.webRoot !== undefined) {
    const root = options.webRoot;
    app.get('*', async (c, next) => {
      if (c.req.path.startsWith('/api/')) return next();
      staticFiles ??= listFiles(root);
      const files = await staticFiles;
      const file =
        files.get(c.req.path) ??
        (extname(c.req.path) === '' ? files.get('/index.html') : undefined);
      if (file === undefined) return next();
      const bytes = await readFile(file);
      return c.body(bytes, 200, {
        'content-type': staticTypes[extname(file)] ?? 'application/octet-stream',
        'cache-control': file.includes(`${sep}assets${sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      });
    });
  }
  return app;
}

/** The OpenAPI document of the routes `createApp` serves. */
export function studioOpenApi(options: { version?: string; tokenRequired?: boolean } = {}) {
  const version = options.version ?? '0.1.0';
  return openApiDocument(routeTable(version), {
    version,
    tokenRequired: options.tokenRequired ?? false,
  });
}
