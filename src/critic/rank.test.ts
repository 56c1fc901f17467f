import { describe, expect, it } from 'vitest';
import { candidateLabel, ordinal, rank } from './rank.js';
import type { Scorecard } from './types.js';

const card = (source: string, overall: number): Scorecard => ({
  source,
  overall,
  pillars: [
    {
      pillar: 'light',
      score: overall,
      wanted: 'loop',
      measured: 'loop',
      reason: 'the key is where the rig puts it',
      details: {},
    },
  ],
  flags: [],
  nudges: [],
  unmeasured: [],
});

describe('one name for a candidate, from the summary to the sheet to the file', () => {
  it('names each candidate as its file is named, whatever its rank', () => {
    const ranking = rank([
      card('round-1/candidate-1.png', 0.5),
      card('round-1/candidate-2.png', 0.9),
      card('round-1/candidate-3.png', 0.7),
    ]);
    expect(ranking.summary).toMatch(/^candidate-2 first: .*; candidate-1 lost on light/);
    expect(ranking.candidates.map((c) => [c.rank, c.scorecard.source])).toEqual([
      [1, 'round-1/candidate-2.png'],
      [2, 'round-1/candidate-3.png'],
      [3, 'round-1/candidate-1.png'],
    ]);
  });

  it('falls back to the position given for bytes without a name', () => {
    expect(candidateLabel(card('<buffer>', 0.5), 3)).toBe('candidate 4');
    expect(candidateLabel(card('C:\\shoot\\take-7.jpg', 0.5), 0)).toBe('take-7');
  });

  it('writes ranks as ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '101st',
      '111th',
    ]);
  });
});
