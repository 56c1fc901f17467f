// The words of `portraitist library search` (`--pillar expression>=0.8 --since 7d`) read into a
// candidate query, with every bad word named: what the artist typed, and what was expected.
import { PortraitistError, type Issue } from '../errors/index.js';

/** A pillar or the overall score, as the library searches them. */
export type SearchScore =
  'expression' | 'posture' | 'light' | 'aesthetic' | 'authenticity' | 'overall';

const searchScores: readonly SearchScore[] = [
  'expression',
  'posture',
  'light',
  'aesthetic',
  'authenticity',
  'overall',
];

/** The search, in the library's terms. */
export interface LibrarySearch {
  readonly pillars: Partial<Record<SearchScore, { gte?: number; lte?: number }>>;
  readonly engine?: string;
  readonly since?: Date;
  readonly sessionId?: string;
  readonly verdict?: 'pick' | 'reject';
  readonly minStars?: number;
  readonly orderBy?: SearchScore | 'createdAt';
  readonly limit?: number;
}

/** The flags as the CLI (or a query string) gives them. */
export interface LibrarySearchWords {
  readonly pillar?: readonly string[];
  readonly engine?: string;
  readonly since?: string;
  readonly session?: string;
  readonly verdict?: string;
  readonly stars?: string;
  readonly sort?: string;
  readonly limit?: string;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A score: 0..1, or a percentage such as `80%`. */
function readScore(text: string): number | undefined {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const value = percent !== null ? Number(percent[1]) / 100 : Number(text);
  return text !== '' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

/** Reads the search words; every problem is collected, each naming its flag. */
export function parseLibrarySearch(words: LibrarySearchWords, now: Date): LibrarySearch {
  const issues: Issue[] = [];
  const pillars: Partial<Record<SearchScore, { gte?: number; lte?: number }>> = {};
  for (const [i, condition] of (words.pillar ?? []).entries()) {
    const match = /^\s*([a-z]+)\s*(>=|<=|>|<|=)\s*(\S+)\s*$/.exec(condition);
    const name = match?.[1] as SearchScore | undefined;
    const score = match?.[3] === undefined ? undefined : readScore(match[3]);
    if (match === null || name === undefined || !searchScores.includes(name)) {
      issues.push({
        path: `--pillar[${i}]`,
        message: `expected <pillar><op><score> with a pillar of ${searchScores.join(', ')} and an op of >=, <=, =, for \`--pillar\` (e.g. expression>=0.8) but received ${JSON.stringify(condition)}`,
      });
      continue;
    }
    if (score === undefined) {
      issues.push({
        path: `--pillar[${i}]`,
        message: `expected a score from 0 to 1 (or 0% to 100%) for \`--pillar\` but received ${JSON.stringify(match[3])}`,
      });
      continue;
    }
    const range = { ...pillars[name] };
    const op = match[2];
    // Scores are continuous: > and < read as >= and <= (a strict edge would hide equal scores
    // rounded for display).
    if (op === '>=' || op === '>' || op === '=') range.gte = Math.max(range.gte ?? 0, score);
    if (op === '<=' || op === '<' || op === '=') range.lte = Math.min(range.lte ?? 1, score);
    pillars[name] = range;
  }
  let since: Date | undefined;
  if (words.since !== undefined) {
    const relativeMatch = /^(\d+)\s*([mhdw])$/.exec(words.since.trim());
    if (relativeMatch !== null) {
      const unit = relativeMatch[2] as keyof typeof UNIT_MS;
      since = new Date(now.getTime() - Number(relativeMatch[1]) * UNIT_MS[unit]);
    } else if (/^\d{4}-\d{2}-\d{2}/.test(words.since) && !Number.isNaN(Date.parse(words.since))) {
      since = new Date(words.since);
    } else {
      issues.push({
        path: '--since',
        message: `expected an age such as 30m, 12h, 7d or 2w, or a date such as 2026-11-01, for \`--since\` but received ${JSON.stringify(words.since)}`,
      });
    }
  }
  let verdict: 'pick' | 'reject' | undefined;
  if (words.verdict !== undefined) {
    const v = words.verdict.trim().toLowerCase();
    if (v === 'pick' || v === 'picked') verdict = 'pick';
    else if (v === 'reject' || v === 'rejected') verdict = 'reject';
    else
      issues.push({
        path: '--verdict',
        message: `expected pick or reject for \`--verdict\` but received ${JSON.stringify(words.verdict)}`,
      });
  }
  const whole = (text: string | undefined, flag: string, min: number, max: number) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    issues.push({
      path: flag,
      message: `expected a whole number from ${min} to ${max} for \`${flag}\` but received ${JSON.stringify(text)}`,
    });
    return undefined;
  };
  const minStars = whole(words.stars, '--stars', 1, 5);
  const limit = whole(words.limit, '--limit', 1, 1000);
  let orderBy: SearchScore | 'createdAt' | undefined;
  if (words.sort !== undefined) {
    const sort = words.sort.trim().toLowerCase();
    if (sort === 'newest' || sort === 'createdat') orderBy = 'createdAt';
    else if ((searchScores as readonly string[]).includes(sort)) orderBy = sort as SearchScore;
    else
      issues.push({
        path: '--sort',
        message: `expected newest or a score (${searchScores.join(', ')}) for \`--sort\` but received ${JSON.stringify(words.sort)}`,
      });
  }
  if (issues.length > 0) {
    throw new PortraitistError(
      'USAGE',
      `library search: ${issues.length} bad option${issues.length === 1 ? '' : 's'}`,
      { issues },
    );
  }
  // Searching by a pillar without a sort shows the best of that pillar first.
  const firstPillar = Object.keys(pillars)[0] as SearchScore | undefined;
  return {
    pillars,
    ...(words.engine === undefined ? {} : { engine: words.engine }),
    ...(since === undefined ? {} : { since }),
    ...(words.session === undefined ? {} : { sessionId: words.session }),
    ...(verdict === undefined ? {} : { verdict }),
    ...(minStars === undefined ? {} : { minStars }),
    ...(orderBy !== undefined
      ? { orderBy }
      : firstPillar !== undefined
        ? { orderBy: firstPillar }
        : {}),
    ...(limit === undefined ? {} : { limit }),
  };
}
