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

/** The next round's brief, the nudges that made it (taste entry included) and its explanation. */
export interface NextRound {
  readonly brief: Brief;
  readonly nudges: readonly unknown[];
  readonly taste?: string;
}

/**
 * Plans the round after `last` (met: null). Follows the two most costly shortfalls (the best
 * candidate's first, one nudge per rule); where the artist has marked candidates in the session,
 * their taste (critic/taste.ts) retargets the brief and re-weighs the next ranking.
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
  const outcome = roundOutcome(last, detail.candidates);
  const top = outcome.ranked[0];
  if (top === undefined || top.scorecard.overall >= input.goal) return null;
  const byRule = new Map<string, Nudge>();
  for (const nudge of outcome.ranked.flatMap((c) => c.scorecard.nudges))
    if (!byRule.has(nudge.rule)) byRule.set(nudge.rule, nudge);
  const picked = [...byRule.values()].slice(0, 2);
  let brief = storedBrief(detail, last.briefVersion);
  let nudges: unknown[] = [];
  try {
    brief = applyNudges(brief, picked);
    nudges = picked;
  } catch (error) {
    if (!isPortraitistError(error)) throw error;
  }
  const taste = await sessionTaste({
    store: input.store,
    detail,
    brief,
    references: input.references,
    ...(input.profile === undefined ? {} : { profile: input.profile }),
  });
  if (taste === null) return { brief, nudges };
  if (taste.patch.length > 0) brief = applyPatch(brief, taste.patch);
  return {
    brief,
    nudges: [
      ...nudges,
      ...taste.nudges,
      { kind: 'taste', explanation: taste.explanation, weights: taste.weights },
    ],
    taste: taste.explanation,
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
