// For the BullMQ tests only (left out of the build): workers in a child process, to be killed
// with SIGKILL. `crash` takes one job, checkpoints a remote id, reports progress and waits to be
// killed. `drill` works like an engine worker: submits (or, on a replay, collects) a remote job,
// recording it in a checkpoint before it waits, and says each step on stdout (synchronous on a pipe).
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { openBullQueue } from './bullmq.js';

const config = z
  .object({
    mode: z.enum(['crash', 'drill']),
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
  maxStalledCount: 100,
});
const say = (line: string) => process.stdout.write(`${line}\n`);
const worker =
  config.mode === 'crash'
    ? queue.process(async (job) => {
        await job.checkpoint('remote', `remote-${job.id}`);
        await job.progress({ stage: 'submitted' });
        say(`checkpointed ${job.id}`);
        return await new Promise<never>(() => undefined);
      })
    : queue.process(
        async (job) => {
          let remote = job.checkpoints()['remote'];
          if (typeof remote === 'string') {
            say(`collect ${job.id} ${remote}`);
          } else {
            remote = `remote-${job.id}-${job.attempt}`;
            say(`submit ${job.id} ${remote}`);
            await job.checkpoint('remote', remote);
            say(`checkpointed ${job.id} ${remote}`);
          }
          await sleep(50 + Math.floor(Math.random() * 200));
          return { remote };
        },
        { concurrency: 2 },
      );
await worker.ready();
say('ready');
