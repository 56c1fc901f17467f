// The HTTP layer's own cost: a request through createApp (in-process and over a socket) against
// the use case called directly, p50/p99 in one run; the studio's first page load in Chromium; and
// how late a round's progress reaches a client over Server-Sent Events (engine callback → client);
// and the darkroom tab's preview latency over a socket on a 1 MP reference (first and warm).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { readExampleBriefs } from '../src/brief/index.js';
import { createApp, createStudioApi, startServer } from '../src/server/index.js';
import { engineConfigSchema, exampleReferencePhoto, openLibrary } from '../src/studio/index.js';
import { chromiumArgs, findChromium, startFakeComfy } from '../src/testing/index.js';
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

/**
 * Runs rounds on the fake ComfyUI (sampling steps 25 ms apart, previews on) through the real server
 * and reads their events over a socket: each event's `at` (when the round emitted it, right in the
 * engine's progress callback) against when the client parsed it. Same process, same clock.
 */
async function sseLatency(): Promise<{ all: number[]; steps: number; previews: number }> {
  const comfy = await startFakeComfy({ stepMs: 25, previews: true });
  const folder = await mkdtemp(join(tmpdir(), 'portraitist-bench-sse-'));
  const library = openLibrary({ folder });
  const api = createStudioApi({
    blobs: library.blobs,
    store: library.store,
    engineConfig: engineConfigSchema.parse({ engine: 'comfyui', comfyui: { url: comfy.url } }),
  });
  const server = await startServer({ api, port: 0 });
  const url = `http://127.0.0.1:${server.port}`;
  const all: number[] = [];
  let steps = 0;
  let previews = 0;
  try {
    const brief = (await readExampleBriefs()).find((e) => e.brief.references.length === 0)?.brief;
    const post = async (path: string, json: unknown) =>
      (await (
        await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(json),
        })
      ).json()) as { id: string; round: { id: string } };
    const session = await post('/api/sessions', { brief });
    for (let r = 0; r < 3; r++) {
      const { round } = await post(`/api/sessions/${session.id}/rounds`, { count: 2 });
      const response = await fetch(`${url}/api/rounds/${round.id}/events`);
      // Events emitted before the client connected are replayed to it: those are not latency.
      const connected = Date.now();
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (let finished = false; !finished;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        const received = Date.now();
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const line = block.split('\n').find((l) => l.startsWith('data: '));
          if (line === undefined) continue;
          const event = JSON.parse(line.slice(6)) as {
            type: string;
            at: number;
            step?: number;
            preview?: unknown;
          };
          if (event.type === 'progress' && event.step !== undefined && event.at >= connected) {
            all.push(received - event.at);
            steps += 1;
            if (event.preview !== undefined) previews += 1;
          }
          if (event.type === 'finished') finished = true;
        }
      }
    }
  } finally {
    await server.close();
    await api.dispose();
    await library.store.close();
    await comfy.close();
    await rm(folder, { recursive: true, force: true });
  }
  return { all, steps, previews };
}

/**
 * The darkroom tab over a real socket on a 1 MP reference (894×1118): the first preview of a photo
 * with the models not yet loaded, the first of another photo with them loaded (decode, face mesh,
 * person mask), then slider changes on the cached photo, as the tab sends them: a change of the
 * relight (every stage after it renders again), of the smile, of the lens, of the grade (only the
 * last stage). Each answer is a JPEG at the photo's size (≤ 1600 px, the tab's screen size).
 */
async function darkroomLatency() {
  const example = await exampleReferencePhoto();
  const photo = sharp(Buffer.from(example.image)).resize(894, 1118);
  const [a, b] = await Promise.all([
    photo.clone().png().toBuffer(),
    photo.clone().flop().png().toBuffer(),
  ]);
  const folder = await mkdtemp(join(tmpdir(), 'portraitist-bench-darkroom-'));
  const library = openLibrary({ folder });
  const api = createStudioApi({ blobs: library.blobs, store: library.store });
  const server = await startServer({ api, port: 0 });
  const url = `http://127.0.0.1:${server.port}`;
  try {
    const upload = async (bytes: Buffer) =>
      (
        (await (
          await fetch(`${url}/api/references?name=portrait-1mp.png`, {
            method: 'POST',
            headers: { 'content-type': 'image/png' },
            body: new Uint8Array(bytes),
          })
        ).json()) as { blob: string }
      ).blob;
    const [blobA, blobB] = [await upload(a), await upload(b)];
    const preview = async (blob: string, settings: unknown) => {
      const response = await fetch(`${url}/api/darkroom/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ blob, settings }),
      });
      if (response.status !== 200) throw new Error(`preview answered ${response.status}`);
      return response.arrayBuffer();
    };
    const timed = async (run: () => Promise<unknown>) => {
      const start = performance.now();
      await run();
      return performance.now() - start;
    };
    const coldModels = await timed(() => preview(blobA, {}));
    const coldPhoto = await timed(() => preview(blobB, {}));
    // A drag on each panel in turn; every value differs from the one before, so nothing is
    // answered from the last render.
    const kinds = ['relight', 'smile', 'lens', 'grade'] as const;
    const byKind: Record<(typeof kinds)[number], number[]> = {
      relight: [],
      smile: [],
      lens: [],
      grade: [],
    };
    const settings = {
      key: { rig: 'rembrandt', side: 'left', intensity: 0.5 },
      smile: 0.2,
      aperture: 2.8,
      grade: { contrast: 0.1 },
    };
    await preview(blobB, settings);
    for (let i = 0; i < 48; i++) {
      const kind = kinds[i % kinds.length] ?? 'grade';
      const step = (i % 12) / 12;
      if (kind === 'relight') settings.key = { ...settings.key, intensity: 0.3 + step * 0.6 };
      else if (kind === 'smile') settings.smile = -0.3 + step * 0.8;
      else if (kind === 'lens') settings.aperture = 1.4 + step * 6;
      else settings.grade = { contrast: -0.4 + step * 0.8 };
      byKind[kind].push(await timed(() => preview(blobB, settings)));
    }
    const all = kinds.flatMap((k) => byKind[k]);
    return { coldModels, coldPhoto, all, byKind };
  } finally {
    await server.close();
    await api.dispose();
    await library.store.close();
    await rm(folder, { recursive: true, force: true });
  }
}

export async function benchServer(): Promise<BenchResult> {
  const folder = await mkdtemp(join(tmpdir(), 'portraitist-bench-library-'));
  const library = openLibrary({ folder });
  const api = createStudioApi({ blobs: library.blobs, store: library.store });
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
    await library.store.close();
    await rm(webRoot, { recursive: true, force: true });
    await rm(folder, { recursive: true, force: true });
  }
  const sse = await sseLatency();
  const darkroom = await darkroomLatency();

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
    figure('SSE progress event, engine callback to client p50', median(sse.all), 'ms'),
    figure('SSE progress event, engine callback to client p99', percentile(sse.all, 99), 'ms'),
    figure('darkroom preview 1 MP, first (models loading)', darkroom.coldModels, 'ms'),
    figure('darkroom preview 1 MP, first of a photo (models warm)', darkroom.coldPhoto, 'ms'),
    figure('darkroom preview 1 MP, slider change p50', median(darkroom.all), 'ms', {
      op: '<=',
      value: 300,
    }),
    figure('darkroom preview 1 MP, slider change p99', percentile(darkroom.all, 99), 'ms'),
    figure('darkroom preview 1 MP, relight change p50', median(darkroom.byKind.relight), 'ms'),
    figure('darkroom preview 1 MP, smile change p50', median(darkroom.byKind.smile), 'ms'),
    figure('darkroom preview 1 MP, lens change p50', median(darkroom.byKind.lens), 'ms'),
    figure('darkroom preview 1 MP, grade change p50', median(darkroom.byKind.grade), 'ms'),
  );
  if (typeof load !== 'string') {
    figures.push(
      figure('first page load to templates listed p50 (cold cache)', median(load), 'ms'),
    );
  }
  return {
    bench: 'server',
    figures,
    details: {
      sseEvents: sse.steps,
      ssePreviews: sse.previews,
      darkroomPreviewSamples: darkroom.all.length,
      darkroomPreviewSize: '894×1118 PNG reference, JPEG preview at its own size, over a socket',
      ...(typeof load === 'string' ? { firstPageLoad: load } : {}),
    },
  };
}
