// The HTTP layer's own cost: a request through createApp (in-process and over a socket) against
// the use case called directly, p50/p99 in one run; and the studio's first page load in Chromium.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { readExampleBriefs } from '../src/brief/index.js';
import {
  createApp,
  createMemoryBlobStore,
  createStudioApi,
  startServer,
} from '../src/server/index.js';
import { chromiumArgs, findChromium } from '../src/testing/index.js';
import { figure, median, sample, type BenchResult, type Figure } from './harness.js';

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** Milliseconds from navigation to the templates listed, or why it could not be measured. */
async function firstPageLoad(url: string): Promise<number[] | string> {
  let executablePath: string;
  try {
    executablePath = await findChromium();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...chromiumArgs],
  });
  try {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      // A fresh context each time: no cache, as an artist opening the studio for the first time.
      const context = await browser.newContext();
      const page = await context.newPage();
      const start = performance.now();
      await page.goto(url);
      await page.waitForSelector('[data-testid=template] option:nth-child(2)', {
        state: 'attached',
      });
      times.push(performance.now() - start);
      await context.close();
    }
    return times;
  } finally {
    await browser.close();
  }
}

export async function benchServer(): Promise<BenchResult> {
  const api = createStudioApi({ blobs: createMemoryBlobStore() });
  const app = createApp({ api });
  const [example] = await readExampleBriefs();
  if (example === undefined) throw new Error('no example briefs');
  const body = JSON.stringify({ brief: example.brief, target: 'sdxl' });
  const headers = { host: '127.0.0.1', 'content-type': 'application/json' };
  const runs = { warmup: 20, runs: 400 };

  const direct = await sample(() => api.compileBrief(example.brief, 'sdxl'), runs);
  const inProcess = await sample(
    async () =>
      (await app.request('/api/briefs/compile', { method: 'POST', headers, body })).arrayBuffer(),
    runs,
  );
  const health = await sample(
    async () => (await app.request('/api/health', { headers })).arrayBuffer(),
    runs,
  );

  const figures: Figure[] = [];
  const webRoot = await mkdtemp(join(tmpdir(), 'portraitist-bench-web-'));
  await build({
    configFile: new URL('../web/vite.config.ts', import.meta.url).pathname,
    logLevel: 'warn',
    build: { outDir: webRoot, emptyOutDir: true },
  });
  const server = await startServer({ api, port: 0, webRoot });
  let socket: number[];
  let load: number[] | string;
  try {
    const url = `http://127.0.0.1:${server.port}`;
    socket = await sample(
      async () =>
        (
          await fetch(`${url}/api/briefs/compile`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
        ).arrayBuffer(),
      runs,
    );
    load = await firstPageLoad(`${url}/`);
  } finally {
    await server.close();
    await api.dispose();
    await rm(webRoot, { recursive: true, force: true });
  }

  figures.push(
    figure('compile, use case called directly p50', median(direct), 'ms'),
    figure('compile via app.request p50', median(inProcess), 'ms'),
    figure('compile via app.request p99', percentile(inProcess, 99), 'ms'),
    figure(
      'API overhead in-process p50 (route - direct)',
      median(inProcess) - median(direct),
      'ms',
    ),
    figure('compile over a socket p50', median(socket), 'ms'),
    figure('compile over a socket p99', percentile(socket, 99), 'ms'),
    figure(
      'API overhead over a socket p50 (socket - direct)',
      median(socket) - median(direct),
      'ms',
    ),
    figure('health via app.request p50', median(health), 'ms'),
    figure('health via app.request p99', percentile(health, 99), 'ms'),
  );
  if (typeof load !== 'string') {
    figures.push(
      figure('first page load to templates listed p50 (cold cache)', median(load), 'ms'),
    );
  }
  return {
    bench: 'server',
    figures,
    ...(typeof load === 'string' ? { details: { firstPageLoad: load } } : {}),
  };
}
