// For the worker fault tests only (left out of the build): a candidate worker in a child process,
// over the fake ComfyUI servers the test runs, on BullMQ and the PostgreSQL library, so the test
// can kill it with SIGKILL mid-job. Short BullMQ locks so a dead worker's jobs come back in about a
// second. It prints `ready` once every server's consumer takes jobs, and `rendering <seed>` as a
// candidate starts on an engine.
import { z } from 'zod';
import { createComfyEngine, type Engine } from '../engines/index.js';
import { openBullQueue } from '../jobs/index.js';
import { openFileBlobStore, openPostgresStore } from '../library/index.js';
import { candidateJobResultSchema, candidateJobSchema, startCandidateWorker } from './worker.js';

const config = z
  .object({
    redis: z.string(),
    prefix: z.string(),
    queue: z.string(),
    library: z.string(),
    schema: z.string(),
    blobs: z.string(),
    servers: z.array(z.string()).min(1),
    concurrency: z.number().int().positive(),
    lockMs: z.number(),
    stalledIntervalMs: z.number(),
  })
  .parse(JSON.parse(process.env['PORTRAITIST_WORKER_CHILD'] ?? '{}'));

const queue = await openBullQueue({
  name: config.queue,
  payload: candidateJobSchema,
  result: candidateJobResultSchema,
  connection: config.redis,
  prefix: config.prefix,
  lockMs: config.lockMs,
  stalledIntervalMs: config.stalledIntervalMs,
  maxStalledCount: 1000,
});
const store = await openPostgresStore({
  connectionString: config.library,
  schema: config.schema,
  maxConnections: 4,
});
// Says when a candidate starts on an engine, so the test can kill this process mid-job.
function said(engine: Engine): Engine {
  return {
    id: engine.id,
    describe: () => engine.describe(),
    dispose: () => engine.dispose(),
    generate(request, options) {
      process.stdout.write(`rendering ${request.seed}\n`);
      return engine.generate(request, options);
    },
  };
}

const worker = startCandidateWorker({
  queue,
  kind: 'comfyui',
  store,
  blobs: openFileBlobStore({ root: config.blobs }),
  servers: config.servers.map((url) => ({
    url,
    concurrency: config.concurrency,
    engine: said(createComfyEngine({ url, pollMs: 20, backoffMs: 5, retries: 2 })),
  })),
  probeMs: 200,
});
await worker.ready();
process.stdout.write('ready\n');
