// The library at scale: storing and scoring 10,000 candidates one at a time (as `direct` does,
// each written as it arrives), and search latency (p50/p99) at 10k and 100k candidates, on
// SQLite (FULL and NORMAL sync) and on PostgreSQL (the local server, or an embedded one).
// The 100k search sets are filled by batched inserts in one transaction, not through the Store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  openPostgresStore,
  openSqliteStore,
  scoreNames,
  type CandidateQuery,
  type Store,
} from '../src/library/index.js';
import { postgresForTests } from '../src/testing/index.js';
import { figure, sample, type BenchResult, type Figure } from './harness.js';

const insertCount = 10_000;
const searchSizes = [10_000, 100_000] as const;
const start = Date.UTC(2026, 0, 1);

/** A small deterministic generator (the same data on every run and backend). */
function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const blobOf = (n: number): string => n.toString(16).padStart(64, '0');
const scorecard = (scores: Record<string, number>): unknown => ({
  overall: scores['overall'],
  pillars: Object.fromEntries(
    Object.entries(scores).map(([k, v]) => [k, { score: v, reason: 'measured' }]),
  ),
});

/** Adds and scores `n` candidates one at a time; returns the milliseconds it took. */
async function insertAndScore(store: Store, n: number): Promise<number> {
  const random = seeded(11);
  const session = await store.createSession({ title: 'bench', brief: { version: 1 } });
  const round = await store.startRound(session.id, {
    briefVersion: 1,
    engine: 'local',
    count: n,
    seed: 1,
    nudges: [],
  });
  const began = performance.now();
  for (let i = 0; i < n; i++) {
    const candidate = await store.addCandidate(round.id, {
      index: i,
      engine: 'local',
      seed: i,
      parameters: { steps: 24, cfg: 4.5, width: 1024, height: 1344 },
      provenance: { prompt: 'a weathered fisherman, soft window light, 85mm', engine: 'local' },
      image: blobOf(i + 1),
    });
    const scores = Object.fromEntries(scoreNames.map((p) => [p, random()]));
    await store.setScorecard(candidate.id, scorecard(scores), scores);
  }
  return performance.now() - began;
}

/** Column values of candidates [from, to) spread over `rounds`, with picks on every 7th. */
function candidateRows(
  from: number,
  to: number,
  rounds: readonly { id: string; sessionId: string }[],
): { columns: unknown[][]; picks: unknown[][] } {
  const random = seeded(from + 1);
  const columns: unknown[][] = Array.from({ length: 12 + scoreNames.length }, () => []);
  const picks: unknown[][] = [[], [], [], []];
  for (let i = from; i < to; i++) {
    const round = rounds[i % rounds.length] ?? { id: '', sessionId: '' };
    const scores = scoreNames.map(() => Math.round(random() * 1000) / 1000);
    const at = new Date(start + i * 1000).toISOString();
    const id = `c${i}`;
    const values = [
      id,
      round.id,
      round.sessionId,
      Math.floor(i / rounds.length),
      i % 3 === 0 ? 'comfyui' : 'local',
      i,
      JSON.stringify({ steps: 24, cfg: 4.5 }),
      JSON.stringify({ prompt: 'a weathered fisherman', index: i }),
      blobOf(i + 1),
      null,
      JSON.stringify(scorecard(Object.fromEntries(scoreNames.map((n, j) => [n, scores[j] ?? 0])))),
      ...scores,
      at,
    ];
    values.forEach((v, c) => columns[c]?.push(v));
    if (i % 7 === 0) {
      picks[0]?.push(id);
      picks[1]?.push(i % 2 === 0 ? 'pick' : 'reject');
      picks[2]?.push((i % 5) + 1);
      picks[3]?.push(at);
    }
  }
  return { columns, picks };
}

const candidateInsertColumns = `id, round_id, session_id, idx, engine, seed, parameters, provenance,
  image, blueprint, scorecard, ${scoreNames.map((n) => `score_${n}`).join(', ')}, created_at`;

/** Sessions and rounds made through the store, to hang bulk candidates on. */
async function roundsFor(
  store: Store,
  count: number,
): Promise<{ id: string; sessionId: string }[]> {
  const rounds: { id: string; sessionId: string }[] = [];
  for (let s = 0; s < 10; s++) {
    const session = await store.createSession({ title: `bulk ${s}`, brief: { version: 1 } });
    for (let r = 0; r < count / 10; r++) {
      const round = await store.startRound(session.id, {
        briefVersion: 1,
        engine: 'local',
        count: 1000,
        seed: r,
        nudges: [],
      });
      rounds.push({ id: round.id, sessionId: session.id });
    }
  }
  return rounds;
}

function bulkSqlite(
  file: string,
  from: number,
  to: number,
  rounds: readonly { id: string; sessionId: string }[],
): void {
  const db = new Database(file);
  try {
    const { columns, picks } = candidateRows(from, to, rounds);
    const insert = db.prepare(
      `INSERT INTO candidates (${candidateInsertColumns}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    const pick = db.prepare(
      'INSERT INTO picks (candidate_id, verdict, stars, note, updated_at) VALUES (?, ?, ?, NULL, ?)',
    );
    db.transaction(() => {
      for (let r = 0; r < to - from; r++) insert.run(...columns.map((c) => c[r]));
      for (let r = 0; r < (picks[0]?.length ?? 0); r++) pick.run(...picks.map((c) => c[r]));
    })();
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
}

async function bulkPostgres(
  connectionString: string,
  schema: string,
  from: number,
  to: number,
  rounds: readonly { id: string; sessionId: string }[],
): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  const types = [
    'text',
    'text',
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
  try {
    await client.query(`SET search_path TO ${schema}`);
    await client.query('BEGIN');
    for (let chunk = from; chunk < to; chunk += 10_000) {
      const { columns, picks } = candidateRows(chunk, Math.min(to, chunk + 10_000), rounds);
      // JSON travels as text[] and is cast per row (there is no json[] parameter worth building).
      const arrays = types.map((t, i) => `$${i + 1}::${t === 'json' ? 'text' : t}[]`).join(', ');
      const select = types.map((t, i) => (t === 'json' ? `c${i}::json` : `c${i}`)).join(', ');
      await client.query(
        `INSERT INTO candidates (${candidateInsertColumns})
         SELECT ${select} FROM unnest(${arrays}) AS u(${types.map((_, i) => `c${i}`).join(', ')})`,
        columns,
      );
      await client.query(
        `INSERT INTO picks (candidate_id, verdict, stars, note, updated_at)
         SELECT c, v, s, NULL, t FROM unnest($1::text[], $2::text[], $3::integer[], $4::timestamptz[]) AS u(c, v, s, t)`,
        picks,
      );
    }
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/** The searches timed: the CLI's example, newest first, a pillar band, the artist's favourites. */
function searches(size: number): Record<string, CandidateQuery> {
  return {
    'newest 50': {},
    'expression>=0.8 comfyui since 30% by overall': {
      pillars: { expression: { gte: 0.8 } },
      engine: 'comfyui',
      since: new Date(start + Math.floor(size * 0.7) * 1000),
      orderBy: 'overall',
    },
    'light 0.4..0.6 by light': { pillars: { light: { gte: 0.4, lte: 0.6 } }, orderBy: 'light' },
    'picks with 4+ stars': { verdict: 'pick', minStars: 4 },
  };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function timeSearches(
  label: string,
  store: Store,
  size: number,
  figures: Figure[],
  details: Record<string, unknown>,
): Promise<void> {
  for (const [name, query] of Object.entries(searches(size))) {
    let found = 0;
    const times = await sample(
      async () => {
        found = (await store.searchCandidates(query)).length;
      },
      { warmup: 10, runs: 200 },
    );
    figures.push(figure(`${label} ${size / 1000}k: ${name} p50`, percentile(times, 50), 'ms'));
    figures.push(figure(`${label} ${size / 1000}k: ${name} p99`, percentile(times, 99), 'ms'));
    details[`${label} ${size / 1000}k ${name} rows`] = found;
  }
}

export async function benchLibrary(): Promise<BenchResult> {
  const folder = await mkdtemp(join(tmpdir(), 'portraitist-bench-library-'));
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { insertCount };
  const server = await postgresForTests();
  details['postgres'] = server.embedded ? 'embedded' : 'local server';
  try {
    // Insert + score, one candidate at a time, each in its own commit(s).
    for (const sync of ['FULL', 'NORMAL'] as const) {
      const store = openSqliteStore({
        file: join(folder, `insert-${sync}.sqlite`),
        synchronous: sync,
      });
      const ms = await insertAndScore(store, insertCount);
      await store.close();
      figures.push(figure(`sqlite (${sync}) insert+score 10k`, ms / 1000, 's'));
      figures.push(
        figure(`sqlite (${sync}) insert+score`, insertCount / (ms / 1000), 'candidates/s'),
      );
    }
    {
      const store = await openPostgresStore({
        connectionString: server.connectionString,
        schema: 'bench_insert',
      });
      const ms = await insertAndScore(store, insertCount);
      await store.close();
      figures.push(figure('postgres insert+score 10k', ms / 1000, 's'));
      figures.push(figure('postgres insert+score', insertCount / (ms / 1000), 'candidates/s'));
    }

    // Search at 10k, then grow the same library to 100k.
    const sqliteFile = join(folder, 'search.sqlite');
    const sqlite = openSqliteStore({ file: sqliteFile, synchronous: 'NORMAL' });
    const postgres = await openPostgresStore({
      connectionString: server.connectionString,
      schema: 'bench_search',
    });
    try {
      const sqliteRounds = await roundsFor(sqlite, 100);
      const pgRounds = await roundsFor(postgres, 100);
      let filled = 0;
      for (const size of searchSizes) {
        let began = performance.now();
        bulkSqlite(sqliteFile, filled, size, sqliteRounds);
        details[`sqlite bulk fill to ${size / 1000}k ms`] = Math.round(performance.now() - began);
        began = performance.now();
        await bulkPostgres(server.connectionString, 'bench_search', filled, size, pgRounds);
        details[`postgres bulk fill to ${size / 1000}k ms`] = Math.round(performance.now() - began);
        filled = size;
        await timeSearches('sqlite', sqlite, size, figures, details);
        await timeSearches('postgres', postgres, size, figures, details);
      }
    } finally {
      await sqlite.close();
      await postgres.close();
    }
  } finally {
    await server.close();
    await rm(folder, { recursive: true, force: true });
  }
  return { bench: 'library', figures, details };
}
