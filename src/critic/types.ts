// The critic's output: a scorecard per candidate, pillar by pillar, and a ranking with reasons.
import type { Nudge } from '../brief/index.js';

/** What the critic scores; `identity` only when the brief has an identity reference. */
export type CriticPillar =
  'expression' | 'posture' | 'light' | 'camera' | 'aesthetic' | 'authenticity' | 'identity';

/** One pillar of a scorecard. */
export interface PillarScore {
  readonly pillar: CriticPillar;
  /** What the brief asked for, in words. */
  readonly wanted: string;
  /** What the photo shows, in words. */
  readonly measured: string;
  /** 0 (missed) .. 1 (on brief). */
  readonly score: number;
  /** One line: why this score. */
  readonly reason: string;
  /** The numbers behind the score. */
  readonly details: Readonly<Record<string, number | string | boolean | null>>;
}

/** Problems that disqualify a candidate whatever its scores. */
export type CriticFlag =
  | 'no-face'
  | 'extra-faces'
  | 'face-too-small'
  | 'plastic-skin'
  | 'soft-eyes'
  | 'identity-mismatch'
  | 'colour-mismatch';

/** A pillar the brief asks for that vision could not measure on this candidate: not scored, no nudge. */
export interface UnmeasuredPillar {
  readonly pillar: CriticPillar;
  readonly wanted: string;
  /** "could not measure …: why". */
  readonly reason: string;
}

/** A candidate measured against the brief. */
export interface Scorecard {
  readonly source: string;
  /** Weighted mean of the pillar scores, lowered by flags. */
  readonly overall: number;
  readonly pillars: readonly PillarScore[];
  readonly flags: readonly CriticFlag[];
  /** Pillars the brief asks for that could not be measured (unsure readings): left out of `overall`. */
  readonly unmeasured: readonly UnmeasuredPillar[];
  /** One fix per shortfall, most important first. */
  readonly nudges: readonly Nudge[];
}

/** A candidate's place in a batch and why. */
export interface RankedCandidate {
  readonly rank: number;
  readonly scorecard: Scorecard;
  readonly reason: string;
}

export interface Ranking {
  readonly candidates: readonly RankedCandidate[];
  /** E.g. "candidate-3 first: expression and light on brief; candidate-1 lost on plastic skin". */
  readonly summary: string;
}
