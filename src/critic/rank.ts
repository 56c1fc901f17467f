// rank(scorecards): best first, each with the reason it stands where it does.
import type { PillarScore, RankedCandidate, Ranking, Scorecard } from './types.js';

/**
 * One name for a candidate from the summary to the contact sheet to the file: its file name
 * without folder or extension (`candidate-2` for round-1/candidate-2.png), or its position in
 * the order given when it has no source.
 */
export function candidateLabel(card: Scorecard, index: number): string {
  const file = card.source.split(/[\\/]/).at(-1) ?? '';
  const name = file.replace(/\.[a-z0-9]+$/i, '');
  return name === '' || card.source === '<buffer>' ? `candidate ${index + 1}` : name;
}

/** A rank as a person says it: 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st. */
export function ordinal(rank: number): string {
  const teen = rank % 100 >= 11 && rank % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][rank % 10] ?? 'th');
  return `${rank}${suffix}`;
}

function strengths(card: Scorecard): string {
  const good = card.pillars.filter((p) => p.score >= 0.75).map((p) => p.pillar);
  if (good.length === 0) return 'best of the batch, though no pillar is fully on brief';
  return `${good.slice(0, 3).join(good.length === 2 ? ' and ' : ', ')} on brief`;
}

function weakness(card: Scorecard): string {
  if (card.flags.length > 0) return `lost on ${card.flags[0]?.replaceAll('-', ' ')}`;
  const worst = [...card.pillars].sort((a, b) => a.score - b.score)[0] as PillarScore | undefined;
  return worst === undefined ? 'nothing measurable' : `lost on ${worst.pillar}: ${worst.reason}`;
}

/** "; could not measure light, expression" for the pillars left unscored. */
function unmeasuredNote(card: Scorecard): string {
  return card.unmeasured.length === 0
    ? ''
    : `; could not measure ${card.unmeasured.map((u) => u.pillar).join(', ')}`;
}

/**
 * Ranks scorecards and explains the order in one line, naming each candidate as its file is
 * named (see {@link candidateLabel}).
 */
export function rank(scorecards: readonly Scorecard[]): Ranking {
  const order = scorecards
    .map((card, index) => ({ card, index }))
    .sort(
      (a, b) =>
        b.card.overall - a.card.overall ||
        a.card.flags.length - b.card.flags.length ||
        a.index - b.index,
    );
  const candidates: RankedCandidate[] = order.map(({ card, index }, position) => ({
    rank: position + 1,
    scorecard: card,
    reason: `${candidateLabel(card, index)} ${position === 0 ? `first: ${strengths(card)}` : `${weakness(card)} (${Math.round(card.overall * 100)}%)`}${unmeasuredNote(card)}`,
  }));
  const first = candidates[0];
  const last = candidates.length > 1 ? candidates[candidates.length - 1] : undefined;
  const summary =
    first === undefined
      ? 'no candidates'
      : last === undefined
        ? first.reason
        : `${first.reason}; ${last.reason}`;
  return { candidates, summary };
}
