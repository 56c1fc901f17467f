// The artist profile on a real library (SQLite in a temp folder): sessions marked by a simulated
// artist who prefers expression over light (against the critic's defaults), folded in once each,
// then ranking a new session before it has any picks of its own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateBrief, type Brief } from '../brief/index.js';
import {
  defaultPillarWeights,
  rank,
  reweigh,
  type CriticPillar,
  type Scorecard,
} from '../critic/index.js';
import { openStudioLibrary, type OpenedLibrary } from './library-access.js';
import {
  catchUpArtistProfile,
  learnArtistProfile,
  loadArtistProfile,
  profileRanking,
} from './profile.js';
import type { DirectSettings } from './session-export.js';

const brief: Brief = validateBrief({
  version: 1,
  subject: { description: 'a woman in her thirties, dark hair pinned back' },
  expression: { name: 'closed-lip-half-smile', intensity: 0.7 },
  light: { rig: 'rembrandt' },
  camera: { shot: 'headshot', aperture: 2 },
});

const settings = (profile?: string): DirectSettings => ({
  rounds: 5,
  count: 3,
  target: 'sdxl',
  goal: 1,
  engine: 'local',
  seed: 1,
  stripMetadata: false,
  provenance: 'hashed',
  briefSource: 'brief.yaml',
  ...(profile === undefined ? {} : { profile }),
});

const card = (source: string, scores: Partial<Record<CriticPillar, number>>): Scorecard => ({
  source,
  overall: 0,
  unmeasured: [],
  flags: [],
  nudges: [],
  pillars: Object.entries(scores).map(([pillar, score]) => ({
    pillar: pillar as CriticPillar,
    wanted: '',
    measured: '',
    score,
    reason: '',
    details: {},
  })),
});

/** `a` is best on light and worst on expression, `b` the reverse, `c` between. */
const split = (tag: string) => [
  card(`a${tag}`, { light: 0.9, expression: 0.4 }),
  card(`b${tag}`, { light: 0.3, expression: 0.8 }),
  card(`c${tag}`, { light: 0.6, expression: 0.6 }),
];

let library: OpenedLibrary;
beforeEach(() => {
  library = openStudioLibrary({ ephemeral: true });
});
afterEach(async () => {
  await library.close();
});

/** A session of `rounds` split rounds; the artist picks `b` in each when `marks` is set. */
async function session(options: { profile?: string; rounds: number; marks: boolean }) {
  const { store, blobs } = library;
  const created = await store.createSession({
    title: 'profile test',
    brief,
    settings: settings(options.profile),
  });
  for (let r = 0; r < options.rounds; r++) {
    const round = await store.startRound(created.id, {
      briefVersion: 1,
      engine: 'local',
      count: 3,
      seed: r,
      nudges: [],
    });
    for (const [index, scorecard] of split(`${created.id}-${r}`).entries()) {
      const image = await blobs.put(Buffer.from(`${created.id} ${r} ${index}`));
      const candidate = await store.addCandidate(round.id, {
        index,
        engine: 'local',
        seed: index,
        parameters: {},
        provenance: {},
        image,
        scorecard,
      });
      if (options.marks && index === 1) await store.setPick(candidate.id, { verdict: 'pick' });
    }
    await store.finishRound(round.id, 'done');
  }
  return created.id;
}

describe('artist profile in the library', () => {
  it('folds each marked session in once and ranks a new session by it before it has picks', async () => {
    const first = await session({ profile: 'ana', rounds: 5, marks: true });
    const unmarked = await session({ profile: 'ana', rounds: 1, marks: false });
    const someoneElse = await session({ profile: 'ben', rounds: 3, marks: true });

    const fold = await catchUpArtistProfile(library.store, 'ana');
    expect(fold.learnt).toEqual([{ session: first, picks: 5 }]);
    // A session with no marks yet is left for a later fold; another artist's is not looked at.
    expect(fold.skipped).toEqual([
      { session: unmarked, reason: 'nothing picked, rejected or starred yet' },
    ]);
    expect(fold.profile.learntFrom).toEqual([first]);
    expect(fold.profile.learntFrom).not.toContain(someoneElse);
    const ana = await loadArtistProfile(library.store, 'ana');
    expect(ana.taste.picks).toBe(5);
    expect(ana.taste.pillars.light?.shift).toBeLessThan(0);
    expect(ana.taste.pillars.expression?.shift).toBeGreaterThan(0);

    // Folding again counts nothing twice.
    const again = await learnArtistProfile({
      store: library.store,
      name: 'ana',
      sessions: [first],
    });
    expect(again.learnt).toEqual([]);
    expect(again.skipped).toEqual([{ session: first, reason: 'already in the profile' }]);
    expect((await loadArtistProfile(library.store, 'ana')).taste.picks).toBe(5);

    // A new session's first round, before any pick: the defaults put `a` first, the profile `b`.
    const ranking = profileRanking(ana, brief);
    expect(ranking?.explanation).toBe(
      "ranked by your profile's 5 picks: light weighs less, expression more",
    );
    const cards = split('new');
    expect(
      rank(cards.map((c) => reweigh(c, defaultPillarWeights))).candidates[0]?.scorecard.source,
    ).toBe('anew');
    expect(
      rank(cards.map((c) => reweigh(c, ranking?.weights ?? defaultPillarWeights))).candidates[0]
        ?.scorecard.source,
    ).toBe('bnew');
  });

  it('an empty profile ranks nothing differently, and bad names or stored data are typed errors', async () => {
    const empty = await loadArtistProfile(library.store, 'new-artist');
    expect(empty.taste.picks).toBe(0);
    expect(profileRanking(empty, brief)).toBeUndefined();
    await expect(loadArtistProfile(library.store, '../etc')).rejects.toMatchObject({
      code: 'USAGE',
      issues: [{ path: 'profile' }],
    });
    await library.store.saveProfile('broken', { taste: { version: 9 }, learntFrom: [] });
    await expect(loadArtistProfile(library.store, 'broken')).rejects.toMatchObject({
      code: 'LIBRARY_CORRUPT',
    });
    await expect(
      learnArtistProfile({ store: library.store, name: 'ana', sessions: ['no-such-session'] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', issues: [{ path: 'session' }] });
  });
});
