// A vision worker thread: loads its own runtime once and analyses photos sent by the pool.
import { parentPort } from 'node:worker_threads';
import { isPortraitistError } from '../errors/index.js';
import { analyzePhoto } from './analyze.js';
import { createVisionRuntime } from './runtime.js';
import type { WorkerRequest, WorkerResponse } from './pool.js';

const port = parentPort;
if (port === null) throw new Error('vision/worker.ts must run in a worker thread');
const runtime = createVisionRuntime();
port.on('message', async (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const blueprint = await analyzePhoto(
      await runtime,
      typeof request.input === 'string' ? request.input : new Uint8Array(request.input),
      {
        ...(request.source === undefined ? {} : { source: request.source }),
        ...(request.limits === undefined ? {} : { limits: request.limits }),
        ...(request.faceIndex === undefined ? {} : { faceIndex: request.faceIndex }),
      },
    );
    response = { id: request.id, blueprint };
  } catch (error) {
    response = isPortraitistError(error)
      ? { id: request.id, error: error.toJSON() }
      : {
          id: request.id,
          error: {
            code: 'INTERNAL',
            message: error instanceof Error ? error.message : String(error),
            issues: [],
          },
        };
  }
  port.postMessage(response);
});
