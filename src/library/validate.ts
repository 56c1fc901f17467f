// Checks at the library's boundary, shared by both stores: inputs are refused with a typed error
// naming the field, rows read back are re-checked so a damaged database is reported, not trusted.
import { z } from 'zod';
import { PortraitistError, formatPath, type Issue } from '../errors/index.js';
import {
  scoreNames,
  type BlobId,
  type CandidateInput,
  type CandidateQuery,
  type PickInput,
  type ScoreName,
  type Scores,
} from './types.js';

const blobIdPattern = /^[0-9a-f]{64}$/;

/** Describes a received value in a few words for an error message. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What a zod issue wanted, in a few words ("a number at most 10000"). */
function wantedBy(issue: z.core.$ZodIssue): string {
  const raw = issue as unknown as Record<string, unknown>;
  const bound = (word: string): string => {
    const limit = String(raw['maximum'] ?? raw['minimum']);
    const origin = raw['origin'];
    if (origin === 'string') return `a text of ${word} ${limit} characters`;
    if (origin === 'array') return `a list of ${word} ${limit} items`;
    return `a number ${word} ${limit}`;
  };
  switch (issue.code) {
    case 'too_big':
      return bound('at most');
    case 'too_small':
      return bound('at least');
    case 'invalid_type':
      return `${String(raw['expected'])}${raw['expected'] === 'int' ? 'eger' : ''}`.replace(
        /^(number|string|boolean|integer|object|array)$/,
        (t) => (t === 'integer' || t === 'object' || t === 'array' ? `an ${t}` : `a ${t}`),
      );
    case 'invalid_value':
      return `one of ${((raw['values'] as unknown[] | undefined) ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Turns zod issues into "expected X for `field` but received Y" issues under `prefix`. */
function issuesOf(
  error: z.ZodError,
  input: unknown,
  prefix: readonly PropertyKey[],
  expected: (path: string) => string | undefined,
): Issue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => {
        const path = formatPath([...prefix, ...issue.path, key]);
        return { path, message: `unknown field \`${path}\` (there is no such field)` };
      });
    const path = formatPath([...prefix, ...issue.path]);
    const wanted = expected(path) ?? wantedBy(issue);
    return {
      path,
      message: `expected ${wanted} for \`${path}\` but received ${describe(valueAt(input, issue.path))}`,
    };
  });
}

/** Parses `input` with `schema` or throws LIBRARY_INVALID naming every offending field. */
export function checkInput<T>(
  schema: z.ZodType<T>,
  input: unknown,
  what: string,
  options: { prefix?: readonly PropertyKey[]; expected?: Record<string, string> } = {},
): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error, input, options.prefix ?? [], (path) => {
    const key = Object.keys(options.expected ?? {}).find(
      (k) => path === k || path.endsWith(`.${k}`),
    );
    return key === undefined ? undefined : options.expected?.[key];
  });
  throw new PortraitistError('LIBRARY_INVALID', `${what}: ${issues[0]?.message ?? 'invalid'}`, {
    issues,
  });
}

/** Throws LIBRARY_INVALID unless `id` is a blob id (64 lowercase hex), so no path can be built from junk. */
export function checkBlobId(id: unknown, field = 'blob'): BlobId {
  if (typeof id === 'string' && blobIdPattern.test(id)) return id;
  const message = `expected a blob id (64 lowercase hex digits) for \`${field}\` but received ${describe(id)}`;
  throw new PortraitistError('LIBRARY_INVALID', message, { issues: [{ path: field, message }] });
}

/**
 * Serialises a JSON value for a JSON column, refusing what would not read back equal
 * (undefined, NaN, Infinity, functions, class instances such as Date or Map, cycles).
 */
export function toJsonText(value: unknown, field: string): string {
  const problem = jsonProblem(value, [], new Set());
  if (problem !== undefined) {
    const path = formatPath([field, ...problem.path]);
    const message = `expected a JSON value for \`${path}\` but received ${problem.received}`;
    throw new PortraitistError('LIBRARY_INVALID', message, { issues: [{ path, message }] });
  }
  return JSON.stringify(value);
}

function jsonProblem(
  value: unknown,
  path: PropertyKey[],
  seen: Set<object>,
): { path: PropertyKey[]; received: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : { path, received: String(value) };
  if (typeof value !== 'object') return { path, received: typeof value };
  if (seen.has(value)) return { path, received: 'a cycle' };
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) return { path: [...path, i], received: 'a hole in a list' };
        const inner = jsonProblem(value[i], [...path, i], seen);
        if (inner !== undefined) return inner;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null)
      return { path, received: `an instance of ${value.constructor?.name ?? 'a class'}` };
    for (const [key, inner] of Object.entries(value)) {
      const problem = jsonProblem(inner, [...path, key], seen);
      if (problem !== undefined) return problem;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}

const name = z.string().min(1).max(500);
const score = z.number().min(0).max(1).nullable();
const scoresSchema = z.strictObject(
  Object.fromEntries(scoreNames.map((n) => [n, score.optional()])) as Record<
    ScoreName,
    z.ZodOptional<typeof score>
  >,
);
const expectedScores = Object.fromEntries(
  scoreNames.map((n) => [n, 'a score from 0 to 1 or null']),
);
const seed = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const index = z.number().int().min(0).max(1_000_000);

/** Checks a scores object; unknown pillars and out-of-range scores are refused. */
export function checkScores(scores: unknown): Scores {
  return checkInput(scoresSchema, scores ?? {}, 'scores', {
    prefix: ['scores'],
    expected: expectedScores,
  });
}

export const sessionInput = z.object({ title: name });
export const referenceInput = z.object({ role: name, name, blob: z.string() });
export const roundInput = z.object({
  briefVersion: z.number().int().min(1),
  engine: name,
  count: z.number().int().min(1).max(10_000),
  seed,
  nudges: z.array(z.unknown()),
});
export const remoteJobInput = z.object({ index, engine: name, kind: name, id: z.string().min(1) });
export const finishInput = z.enum(['done', 'failed', 'cancelled']);

const candidateInputSchema = z.object({
  index,
  engine: name,
  seed,
  parameters: z.unknown(),
  provenance: z.unknown(),
  image: z.string(),
  blueprint: z.unknown().optional(),
  scorecard: z.unknown().optional(),
  scores: z.unknown().optional(),
});

/** A candidate ready for its row: ids checked, JSON serialised, scores filled with nulls. */
export interface CandidateRow {
  readonly index: number;
  readonly engine: string;
  readonly seed: number;
  readonly parameters: string;
  readonly provenance: string;
  readonly image: BlobId;
  readonly blueprint: string | null;
  readonly scorecard: string | null;
  readonly scores: Record<ScoreName, number | null>;
}

export function candidateRow(input: CandidateInput): CandidateRow {
  const c = checkInput(candidateInputSchema, input, 'candidate', {
    expected: {
      index: 'a candidate index from 0',
      seed: 'a whole seed from 0 to 2^53-1',
      engine: 'an engine id',
    },
  });
  return {
    index: c.index,
    engine: c.engine,
    seed: c.seed,
    parameters: toJsonText(c.parameters ?? null, 'parameters'),
    provenance: toJsonText(c.provenance ?? null, 'provenance'),
    image: checkBlobId(c.image, 'image'),
    blueprint: c.blueprint === undefined ? null : toJsonText(c.blueprint, 'blueprint'),
    scorecard: c.scorecard === undefined ? null : toJsonText(c.scorecard, 'scorecard'),
    scores: fullScores(checkScores(c.scores)),
  };
}

/** Every score column, null where not given. */
export function fullScores(scores: Scores): Record<ScoreName, number | null> {
  return Object.fromEntries(scoreNames.map((n) => [n, scores[n] ?? null])) as Record<
    ScoreName,
    number | null
  >;
}

const pickInputSchema = z.strictObject({
  verdict: z.enum(['pick', 'reject']).nullable().optional(),
  stars: z.number().int().min(1).max(5).nullable().optional(),
  note: z.string().max(10_000).nullable().optional(),
});

export function checkPick(input: PickInput): PickInput {
  return checkInput(pickInputSchema, input, 'pick', {
    expected: {
      verdict: '"pick", "reject" or null',
      stars: 'a whole number of stars from 1 to 5 or null',
      note: 'a note of at most 10000 characters or null',
    },
  }) as PickInput;
}

const range = z.strictObject({
  gte: z.number().min(0).max(1).optional(),
  lte: z.number().min(0).max(1).optional(),
});
const queryInputSchema = z.strictObject({
  pillars: z
    .strictObject(
      Object.fromEntries(scoreNames.map((n) => [n, range.optional()])) as Record<
        ScoreName,
        z.ZodOptional<typeof range>
      >,
    )
    .optional(),
  engine: name.optional(),
  since: z.date().optional(),
  sessionId: z.string().min(1).optional(),
  verdict: z.enum(['pick', 'reject']).optional(),
  minStars: z.number().int().min(1).max(5).optional(),
  orderBy: z.enum([...scoreNames, 'createdAt'] as [ScoreName | 'createdAt']).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
});

export function checkQuery(query: CandidateQuery): CandidateQuery {
  return checkInput(queryInputSchema, query, 'search', {
    expected: {
      gte: 'a score from 0 to 1',
      lte: 'a score from 0 to 1',
      minStars: 'a whole number of stars from 1 to 5',
      limit: 'a whole number from 1 to 1000',
      orderBy: `one of ${[...scoreNames, 'createdAt'].join(', ')}`,
    },
  }) as CandidateQuery;
}

/** Throws LIBRARY_NOT_FOUND naming the missing thing. */
export function notFound(what: string, field: string, id: string): never {
  const message = `expected the id of a stored ${what} for \`${field}\` but received ${describe(id)}`;
  throw new PortraitistError('LIBRARY_NOT_FOUND', `no such ${what} in the library: ${message}`, {
    issues: [{ path: field, message }],
  });
}

/** Parses a row read back, or throws LIBRARY_CORRUPT naming the table and column. */
export function readRow<T>(schema: z.ZodType<T>, row: unknown, table: string): T {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    path: `${table}.${formatPath(i.path)}`,
    message: `${table}.${formatPath(i.path)}: ${i.message}`,
  }));
  throw new PortraitistError(
    'LIBRARY_CORRUPT',
    `a row of ${table} read back is damaged: ${issues[0]?.message ?? ''}`,
    { issues },
  );
}
