// For the BullMQ tests only (left out of the build): a worker in a child process that takes one
// job, checkpoints a remote id, reports progress and then waits to be killed with SIGKILL.
import { z } from 'zod';
import { openBullQueue } from './bullmq.js';

const config = z
  .object({
    url: z.string(),
    prefix: z.string(),
    name: z.string(),
    lockMs: z.number(),
    stalledIntervalMs: z.number(),
  })
  .parse(JSON.parse(process.env['PORTRAITIST_CRASH_WORKER'] ?? '{}'));

const queue = await openBullQueue({
  name: config.name,
  payload: z.object({ label: z.string() }),
  connection: config.url,
  prefix: config.prefix,
  lockMs: config.lockMs,
  stalledIntervalMs: config.stalledIntervalMs,
});
const worker = queue.process(async (job) => {
  await job.checkpoint('remote', `remote-${job.id}`);
  await job.progress({ stage: 'submitted' });
  process.stdout.write(`checkpointed ${job.id}\n`);
  return await new Promise<never>(() => undefined);
});
await worker.ready();
process.stdout.write('ready\n');
