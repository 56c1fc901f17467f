// The shared remote-engine HTTP layer against real in-process servers on 127.0.0.1: answers
// checked with zod, typed errors, retries only where repeating a request is safe, timeouts,
// cancellation, size limits, credentials from the URL, and no handle left open after a fault.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isPortraitistError, type PortraitistError } from '../../errors/index.js';
import { closedPort, leakedResources, resourceCounts } from '../../testing/index.js';
import { createRemoteClient, parseEngineUrl, type RemoteClientOptions } from './http.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, index: number, seen: Seen) => void;

interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Every request that reached the server, in order (recorded as it arrives). */
  readonly requests: Seen[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1; the handler runs once the request body has arrived. */
async function serve(handler: Handler): Promise<TestServer> {
  const requests: Seen[] = [];
  const server = createServer((req, res) => {
    const seen: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: '',
    };
    const index = requests.push(seen) - 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.body = Buffer.concat(chunks).toString('utf8');
      handler(req, res, index, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port on 127.0.0.1 that was listening a moment ago and is now closed: connections are refused. */

/** The typed error a promise rejects with (fails the test when it resolves or throws another). */
async function failure(promise: Promise<unknown>): Promise<PortraitistError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (!isPortraitistError(error)) throw error;
    return error;
  }
  throw new Error(`expected a PortraitistError but the call resolved with ${String(outcome)}`);
}

/** A sleep that records the backoff delays and returns at once (rejecting when aborted). */
function recordingSleep(): {
  delays: number[];
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
} {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms, signal) => {
      delays.push(ms);
      signal?.throwIfAborted();
    },
  };
}

const json = (res: ServerResponse, status: number, value: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

/** Sends the headers and the start of a body, then drops the connection mid-answer. */
const dropMidAnswer = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
  res.write('{"id":"abc","size":');
  setTimeout(() => res.socket?.destroy(), 20);
};

const answerSchema = z.object({ id: z.string(), size: z.number() });

function client(server: TestServer | string, options: Partial<RemoteClientOptions> = {}) {
  return createRemoteClient({
    service: 'TestEngine',
    baseUrl: typeof server === 'string' ? server : server.url,
    ...options,
  });
}

describe('createRemoteClient: answers', () => {
  it('GETs JSON and returns the value parsed by the schema', async () => {
    const server = await serve((_req, res) => json(res, 200, { id: 'abc', size: 3, extra: true }));
    try {
      const value = await client(server).json('/things', answerSchema, {
        query: { limit: 5, deep: true, skip: undefined, name: 'a b' },
      });
      // zod strips the unknown key: the schema's output, not the raw body, comes back.
      expect(value).toEqual({ id: 'abc', size: 3 });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.method).toBe('GET');
      const url = new URL(server.requests[0]?.url ?? '', server.url);
      expect(url.pathname).toBe('/things');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        limit: '5',
        deep: 'true',
        name: 'a b',
      });
    } finally {
      await server.close();
    }
  });

  it('POSTs a JSON body with its content type and the configured headers', async () => {
    const server = await serve((_req, res, _i, seen) => json(res, 200, { echoed: seen.body }));
    try {
      const value = await client(server, { headers: { 'x-client': 'portraitist' } }).json(
        'prompt',
        z.object({ echoed: z.string() }),
        { method: 'POST', json: { prompt: { 1: 'node' }, n: 2 } },
      );
      expect(JSON.parse(value.echoed)).toEqual({ prompt: { 1: 'node' }, n: 2 });
      const seen = server.requests[0];
      expect(seen?.method).toBe('POST');
      expect(seen?.headers['content-type']).toBe('application/json');
      expect(seen?.headers['x-client']).toBe('portraitist');
      expect(seen?.headers.authorization).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('reports a schema mismatch as ENGINE_FAILED with one issue per field', async () => {
    const server = await serve((_req, res) => json(res, 200, { size: 'big', meta: { width: [] } }));
    try {
      const schema = answerSchema.extend({ meta: z.object({ width: z.number() }) });
      const error = await failure(client(server).json('/things', schema));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toContain('TestEngine');
      expect(error.message).toContain('GET /things');
      expect(error.issues.map((i) => i.path).sort()).toEqual(['id', 'meta.width', 'size']);
      const byPath = new Map(error.issues.map((i) => [i.path, i.message]));
      expect(byPath.get('id')).toBe(
        'expected a string for `id` but received nothing (the field is missing)',
      );
      expect(byPath.get('size')).toBe('expected a number for `size` but received "big"');
      expect(byPath.get('meta.width')).toBe(
        'expected a number for `meta.width` but received a list of 0',
      );
      // A bad answer is the server's fault, not the connection's: it is not retried.
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('reports malformed JSON as ENGINE_FAILED, not retried', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>Bad gateway page</html>');
    });
    try {
      const { sleep, delays } = recordingSleep();
      const error = await failure(client(server, { sleep }).json('/history', answerSchema));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toContain('malformed JSON');
      expect(error.message).toContain('GET /history');
      expect(error.message).toContain('<html>Bad gateway page</html>');
      expect(error.source).toBe(server.url);
      expect(server.requests).toHaveLength(1);
      expect(delays).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('accepts an empty 200 through send, but not where JSON is expected', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.end();
    });
    try {
      const remote = client(server);
      await expect(remote.send('/interrupt', { method: 'POST' })).resolves.toBeUndefined();
      const error = await failure(remote.json('/interrupt', answerSchema, { method: 'POST' }));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toContain('malformed JSON');
      expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    } finally {
      await server.close();
    }
  });

  it('returns raw bytes with their content type', async () => {
    const payload = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(payload);
    });
    try {
      const answer = await client(server).bytes('/view', { query: { filename: 'a.png' } });
      expect(Buffer.from(answer.bytes).equals(payload)).toBe(true);
      expect(answer.bytes).toBeInstanceOf(Uint8Array);
      expect(answer.contentType).toBe('image/png');
      expect(server.requests[0]?.url).toBe('/view?filename=a.png');
    } finally {
      await server.close();
    }
  });
});

describe('createRemoteClient: error answers', () => {
  for (const status of [400, 422]) {
    it(`reports ${status} as ENGINE_REJECTED and never retries it`, async () => {
      const server = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end('prompt has no outputs\nsecond line of detail');
      });
      try {
        const { sleep, delays } = recordingSleep();
        const remote = client(server, { sleep });
        for (const method of ['GET', 'POST'] as const) {
          const error = await failure(remote.send('/prompt', { method, idempotent: true }));
          expect(error.code).toBe('ENGINE_REJECTED');
          // The default description is the body's first line.
          expect(error.message).toBe(
            `TestEngine answered ${status} to ${method} /prompt: prompt has no outputs`,
          );
          expect(error.source).toBe(server.url);
        }
        expect(server.requests).toHaveLength(2);
        expect(delays).toEqual([]);
      } finally {
        await server.close();
      }
    });
  }

  it('says "(empty body)" when an error answer has no body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    try {
      const error = await failure(client(server).send('/missing'));
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).toBe('TestEngine answered 404 to GET /missing: (empty body)');
    } finally {
      await server.close();
    }
  });

  it("uses the service's own describeError for the message and the issues", async () => {
    const body = {
      error: { message: 'Prompt outputs failed validation' },
      node_errors: { '3': { errors: [{ message: 'Value not in list: ckpt_name' }] } },
    };
    const server = await serve((_req, res) => json(res, 400, body));
    try {
      const calls: Array<[number, string]> = [];
      const remote = client(server, {
        describeError: (status, text) => {
          calls.push([status, text]);
          const parsed = JSON.parse(text) as typeof body;
          return {
            message: parsed.error.message,
            issues: [{ path: 'nodes.3', message: 'Value not in list: ckpt_name' }],
          };
        },
      });
      const error = await failure(remote.send('/prompt', { method: 'POST', json: {} }));
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).toBe(
        'TestEngine answered 400 to POST /prompt: Prompt outputs failed validation',
      );
      expect(error.issues).toEqual([{ path: 'nodes.3', message: 'Value not in list: ckpt_name' }]);
      expect(calls).toEqual([[400, JSON.stringify(body)]]);
    } finally {
      await server.close();
    }
  });

  it('reports 500 as ENGINE_FAILED and does not retry it, for POST or GET', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500);
      res.end('CUDA out of memory');
    });
    try {
      const { sleep, delays } = recordingSleep();
      const remote = client(server, { sleep });
      const post = await failure(remote.send('/prompt', { method: 'POST', json: {} }));
      expect(post.code).toBe('ENGINE_FAILED');
      expect(post.message).toBe('TestEngine answered 500 to POST /prompt: CUDA out of memory');
      expect(server.requests).toHaveLength(1);
      const get = await failure(remote.send('/queue'));
      expect(get.code).toBe('ENGINE_FAILED');
      expect(server.requests).toHaveLength(2);
      expect(delays).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('retries a GET answered 503 and returns the answer that follows', async () => {
    const server = await serve((_req, res, index) =>
      index === 0 ? json(res, 503, { error: 'restarting' }) : json(res, 200, { id: 'x', size: 1 }),
    );
    try {
      const { sleep, delays } = recordingSleep();
      const value = await client(server, { sleep }).json('/queue', answerSchema);
      expect(value).toEqual({ id: 'x', size: 1 });
      expect(server.requests).toHaveLength(2);
      expect(delays).toEqual([250]);
    } finally {
      await server.close();
    }
  });

  it('gives up on 502/503/504 after the retries, keeping the last status', async () => {
    const statuses = [502, 504, 503];
    const server = await serve((_req, res, index) => {
      res.writeHead(statuses[index] ?? 503);
      res.end(`gateway ${index}`);
    });
    try {
      const { sleep, delays } = recordingSleep();
      const error = await failure(client(server, { sleep, retries: 2 }).send('/queue'));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(error.message).toBe('TestEngine answered 503 to GET /queue: gateway 2');
      expect(server.requests).toHaveLength(3);
      expect(delays).toEqual([250, 500]);
    } finally {
      await server.close();
    }
  });

  it('does not retry a POST answered 503 unless it is marked idempotent', async () => {
    const server = await serve((_req, res, index) =>
      index === 0 || index === 1 ? json(res, 503, {}) : json(res, 200, { id: 'y', size: 2 }),
    );
    try {
      const { sleep, delays } = recordingSleep();
      const remote = client(server, { sleep });
      const error = await failure(remote.send('/prompt', { method: 'POST', json: {} }));
      expect(error.code).toBe('ENGINE_FAILED');
      expect(server.requests).toHaveLength(1);
      expect(delays).toEqual([]);
      const value = await remote.json('/upload', answerSchema, {
        method: 'POST',
        idempotent: true,
      });
      expect(value).toEqual({ id: 'y', size: 2 });
      expect(server.requests).toHaveLength(3);
      expect(delays).toEqual([250]);
    } finally {
      await server.close();
    }
  });
});

describe('createRemoteClient: connection faults', () => {
  it('fails at once, naming the URL, when nothing listens on a loopback port (no retries)', async () => {
    const before = resourceCounts();
    const port = await closedPort();
    let attempts = 0;
    const counting: typeof fetch = (input, init) => {
      attempts += 1;
      return fetch(input, init);
    };
    const { sleep, delays } = recordingSleep();
    for (const host of ['127.0.0.1', 'localhost']) {
      const remote = client(`http://${host}:${port}`, { sleep, fetch: counting });
      const error = await failure(remote.json('/system_stats', answerSchema));
      expect(error.code).toBe('ENGINE_UNREACHABLE');
      expect(error.message).toContain('TestEngine');
      expect(error.message).toContain(`http://${host}:${port}`);
      expect(error.message).toContain('ECONNREFUSED');
      expect(error.message).not.toContain('tries');
      // The message names the server; no separate source, so the CLI does not print it twice.
      expect(error.source).toBeUndefined();
    }
    // localhost may try ::1 and 127.0.0.1 inside one fetch; either way one attempt per call.
    expect(attempts).toBe(2);
    expect(delays).toEqual([]);
    expect(await leakedResources(before)).toEqual([]);
  });

  it('reports a server that drops every connection as ENGINE_UNREACHABLE after retries + 1 attempts', async () => {
    const before = resourceCounts();
    const server = await serve((req) => req.socket.destroy());
    const { sleep, delays } = recordingSleep();
    const error = await failure(client(server, { sleep }).json('/system_stats', answerSchema));
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toContain('TestEngine');
    expect(error.message).toContain(server.url);
    expect(error.message).toContain('4 tries');
    expect(error.source).toBeUndefined();
    expect(server.requests).toHaveLength(4);
    expect(delays).toEqual([250, 500, 1000]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('honours retries and backoffMs', async () => {
    const server = await serve((req) => req.socket.destroy());
    const { sleep, delays } = recordingSleep();
    const remote = client(server, { sleep, retries: 5, backoffMs: 10 });
    const error = await failure(remote.send('/'));
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toContain('6 tries');
    expect(delays).toEqual([10, 20, 40, 80, 160]);

    const once = recordingSleep();
    const single = await failure(client(server, { sleep: once.sleep, retries: 0 }).send('/'));
    expect(single.code).toBe('ENGINE_UNREACHABLE');
    expect(single.message).not.toContain('tries');
    expect(once.delays).toEqual([]);
    expect(server.requests).toHaveLength(7);
    await server.close();
  });

  it('retries a POST when a remote host refused the connection, since the server never saw it', async () => {
    // A host on another machine (TEST-NET-1) that refuses, as undici reports it: it may be
    // restarting, so unlike loopback this is worth the backoff.
    let attempts = 0;
    const refusing: typeof fetch = async () => {
      attempts += 1;
      const cause = Object.assign(new Error('connect ECONNREFUSED 192.0.2.1:8188'), {
        code: 'ECONNREFUSED',
      });
      throw new TypeError('fetch failed', { cause });
    };
    const { sleep, delays } = recordingSleep();
    const error = await failure(
      client('http://192.0.2.1:8188', { sleep, fetch: refusing }).send('/prompt', {
        method: 'POST',
        json: { prompt: {} },
      }),
    );
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toContain('4 tries');
    expect(attempts).toBe(4);
    expect(delays).toEqual([250, 500, 1000]);
  });

  it('retries a GET whose connection drops mid-answer, and succeeds on the second try', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res, index) =>
      index === 0 ? dropMidAnswer(res) : json(res, 200, { id: 'abc', size: 9 }),
    );
    const { sleep, delays } = recordingSleep();
    const value = await client(server, { sleep }).json('/history', answerSchema);
    expect(value).toEqual({ id: 'abc', size: 9 });
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([250]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('does not retry a POST whose connection drops mid-answer (it may have run)', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res, index) =>
      index === 0 ? dropMidAnswer(res) : json(res, 200, { id: 'abc', size: 9 }),
    );
    const { sleep, delays } = recordingSleep();
    const error = await failure(
      client(server, { sleep }).json('/prompt', answerSchema, { method: 'POST', json: {} }),
    );
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toContain('TestEngine');
    expect(error.message).not.toContain('tries');
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('does not retry a POST whose connection is reset before any answer', async () => {
    const before = resourceCounts();
    const server = await serve((req) => req.socket.destroy());
    const { sleep, delays } = recordingSleep();
    const error = await failure(client(server, { sleep }).send('/prompt', { method: 'POST' }));
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('retries a POST marked idempotent whose connection drops mid-answer', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res, index) =>
      index === 0 ? dropMidAnswer(res) : json(res, 200, { id: 'def', size: 1 }),
    );
    const { sleep, delays } = recordingSleep();
    const value = await client(server, { sleep }).json('/upload/image', answerSchema, {
      method: 'POST',
      idempotent: true,
      json: { name: 'a.png' },
    });
    expect(value).toEqual({ id: 'def', size: 1 });
    expect(server.requests).toHaveLength(2);
    expect(server.requests.map((r) => r.body)).toEqual(['{"name":"a.png"}', '{"name":"a.png"}']);
    expect(delays).toEqual([250]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('builds a multipart form afresh for each attempt', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res, index) =>
      index === 0 ? dropMidAnswer(res) : json(res, 200, { id: 'up', size: 4 }),
    );
    const { sleep } = recordingSleep();
    let built = 0;
    const value = await client(server, { sleep }).json('/upload/image', answerSchema, {
      method: 'POST',
      idempotent: true,
      form: () => {
        built += 1;
        const form = new FormData();
        form.set('image', new Blob([new Uint8Array([1, 2, 3, 4])]), `try-${built}.png`);
        form.set('overwrite', 'true');
        return form;
      },
    });
    expect(value).toEqual({ id: 'up', size: 4 });
    expect(built).toBe(2);
    expect(server.requests).toHaveLength(2);
    for (const [i, seen] of server.requests.entries()) {
      expect(seen.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(seen.body).toContain(`filename="try-${i + 1}.png"`);
      expect(seen.body).toContain('name="overwrite"');
    }
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });
});

describe('createRemoteClient: timeouts and cancellation', () => {
  it('reports a server that never answers as ENGINE_TIMEOUT naming timeoutMs, not retried', async () => {
    const before = resourceCounts();
    const server = await serve(() => undefined);
    const { sleep, delays } = recordingSleep();
    const error = await failure(client(server, { sleep, timeoutMs: 50 }).send('/queue'));
    expect(error.code).toBe('ENGINE_TIMEOUT');
    expect(error.message).toBe(
      `TestEngine at ${server.url} did not answer GET /queue within 50 ms (timeoutMs)`,
    );
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('times out a body that stops halfway, with the per-request timeoutMs', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"id":');
    });
    const error = await failure(
      client(server, { timeoutMs: 60_000 }).json('/history', answerSchema, { timeoutMs: 50 }),
    );
    expect(error.code).toBe('ENGINE_TIMEOUT');
    expect(error.message).toContain('within 50 ms (timeoutMs)');
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('refuses at once when cancelled before the call; nothing reaches the server', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res) => json(res, 200, { id: 'a', size: 1 }));
    const controller = new AbortController();
    controller.abort();
    const error = await failure(
      client(server).json('/queue', answerSchema, { signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.message).toContain('TestEngine');
    expect(server.requests).toHaveLength(0);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('stops a hanging request when cancelled', async () => {
    const before = resourceCounts();
    const controller = new AbortController();
    // The server takes the request and never answers; the caller cancels once it has arrived.
    const server = await serve(() => controller.abort());
    const { sleep, delays } = recordingSleep();
    const error = await failure(
      client(server, { sleep }).send('/prompt', {
        method: 'POST',
        json: {},
        signal: controller.signal,
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('stops during a backoff sleep when cancelled', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res) => json(res, 503, {}));
    const controller = new AbortController();
    const delays: number[] = [];
    const error = await failure(
      client(server, {
        sleep: (ms, signal) => {
          delays.push(ms);
          controller.abort();
          return delay(ms, undefined, { signal });
        },
      }).send('/queue', { signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(delays).toEqual([250]);
    expect(server.requests).toHaveLength(1);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('stops during the default backoff sleep when cancelled', async () => {
    const before = resourceCounts();
    const controller = new AbortController();
    const server = await serve((_req, res) => {
      json(res, 503, {});
      // A minute of backoff follows; the cancel comes while the client waits it out.
      setTimeout(() => controller.abort(), 30);
    });
    const error = await failure(
      client(server, { backoffMs: 60_000 }).send('/queue', { signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(server.requests).toHaveLength(1);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('does not send the next attempt when cancelled during a sleep that ignores the signal', async () => {
    const server = await serve((_req, res) => json(res, 503, {}));
    const controller = new AbortController();
    try {
      const error = await failure(
        client(server, {
          sleep: async () => controller.abort(),
        }).send('/queue', { signal: controller.signal }),
      );
      expect(error.code).toBe('ABORTED');
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('createRemoteClient: maxResponseBytes', () => {
  it('refuses an answer whose declared length is over the limit', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
      res.end(Buffer.alloc(1000, 7));
    });
    const { sleep, delays } = recordingSleep();
    const error = await failure(
      client(server, { sleep, maxResponseBytes: 100 }).bytes('/view', { query: { f: 'x' } }),
    );
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toBe(
      'TestEngine sent 1000 bytes for GET /view, over the 100-byte limit (maxResponseBytes)',
    );
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('refuses a chunked answer with no length once it grows over the limit', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // No content-length: node sends it chunked, in pieces.
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(64, i));
      res.end();
    });
    const error = await failure(client(server, { maxResponseBytes: 100 }).bytes('/view'));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('over the 100-byte limit (maxResponseBytes)');
    expect(server.requests).toHaveLength(1);
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('accepts an answer of exactly the limit', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(100, 1));
    });
    try {
      const answer = await client(server, { maxResponseBytes: 100 }).bytes('/view');
      expect(answer.bytes.length).toBe(100);
    } finally {
      await server.close();
    }
  });
});

describe('createRemoteClient: URLs and credentials', () => {
  it('sends user:pass@ from the URL as Basic auth and keeps the password out of errors', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res, index) =>
      index === 0 ? json(res, 200, { id: 'ok', size: 0 }) : json(res, 401, { error: 'no' }),
    );
    const baseUrl = `http://alice:s3cr%40t-pw@127.0.0.1:${server.port}`;
    const remote = client(baseUrl, { timeoutMs: 50 });
    expect(remote.origin).toBe(server.url);
    await remote.json('/queue', answerSchema);
    expect(server.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('alice:s3cr@t-pw').toString('base64')}`,
    );
    const rejected = await failure(remote.send('/queue'));
    expect(rejected.code).toBe('ENGINE_REJECTED');
    await server.close();

    const port = await closedPort();
    const unreachable = await failure(
      client(`http://alice:s3cr%40t-pw@127.0.0.1:${port}`, { sleep: recordingSleep().sleep }).send(
        '/',
      ),
    );
    expect(unreachable.code).toBe('ENGINE_UNREACHABLE');

    const hanging = await serve(() => undefined);
    const timedOut = await failure(
      client(`http://alice:s3cr%40t-pw@127.0.0.1:${hanging.port}`, { timeoutMs: 50 }).send('/'),
    );
    expect(timedOut.code).toBe('ENGINE_TIMEOUT');
    await hanging.close();

    for (const error of [rejected, unreachable, timedOut]) {
      const shown = JSON.stringify(error.toJSON());
      expect(shown).not.toContain('s3cr');
      expect(shown).not.toContain('alice');
    }
    expect(await leakedResources(before)).toEqual([]);
  });

  it('lets an explicit authorization header replace the one from the URL, in any case', async () => {
    const server = await serve((_req, res) => json(res, 200, { id: 'ok', size: 0 }));
    try {
      for (const name of ['authorization', 'Authorization', 'AUTHORIZATION'])
        await client(`http://u:p@127.0.0.1:${server.port}`, {
          headers: { [name]: 'Bearer token' },
        }).send('/queue');
      // Not "Basic …, Bearer token": the URL's credentials are not sent alongside.
      expect(server.requests.map((r) => r.headers.authorization)).toEqual([
        'Bearer token',
        'Bearer token',
        'Bearer token',
      ]);
    } finally {
      await server.close();
    }
  });

  it('sends one content type whatever the case of a configured one', async () => {
    const server = await serve((_req, res) => json(res, 200, { id: 'ok', size: 0 }));
    try {
      const remote = client(server, { headers: { 'Content-Type': 'text/plain' } });
      await remote.send('/prompt', { method: 'POST', json: { a: 1 } });
      await remote.send('/upload', {
        method: 'POST',
        form: () => {
          const form = new FormData();
          form.set('field', 'value');
          return form;
        },
      });
      expect(server.requests[0]?.headers['content-type']).toBe('application/json');
      expect(server.requests[1]?.headers['content-type']).toMatch(
        /^multipart\/form-data; boundary=[^,]+$/,
      );
      expect(server.requests[1]?.body).toContain('name="field"');
    } finally {
      await server.close();
    }
  });

  it('keeps a path prefix in the base URL', async () => {
    const server = await serve((_req, res) => json(res, 200, { id: 'p', size: 1 }));
    try {
      const remote = client(`${server.url}/api`);
      expect(remote.origin).toBe(`${server.url}/api`);
      await remote.json('/prompt', answerSchema);
      await remote.json('history/42', answerSchema, { query: { max_items: 1 } });
      const prefixed = client(`${server.url}/comfy/`);
      expect(prefixed.origin).toBe(`${server.url}/comfy`);
      await prefixed.send('/view');
      expect(server.requests.map((r) => r.url)).toEqual([
        '/api/prompt',
        '/api/history/42?max_items=1',
        '/comfy/view',
      ]);
    } finally {
      await server.close();
    }
  });

  it('refuses a bad URL with a USAGE error naming `url`', () => {
    for (const bad of ['not a url', '', 'ftp://127.0.0.1:21/', 'file:///etc/passwd']) {
      let error: unknown;
      try {
        createRemoteClient({ service: 'TestEngine', baseUrl: bad });
      } catch (caught) {
        error = caught;
      }
      expect(isPortraitistError(error), bad).toBe(true);
      const typed = error as PortraitistError;
      expect(typed.code).toBe('USAGE');
      expect(typed.message).toContain('`url`');
      expect(typed.issues.map((i) => i.path)).toEqual(['url']);
      expect(typed.issues[0]?.message).toMatch(/^expected .* for `url` but received /);
    }
  });

  it('names the given field and never echoes a password in URL errors', () => {
    const cases = [
      'ftp://bob:hunter2@files.example/',
      'bob:hunter2@127.0.0.1:8188',
      'http://bob:hun/ter2@127.0.0.1:8188',
      'http://bob:hunter2@[::1:8188',
    ];
    for (const bad of cases) {
      let error: unknown;
      try {
        parseEngineUrl(bad, 'engines.comfyui.url');
      } catch (caught) {
        error = caught;
      }
      expect(isPortraitistError(error), bad).toBe(true);
      const typed = error as PortraitistError;
      expect(typed.code).toBe('USAGE');
      expect(typed.issues.map((i) => i.path)).toEqual(['engines.comfyui.url']);
      const shown = JSON.stringify(typed.toJSON());
      expect(shown, bad).not.toContain('hunter2');
      expect(shown, bad).not.toContain('ter2');
      expect(shown, bad).toContain('***@');
    }
    // What is not credentials is still shown, so the user can see what was wrong.
    expect(() => parseEngineUrl('ftp://bob:pw@files.example/')).toThrow(
      'expected an http: or https: URL for `url` but received "ftp://***@files.example/"',
    );
    expect(() => parseEngineUrl('127.0.0.1:8188')).toThrow('received "127.0.0.1:8188"');
  });

  it('splits credentials out of a URL', () => {
    expect(parseEngineUrl('https://u%3Ax:p%25w@engine.example:8443/sd')).toEqual({
      url: new URL('https://engine.example:8443/sd/'),
      origin: 'https://engine.example:8443/sd',
      authorization: `Basic ${Buffer.from('u:x:p%w').toString('base64')}`,
    });
    const plain = parseEngineUrl('http://127.0.0.1:8188');
    expect(plain.origin).toBe('http://127.0.0.1:8188');
    expect(plain.authorization).toBeUndefined();
    // A user with no password, and a password that is not valid percent-encoding, still work.
    expect(parseEngineUrl('http://token@h/').authorization).toBe(
      `Basic ${Buffer.from('token:').toString('base64')}`,
    );
    expect(parseEngineUrl('http://u:100%@h/').authorization).toBe(
      `Basic ${Buffer.from('u:100%').toString('base64')}`,
    );
  });
});

describe('createRemoteClient: JSON caps, redirects and trickling bodies', () => {
  it('caps JSON answers at maxJsonBytes (default 20 MiB) while streaming; a route may allow more', async () => {
    const before = resourceCounts();
    const big = `{"id":"${'x'.repeat(21 * 1024 * 1024)}","size":1}`;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Chunked, with no length to refuse up front: the cap holds while the body streams.
      for (let at = 0; at < big.length; at += 1024 * 1024)
        res.write(big.slice(at, at + 1024 * 1024));
      res.end();
    });
    const error = await failure(client(server).json('/object_info', answerSchema));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain(`over the ${20 * 1024 * 1024}-byte limit (maxJsonBytes)`);
    const small = await failure(client(server, { maxJsonBytes: 1000 }).json('/x', answerSchema));
    expect(small.message).toContain('over the 1000-byte limit (maxJsonBytes)');
    const allowed = await client(server).json('/txt2img', answerSchema, {
      maxBytes: 32 * 1024 * 1024,
    });
    expect(allowed.size).toBe(1);
    const route = await failure(client(server).json('/x', answerSchema, { maxBytes: 2000 }));
    expect(route.message).toContain('over the 2000-byte limit (the limit of this route)');
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });

  it('refuses a redirect to another origin, sending nothing there', async () => {
    const before = resourceCounts();
    const elsewhere = await serve((_req, res) => json(res, 200, { id: 'stolen', size: 0 }));
    const server = await serve((req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}${req.url ?? '/'}` });
      res.end();
    });
    const remote = client(`http://alice:pw@127.0.0.1:${server.port}`, {
      headers: { 'x-key': 'k' },
    });
    for (const request of [{}, { method: 'POST' as const, json: { prompt: 'secret' } }]) {
      const error = await failure(remote.json('/history', answerSchema, request));
      expect(error.code).toBe('ENGINE_REJECTED');
      expect(error.message).toContain('redirect (302)');
      expect(error.message).toContain('to another origin are refused');
      expect(error.message).not.toContain('alice');
    }
    expect(elsewhere.requests).toEqual([]);
    await Promise.all([server.close(), elsewhere.close()]);
    expect(await leakedResources(before)).toEqual([]);
  });

  it('follows a same-origin redirect of a GET (3 hops at most), but never of a POST', async () => {
    const server = await serve((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/loop')) {
        res.writeHead(307, { location: '/loop' });
        res.end();
      } else if (url.startsWith('/old')) {
        res.writeHead(301, { location: '/api/history' });
        res.end();
      } else json(res, 200, { id: 'moved', size: 2 });
    });
    try {
      const remote = client(server);
      expect(await remote.json('/old', answerSchema)).toEqual({ id: 'moved', size: 2 });
      const loop = await failure(remote.json('/loop', answerSchema));
      expect(loop.message).toContain('followed 3 times at most');
      const post = await failure(remote.send('/old', { method: 'POST', json: {} }));
      expect(post.code).toBe('ENGINE_REJECTED');
      expect(post.message).toContain('of a POST are not followed');
      expect(server.requests.filter((r) => r.url.startsWith('/loop'))).toHaveLength(4);
    } finally {
      await server.close();
    }
  });

  it('cuts off a body that trickles in after bodyTimeoutMs, though timeoutMs is far away', async () => {
    const before = resourceCounts();
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const error = await failure(
      client(server, { timeoutMs: 60_000, bodyTimeoutMs: 150, retries: 0 }).json(
        '/x',
        answerSchema,
      ),
    );
    expect(error.code).toBe('ENGINE_TIMEOUT');
    expect(error.message).toContain('within 150 ms of starting it (bodyTimeoutMs)');
    await server.close();
    expect(await leakedResources(before)).toEqual([]);
  });
});
