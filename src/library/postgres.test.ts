import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresForTests, type TestPostgres } from '../testing/index.js';
import { isPortraitistError } from '../errors/index.js';
import { migrations, openPostgresStore } from './index.js';
import { describeStoreContract } from './store-contract.js';

// One database per test file (embedded PostgreSQL when nothing listens on 5432), one schema per
// store, so the contract's stores never see each other.
let server: TestPostgres | undefined;
beforeAll(async () => {
  server = await postgresForTests();
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const url = (): string => {
  if (server === undefined) throw new Error('PostgreSQL did not start');
  return server.connectionString;
};
const newSchema = (): string => `lib_${randomBytes(5).toString('hex')}`;

async function sql(schema: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url() });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${schema}`);
    await client.query(text);
  } finally {
    await client.end();
  }
}

describeStoreContract('PostgreSQL', async ({ clock }) => {
  const schema = newSchema();
  return {
    store: await openPostgresStore({ connectionString: url(), schema, clock }),
    openAgain: () => openPostgresStore({ connectionString: url(), schema, clock }),
    exec: (text) => sql(schema, text),
  };
});

describe('PostgreSQL store schema', () => {
  it('records its numbered migrations once, also when two stores open a new schema at once', async () => {
    const schema = newSchema();
    const stores = await Promise.all([
      openPostgresStore({ connectionString: url(), schema }),
      openPostgresStore({ connectionString: url(), schema }),
    ]);
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      const rows = await client.query(
        `SELECT version, name FROM ${schema}.migrations ORDER BY version`,
      );
      expect(rows.rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    } finally {
      await client.end();
    }
  });

  it('refuses a schema written by a newer Portraitist with LIBRARY_VERSION', async () => {
    const schema = newSchema();
    await (await openPostgresStore({ connectionString: url(), schema })).close();
    await sql(
      schema,
      "INSERT INTO migrations (version, name, applied_at) VALUES (999, 'future', now())",
    );
    const error = await openPostgresStore({ connectionString: url(), schema }).catch(
      (e: unknown) => e,
    );
    expect(isPortraitistError(error) && error.code).toBe('LIBRARY_VERSION');
  });

  it('refuses a schema name that would need quoting', async () => {
    const error = await openPostgresStore({
      connectionString: url(),
      schema: 'x; DROP TABLE y',
    }).catch((e: unknown) => e);
    expect(isPortraitistError(error) && error.code).toBe('LIBRARY_INVALID');
  });
});
