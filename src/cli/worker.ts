// `portraitist worker`: renders the candidate jobs of a shared queue on one or more engine servers
// (one consumer per server, so whichever is free takes the next candidate). SIGTERM finishes the
// running jobs, or after --grace-ms hands them back to the queue for another worker.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PortraitistError } from '../errors/index.js';
import type { OpenedWorker, ServerHealth } from '../studio/index.js';
import { workerEngineKinds, type WorkerEngineKind } from '../studio/light.js';
import { studio } from './studio.js';
import { styleFor, writeLine, type CliIo } from './io.js';

/** Flags of `worker`. */
export interface WorkerFlags {
  engine?: string;
  url?: string[];
  concurrency?: string;
  queue?: string;
  prefix?: string;
  libraryUrl?: string;
  blobs?: string;
  graceMs?: string;
  json?: boolean;
}

function usage(path: string, expected: string, received: string | undefined): PortraitistError {
  return new PortraitistError('USAGE', `${expected} for --${path}`, {
    issues: [
      {
        path,
        message: `expected ${expected} for \`--${path}\` but received ${received ?? 'nothing'}`,
      },
    ],
  });
}

function positiveInteger(flag: string, value: string | undefined, fallback?: number) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || (flag === 'concurrency' && n === 0))
    throw usage(
      flag,
      flag === 'concurrency' ? 'a whole number from 1' : 'a whole number of ms',
      value,
    );
  return n;
}

/** Waits until the process is asked to stop (Ctrl-C or SIGTERM). */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function healthLine(h: ServerHealth): string {
  const error =
    h.lastError === undefined ? '' : ` · last error ${h.lastErrorAt ?? ''}: ${h.lastError}`;
  return `${h.url}  ${h.state}  ${h.running}/${h.concurrency} running · ${h.jobsDone} done${error}`;
}

/** Runs a worker until `until` resolves, then finishes (or hands back) its jobs and closes. */
export async function workerCommand(
  flags: WorkerFlags,
  io: CliIo,
  until: (worker: OpenedWorker) => Promise<void> = untilSignal,
): Promise<void> {
  const kind = flags.engine;
  if (kind === undefined || !(workerEngineKinds as readonly string[]).includes(kind))
    throw usage('engine', `one of ${workerEngineKinds.join(', ')}`, kind);
  const urls = flags.url ?? [];
  if (urls.length === 0) throw usage('url', 'an engine server address (repeatable)', undefined);
  for (const url of urls)
    if (!/^https?:\/\/[^/]/.test(url)) throw usage('url', 'an http:// or https:// address', url);
  const queue = flags.queue ?? io.env['PORTRAITIST_QUEUE'];
  if (queue === undefined || !/^rediss?:\/\//.test(queue))
    throw usage('queue', 'a redis:// address', queue);
  const library = flags.libraryUrl ?? io.env['PORTRAITIST_LIBRARY_URL'];
  if (library === undefined || library === '')
    throw usage('library-url', 'a postgres:// address (or a SQLite file on one host)', library);
  const concurrency = positiveInteger('concurrency', flags.concurrency, 1) as number;
  const graceMs = positiveInteger('grace-ms', flags.graceMs);
  const style = styleFor(io);
  const say = (line: string, value: unknown) =>
    flags.json === true ? writeLine(io.stdout, JSON.stringify(value)) : writeLine(io.stdout, line);
  const { openCandidateWorker } = await studio();
  const worker = await openCandidateWorker({
    kind: kind as WorkerEngineKind,
    urls,
    concurrency,
    queue,
    ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
    library,
    blobs: flags.blobs ?? join(homedir(), '.portraitist', 'blobs'),
    onServerChange: (h) => say(style.warn(healthLine(h)), { event: 'server', ...h }),
  });
  try {
    await worker.ready();
    say(style.bold(`Portraitist worker: ${urls.length} ${kind} server(s) on ${queue}`), {
      event: 'ready',
      servers: worker.health(),
    });
    for (const h of worker.health()) if (flags.json !== true) writeLine(io.stdout, healthLine(h));
    await until(worker);
    const running = worker.health().reduce((n, h) => n + h.running, 0);
    say(
      style.dim(
        graceMs === undefined
          ? `stopping: finishing ${running} running job(s)`
          : `stopping: finishing ${running} running job(s), handing back what is left after ${graceMs} ms`,
      ),
      { event: 'stopping', running },
    );
  } finally {
    await worker.shutdown(graceMs === undefined ? {} : { graceMs });
  }
  say('stopped', { event: 'stopped', servers: worker.health() });
  for (const h of worker.health()) if (flags.json !== true) writeLine(io.stdout, healthLine(h));
}

/** Registers `worker` on the program. */
export function registerWorker(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('render candidate jobs from a shared queue on one or more engine servers')
    .option('--engine <kind>', `engine kind: ${workerEngineKinds.join(', ')}`)
    .option(
      '--url <address>',
      'an engine server, e.g. http://gpu1:8188; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--concurrency <n>', 'candidates each server renders at once', '1')
    .option('--queue <redis-url>', 'the queue (default: $PORTRAITIST_QUEUE)')
    .option('--prefix <prefix>', 'key prefix of this deployment in Redis', 'portraitist')
    .option(
      '--library-url <url>',
      'the library: postgres://… shared by every host (default: $PORTRAITIST_LIBRARY_URL)',
    )
    .option(
      '--blobs <folder>',
      'content-addressed image folder, shared by every host (default: ~/.portraitist/blobs)',
    )
    .option(
      '--grace-ms <ms>',
      'on SIGTERM, hand running jobs back after this long (default: finish them)',
    )
    .option('--json', 'print health and events as JSON lines')
    .action((flags: WorkerFlags) => workerCommand(flags, io));
}
