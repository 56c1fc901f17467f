// Rows read back from either database, re-checked with zod and mapped to the public records.
// SQLite hands back JSON as text and times as ISO text; PostgreSQL hands back parsed JSON,
// Date objects and bigint as text. A `Dialect` says which, so the mapping is written once.
import { z } from 'zod';
import { readRow } from './validate.js';
import {
  scoreNames,
  type BriefVersionRecord,
  type CandidateQuery,
  type CandidateRecord,
  type PickRecord,
  type ReferenceRecord,
  type RemoteJobRecord,
  type RoundRecord,
  type ScoreName,
  type SessionRecord,
  type Stars,
} from './types.js';

/** How one database returns JSON columns. */
export interface Dialect {
  readonly json: z.ZodType<unknown>;
}

const time = z.union([z.date(), z.string()]).transform((value, ctx) => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: `expected a time but received ${String(value)}` });
    return z.NEVER;
  }
  return date;
});
const int = z
  .union([z.number(), z.string().regex(/^-?\d+$/)])
  .transform(Number)
  .pipe(z.number().int());
const blobId = z.string().regex(/^[0-9a-f]{64}$/);
const score = z.number().min(0).max(1).nullable();

/** JSON stored as text (SQLite): parsed, and a column that does not parse is a damaged row. */
export const textJson: z.ZodType<unknown> = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected JSON text' });
    return z.NEVER;
  }
});

/** JSON parsed by the driver (PostgreSQL `json` columns). */
export const parsedJson: z.ZodType<unknown> = z.unknown();

export interface RowMappers {
  session(row: unknown): SessionRecord;
  briefVersion(row: unknown): BriefVersionRecord;
  reference(row: unknown): ReferenceRecord;
  round(row: unknown): RoundRecord;
  remoteJob(row: unknown): RemoteJobRecord;
  candidate(row: unknown): CandidateRecord;
  pick(row: unknown): PickRecord;
  json(row: unknown, table: string): unknown;
}

/** Builds the row checks and mappers for one dialect. */
export function rowMappers(dialect: Dialect): RowMappers {
  const { json } = dialect;
  const session = z.object({
    id: z.string(),
    title: z.string(),
    created_at: time,
    updated_at: time,
    latest_brief_version: int,
    settings: json.nullable().optional(),
  });
  const briefVersion = z.object({
    session_id: z.string(),
    version: int,
    brief: json,
    note: z.string().nullable(),
    created_at: time,
  });
  const reference = z.object({
    id: z.string(),
    session_id: z.string(),
    role: z.string(),
    name: z.string(),
    blob: blobId,
    created_at: time,
  });
  const round = z.object({
    id: z.string(),
    session_id: z.string(),
    number: int,
    brief_version: int,
    engine: z.string(),
    count: int,
    seed: int,
    nudges: json.pipe(z.array(z.unknown())),
    status: z.enum(['running', 'done', 'failed', 'cancelled']),
    started_at: time,
    finished_at: time.nullable(),
  });
  const remoteJob = z.object({
    idx: int,
    engine: z.string(),
    kind: z.string(),
    job_id: z.string(),
  });
  const verdict = z.enum(['pick', 'reject']).nullable();
  const stars = int.pipe(z.number().min(1).max(5)).nullable();
  const pick = z.object({
    candidate_id: z.string(),
    verdict,
    stars,
    note: z.string().nullable(),
    updated_at: time,
  });
  const candidate = z.object({
    id: z.string(),
    round_id: z.string(),
    session_id: z.string(),
    idx: int,
    engine: z.string(),
    seed: int,
    parameters: json,
    provenance: json,
    image: blobId,
    blueprint: json.nullable(),
    scorecard: json.nullable(),
    ...(Object.fromEntries(scoreNames.map((n) => [`score_${n}`, score])) as Record<
      `score_${ScoreName}`,
      typeof score
    >),
    created_at: time,
    pick_verdict: verdict,
    pick_stars: stars,
    pick_note: z.string().nullable(),
    pick_updated_at: time.nullable(),
  });
  const jsonRow = z.object({ value: json });

  return {
    session(row) {
      const r = readRow(session, row, 'sessions');
      return {
        id: r.id,
        title: r.title,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        latestBriefVersion: r.latest_brief_version,
        settings: r.settings ?? null,
      };
    },
    briefVersion(row) {
      const r = readRow(briefVersion, row, 'brief_versions');
      return {
        sessionId: r.session_id,
        version: r.version,
        brief: r.brief,
        note: r.note,
        createdAt: r.created_at,
      };
    },
    reference(row) {
      const r = readRow(reference, row, 'refs');
      return {
        id: r.id,
        sessionId: r.session_id,
        role: r.role,
        name: r.name,
        blob: r.blob,
        createdAt: r.created_at,
      };
    },
    round(row) {
      const r = readRow(round, row, 'rounds');
      return {
        id: r.id,
        sessionId: r.session_id,
        number: r.number,
        briefVersion: r.brief_version,
        engine: r.engine,
        count: r.count,
        seed: r.seed,
        nudges: r.nudges,
        status: r.status,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
      };
    },
    remoteJob(row) {
      const r = readRow(remoteJob, row, 'remote_jobs');
      return { index: r.idx, engine: r.engine, kind: r.kind, id: r.job_id };
    },
    pick(row) {
      const r = readRow(pick, row, 'picks');
      return {
        candidateId: r.candidate_id,
        verdict: r.verdict,
        stars: r.stars as Stars | null,
        note: r.note,
        updatedAt: r.updated_at,
      };
    },
    candidate(row) {
      const r = readRow(candidate, row, 'candidates');
      const scores = Object.fromEntries(scoreNames.map((n) => [n, r[`score_${n}`]])) as Record<
        ScoreName,
        number | null
      >;
      return {
        id: r.id,
        roundId: r.round_id,
        sessionId: r.session_id,
        index: r.idx,
        engine: r.engine,
        seed: r.seed,
        parameters: r.parameters,
        provenance: r.provenance,
        image: r.image,
        blueprint: r.blueprint,
        scorecard: r.scorecard,
        scores,
        createdAt: r.created_at,
        pick:
          r.pick_updated_at === null
            ? null
            : {
                candidateId: r.id,
                verdict: r.pick_verdict,
                stars: r.pick_stars as Stars | null,
                note: r.pick_note,
                updatedAt: r.pick_updated_at,
              },
      };
    },
    json(row, table) {
      return readRow(jsonRow, row, table).value;
    },
  };
}

/** The candidate columns (with its pick) every candidate query selects. */
export const candidateColumns = `c.id, c.round_id, c.session_id, c.idx, c.engine, c.seed,
  c.parameters, c.provenance, c.image, c.blueprint, c.scorecard,
  ${scoreNames.map((n) => `c.score_${n}`).join(', ')}, c.created_at,
  p.verdict AS pick_verdict, p.stars AS pick_stars, p.note AS pick_note,
  p.updated_at AS pick_updated_at`;

/** FROM clause joining each candidate to its pick. */
export const candidateFrom = 'candidates c LEFT JOIN picks p ON p.candidate_id = c.id';

/** Builds the WHERE / ORDER BY / LIMIT of a search; `param` returns a placeholder for a value. */
export function searchSql(
  query: CandidateQuery,
  param: (value: unknown) => string,
  /** How to say "highest first, unscored last": SQLite's DESC already puts NULL last. */
  descending: 'DESC' | 'DESC NULLS LAST',
): string {
  const where: string[] = [];
  for (const n of scoreNames) {
    const range = query.pillars?.[n];
    if (range === undefined) continue;
    where.push(`c.score_${n} IS NOT NULL`);
    if (range.gte !== undefined) where.push(`c.score_${n} >= ${param(range.gte)}`);
    if (range.lte !== undefined) where.push(`c.score_${n} <= ${param(range.lte)}`);
  }
  if (query.engine !== undefined) where.push(`c.engine = ${param(query.engine)}`);
  if (query.since !== undefined) where.push(`c.created_at >= ${param(query.since)}`);
  if (query.sessionId !== undefined) where.push(`c.session_id = ${param(query.sessionId)}`);
  if (query.verdict !== undefined) where.push(`p.verdict = ${param(query.verdict)}`);
  if (query.minStars !== undefined) where.push(`p.stars >= ${param(query.minStars)}`);
  const orderBy = query.orderBy ?? 'createdAt';
  const order =
    orderBy === 'createdAt'
      ? 'c.created_at DESC, c.id DESC'
      : `c.score_${orderBy} ${descending}, c.created_at DESC, c.id DESC`;
  const limit = param(query.limit ?? 50);
  const offset = param(query.offset ?? 0);
  return `${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
}
