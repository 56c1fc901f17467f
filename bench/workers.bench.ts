// Workers: a round of candidates spread over 1, 2, 4 and 8 fake ComfyUI servers (in a child
// process, each rendering one prompt at a time in a fixed service time), through BullMQ on Redis
// and the candidate worker, into a SQLite library. Round completion time per pool size, efficiency
// (T1 / (n · Tn)), the overhead per job beyond the service time, the hand-off from a server
// finishing one candidate to starting the next, enqueue → start p50/p99 (the queue's dispatch
// latency, and with the wait for a free server), and the worker's own CPU per candidate.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { validateBrief } from '../src/brief/index.js';
import { createComfyEngine, type Engine } from '../src/engines/index.js';
import { openBullQueue } from '../src/jobs/index.js';
import { openFileBlobStore, openSqliteStore } from '../src/library/index.js';
import { createPromptCompiler } from '../src/prompt/index.js';
import {
  candidateJobResultSchema,
  candidateJobSchema,
  enqueueCandidates,
  startCandidateWorker,
  type CandidateJob,
  type CandidateJobResult,
} from '../src/studio/index.js';
import { redisForTests } from '../src/testing/index.js';
import { figure, median, type BenchResult, type Figure } from './harness.js';

const serviceMs = Number(process.env['PORTRAITIST_BENCH_SERVICE_MS'] ?? '200');
const candidates = Number(process.env['PORTRAITIST_BENCH_CANDIDATES'] ?? '32');
const pools = (process.env['PORTRAITIST_BENCH_POOLS'] ?? '1,2,4,8').split(',').map(Number);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

interface Span {
  readonly server: string;
  readonly seed: number;
  readonly start: number;
  readonly end: number;
}

/** `count` fake ComfyUI servers in a child process; `close()` ends it. */
async function startFakeServers(count: number, options: Record<string, unknown>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fake-servers.child.ts', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, PORTRAITIST_FAKE_SERVERS: JSON.stringify({ count, options }) },
    },
  );
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  const { urls } = JSON.parse(line) as { urls: string[] };
  return {
    urls,
    async close() {
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}

/** The engine, with the moment each candidate starts and ends on it recorded. */
function timed(engine: Engine, url: string, spans: Span[]): Engine {
  return {
    ...engine,
    id: engine.id,
    describe: () => engine.describe(),
    dispose: () => engine.dispose(),
    async generate(request, options) {
      const start = performance.now();
      try {
        return await engine.generate(request, options);
      } finally {
        spans.push({ server: url, seed: request.seed, start, end: performance.now() });
      }
    },
  };
}

export async function benchWorkers(): Promise<BenchResult> {
  const brief = { version: 1, subject: { description: 'a woman in her forties, silver earrings' } };
  const compiled = createPromptCompiler().compile(validateBrief(brief), 'sdxl');
  const small = JSON.parse(
    JSON.stringify({
      ...compiled,
      params: { ...compiled.params, width: 64, height: 64, steps: 1 },
    }),
  ) as unknown;
  const redis = await redisForTests();
  const folder = await mkdtemp(join(tmpdir(), 'pt-bench-workers-'));
  const store = openSqliteStore({ file: ':memory:' });
  const session = await store.createSession({ title: 'bench', brief });
  const rows: Array<{
    servers: number;
    roundMs: number;
    overheadPerJobMs: number;
    handoffP50: number;
    startP50: number;
    startP99: number;
    waitP50: number;
    waitP99: number;
    cpuPerJobMs: number;
    progressPerJob: number;
  }> = [];
  try {
    for (const n of pools) {
      const servers = await startFakeServers(n, { serviceMs });
      const fakes = servers.urls.map((url) => ({ url }));
      const queue = await openBullQueue<CandidateJob, CandidateJobResult>({
        name: `bench-workers-${n}`,
        payload: candidateJobSchema,
        result: candidateJobResultSchema,
        connection: redis.url,
        prefix: redis.prefix,
      });
      const spans: Span[] = [];
      const worker = startCandidateWorker({
        queue,
        kind: 'comfyui',
        store,
        blobs: openFileBlobStore({ root: folder }),
        servers: fakes.map((f) => ({
          url: f.url,
          // As `portraitist worker` makes it: events say when a prompt is done, /history is a fallback.
          engine: timed(createComfyEngine({ url: f.url, cancelWaitMs: 10_000 }), f.url, spans),
        })),
      });
      try {
        await worker.ready();
        const newJobs = async (count: number) => {
          const round = await store.startRound(session.id, {
            briefVersion: 1,
            engine: 'comfyui',
            count,
            seed: 1,
            nudges: [],
          });
          return Array.from({ length: count }, (_, index) =>
            candidateJobSchema.parse({
              sessionId: session.id,
              roundId: round.id,
              index,
              engine: 'comfyui',
              seed: 1,
              brief,
              compiled: small,
            }),
          );
        };
        // Warm-up: a candidate per server, so connections and code paths are hot.
        await Promise.all(
          (await enqueueCandidates(queue, await newJobs(n))).map((h) => h.result()),
        );
        spans.length = 0;
        const jobs = await newJobs(candidates);
        let progress = 0;
        const unsubscribe = queue.subscribe((event) => {
          if (event.type === 'progress') progress++;
        });
        const enqueuedAt = new Map<number, number>();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const handles = [];
        // One at a time, as enqueueCandidates does, each job's enqueue time kept.
        for (const job of jobs) {
          handles.push(...(await enqueueCandidates(queue, [job])));
          enqueuedAt.set(job.seed + job.index, performance.now());
        }
        await Promise.all(handles.map((h) => h.result()));
        const roundMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        unsubscribe();
        // Per server, from the end of one candidate to the start of the next.
        const handoffs: number[] = [];
        for (const f of fakes) {
          const mine = spans.filter((s) => s.server === f.url).sort((a, b) => a.start - b.start);
          for (let k = 1; k < mine.length; k++)
            handoffs.push((mine[k]?.start ?? 0) - (mine[k - 1]?.end ?? 0));
        }
        // Enqueue → start, with the wait for a free server (the first n start at once, the rest
        // queue behind them) and without it: from when the job was enqueued or its server freed
        // up, whichever was later (the queue's own dispatch latency).
        const starts = spans.map((s) => s.start - (enqueuedAt.get(s.seed) ?? t0));
        const dispatch: number[] = [];
        for (const f of fakes) {
          const mine = spans.filter((s) => s.server === f.url).sort((a, b) => a.start - b.start);
          for (const [k, span] of mine.entries()) {
            const ready = Math.max(enqueuedAt.get(span.seed) ?? t0, mine[k - 1]?.end ?? 0);
            dispatch.push(span.start - ready);
          }
        }
        rows.push({
          servers: n,
          roundMs,
          overheadPerJobMs: (roundMs * n) / candidates - serviceMs,
          handoffP50: median(handoffs),
          startP50: percentile(dispatch, 50),
          startP99: percentile(dispatch, 99),
          waitP50: percentile(starts, 50),
          waitP99: percentile(starts, 99),
          cpuPerJobMs: (cpu.user + cpu.system) / 1000 / candidates,
          progressPerJob: progress / candidates,
        });
      } finally {
        await worker.close();
        await queue.close();
        await servers.close();
      }
    }
  } finally {
    await store.close();
    await redis.close();
    await rm(folder, { recursive: true, force: true });
  }
  const one = rows[0]?.roundMs ?? 0;
  const out: Figure[] = [];
  for (const row of rows) {
    out.push(figure(`${row.servers} server(s): round of ${candidates}`, row.roundMs, 'ms'));
    out.push(
      figure(
        `${row.servers} server(s): efficiency T1 / (n · Tn)`,
        one / (row.servers * row.roundMs),
        'ratio',
        row.servers === 8 ? { op: '>=', value: 0.85 } : undefined,
      ),
    );
    out.push(
      figure(
        `${row.servers} server(s): overhead per job beyond service (client, fake, queue, library)`,
        row.overheadPerJobMs,
        'ms',
      ),
    );
    out.push(
      figure(
        `${row.servers} server(s): queue overhead per job (hand-off) p50`,
        row.handoffP50,
        'ms',
        {
          op: '<=',
          value: 5,
        },
      ),
    );
    out.push(
      figure(`${row.servers} server(s): worker process CPU per candidate`, row.cpuPerJobMs, 'ms'),
    );
    out.push(figure(`${row.servers} server(s): enqueue → start p50`, row.startP50, 'ms'));
    out.push(figure(`${row.servers} server(s): enqueue → start p99`, row.startP99, 'ms'));
    out.push(
      figure(
        `${row.servers} server(s): enqueue → start p50, waiting for a free server`,
        row.waitP50,
        'ms',
      ),
    );
    out.push(
      figure(
        `${row.servers} server(s): enqueue → start p99, waiting for a free server`,
        row.waitP99,
        'ms',
      ),
    );
    out.push(
      figure(
        `${row.servers} server(s): progress events per candidate`,
        row.progressPerJob,
        'count',
      ),
    );
  }
  return {
    bench: 'workers',
    figures: out,
    details: {
      serviceMs,
      candidates,
      queue: 'bullmq',
      library: 'sqlite (:memory:)',
      loadAverage: loadavg(),
      cpus: cpus().length,
      note: 'the fake servers run in a child process: worker process CPU per candidate is the worker alone (queue client, engine client, library), though both share the machine’s cores. overhead per job = n · round time / candidates − service time (engine client, queue and library together); hand-off = a server ending one candidate to starting the next (the queue share); enqueue → start = from the later of the job’s enqueue and its server freeing up to the engine starting it; “waiting for a free server” counts from the enqueue alone',
    },
  };
}
