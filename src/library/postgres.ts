// The Store at scale: PostgreSQL through `pg`, one schema per library (so tests, and tenants,
// run side by side in one database). The same numbered migrations as SQLite, in PostgreSQL's
// words; the same row checks on the way back.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import { PortraitistError } from '../errors/index.js';
import { migrations, schemaVersion } from './migrations.js';
import { candidateColumns, candidateFrom, parsedJson, rowMappers, searchSql } from './rows.js';
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
import { scoreNames, type SessionDetail, type Store } from './types.js';

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** The schema holding this library's tables (created when missing); default `portraitist`. */
  readonly schema?: string;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
}

const rows = rowMappers({ json: parsedJson });
// INSERT … SELECT gives parameters no column type, so each is cast to its column's.
const candidateCasts = [
  'text',
  'integer',
  'text',
  'bigint',
  'json',
  'json',
  'text',
  'json',
  'json',
  ...scoreNames.map(() => 'double precision'),
  'timestamptz',
];
const nameInput = z.string().min(1).max(500);
const schemaName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/);

type Queryable = Pick<pg.PoolClient, 'query'>;

async function migrate(client: pg.PoolClient, schema: string): Promise<void> {
  // One migrator at a time per schema, across processes: a session-level advisory lock.
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [`portraitist:${schema}`]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`);
    const applied = async (): Promise<number> =>
      Number(
        (
          await client.query<{ v: number }>(
            `SELECT COALESCE(MAX(version), 0) AS v FROM ${schema}.migrations`,
          )
        ).rows[0]?.v ?? 0,
      );
    const current = await applied();
    if (current > schemaVersion) {
      throw new PortraitistError(
        'LIBRARY_VERSION',
        `the library's schema is version ${current}, newer than this Portraitist knows (${schemaVersion}); upgrade Portraitist`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO ${schema}`);
        await client.query(migration.postgres);
        await client.query(
          `INSERT INTO ${schema}.migrations (version, name, applied_at) VALUES ($1, $2, now())`,
          [migration.version, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`portraitist:${schema}`]);
  }
}

/** Connects to PostgreSQL, migrates the library's schema, and returns a Store on it. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = checkInput(schemaName, options.schema ?? 'portraitist', 'schema', {
    prefix: ['schema'],
    expected: { schema: 'a lowercase schema name (letters, digits, _)' },
  });
  const clock = options.clock ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    options: `-c search_path=${schema}`,
    max: options.maxConnections ?? 10,
  });
  // An idle client's error (the server went away) must not crash the process; the next query fails.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }

  let closed = false;
  const db = (): pg.Pool => {
    if (closed) throw new PortraitistError('INTERNAL', 'the library store is closed');
    return pool;
  };
  const one = async (q: Queryable, sql: string, params: unknown[] = []): Promise<unknown> =>
    (await q.query(sql, params)).rows[0];
  const all = async (q: Queryable, sql: string, params: unknown[] = []): Promise<unknown[]> =>
    (await q.query(sql, params)).rows;
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await db().connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  const lockSession = async (q: Queryable, id: string): Promise<{ v: number }> => {
    const row = (await one(
      q,
      'SELECT latest_brief_version AS v FROM sessions WHERE id = $1 FOR UPDATE',
      [id],
    )) as { v: number } | undefined;
    if (row === undefined) notFound('session', 'sessionId', id);
    return row;
  };
  const candidateWhere = async (where: string, params: unknown[]): Promise<unknown[]> =>
    all(db(), `SELECT ${candidateColumns} FROM ${candidateFrom} ${where}`, params);

  return {
    async createSession(input) {
      const { title } = checkInput(sessionInput, input, 'session');
      const brief = toJsonText(input.brief, 'brief');
      const settings = input.settings === undefined ? null : toJsonText(input.settings, 'settings');
      const id = newId();
      const at = clock();
      return transaction(async (client) => {
        const row = await one(
          client,
          `INSERT INTO sessions (id, title, created_at, updated_at, latest_brief_version, settings)
           VALUES ($1, $2, $3, $3, 1, $4) RETURNING *`,
          [id, title, at, settings],
        );
        await client.query(
          'INSERT INTO brief_versions (session_id, version, brief, note, created_at) VALUES ($1, 1, $2, NULL, $3)',
          [id, brief, at],
        );
        return rows.session(row);
      });
    },

    async getSession(id) {
      // One snapshot for the whole detail, so a round being written does not tear it.
      const client = await db().connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const row = await one(client, 'SELECT * FROM sessions WHERE id = $1', [id]);
        if (row === undefined) return undefined;
        const detail: SessionDetail = {
          ...rows.session(row),
          briefVersions: (
            await all(
              client,
              'SELECT * FROM brief_versions WHERE session_id = $1 ORDER BY version',
              [id],
            )
          ).map(rows.briefVersion),
          references: (
            await all(client, 'SELECT * FROM refs WHERE session_id = $1 ORDER BY created_at, id', [
              id,
            ])
          ).map(rows.reference),
          rounds: (
            await all(client, 'SELECT * FROM rounds WHERE session_id = $1 ORDER BY number', [id])
          ).map(rows.round),
          candidates: (
            await all(
              client,
              `SELECT ${candidateColumns} FROM ${candidateFrom} JOIN rounds r ON r.id = c.round_id
               WHERE c.session_id = $1 ORDER BY r.number, c.idx`,
              [id],
            )
          ).map(rows.candidate),
        };
        return detail;
      } finally {
        await client.query('COMMIT').catch(() => undefined);
        client.release();
      }
    },

    async listSessions(query = {}) {
      const q = checkInput(
        z.object({
          limit: z.number().int().min(1).max(1000).optional(),
          since: z.date().optional(),
        }),
        query,
        'sessions query',
      );
      const params: unknown[] = [q.limit ?? 50];
      const where = q.since === undefined ? '' : 'WHERE updated_at >= $2';
      if (q.since !== undefined) params.push(q.since);
      return (
        await all(
          db(),
          `SELECT * FROM sessions ${where} ORDER BY updated_at DESC, id DESC LIMIT $1`,
          params,
        )
      ).map(rows.session);
    },

    async addBriefVersion(sessionId, brief, note) {
      const text = toJsonText(brief, 'brief');
      const checkedNote = checkInput(z.string().max(10_000).optional(), note, 'note', {
        prefix: ['note'],
      });
      const at = clock();
      return transaction(async (client) => {
        const next = (await lockSession(client, sessionId)).v + 1;
        const row = await one(
          client,
          `INSERT INTO brief_versions (session_id, version, brief, note, created_at)
           VALUES ($1, $2, $3, $4, $5) RETURNING *`,
          [sessionId, next, text, checkedNote ?? null, at],
        );
        await client.query(
          'UPDATE sessions SET latest_brief_version = $1, updated_at = $2 WHERE id = $3',
          [next, at, sessionId],
        );
        return rows.briefVersion(row);
      });
    },

    async getBriefVersion(sessionId, version) {
      const row = await one(
        db(),
        'SELECT * FROM brief_versions WHERE session_id = $1 AND version = $2',
        [sessionId, version],
      );
      return row === undefined ? undefined : rows.briefVersion(row);
    },

    async addReference(sessionId, ref) {
      const r = checkInput(referenceInput, ref, 'reference');
      const blob = checkBlobId(r.blob);
      const at = clock();
      return transaction(async (client) => {
        await lockSession(client, sessionId);
        const row = await one(
          client,
          `INSERT INTO refs (id, session_id, role, name, blob, created_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [newId(), sessionId, r.role, r.name, blob, at],
        );
        await client.query('UPDATE sessions SET updated_at = $1 WHERE id = $2', [at, sessionId]);
        return rows.reference(row);
      });
    },

    async cacheBlueprint(blob, modelVersion, blueprint) {
      const id = checkBlobId(blob);
      const model = checkInput(nameInput, modelVersion, 'model version', {
        prefix: ['modelVersion'],
      });
      await db().query(
        `INSERT INTO blueprints (blob, model_version, blueprint, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (blob, model_version) DO UPDATE SET blueprint = excluded.blueprint,
         created_at = excluded.created_at`,
        [id, model, toJsonText(blueprint, 'blueprint'), clock()],
      );
    },

    async cachedBlueprint(blob, modelVersion) {
      const row = await one(
        db(),
        'SELECT blueprint AS value FROM blueprints WHERE blob = $1 AND model_version = $2',
        [checkBlobId(blob), modelVersion],
      );
      return row === undefined ? undefined : rows.json(row, 'blueprints');
    },

    async startRound(sessionId, input) {
      const r = checkInput(roundInput, input, 'round');
      const nudges = toJsonText(r.nudges, 'nudges');
      const at = clock();
      return transaction(async (client) => {
        // The session row lock serialises round numbering within a session.
        await lockSession(client, sessionId);
        const version = await one(
          client,
          'SELECT 1 FROM brief_versions WHERE session_id = $1 AND version = $2',
          [sessionId, r.briefVersion],
        );
        if (version === undefined)
          notFound('brief version', 'briefVersion', String(r.briefVersion));
        const row = await one(
          client,
          `INSERT INTO rounds (id, session_id, number, brief_version, engine, count, seed, nudges,
             status, started_at, finished_at)
           SELECT $1, $2, COALESCE(MAX(number), 0) + 1, $3, $4, $5, $6, $7, 'running', $8, NULL
           FROM rounds WHERE session_id = $2 RETURNING *`,
          [newId(), sessionId, r.briefVersion, r.engine, r.count, r.seed, nudges, at],
        );
        await client.query('UPDATE sessions SET updated_at = $1 WHERE id = $2', [at, sessionId]);
        return rows.round(row);
      });
    },

    async getRound(roundId) {
      const row = await one(db(), 'SELECT * FROM rounds WHERE id = $1', [roundId]);
      return row === undefined ? undefined : rows.round(row);
    },

    async finishRound(roundId, status) {
      const s = checkInput(finishInput, status, 'round status', { prefix: ['status'] });
      const result = await db().query(
        'UPDATE rounds SET status = $1, finished_at = $2 WHERE id = $3',
        [s, clock(), roundId],
      );
      if (result.rowCount === 0) notFound('round', 'roundId', roundId);
    },

    async recordRemoteJob(roundId, job) {
      const j = checkInput(remoteJobInput, job, 'remote job');
      const result = await db().query(
        `INSERT INTO remote_jobs (round_id, idx, engine, kind, job_id, created_at)
         SELECT id, $2::integer, $3::text, $4::text, $5::text, $6::timestamptz FROM rounds WHERE id = $1
         ON CONFLICT (round_id, engine, kind, job_id) DO NOTHING`,
        [roundId, j.index, j.engine, j.kind, j.id, clock()],
      );
      if (
        result.rowCount === 0 &&
        (await one(db(), 'SELECT 1 FROM rounds WHERE id = $1', [roundId])) === undefined
      )
        notFound('round', 'roundId', roundId);
    },

    async remoteJobs(roundId) {
      return (
        await all(db(), 'SELECT * FROM remote_jobs WHERE round_id = $1 ORDER BY idx, seq', [
          roundId,
        ])
      ).map(rows.remoteJob);
    },

    async addCandidate(roundId, input) {
      const c = candidateRow(input);
      const at = clock();
      // One statement: racing calls on (round, index) meet at the unique index, and the loser
      // waits for the winner's commit, then inserts nothing.
      const values = [
        roundId,
        newId(),
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
      ];
      // The session's updated_at moves in the same statement (one commit per new candidate).
      await db().query(
        `WITH inserted AS (
           INSERT INTO candidates (round_id, id, idx, engine, seed, parameters, provenance, image,
             blueprint, scorecard, ${scoreNames.map((n) => `score_${n}`).join(', ')}, created_at,
             session_id)
           SELECT r.id, ${candidateCasts.map((cast, i) => `$${i + 2}::${cast}`).join(', ')},
             r.session_id FROM rounds r WHERE r.id = $1
           ON CONFLICT (round_id, idx) DO NOTHING RETURNING session_id, created_at)
         UPDATE sessions s SET updated_at = GREATEST(s.updated_at, inserted.created_at)
         FROM inserted WHERE s.id = inserted.session_id`,
        values,
      );
      const row = (
        await candidateWhere('WHERE c.round_id = $1 AND c.idx = $2', [roundId, c.index])
      )[0];
      if (row === undefined) notFound('round', 'roundId', roundId);
      return rows.candidate(row);
    },

    async getCandidate(candidateId) {
      const row = (await candidateWhere('WHERE c.id = $1', [candidateId]))[0];
      return row === undefined ? undefined : rows.candidate(row);
    },

    async listCandidates(roundId) {
      return (await candidateWhere('WHERE c.round_id = $1 ORDER BY c.idx', [roundId])).map(
        rows.candidate,
      );
    },

    async setScorecard(candidateId, scorecard, scores) {
      const text = toJsonText(scorecard, 'scorecard');
      const all = fullScores(checkScores(scores));
      const result = await db().query(
        `UPDATE candidates SET scorecard = $1, ${scoreNames.map((n, i) => `score_${n} = $${i + 2}`).join(', ')}
         WHERE id = $${scoreNames.length + 2}`,
        [text, ...scoreNames.map((n) => all[n]), candidateId],
      );
      if (result.rowCount === 0) notFound('candidate', 'candidateId', candidateId);
    },

    async setPick(candidateId, input) {
      const pick = checkPick(input);
      const row = await one(
        db(),
        `INSERT INTO picks (candidate_id, verdict, stars, note, updated_at)
         SELECT id, $2::text, $3::integer, $4::text, $5::timestamptz FROM candidates WHERE id = $1
         ON CONFLICT (candidate_id) DO UPDATE SET
           verdict = CASE WHEN $6::boolean THEN excluded.verdict ELSE picks.verdict END,
           stars = CASE WHEN $7::boolean THEN excluded.stars ELSE picks.stars END,
           note = CASE WHEN $8::boolean THEN excluded.note ELSE picks.note END,
           updated_at = excluded.updated_at
         RETURNING *`,
        [
          candidateId,
          pick.verdict ?? null,
          pick.stars ?? null,
          pick.note ?? null,
          clock(),
          pick.verdict !== undefined,
          pick.stars !== undefined,
          pick.note !== undefined,
        ],
      );
      if (row === undefined) notFound('candidate', 'candidateId', candidateId);
      return rows.pick(row);
    },

    async searchCandidates(query) {
      const q = checkQuery(query);
      const params: unknown[] = [];
      const tail = searchSql(
        q,
        (value) => {
          params.push(value);
          return `$${params.length}`;
        },
        'DESC NULLS LAST',
      );
      return (await candidateWhere(tail, params)).map(rows.candidate);
    },

    async saveProfile(name, profile) {
      const n = checkInput(nameInput, name, 'profile name', { prefix: ['name'] });
      await db().query(
        `INSERT INTO profiles (name, profile, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at`,
        [n, toJsonText(profile, 'profile'), clock()],
      );
    },

    async loadProfile(name) {
      const row = await one(db(), 'SELECT profile AS value FROM profiles WHERE name = $1', [name]);
      return row === undefined ? undefined : rows.json(row, 'profiles');
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
