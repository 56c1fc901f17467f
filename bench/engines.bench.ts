// Engines: each remote client's overhead per job against a fake server — from the call to the PNG
// with provenance on disk, minus the server's own time for the job — for ComfyUI, A1111/Forge and
// OpenAI, and the ComfyUI client's memory with 1,000 jobs queued. The fake runs on a worker
// thread, so neither its CPU work nor its heap is counted against the client.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { validateBrief } from '../src/brief/index.js';
import {
  candidateFileBytes,
  createA1111Engine,
  createComfyEngine,
  createOpenAiEngine,
  type Engine,
  type GenerationRequest,
} from '../src/engines/index.js';
import { createPromptCompiler } from '../src/prompt/index.js';
import type { FakeComfyOptions, FakeComfyTiming } from '../src/testing/index.js';
import { figure, median, type BenchResult } from './harness.js';

export interface FakeThread {
  readonly url: string;
  ask<T>(type: string): Promise<T>;
  send(type: string): void;
  close(): Promise<void>;
}

export async function startFakeThread(
  kind: 'comfyui' | 'a1111' | 'openai',
  options: FakeComfyOptions | Record<string, unknown> = {},
): Promise<FakeThread> {
  // Node 20 ignores `--import` in a worker's execArgv: register tsx's loader inside the thread.
  const script = new URL('./fake-server.worker.ts', import.meta.url).href;
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { kind, options } });
  worker.on('error', (error) => {
    console.error(`fake ComfyUI thread failed: ${error.message}`);
    process.exit(70);
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (message['type'] !== type) return;
        worker.off('message', onMessage);
        resolve(message);
      };
      worker.on('message', onMessage);
    });
  const ready = await next('ready');
  return {
    url: String(ready['url']),
    async ask<T>(type: string) {
      const answer = next(type);
      worker.postMessage({ type });
      return (await answer)[type] as T;
    },
    send: (type) => worker.postMessage({ type }),
    async close() {
      const closed = next('closed');
      worker.postMessage({ type: 'close' });
      await closed;
      await worker.terminate();
    },
  };
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

export async function benchEngines(): Promise<BenchResult> {
  const brief = validateBrief({
    version: 1,
    title: 'Bench portrait',
    subject: { description: 'a woman in her thirties with short dark hair' },
    light: { rig: 'loop', side: 'left' },
    output: { target: 'sdxl', width: 1024, height: 1024, steps: 20 },
  });
  const request: GenerationRequest = {
    brief,
    compiled: createPromptCompiler().compile(brief, 'sdxl'),
    references: [],
    count: 1,
    seed: 1,
  };
  const out = await mkdtemp(join(tmpdir(), 'portraitist-bench-engines-'));
  const fake = await startFakeThread('comfyui');
  const engine = createComfyEngine({ url: fake.url });
  const runs = 15;
  const warmup = 3;
  const single: number[] = [];
  const serverMs: number[] = [];
  let seed = 1;
  const job = async (count: number) => {
    const start = performance.now();
    const candidates = await engine.generate({ ...request, count, seed });
    for (const candidate of candidates)
      await writeFile(join(out, `comfyui-${candidate.seed}.png`), candidateFileBytes(candidate));
    seed += count;
    return {
      wall: performance.now() - start,
      ids: candidates.map((c) => String(c.parameters['promptId'])),
    };
  };
  const serverTime = async (ids: readonly string[]) => {
    const timings = await fake.ask<Record<string, FakeComfyTiming>>('timings');
    return ids.reduce((sum, id) => {
      const t = timings[id];
      return sum + ((t?.finished ?? 0) - (t?.started ?? 0));
    }, 0);
  };
  for (let i = 0; i < warmup + runs; i++) {
    const { wall, ids } = await job(1);
    const server = await serverTime(ids);
    if (i >= warmup) {
      single.push(wall - server);
      serverMs.push(server);
    }
  }
  // Eight candidates in one call: queued together, so the server is never idle between them.
  const batch: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { wall, ids } = await job(8);
    batch.push((wall - (await serverTime(ids))) / 8);
  }
  await fake.close();

  // Memory: 1,000 jobs queued on a paused server, measured on the client's heap.
  const gc = collectGarbage();
  const held = await startFakeThread('comfyui', { paused: true });
  const queueing = createComfyEngine({ url: held.url, pollMs: 60_000 });
  gc();
  const before = process.memoryUsage();
  const controller = new AbortController();
  const pending = queueing
    .generate({ ...request, count: 1000, seed: 1 }, { signal: controller.signal })
    .catch((error: unknown) => error);
  const queueStart = performance.now();
  for (;;) {
    const queued = await held.ask<number>('count');
    if (queued >= 1000) break;
    // A failure before queueing would leave the loop waiting forever: surface it.
    const early = await Promise.race([
      pending,
      new Promise((r) => setTimeout(() => r(undefined), 20)),
    ]);
    if (early !== undefined) throw early;
  }
  const queueMs = performance.now() - queueStart;
  gc();
  const after = process.memoryUsage();
  controller.abort();
  const outcome = await pending;
  if (!(outcome instanceof Error && (outcome as { code?: string }).code === 'ABORTED'))
    throw new Error(`expected the held run to end cancelled, got ${String(outcome)}`);
  await held.close();
  const heapMiB = (after.heapUsed - before.heapUsed) / 2 ** 20;
  const rssMiB = (after.rss - before.rss) / 2 ** 20;

  // A1111/Forge and OpenAI: one candidate a call, overhead = the call minus the server's own time.
  const singleJob = async (
    kind: 'a1111' | 'openai',
    engineFor: (url: string) => Engine,
    target: 'sdxl' | 'gpt-image',
    options: Record<string, unknown> = {},
  ): Promise<number[]> => {
    const thread = await startFakeThread(kind, options);
    const remote = engineFor(thread.url);
    const compiled = createPromptCompiler().compile(brief, target);
    const overheads: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const start = performance.now();
      const [candidate] = await remote.generate({ ...request, compiled, count: 1, seed: i + 1 });
      if (candidate !== undefined)
        await writeFile(join(out, `${kind}-${i}.png`), candidateFileBytes(candidate));
      const wall = performance.now() - start;
      const server = (await thread.ask<number[]>('serverMs')).at(-1) ?? 0;
      if (i >= warmup) overheads.push(wall - server);
    }
    await remote.dispose();
    await thread.close();
    return overheads;
  };
  const a1111 = await singleJob('a1111', (url) => createA1111Engine({ url }), 'sdxl');
  const openai = await singleJob(
    'openai',
    (url) => createOpenAiEngine({ apiKey: 'sk-bench', baseURL: url }),
    'gpt-image',
  );
  await rm(out, { recursive: true, force: true });

  return {
    bench: 'engines',
    figures: [
      figure('comfyui overhead per job, single (median)', median(single), 'ms', {
        op: '<=',
        value: 20,
      }),
      figure('comfyui overhead per job, batch of 8 (median)', median(batch), 'ms', {
        op: '<=',
        value: 20,
      }),
      figure('fake server time per 1 MP job (median)', median(serverMs), 'ms'),
      figure('a1111 overhead per job (median)', median(a1111), 'ms', { op: '<=', value: 20 }),
      figure('openai overhead per job (median)', median(openai), 'ms', { op: '<=', value: 20 }),
      figure('client heap for 1,000 queued jobs', heapMiB, 'MiB'),
      figure('client heap per queued job', (heapMiB * 1024) / 1000, 'KiB'),
      figure('client RSS growth for 1,000 queued jobs', rssMiB, 'MiB'),
      figure('time to queue 1,000 jobs', queueMs, 'ms'),
    ],
    details: { image: '1024x1024 PNG', steps: 20, singleRuns: runs, batchRuns: 5 },
  };
}
