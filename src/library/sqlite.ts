// The default Store: one SQLite file through better-sqlite3 (v12: v13 needs Node 22).
//
// Pragmas, and why:
// - journal_mode=WAL: readers never block the writer, and a kill -9 mid-write leaves the last
//   committed transaction intact (the WAL is replayed on the next open).
// - synchronous=FULL (default; NORMAL on request): in WAL mode NORMAL already survives a process
//   crash, but a power loss or OS crash can drop the last commits. A dropped remote-job row means
//   a resumed round queues (and pays for) that job again, so the default fsyncs every commit;
//   one fsync per candidate is nothing next to seconds of generation. The bench measures both.
// - foreign_keys=ON: SQLite leaves them off unless asked, per connection.
// - busy_timeout: a second process (a CLI beside a server) waits for the write lock instead of
//   failing at once with SQLITE_BUSY.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { PortraitistError } from '../errors/index.js';
import { migrations, schemaVersion } from './migrations.js';
import { candidateColumns, candidateFrom, rowMappers, searchSql, textJson } from './rows.js';
import {
  candidateRow,
  checkBlobId,
  checkInput,
  checkPick,
  checkQuery,
  checkScores,
  finishInput,
  fullScores,
  notFound,
  referenceInput,
  remoteJobInput,
  roundInput,
  sessionInput,
  toJsonText,
} from './validate.js';
import { scoreNames, type CandidateRecord, type SessionDetail, type Store } from './types.js';
import { z } from 'zod';

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file (created with its folder's parent already there), or ':memory:'. */
  readonly file: string;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** FULL (default) fsyncs every commit; NORMAL survives a process crash but not a power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How long to wait for another connection's write lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

const rows = rowMappers({ json: textJson });
const nameInput = z.string().min(1).max(500);

/** Applies the migrations this database lacks, each in its own immediate transaction. */
function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = (): number =>
    (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM migrations').get() as { v: number }).v;
  if (applied() > schemaVersion) {
    throw new PortraitistError(
      'LIBRARY_VERSION',
      `the library's schema is version ${applied()}, newer than this Portraitist knows (${schemaVersion}); upgrade Portraitist`,
    );
  }
  for (const migration of migrations) {
    // IMMEDIATE takes the write lock first, so two processes opening a new file do not both migrate.
    db.transaction(() => {
      if (applied() >= migration.version) return;
      db.exec(migration.sqlite);
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

/**
 * Runs `PRAGMA integrity_check` on a library file through its own read-only connection; `['ok']`
 * when intact, otherwise SQLite's list of problems.
 */
export function sqliteIntegrity(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map(
      (row) => row.integrity_check,
    );
  } finally {
    db.close();
  }
}

/** Opens (creating and migrating as needed) a SQLite library file. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const clock = options.clock ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const db = new Database(options.file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 5000))}`);
    migrate(db);
    // Lets the planner use (and refresh, when stale) table statistics: search picks its index by them.
    db.pragma('optimize = 0x10002');
  } catch (error) {
    db.close();
    throw error;
  }
  const now = (): string => clock().toISOString();
  // Statements are compiled once per store and reused (compiling costs more than most runs).
  const statements = new Map<string, Database.Statement>();
  const prep = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const sessionRow = (id: string): unknown => prep('SELECT * FROM sessions WHERE id = ?').get(id);
  const requireSession = (id: string): void => {
    if (prep('SELECT 1 FROM sessions WHERE id = ?').get(id) === undefined)
      notFound('session', 'sessionId', id);
  };
  const touch = (sessionId: string, at: string): void => {
    prep('UPDATE sessions SET updated_at = ? WHERE id = ?').run(at, sessionId);
  };
  const candidateById = (id: string): CandidateRecord | undefined => {
    const row = prep(`SELECT ${candidateColumns} FROM ${candidateFrom} WHERE c.id = ?`).get(id);
    return row === undefined ? undefined : rows.candidate(row);
  };
  const roundRow = (id: string): unknown => prep('SELECT * FROM rounds WHERE id = ?').get(id);

  const insertCandidate = prep(`INSERT INTO candidates (id, round_id, session_id, idx, engine,
    seed, parameters, provenance, image, blueprint, scorecard,
    ${scoreNames.map((n) => `score_${n}`).join(', ')}, created_at)
    VALUES (${Array.from({ length: 12 + scoreNames.length }, () => '?').join(', ')})
    ON CONFLICT (round_id, idx) DO NOTHING`);

  let closed = false;
  const open = (): void => {
    if (closed) throw new PortraitistError('INTERNAL', 'the library store is closed');
  };
  // Every method is async to keep one Store contract; the work itself is synchronous, so each
  // call (transactions included) runs whole before another can start.
  const run = <T>(work: () => T): Promise<T> =>
    new Promise<T>((resolve) => {
      open();
      resolve(work());
    });

  return {
    createSession: (input) =>
      run(() => {
        const { title } = checkInput(sessionInput, input, 'session');
        const brief = toJsonText(input.brief, 'brief');
        const settings =
          input.settings === undefined ? null : toJsonText(input.settings, 'settings');
        const id = newId();
        const at = now();
        db.transaction(() => {
          prep(
            'INSERT INTO sessions (id, title, created_at, updated_at, latest_brief_version, settings) VALUES (?, ?, ?, ?, 1, ?)',
          ).run(id, title, at, at, settings);
          prep(
            'INSERT INTO brief_versions (session_id, version, brief, note, created_at) VALUES (?, 1, ?, NULL, ?)',
          ).run(id, brief, at);
        })();
        return rows.session(sessionRow(id));
      }),

    getSession: (id) =>
      run((): SessionDetail | undefined => {
        const row = sessionRow(id);
        if (row === undefined) return undefined;
        return db.transaction(() => ({
          ...rows.session(row),
          briefVersions: prep('SELECT * FROM brief_versions WHERE session_id = ? ORDER BY version')
            .all(id)
            .map(rows.briefVersion),
          references: prep('SELECT * FROM refs WHERE session_id = ? ORDER BY created_at, rowid')
            .all(id)
            .map(rows.reference),
          rounds: prep('SELECT * FROM rounds WHERE session_id = ? ORDER BY number')
            .all(id)
            .map(rows.round),
          candidates: prep(
            `SELECT ${candidateColumns} FROM ${candidateFrom} JOIN rounds r ON r.id = c.round_id
               WHERE c.session_id = ? ORDER BY r.number, c.idx`,
          )
            .all(id)
            .map(rows.candidate),
        }))();
      }),

    listSessions: (query = {}) =>
      run(() => {
        const q = checkInput(
          z.object({
            limit: z.number().int().min(1).max(1000).optional(),
            since: z.date().optional(),
          }),
          query,
          'sessions query',
        );
        const where = q.since === undefined ? '' : 'WHERE updated_at >= ?';
        const params: unknown[] = q.since === undefined ? [] : [q.since.toISOString()];
        return prep(`SELECT * FROM sessions ${where} ORDER BY updated_at DESC, id DESC LIMIT ?`)
          .all(...params, q.limit ?? 50)
          .map(rows.session);
      }),

    addBriefVersion: (sessionId, brief, note) =>
      run(() => {
        const text = toJsonText(brief, 'brief');
        const checkedNote = checkInput(z.string().max(10_000).optional(), note, 'note', {
          prefix: ['note'],
        });
        const at = now();
        const version = db
          .transaction(() => {
            const row = prep('SELECT latest_brief_version AS v FROM sessions WHERE id = ?').get(
              sessionId,
            ) as { v: number } | undefined;
            if (row === undefined) notFound('session', 'sessionId', sessionId);
            const next = row.v + 1;
            prep(
              'INSERT INTO brief_versions (session_id, version, brief, note, created_at) VALUES (?, ?, ?, ?, ?)',
            ).run(sessionId, next, text, checkedNote ?? null, at);
            prep('UPDATE sessions SET latest_brief_version = ?, updated_at = ? WHERE id = ?').run(
              next,
              at,
              sessionId,
            );
            return next;
          })
          .immediate();
        return rows.briefVersion(
          prep('SELECT * FROM brief_versions WHERE session_id = ? AND version = ?').get(
            sessionId,
            version,
          ),
        );
      }),

    getBriefVersion: (sessionId, version) =>
      run(() => {
        const row = prep('SELECT * FROM brief_versions WHERE session_id = ? AND version = ?').get(
          sessionId,
          version,
        );
        return row === undefined ? undefined : rows.briefVersion(row);
      }),

    addReference: (sessionId, ref) =>
      run(() => {
        const r = checkInput(referenceInput, ref, 'reference');
        const blob = checkBlobId(r.blob);
        const id = newId();
        const at = now();
        db.transaction(() => {
          requireSession(sessionId);
          prep(
            'INSERT INTO refs (id, session_id, role, name, blob, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          ).run(id, sessionId, r.role, r.name, blob, at);
          touch(sessionId, at);
        })();
        return rows.reference(prep('SELECT * FROM refs WHERE id = ?').get(id));
      }),

    cacheBlueprint: (blob, modelVersion, blueprint) =>
      run(() => {
        const id = checkBlobId(blob);
        const model = checkInput(nameInput, modelVersion, 'model version', {
          prefix: ['modelVersion'],
        });
        prep(
          `INSERT INTO blueprints (blob, model_version, blueprint, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (blob, model_version) DO UPDATE SET blueprint = excluded.blueprint,
           created_at = excluded.created_at`,
        ).run(id, model, toJsonText(blueprint, 'blueprint'), now());
      }),

    cachedBlueprint: (blob, modelVersion) =>
      run(() => {
        const row = prep(
          'SELECT blueprint AS value FROM blueprints WHERE blob = ? AND model_version = ?',
        ).get(checkBlobId(blob), modelVersion);
        return row === undefined ? undefined : rows.json(row, 'blueprints');
      }),

    startRound: (sessionId, input) =>
      run(() => {
        const r = checkInput(roundInput, input, 'round');
        const nudges = toJsonText(r.nudges, 'nudges');
        const id = newId();
        const at = now();
        db.transaction(() => {
          requireSession(sessionId);
          const version = prep(
            'SELECT 1 FROM brief_versions WHERE session_id = ? AND version = ?',
          ).get(sessionId, r.briefVersion);
          if (version === undefined)
            notFound('brief version', 'briefVersion', String(r.briefVersion));
          prep(
            `INSERT INTO rounds (id, session_id, number, brief_version, engine, count, seed, nudges,
               status, started_at, finished_at)
             SELECT ?, ?, COALESCE(MAX(number), 0) + 1, ?, ?, ?, ?, ?, 'running', ?, NULL
             FROM rounds WHERE session_id = ?`,
          ).run(id, sessionId, r.briefVersion, r.engine, r.count, r.seed, nudges, at, sessionId);
          touch(sessionId, at);
        }).immediate();
        return rows.round(roundRow(id));
      }),

    getRound: (roundId) =>
      run(() => {
        const row = roundRow(roundId);
        return row === undefined ? undefined : rows.round(row);
      }),

    finishRound: (roundId, status) =>
      run(() => {
        const s = checkInput(finishInput, status, 'round status', { prefix: ['status'] });
        const result = prep('UPDATE rounds SET status = ?, finished_at = ? WHERE id = ?').run(
          s,
          now(),
          roundId,
        );
        if (result.changes === 0) notFound('round', 'roundId', roundId);
      }),

    recordRemoteJob: (roundId, job) =>
      run(() => {
        const j = checkInput(remoteJobInput, job, 'remote job');
        if (roundRow(roundId) === undefined) notFound('round', 'roundId', roundId);
        prep(
          `INSERT INTO remote_jobs (round_id, idx, engine, kind, job_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (round_id, engine, kind, job_id) DO NOTHING`,
        ).run(roundId, j.index, j.engine, j.kind, j.id, now());
      }),

    remoteJobs: (roundId) =>
      run(() =>
        prep('SELECT * FROM remote_jobs WHERE round_id = ? ORDER BY idx, seq')
          .all(roundId)
          .map(rows.remoteJob),
      ),

    addCandidate: (roundId, input) =>
      run(() => {
        const c = candidateRow(input);
        const id = newId();
        const at = now();
        db.transaction(() => {
          const round = prep('SELECT session_id FROM rounds WHERE id = ?').get(roundId) as
            { session_id: string } | undefined;
          if (round === undefined) notFound('round', 'roundId', roundId);
          const inserted = insertCandidate.run(
            id,
            roundId,
            round.session_id,
            c.index,
            c.engine,
            c.seed,
            c.parameters,
            c.provenance,
            c.image,
            c.blueprint,
            c.scorecard,
            ...scoreNames.map((n) => c.scores[n]),
            at,
          );
          if (inserted.changes > 0) touch(round.session_id, at);
        }).immediate();
        const row = prep(
          `SELECT ${candidateColumns} FROM ${candidateFrom} WHERE c.round_id = ? AND c.idx = ?`,
        ).get(roundId, c.index);
        return rows.candidate(row);
      }),

    getCandidate: (candidateId) => run(() => candidateById(candidateId)),

    listCandidates: (roundId) =>
      run(() =>
        prep(`SELECT ${candidateColumns} FROM ${candidateFrom} WHERE c.round_id = ? ORDER BY c.idx`)
          .all(roundId)
          .map(rows.candidate),
      ),

    setScorecard: (candidateId, scorecard, scores) =>
      run(() => {
        const text = toJsonText(scorecard, 'scorecard');
        const all = fullScores(checkScores(scores));
        const result = prep(
          `UPDATE candidates SET scorecard = ?, ${scoreNames.map((n) => `score_${n} = ?`).join(', ')}
             WHERE id = ?`,
        ).run(text, ...scoreNames.map((n) => all[n]), candidateId);
        if (result.changes === 0) notFound('candidate', 'candidateId', candidateId);
      }),

    setPick: (candidateId, input) =>
      run(() => {
        const pick = checkPick(input);
        const at = now();
        db.transaction(() => {
          if (prep('SELECT 1 FROM candidates WHERE id = ?').get(candidateId) === undefined)
            notFound('candidate', 'candidateId', candidateId);
          // A field left out keeps its stored value; null clears it.
          prep(
            `INSERT INTO picks (candidate_id, verdict, stars, note, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (candidate_id) DO UPDATE SET
               verdict = CASE WHEN ? THEN excluded.verdict ELSE picks.verdict END,
               stars = CASE WHEN ? THEN excluded.stars ELSE picks.stars END,
               note = CASE WHEN ? THEN excluded.note ELSE picks.note END,
               updated_at = excluded.updated_at`,
          ).run(
            candidateId,
            pick.verdict ?? null,
            pick.stars ?? null,
            pick.note ?? null,
            at,
            pick.verdict === undefined ? 0 : 1,
            pick.stars === undefined ? 0 : 1,
            pick.note === undefined ? 0 : 1,
          );
        }).immediate();
        return rows.pick(prep('SELECT * FROM picks WHERE candidate_id = ?').get(candidateId));
      }),

    searchCandidates: (query) =>
      run(() => {
        const q = checkQuery(query);
        const params: unknown[] = [];
        const tail = searchSql(
          q,
          (value) => {
            params.push(value instanceof Date ? value.toISOString() : value);
            return '?';
          },
          'DESC',
        );
        return prep(`SELECT ${candidateColumns} FROM ${candidateFrom} ${tail}`)
          .all(...params)
          .map(rows.candidate);
      }),

    saveProfile: (name, profile) =>
      run(() => {
        const n = checkInput(nameInput, name, 'profile name', { prefix: ['name'] });
        prep(
          `INSERT INTO profiles (name, profile, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at`,
        ).run(n, toJsonText(profile, 'profile'), now());
      }),

    loadProfile: (name) =>
      run(() => {
        const row = prep('SELECT profile AS value FROM profiles WHERE name = ?').get(name);
        return row === undefined ? undefined : rows.json(row, 'profiles');
      }),

    close: async () => {
      if (closed) return;
      closed = true;
      db.pragma('optimize');
      db.close();
    },
  };
}
