// What a session's stored rounds mean: each round's ranking (by the artist's taste where the
// round was made with it), whether the goal was met, and the next round's brief and nudges. It
// is computed from the library alone, so a resumed run decides exactly as the first one did.
import { z } from 'zod';
import { applyNudges, applyPatch, validateBrief, type Brief, type Nudge } from '../brief/index.js';
import {
  critique,
  learnTaste,
  rank,
  reweigh,
  type CriticPillar,
  type CritiqueReferences,
  type Ranking,
  type Scorecard,
  type Taste,
  type TasteProfile,
} from '../critic/index.js';
import { PortraitistError, isPortraitistError } from '../errors/index.js';
import type { CandidateRecord, RoundRecord, SessionDetail, Store } from '../library/index.js';
import type { Blueprint } from '../vision/index.js';
import { blueprintModelVersion } from './session.js';

// Stored JSON is checked for the fields the studio reads; the critic and brief own the rest.
const scorecardSchema = z.looseObject({
  source: z.string(),
  overall: z.number(),
  pillars: z.array(
    z.looseObject({
      pillar: z.string(),
      score: z.number(),
      wanted: z.string(),
      measured: z.string(),
      reason: z.string(),
    }),
  ),
  flags: z.array(z.string()),
  nudges: z.array(
    z.looseObject({ rule: z.string(), message: z.string(), patch: z.array(z.unknown()) }),
  ),
});

const tasteEntrySchema = z.strictObject({
  kind: z.literal('taste'),
  explanation: z.string(),
  weights: z.record(z.string(), z.number()),
});

/** The taste a round was ranked with, as stored among its nudges. */
export type RoundTaste = z.output<typeof tasteEntrySchema>;

/** A stored scorecard, checked; LIBRARY_CORRUPT naming the candidate when it is not one. */
export function storedScorecard(candidate: CandidateRecord): Scorecard {
  const parsed = scorecardSchema.safeParse(candidate.scorecard);
  if (!parsed.success)
    throw new PortraitistError(
      'LIBRARY_CORRUPT',
      `candidate ${candidate.id} has no readable scorecard`,
      { issues: [{ path: 'scorecard', message: 'expected a scorecard as the critic writes it' }] },
    );
  return parsed.data as unknown as Scorecard;
}

/** A stored brief version, validated. */
export function storedBrief(detail: SessionDetail, version: number): Brief {
  const found = detail.briefVersions.find((v) => v.version === version);
  if (found === undefined)
    throw new PortraitistError(
      'LIBRARY_CORRUPT',
      `session ${detail.id} has no brief version ${version}`,
    );
  return validateBrief(found.brief);
}

/** A round's nudges (those applied to make its brief) and the taste it was ranked with. */
export function roundNudges(round: RoundRecord): { nudges: Nudge[]; taste?: RoundTaste } {
  const nudges: Nudge[] = [];
  let taste: RoundTaste | undefined;
  for (const entry of round.nudges) {
    const asTaste = tasteEntrySchema.safeParse(entry);
    if (asTaste.success) taste = asTaste.data;
    else nudges.push(entry as Nudge);
  }
  return taste === undefined ? { nudges } : { nudges, taste };
}

/** A round's ranking; each ranked entry names its candidate. */
export interface RoundOutcome {
  readonly ranking: Ranking;
  readonly ranked: ReadonlyArray<{
    readonly candidate: CandidateRecord;
    readonly scorecard: Scorecard;
    readonly rank: number;
  }>;
  readonly taste?: RoundTaste;
}

/** Ranks a finished round's candidates, by the artist's taste when the round was made with it. */
export function roundOutcome(
  round: RoundRecord,
  candidates: readonly CandidateRecord[],
): RoundOutcome {
  const mine = candidates.filter((c) => c.roundId === round.id && c.scorecard !== null);
  const bySource = new Map(mine.map((c) => [storedScorecard(c).source, c]));
  const { taste } = roundNudges(round);
  const cards = mine.map(storedScorecard);
  // rankByTaste's own steps, with the weights stored when the round was planned.
  const ranking =
    taste === undefined
      ? rank(cards)
      : (() => {
          const weights = taste.weights as Record<CriticPillar, number>;
          const plain = rank(cards.map((card) => reweigh(card, weights)));
          return { ...plain, summary: `${taste.explanation} — ${plain.summary}` };
        })();
  const ranked = ranking.candidates.flatMap((r) => {
    const candidate = bySource.get(r.scorecard.source);
    return candidate === undefined ? [] : [{ candidate, scorecard: r.scorecard, rank: r.rank }];
  });
  return taste === undefined ? { ranking, ranked } : { ranking, ranked, taste };
}

/** Where a finished round leaves the session: its own best and the standing best after it. */
export interface RoundStanding {
  readonly round: RoundRecord;
  /** The round's top candidate's overall score (as ranked), null when none was scored. */
  readonly best: number | null;
  /**
   * The round's best fell below the standing best before it: the nudges that made its brief are
   * reverted, and the next round starts again from the standing round's brief.
   */
  readonly reverted: boolean;
  /** The best round so far, this one included (the latest of equals: a nudge that did no harm stays). */
  readonly standing: { readonly round: RoundRecord; readonly overall: number };
}

/** Each finished round's standing, in round order (rounds with no scored candidate are left out). */
export function roundStandings(detail: SessionDetail): RoundStanding[] {
  const done = detail.rounds.filter((r) => r.status === 'done').sort((a, b) => a.number - b.number);
  const out: RoundStanding[] = [];
  let standing: RoundStanding['standing'] | undefined;
  for (const round of done) {
    const top = roundOutcome(round, detail.candidates).ranked[0];
    if (top === undefined) continue;
    const best = top.scorecard.overall;
    const reverted = standing !== undefined && best < standing.overall;
    if (!reverted) standing = { round, overall: best };
    out.push({ round, best, reverted, standing: standing ?? { round, overall: best } });
  }
  return out;
}

/** The next round's brief, the nudges that made it (taste entry included) and its explanation. */
export interface NextRound {
  readonly brief: Brief;
  readonly nudges: readonly unknown[];
  readonly taste?: string;
  /** The round whose brief this one starts from: the standing best (a revert when not `last`). */
  readonly from: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The value at a dotted patch path (`light.key`, `references[0].weight`), undefined if absent. */
function valueAt(brief: Brief, path: string): unknown {
  let node: unknown = brief;
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    const key = match[2] !== undefined ? Number(match[2]) : match[1];
    if (key === undefined) return undefined;
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isRecord(node) && typeof key === 'string') node = node[key];
    else return undefined;
  }
  return node;
}

/** Steps smaller than this (on the brief's own scales) are not worth a round of their own. */
const SMALLEST_STEP = 0.02;

/** Half way from `from` to `to` for numbers (and numeric fields of objects); undefined if no step. */
function halfway(from: unknown, to: unknown): unknown {
  if (typeof from === 'number' && typeof to === 'number') {
    const mid = Math.round(((from + to) / 2) * 100) / 100;
    return Math.abs(mid - from) >= SMALLEST_STEP && mid !== to ? mid : undefined;
  }
  if (isRecord(from) && isRecord(to)) {
    let moved = false;
    const out: Record<string, unknown> = { ...to };
    for (const [key, value] of Object.entries(to)) {
      const half = halfway(from[key], value);
      if (half !== undefined) {
        out[key] = half;
        moved = true;
      } else if (typeof value === 'number' && typeof from[key] === 'number') out[key] = from[key];
    }
    return moved ? out : undefined;
  }
  return undefined;
}

/** A nudge's numeric settings taken half way from `base` (null when nothing numeric moves). */
export function halfStep(nudge: Nudge, base: Brief): Nudge | null {
  const patch = nudge.patch.flatMap((op) => {
    if (op.op !== 'set') return [];
    const half = halfway(valueAt(base, op.path), op.value);
    return half === undefined ? [] : [{ op: 'set' as const, path: op.path, value: half }];
  });
  if (patch.length === 0) return null;
  const message = nudge.message.startsWith('Half a step: ')
    ? nudge.message
    : `Half a step: ${nudge.message}`;
  return { ...nudge, message, patch };
}

/**
 * The critic's nudges for a round's candidates, best first, judged against the brief the round
 * was made with (the stored scorecards are judged against the session's first brief, whose
 * nudges would set what the round already asked for). A candidate whose blueprint is not cached
 * gives its stored scorecard's nudges.
 */
async function roundShortfalls(
  store: Store,
  outcome: RoundOutcome,
  brief: Brief,
  references: CritiqueReferences,
): Promise<Nudge[]> {
  const nudges: Nudge[] = [];
  for (const { candidate, scorecard } of outcome.ranked) {
    const blueprint = (await store.cachedBlueprint(candidate.image, blueprintModelVersion)) as
      Blueprint | null | undefined;
    nudges.push(
      ...(blueprint === undefined || blueprint === null
        ? scorecard.nudges
        : critique(blueprint, brief, references).nudges),
    );
  }
  return nudges;
}

const fromTaste = (nudge: Nudge): boolean => nudge.rule.startsWith('taste.');

/**
 * Plans the round after `last` (met: null, judged on the standing best). A round never ends
 * below the best before it: when `last` came out worse than the standing best, its nudges are
 * reverted and the next round starts from the standing round's brief with the next nudge not yet
 * tried from there, or, when every one was, half a step of the last try (the standing brief again,
 * on new seeds, when nothing is left to halve). Otherwise it follows the two most costly
 * shortfalls (the best candidate's first, one nudge per rule). Where the artist has marked
 * candidates in the session, their taste (critic/taste.ts) retargets the brief and re-weighs the
 * next ranking.
 */
export async function planNextRound(input: {
  readonly store: Store;
  readonly detail: SessionDetail;
  readonly last: RoundRecord;
  readonly goal: number;
  readonly references: CritiqueReferences;
  /** The artist's profile: the prior the session's picks are learnt against. */
  readonly profile?: TasteProfile;
}): Promise<NextRound | null> {
  const { detail, last } = input;
  const standings = roundStandings(detail).filter((s) => s.round.number <= last.number);
  const here = standings[standings.length - 1];
  if (here === undefined || here.round.id !== last.id) return null; // nothing scored to go on
  if (here.standing.overall >= input.goal) return null;
  const base = here.standing.round;
  const baseBrief = storedBrief(detail, base.briefVersion);
  const shortfalls = await roundShortfalls(
    input.store,
    roundOutcome(base, detail.candidates),
    baseBrief,
    input.references,
  );
  const byRule = new Map<string, Nudge>();
  for (const nudge of shortfalls) if (!byRule.has(nudge.rule)) byRule.set(nudge.rule, nudge);
  let picked: Nudge[];
  if (!here.reverted) picked = [...byRule.values()].slice(0, 2);
  else {
    // Every round since the standing one started from its brief: their nudges are the tries.
    const tries = standings
      .filter((s) => s.round.number > base.number)
      .map((s) => roundNudges(s.round).nudges.filter((n) => !fromTaste(n)));
    const tried = new Set(tries.flat().map((n) => n.rule));
    const untried = [...byRule.values()].find((n) => !tried.has(n.rule));
    const halves = (tries[tries.length - 1] ?? []).flatMap((n) => {
      const half = halfStep(n, baseBrief);
      return half === null ? [] : [half];
    });
    picked = untried !== undefined ? [untried] : halves;
  }
  let brief = baseBrief;
  let nudges: unknown[] = [];
  try {
    brief = applyNudges(baseBrief, picked);
    nudges = picked;
  } catch (error) {
    if (!isPortraitistError(error)) throw error;
  }
  const from = base.number;
  const taste = await sessionTaste({
    store: input.store,
    detail,
    brief,
    references: input.references,
    ...(input.profile === undefined ? {} : { profile: input.profile }),
  });
  if (taste === null) return { brief, nudges, from };
  if (taste.patch.length > 0) brief = applyPatch(brief, taste.patch);
  return {
    brief,
    nudges: [
      ...nudges,
      ...taste.nudges,
      { kind: 'taste', explanation: taste.explanation, weights: taste.weights },
    ],
    taste: taste.explanation,
    from,
  };
}

/**
 * What the artist's marks in a session teach, judged against `brief` (null when nothing is
 * marked). Every scored candidate is judged again against `brief` where its blueprint is cached.
 */
export async function sessionTaste(input: {
  readonly store: Store;
  readonly detail: SessionDetail;
  readonly brief: Brief;
  readonly references: CritiqueReferences;
  readonly profile?: TasteProfile;
}): Promise<Taste | null> {
  const { detail, brief } = input;
  const marked = detail.candidates.filter((c) => c.pick !== null && c.scorecard !== null);
  if (marked.length === 0) return null;
  // Every scored candidate is judged again against the brief the next round starts from.
  const rounds = new Map(detail.rounds.map((r) => [r.id, r.number]));
  const seen = await Promise.all(
    detail.candidates
      .filter((c) => c.scorecard !== null)
      .map(async (c) => {
        const blueprint = (await input.store.cachedBlueprint(c.image, blueprintModelVersion)) as
          Blueprint | undefined;
        const scorecard =
          blueprint === undefined || blueprint === null
            ? storedScorecard(c)
            : critique(blueprint, brief, input.references);
        return {
          id: c.id,
          round: rounds.get(c.roundId) ?? 0,
          scorecard,
          ...(blueprint === undefined || blueprint === null ? {} : { blueprint }),
        };
      }),
  );
  return learnTaste({
    brief,
    candidates: seen,
    references: input.references,
    ...(input.profile === undefined ? {} : { profile: input.profile }),
    picks: marked.map((c) => ({
      candidate: c.id,
      ...(c.pick?.verdict === null || c.pick?.verdict === undefined
        ? {}
        : { verdict: c.pick.verdict }),
      ...(c.pick?.stars === null || c.pick?.stars === undefined ? {} : { stars: c.pick.stars }),
      ...(c.pick?.note === null || c.pick?.note === undefined ? {} : { note: c.pick.note }),
    })),
  });
}
