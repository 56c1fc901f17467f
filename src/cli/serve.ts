// `portraitist serve`: the HTTP API and the web studio, on 127.0.0.1 unless told otherwise.
import type { Command } from 'commander';
import { PortraitistError } from '../errors/index.js';
import { resolve } from 'node:path';
import type { OpenedRoundQueue } from '../studio/index.js';
import { studio } from './studio.js';
import type {
  RunningServer,
  createStudioApi,
  defaultWebRoot,
  startServer,
} from '../server/index.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';

/** Flags of `serve`. */
export interface ServeFlags {
  host?: string;
  port?: string;
  token?: string;
  allowHost?: string[];
  library?: string;
  /** Redis URL: rounds render on the workers of this queue. */
  queue?: string;
  prefix?: string;
  /** The blob folder the workers share (required with a postgres:// library). */
  blobs?: string;
  /** The kind of engine server the workers drive (with `queue`; default comfyui). */
  engine?: string;
  json?: boolean;
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

/**
 * What `serve` needs of server/. The CLI is an edge over studio/ and does not import another edge:
 * the program's entry (src/bin) hands it the server, loaded only when `serve` runs.
 */
export interface StudioServerModule {
  readonly createStudioApi: typeof createStudioApi;
  readonly defaultWebRoot: typeof defaultWebRoot;
  readonly startServer: typeof startServer;
}

/** Loads the server on demand (a dynamic import in the entry, the module itself in tests). */
export type LoadStudioServer = () => Promise<StudioServerModule>;

/** Runs the server until `until` resolves, then closes it. */
export async function serveCommand(
  flags: ServeFlags,
  io: CliIo,
  loadServer: LoadStudioServer,
  until: (server: RunningServer) => Promise<void> = untilSignal,
): Promise<void> {
  const port = Number(flags.port ?? '4780');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PortraitistError('USAGE', `not a port: ${flags.port}`, {
      issues: [
        {
          path: 'port',
          message: `expected a port from 0 to 65535 for \`--port\` but received ${flags.port}`,
        },
      ],
    });
  }
  const { createStudioApi, defaultWebRoot, startServer } = await loadServer();
  const {
    defaultLibraryFolder,
    isPostgresUrl,
    openQueueLibrary,
    openRoundQueue,
    queueKindOf,
    resolveEngineConfig,
    workerEngineKinds,
  } = await studio();
  const token = flags.token ?? io.env['PORTRAITIST_TOKEN'];
  if (flags.queue !== undefined && !/^rediss?:\/\//.test(flags.queue))
    throw new PortraitistError('USAGE', `not a Redis URL: ${flags.queue}`, {
      issues: [
        {
          path: 'queue',
          message: `expected a redis:// URL for \`--queue\` but received ${flags.queue}`,
        },
      ],
    });
  for (const [field, value] of [
    ['prefix', flags.prefix],
    ['engine', flags.engine],
  ] as const)
    if (flags.queue === undefined && value !== undefined)
      throw new PortraitistError('USAGE', `--${field} goes with --queue`, {
        issues: [{ path: field, message: `expected --${field} only with --queue <redis-url>` }],
      });
  // On a queue the workers render: the kind of server they drive (a request may not pick another).
  const kind =
    flags.queue === undefined ? undefined : queueKindOf(flags.engine ?? workerEngineKinds[0]);
  // Sessions, rounds, candidates and their images live in the library: a folder (SQLite + blobs),
  // or with a queue the PostgreSQL library and blob folder the workers share.
  const folder =
    flags.library !== undefined && isPostgresUrl(flags.library)
      ? flags.library
      : flags.library === undefined
        ? defaultLibraryFolder(io.homedir)
        : resolve(io.cwd, flags.library);
  const library = await openQueueLibrary({
    library: folder,
    ...(flags.blobs === undefined ? {} : { blobs: resolve(io.cwd, flags.blobs) }),
  });
  let queue: OpenedRoundQueue | undefined;
  let engineConfig: Awaited<ReturnType<typeof resolveEngineConfig>>;
  try {
    // Engine servers and keys are the operator's: the config file and the environment, never a request.
    const config = await resolveEngineConfig({}, io.env, io.cwd);
    engineConfig = kind === undefined ? config : { ...config, engine: kind };
    if (flags.queue !== undefined && kind !== undefined)
      queue = await openRoundQueue({
        url: flags.queue,
        kind,
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        // The studio is someone waiting at a screen: ahead of batch work on the same queue.
        priority: 'interactive',
      });
  } catch (error) {
    await library.close();
    throw error;
  }
  const api = createStudioApi({
    blobs: library.blobs,
    store: library.store,
    engineConfig,
    ...(queue === undefined ? {} : { queue }),
  });
  const webRoot = defaultWebRoot();
  const server = await startServer({
    api,
    port,
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(token === undefined || token === '' ? {} : { token }),
    ...(flags.allowHost === undefined ? {} : { allowedHosts: flags.allowHost }),
    ...(webRoot === undefined ? {} : { webRoot }),
  });
  try {
    if (flags.json === true) {
      writeJson(io, {
        url: server.url,
        host: server.host,
        port: server.port,
        studio: webRoot !== undefined,
        library: library.folder,
        ...(queue === undefined ? {} : { queue: `${queue.kind} workers` }),
      });
    } else {
      const style = styleFor(io);
      writeLine(io.stdout, `${style.bold('Portraitist studio')} ${server.url}`);
      if (queue !== undefined)
        writeLine(io.stdout, style.dim(`rounds render on the queue's ${queue.kind} workers`));
      if (webRoot === undefined)
        writeLine(
          io.stdout,
          style.warn('the web studio is not built (npm run build:web): serving the API only'),
        );
      if (server.host === '0.0.0.0' || server.host === '::') {
        if (flags.allowHost === undefined)
          writeLine(
            io.stdout,
            style.warn(
              'bound to every address, but only loopback Host names are answered: add --allow-host <name> for the names this machine is reached by',
            ),
          );
      }
      if (server.token !== undefined)
        writeLine(
          io.stdout,
          style.dim('bound beyond this machine: API calls need the token in the address above'),
        );
      writeLine(io.stdout, style.dim('Ctrl-C stops the server'));
    }
    await until(server);
  } finally {
    await server.close();
    await api.dispose();
    await queue?.close();
    await library.close();
  }
}

/** Registers `serve` on the program. */
export function registerServe(
  program: Command,
  io: CliIo,
  loadServer: LoadStudioServer | undefined,
): void {
  program
    .command('serve')
    .description(
      'the web studio and HTTP API on http://127.0.0.1:4780 (a token is required beyond loopback)',
    )
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '4780')
    .option(
      '--token <token>',
      'API token (default: $PORTRAITIST_TOKEN, or generated beyond loopback)',
    )
    .option(
      '--allow-host <name>',
      'another Host name the server answers to (behind a proxy); repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--library <folder|url>',
      'library folder (default ~/.portraitist), or the postgres://… library the workers share',
    )
    .option(
      '--queue <redis-url>',
      'render rounds on the workers of this queue (portraitist worker) instead of in the server',
    )
    .option('--prefix <name>', 'key prefix of the deployment in Redis (default portraitist)')
    .option(
      '--blobs <dir>',
      'the image folder the workers share (required with a postgres:// --library)',
    )
    .option(
      '--engine <kind>',
      'with --queue: the servers the workers drive, comfyui or a1111 (default comfyui)',
    )
    .option('--json', 'print the address as JSON')
    .action((flags: ServeFlags) => {
      if (loadServer === undefined)
        throw new PortraitistError(
          'USAGE',
          'this entry of Portraitist has no web studio: run `portraitist serve` from the installed command',
        );
      return serveCommand(flags, io, loadServer);
    });
}
