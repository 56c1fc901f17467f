// Queue: what the queue itself costs per job, on the in-process queue and on BullMQ over Redis —
// throughput overhead (a burst of no-op jobs through one worker, total time / jobs), the serial
// round trip (enqueue → result, one job at a time) and enqueue → start latency (p50, p99).
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { createInProcessQueue, openBullQueue, type Queue } from '../src/jobs/index.js';
import { redisForTests } from '../src/testing/index.js';
import { figure, median, type BenchResult, type Figure } from './harness.js';

const payload = z.object({ n: z.number().int(), enqueuedAt: z.number() });
type Payload = z.infer<typeof payload>;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

interface Measured {
  readonly overheadMs: number;
  readonly cpuMs: number;
  readonly roundTripMs: number;
  readonly startP50: number;
  readonly startP99: number;
}

async function measure(
  queue: Queue<Payload, number>,
  burst: number,
  serial: number,
  concurrency: number,
): Promise<Measured> {
  const startDelays: number[] = [];
  const worker = queue.process(async (job) => {
    startDelays.push(performance.now() - job.payload.enqueuedAt);
    return job.payload.n;
  });
  // Warm up connections and code paths.
  for (let n = 0; n < 20; n++)
    await (await queue.enqueue({ n, enqueuedAt: performance.now() })).result();
  startDelays.length = 0;

  // Serial: one job in flight, so enqueue → start is the queue's latency, not time spent queued.
  const roundTrips: number[] = [];
  for (let n = 0; n < serial; n++) {
    const start = performance.now();
    await (await queue.enqueue({ n, enqueuedAt: start })).result();
    roundTrips.push(performance.now() - start);
  }
  const starts = [...startDelays];

  // Burst: everything enqueued at once (as a round enqueues its candidates), one worker working
  // through it; CPU time is this process's (producer + worker), which contention does not inflate.
  await worker.close();
  const burstWorker = queue.process(async (job) => job.payload.n, { concurrency });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const handles = await Promise.all(
    Array.from({ length: burst }, (_, n) => queue.enqueue({ n, enqueuedAt: performance.now() })),
  );
  await Promise.all(handles.map((h) => h.result()));
  const overheadMs = (performance.now() - t0) / burst;
  const cpu = process.cpuUsage(cpu0);
  await burstWorker.close();
  return {
    overheadMs,
    cpuMs: (cpu.user + cpu.system) / 1000 / burst,
    roundTripMs: median(roundTrips),
    startP50: percentile(starts, 50),
    startP99: percentile(starts, 99),
  };
}

function figures(label: string, m: Measured): Figure[] {
  return [
    figure(`${label}: queue overhead per job (burst)`, m.overheadMs, 'ms', { op: '<=', value: 5 }),
    figure(`${label}: CPU per job in this process (burst)`, m.cpuMs, 'ms'),
    figure(`${label}: round trip per job (serial, median)`, m.roundTripMs, 'ms'),
    figure(`${label}: enqueue → start p50`, m.startP50, 'ms'),
    figure(`${label}: enqueue → start p99`, m.startP99, 'ms'),
  ];
}

export async function benchQueue(): Promise<BenchResult> {
  const burst = 1000;
  const serial = 300;
  const out: Figure[] = [];
  for (const concurrency of [1, 8]) {
    const local = createInProcessQueue({
      name: 'bench',
      payload,
      result: z.number(),
      keepFinished: burst + 100,
    });
    out.push(
      ...figures(
        `in-process, concurrency ${concurrency}`,
        await measure(local, burst, serial, concurrency),
      ),
    );
    await local.close();
  }
  const redis = await redisForTests();
  try {
    for (const concurrency of [1, 8]) {
      const queue = await openBullQueue({
        name: `bench-${concurrency}`,
        payload,
        result: z.number(),
        connection: redis.url,
        prefix: redis.prefix,
        keepFinished: burst + 100,
      });
      try {
        out.push(
          ...figures(
            `bullmq, concurrency ${concurrency}`,
            await measure(queue, burst, serial, concurrency),
          ),
        );
      } finally {
        await queue.close();
      }
    }
  } finally {
    await redis.close();
  }
  return {
    bench: 'queue',
    figures: out,
    details: {
      burstJobs: burst,
      serialJobs: serial,
      redis: redis.url,
      loadAverage: loadavg(),
      note: 'overhead per job = burst wall time / jobs with a no-op handler; one worker in this process',
    },
  };
}
