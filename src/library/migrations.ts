// The library's schema as numbered migrations, one text per database. A migration is never
// edited once released: a change is a new number. Each store records what it applied in
// `migrations` and refuses a database with a number it does not know (written by a newer build).
import { scoreNames } from './types.js';

/** One schema step, in SQLite's and PostgreSQL's words. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

const scoreColumns = (type: string): string =>
  scoreNames.map((n) => `score_${n} ${type} CHECK (score_${n} BETWEEN 0 AND 1)`).join(',\n  ');

// Times are ISO-8601 text in SQLite (they sort as text) and timestamptz in PostgreSQL. JSON is
// text in SQLite and `json` (not jsonb) in PostgreSQL: `json` keeps the text as written, so key
// order and number spelling read back exactly.
const tables = (t: {
  time: string;
  json: string;
  big: string;
  real: string;
  serial: string;
}): string => `
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  created_at ${t.time} NOT NULL,
  updated_at ${t.time} NOT NULL,
  latest_brief_version INTEGER NOT NULL
);
CREATE TABLE brief_versions (
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  version INTEGER NOT NULL CHECK (version >= 1),
  brief ${t.json} NOT NULL,
  note TEXT,
  created_at ${t.time} NOT NULL,
  PRIMARY KEY (session_id, version)
);
CREATE TABLE refs (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  blob TEXT NOT NULL,
  created_at ${t.time} NOT NULL
);
CREATE INDEX refs_session ON refs (session_id, created_at);
CREATE TABLE blueprints (
  blob TEXT NOT NULL,
  model_version TEXT NOT NULL,
  blueprint ${t.json} NOT NULL,
  created_at ${t.time} NOT NULL,
  PRIMARY KEY (blob, model_version)
);
CREATE TABLE rounds (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  number INTEGER NOT NULL CHECK (number >= 1),
  brief_version INTEGER NOT NULL,
  engine TEXT NOT NULL,
  count INTEGER NOT NULL,
  seed ${t.big} NOT NULL,
  nudges ${t.json} NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  started_at ${t.time} NOT NULL,
  finished_at ${t.time},
  UNIQUE (session_id, number),
  FOREIGN KEY (session_id, brief_version) REFERENCES brief_versions (session_id, version)
);
CREATE TABLE remote_jobs (
  seq ${t.serial},
  round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  engine TEXT NOT NULL,
  kind TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at ${t.time} NOT NULL,
  UNIQUE (round_id, engine, kind, job_id)
);
CREATE TABLE candidates (
  id TEXT PRIMARY KEY,
  round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  engine TEXT NOT NULL,
  seed ${t.big} NOT NULL,
  parameters ${t.json} NOT NULL,
  provenance ${t.json} NOT NULL,
  image TEXT NOT NULL,
  blueprint ${t.json},
  scorecard ${t.json},
  ${scoreColumns(t.real)},
  created_at ${t.time} NOT NULL,
  UNIQUE (round_id, idx)
);
CREATE TABLE picks (
  candidate_id TEXT PRIMARY KEY REFERENCES candidates(id) ON DELETE CASCADE,
  verdict TEXT CHECK (verdict IN ('pick', 'reject')),
  stars INTEGER CHECK (stars BETWEEN 1 AND 5),
  note TEXT,
  updated_at ${t.time} NOT NULL
);
CREATE TABLE profiles (
  name TEXT PRIMARY KEY,
  profile ${t.json} NOT NULL,
  updated_at ${t.time} NOT NULL
);
`;

// Search: newest first, by engine, by session, and by each score (highest first, unscored last,
// which is how SQLite's DESC already sorts; PostgreSQL needs the index to say NULLS LAST).
const searchIndexes = (scoreOrder: string): string => `
CREATE INDEX candidates_created ON candidates (created_at);
CREATE INDEX candidates_engine ON candidates (engine, created_at);
CREATE INDEX candidates_session ON candidates (session_id, created_at);
${scoreNames.map((n) => `CREATE INDEX candidates_score_${n} ON candidates (score_${n} ${scoreOrder}, created_at DESC, id DESC);`).join('\n')}
CREATE INDEX picks_verdict ON picks (verdict, stars);
CREATE INDEX sessions_updated ON sessions (updated_at);
`;

/** Every migration, in order; versions are 1..n with no gaps. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, briefs, references, rounds, candidates, picks, profiles',
    sqlite: tables({
      time: 'TEXT',
      json: 'TEXT',
      big: 'INTEGER',
      real: 'REAL',
      serial: 'INTEGER PRIMARY KEY',
    }),
    postgres: tables({
      time: 'TIMESTAMPTZ',
      json: 'JSON',
      big: 'BIGINT',
      real: 'DOUBLE PRECISION',
      serial: 'BIGSERIAL PRIMARY KEY',
    }),
  },
  {
    version: 2,
    name: 'search indexes',
    sqlite: searchIndexes('DESC'),
    postgres: searchIndexes('DESC NULLS LAST'),
  },
  {
    // What a run needs to be resumed (rounds, count, target, goal, engine, seed...), as JSON.
    version: 3,
    name: 'session run settings',
    sqlite: 'ALTER TABLE sessions ADD COLUMN settings TEXT;',
    postgres: 'ALTER TABLE sessions ADD COLUMN settings JSON;',
  },
];

/** The newest schema version this build knows. */
export const schemaVersion = migrations.length;
