// Redis for tests: the one on 127.0.0.1:6379 when it answers PING; otherwise a redis-server of our
// own (installed with apt-get first when missing and we are root), on a free port in a temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { closedPort } from '../ports.js';

/** A Redis a test may use, with a key prefix no other test shares. */
export interface RedisForTests {
  readonly url: string;
  /** Unique per call: use it as the BullMQ prefix (or key prefix) of everything the test writes. */
  readonly prefix: string;
  /** Deletes the test's keys; stops the server when this call started one. */
  close(): Promise<void>;
}

/** A redis-server this process started. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /**
   * Stops the server and starts it again on the same port. SIGKILL is a crash: nothing is
   * flushed, but the append-only file is fsynced on every write, so no acknowledged write is lost.
   */
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Sends one command and returns the first reply line (`+PONG`, `:3`, `-ERR …`). */
export async function redisCommand(
  port: number,
  args: readonly string[],
  host = '127.0.0.1',
  timeoutMs = 2000,
): Promise<string> {
  const body = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return await new Promise<string>((resolve, reject) => {
    const socket = connect({ host, port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis at ${host}:${port} did not answer in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(body));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text.slice(0, end));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

async function answersPing(port: number): Promise<boolean> {
  try {
    return (await redisCommand(port, ['PING'], '127.0.0.1', 1000)) === '+PONG';
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const folder of (process.env['PATH'] ?? '').split(delimiter)) {
    const file = join(folder, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The redis-server binary, installing Debian's package first when it is missing and we are root. */
export function redisServerBinary(log: (line: string) => void = () => undefined): string {
  const found = onPath('redis-server');
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('redis-server is not installed (apt-get install redis-server) and not root');
  }
  const started = Date.now();
  const install = spawnSync('apt-get', ['install', '-y', 'redis-server'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  log(`apt-get install -y redis-server took ${Date.now() - started} ms (exit ${install.status})`);
  const installed = onPath('redis-server');
  if (installed === undefined)
    throw new Error('apt-get install -y redis-server did not install it');
  return installed;
}

/** Starts a redis-server of our own on a free port, with an append-only file so a restart keeps the data. */
export async function startRedisServer(
  options: { log?: (line: string) => void } = {},
): Promise<RedisServer> {
  const binary = redisServerBinary(options.log);
  const dir = await mkdtemp(join(tmpdir(), 'portraitist-redis-'));
  const port = await closedPort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    const deadline = Date.now() + 15_000;
    while (!(await answersPing(port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await sleep(25);
    }
  };
  const halt = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async restart(signal = 'SIGTERM') {
      await halt(signal);
      await launch();
    },
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Redis for one test file: the local one if it answers, else one of our own. */
export async function redisForTests(
  options: {
    log?: (line: string) => void;
    /** The port to try first (default 6379). */
    port?: number;
  } = {},
): Promise<RedisForTests> {
  const prefix = `pt-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  let port = options.port ?? 6379;
  let own: RedisServer | undefined;
  if (!(await answersPing(port))) {
    own = await startRedisServer(options);
    port = own.port;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    prefix,
    async close() {
      if (own !== undefined) {
        await own.stop();
        return;
      }
      // Our keys only: others' tests share this Redis.
      const script =
        "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) n = n + 1 end return n";
      await redisCommand(port, ['EVAL', script, '0', `${prefix}:*`], '127.0.0.1', 10_000);
    },
  };
}
