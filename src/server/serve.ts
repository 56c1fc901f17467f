// startServer: binds the app to a socket, 127.0.0.1 by default; any other address needs a token.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp, type AppOptions } from './app.js';

/** Options of a running studio server. */
export interface ServerOptions extends Omit<AppOptions, 'token'> {
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 4780; 0 picks a free one). */
  readonly port?: number;
  /** Token for /api; generated when bound beyond loopback and none is given. */
  readonly token?: string;
  /** Makes a token (injected so tests are deterministic); default 32 random bytes, hex. */
  readonly newToken?: () => string;
}

/** A listening server. */
export interface RunningServer {
  /** The studio's address; the token, when there is one, rides in the fragment (never sent). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  close(): Promise<void>;
}

const loopback = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** True when `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return loopback.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Starts the HTTP server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token =
    options.token ??
    (isLoopback(host)
      ? undefined
      : (options.newToken ?? (() => randomBytes(32).toString('hex')))());
  const wildcard = host === '0.0.0.0' || host === '::';
  const allowedHosts = [...(options.allowedHosts ?? []), ...(wildcard ? [] : [host])];
  const app = createApp({ ...options, allowedHosts, ...(token === undefined ? {} : { token }) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 4780 }, () =>
      resolve(listening),
    );
    listening.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/${token === undefined ? '' : `#token=${token}`}`,
    host,
    port,
    token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets would hold close() open until they time out.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** The built studio (dist/web) beside this module, from dist/ or from src/; undefined if not built. */
export function defaultWebRoot(): string | undefined {
  for (const candidate of ['../web/', '../../dist/web/']) {
    const folder = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${folder}index.html`)) return folder;
  }
  return undefined;
}
