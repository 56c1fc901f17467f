// Worker threads for batches: each worker holds its own models, so a batch uses every core.
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PortraitistError, type ErrorCode, type Issue } from '../errors/index.js';
import type { ImageLimits } from '../image/index.js';
import type { Blueprint } from './types.js';

/** A job sent to a worker. Bytes travel as a transferable ArrayBuffer. */
export interface WorkerRequest {
  readonly id: number;
  readonly input: string | ArrayBuffer;
  readonly source?: string;
  readonly faceIndex?: number;
  readonly limits?: Partial<ImageLimits>;
}

export type WorkerResponse =
  | { readonly id: number; readonly blueprint: Blueprint }
  | {
      readonly id: number;
      readonly error: { code: ErrorCode; message: string; source?: string; issues: Issue[] };
    };

export interface PoolJob {
  readonly input: string | Uint8Array;
  readonly source?: string;
  readonly faceIndex?: number;
}

/** Progress of a batch: how many photos are done out of how many. */
export interface BatchProgress {
  readonly done: number;
  readonly total: number;
  readonly source: string;
}

/** Analyses photos on worker threads. */
export interface VisionPool {
  readonly size: number;
  analyze(job: PoolJob): Promise<Blueprint>;
  /** Every job in order; a failed photo yields its error instead of a blueprint, the rest go on. */
  analyzeMany(
    jobs: readonly PoolJob[],
    options?: { onProgress?: (progress: BatchProgress) => void },
  ): Promise<Array<Blueprint | PortraitistError>>;
  dispose(): Promise<void>;
}

export interface VisionPoolOptions {
  /** Threads (default: the number of cores, at most 4). */
  readonly workers?: number;
  readonly limits?: Partial<ImageLimits>;
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
}

/**
 * A worker over the TypeScript sources: Node 20 ignores `--import` in a worker's execArgv, so a
 * small bootstrap registers tsx's loader in the thread and then imports the worker module.
 */
function sourceWorker(script: URL): Worker {
  // tsx's ESM API sits beside its package.json (import.meta.resolve is missing under vitest).
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Starts the worker threads; each loads the models before its first job. */
export function createVisionPool(options: VisionPoolOptions = {}): VisionPool {
  const size = Math.max(1, options.workers ?? Math.min(4, cpus().length));
  // Under the TypeScript sources (tests, tsx) the worker is a .ts file that needs the tsx loader.
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  const pending = new Map<
    number,
    { resolve: (b: Blueprint) => void; reject: (e: PortraitistError) => void }
  >();
  const queue: Array<{ request: Omit<WorkerRequest, 'id'>; transfer: ArrayBuffer[]; id: number }> =
    [];
  let nextId = 1;
  let disposed = false;

  const slots: Slot[] = Array.from({ length: size }, () => {
    const worker = fromSource ? sourceWorker(script) : new Worker(script);
    const slot: Slot = { worker, busy: false };
    worker.on('message', (response: WorkerResponse) => {
      slot.busy = false;
      const waiting = pending.get(response.id);
      pending.delete(response.id);
      if (waiting !== undefined) {
        if ('blueprint' in response) waiting.resolve(response.blueprint);
        else
          waiting.reject(
            new PortraitistError(response.error.code, response.error.message, {
              issues: response.error.issues,
              ...(response.error.source === undefined ? {} : { source: response.error.source }),
            }),
          );
      }
      pump();
    });
    worker.on('error', (error) => {
      // A crashed worker fails its job; the pool reports it rather than hanging.
      for (const [id, waiting] of pending) {
        waiting.reject(
          new PortraitistError('VISION_FAILED', `a vision worker crashed: ${error.message}`, {
            cause: error,
          }),
        );
        pending.delete(id);
      }
    });
    return slot;
  });

  function pump(): void {
    for (const slot of slots) {
      if (slot.busy) continue;
      const job = queue.shift();
      if (job === undefined) return;
      slot.busy = true;
      slot.worker.postMessage({ ...job.request, id: job.id }, job.transfer);
    }
  }

  function analyze(job: PoolJob): Promise<Blueprint> {
    if (disposed)
      return Promise.reject(new PortraitistError('VISION_LOAD', 'the vision pool was disposed'));
    const id = nextId++;
    let input: string | ArrayBuffer;
    const transfer: ArrayBuffer[] = [];
    if (typeof job.input === 'string') input = job.input;
    else {
      const copy = job.input.slice().buffer as ArrayBuffer;
      input = copy;
      transfer.push(copy);
    }
    const request: Omit<WorkerRequest, 'id'> = {
      input,
      ...(job.source === undefined ? {} : { source: job.source }),
      ...(job.faceIndex === undefined ? {} : { faceIndex: job.faceIndex }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    };
    return new Promise<Blueprint>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      queue.push({ request, transfer, id });
      pump();
    });
  }

  return {
    size,
    analyze,
    async analyzeMany(jobs, batchOptions = {}) {
      let done = 0;
      return Promise.all(
        jobs.map((job) =>
          analyze(job)
            .catch((error: PortraitistError) => error)
            .then((result) => {
              done++;
              batchOptions.onProgress?.({
                done,
                total: jobs.length,
                source: job.source ?? (typeof job.input === 'string' ? job.input : '<buffer>'),
              });
              return result;
            }),
        ),
      );
    },
    async dispose() {
      disposed = true;
      for (const [, waiting] of pending)
        waiting.reject(new PortraitistError('ABORTED', 'the vision pool was disposed'));
      pending.clear();
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
