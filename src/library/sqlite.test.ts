import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortraitistError } from '../errors/index.js';
import { migrations, openSqliteStore } from './index.js';
import { describeStoreContract } from './store-contract.js';

let folder = '';
let files = 0;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'portraitist-sqlite-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describeStoreContract('SQLite', async ({ clock }) => {
  const file = join(folder, `library-${++files}.sqlite`);
  return {
    store: openSqliteStore({ file, clock }),
    openAgain: async () => openSqliteStore({ file, clock }),
    exec: async (sql) => {
      const db = new Database(file);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  };
});

describe('SQLite store file', () => {
  it('opens in WAL mode and records each numbered migration once, also when reopened', async () => {
    const file = join(folder, 'pragmas.sqlite');
    const store = openSqliteStore({ file });
    await store.close();
    const again = openSqliteStore({ file, synchronous: 'NORMAL', busyTimeoutMs: 1234 });
    await again.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const rows = db.prepare('SELECT version, name FROM migrations ORDER BY version').all();
      // Reopening applied nothing twice.
      expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
      expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    } finally {
      db.close();
    }
  });

  it('refuses a library written by a newer schema with LIBRARY_VERSION', async () => {
    const file = join(folder, 'newer.sqlite');
    await openSqliteStore({ file }).close();
    const db = new Database(file);
    db.prepare(
      "INSERT INTO migrations (version, name, applied_at) VALUES (999, 'future', 'now')",
    ).run();
    db.close();
    let error: unknown;
    try {
      openSqliteStore({ file });
    } catch (caught) {
      error = caught;
    }
    expect(isPortraitistError(error) && error.code).toBe('LIBRARY_VERSION');
  });

  it('refuses a file that is not a database', async () => {
    const file = join(folder, 'junk.sqlite');
    await writeFile(file, 'this is not a database, it is a text file of some length '.repeat(20));
    expect(() => openSqliteStore({ file })).toThrow();
  });
});
