import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNudges, validateBrief, type Brief, type Nudge } from '../brief/index.js';
import type { Scorecard } from '../critic/index.js';
import type { RoundRecord } from '../library/index.js';
import { markdownReport, openStudioLibrary, sessionReport, type OpenedLibrary } from './index.js';
import { halfStep, planNextRound, roundStandings } from './session-plan.js';

// Planning reads only the library: rounds are stored here as a run would store them, with
// scorecards written out (no blueprint cached, so each candidate's stored nudges are its shortfalls).
let library: OpenedLibrary;
beforeAll(() => {
  library = openStudioLibrary({ ephemeral: true });
});
afterAll(async () => {
  await library.close();
});

const first = validateBrief({
  version: 1,
  title: 'Rounds',
  subject: { description: 'a woman in her thirties' },
  expression: { name: 'duchenne-smile', intensity: 0.5 },
  light: { rig: 'rembrandt', side: 'left', fillRatio: 4 },
  camera: { focalLength: 85, aperture: 2.8, shot: 'headshot' },
  output: { target: 'sdxl', count: 2, seed: 1 },
});

const warmer: Nudge = {
  pillar: 'expression',
  rule: 'critic.expression-too-weak',
  severity: 'warning',
  message: 'The smile barely shows: raise the intensity.',
  patch: [{ op: 'set', path: 'expression.intensity', value: 0.9 }],
};
const harder: Nudge = {
  pillar: 'light',
  rule: 'critic.light-too-flat',
  severity: 'warning',
  message: 'The light is flatter than briefed: raise the key-to-fill ratio.',
  patch: [{ op: 'set', path: 'light.fillRatio', value: 8 }],
};
const wider: Nudge = {
  pillar: 'camera',
  rule: 'critic.background-too-sharp',
  severity: 'warning',
  message: 'The background is nearly as sharp as the face: open the aperture.',
  patch: [{ op: 'set', path: 'camera.aperture', value: 1.8 }],
};

const card = (source: string, overall: number, nudges: readonly Nudge[]): Scorecard => ({
  source,
  overall,
  pillars: [
    {
      pillar: 'expression',
      score: overall,
      wanted: 'a smile',
      measured: 'x',
      reason: 'r',
      details: {},
    },
  ],
  flags: [],
  unmeasured: [],
  nudges,
});

/** Stores one finished round: a brief version (when new), its nudges and scored candidates. */
async function storeRound(
  sessionId: string,
  brief: Brief,
  nudges: readonly unknown[],
  scores: ReadonlyArray<readonly [number, readonly Nudge[]]>,
): Promise<RoundRecord> {
  const { store, blobs } = library;
  const detail = await store.getSession(sessionId);
  const same = detail?.briefVersions.find((v) => JSON.stringify(v.brief) === JSON.stringify(brief));
  const version = same?.version ?? (await store.addBriefVersion(sessionId, brief)).version;
  const round = await store.startRound(sessionId, {
    briefVersion: version,
    engine: 'local',
    count: scores.length,
    seed: 1,
    nudges: [...nudges],
  });
  for (const [index, [overall, shortfalls]] of scores.entries()) {
    const image = await blobs.put(new TextEncoder().encode(`${round.id}/${index}`));
    await store.addCandidate(round.id, {
      index,
      engine: 'local',
      seed: index + 1,
      parameters: {},
      provenance: {},
      image,
      scorecard: card(`round-${round.number}/candidate-${index + 1}.png`, overall, shortfalls),
      scores: { overall },
    });
  }
  await store.finishRound(round.id, 'done');
  return (await store.getRound(round.id)) ?? round;
}

async function newSession(): Promise<string> {
  return (await library.store.createSession({ title: 'rounds', brief: first })).id;
}

const plan = async (sessionId: string, last: RoundRecord, goal = 0.95) =>
  planNextRound({
    store: library.store,
    detail: (await library.store.getSession(sessionId))!,
    last,
    goal,
    references: {},
  });

describe('planNextRound: rounds never end below the standing best', () => {
  it('after a better round it follows that round’s two most costly shortfalls from its brief', async () => {
    const id = await newSession();
    const r1 = await storeRound(
      id,
      first,
      [],
      [
        [0.6, [warmer, harder]],
        [0.5, [wider]],
      ],
    );
    const next = await plan(id, r1);
    expect(next?.from).toBe(1);
    expect(next?.nudges).toEqual([warmer, harder]);
    expect(next?.brief).toEqual(applyNudges(first, [warmer, harder]));
    const second = next?.brief ?? first;
    const r2 = await storeRound(id, second, [warmer, harder], [[0.7, [wider]]]);
    const after = await plan(id, r2);
    expect(after?.from).toBe(2);
    expect(after?.brief).toEqual(applyNudges(second, [wider]));
  });

  it('after a worse round it reverts to the standing brief and tries the next nudge, then half a step', async () => {
    const id = await newSession();
    await storeRound(id, first, [], [[0.7, [warmer, harder, wider]]]);
    const tried = applyNudges(first, [warmer, harder]);
    const r2 = await storeRound(id, tried, [warmer, harder], [[0.55, [wider]]]);
    // Round 2 fell below round 1: back to round 1's brief with the one nudge not yet tried.
    const third = await plan(id, r2);
    expect(third?.from).toBe(1);
    expect(third?.nudges).toEqual([wider]);
    expect(third?.brief).toEqual(applyNudges(first, [wider]));
    expect(third?.brief.expression?.intensity).toBe(0.5);
    const r3 = await storeRound(id, third?.brief ?? first, [wider], [[0.65, []]]);
    // Every nudge of round 1 has been tried: half a step of the last try (f/2.8 → f/2.3).
    const fourth = await plan(id, r3);
    expect(fourth?.from).toBe(1);
    expect(fourth?.nudges).toHaveLength(1);
    expect((fourth?.nudges[0] as Nudge).message).toMatch(/^Half a step: /);
    expect(fourth?.brief.camera?.aperture).toBe(2.3);
    expect(fourth?.brief.light?.fillRatio).toBe(4);
    const r4 = await storeRound(id, fourth?.brief ?? first, fourth?.nudges ?? [], [[0.6, []]]);
    // That half failed too: half of it (f/2.55).
    const fifth = await plan(id, r4);
    expect(fifth?.brief.camera?.aperture).toBe(2.55);
    const standings = roundStandings((await library.store.getSession(id))!);
    expect(standings.map((s) => [s.best, s.reverted, s.standing.overall])).toEqual([
      [0.7, false, 0.7],
      [0.55, true, 0.7],
      [0.65, true, 0.7],
      [0.6, true, 0.7],
    ]);
  });

  it('a round that beats the standing best after a revert becomes the new base', async () => {
    const id = await newSession();
    await storeRound(id, first, [], [[0.6, [warmer, harder]]]);
    const tried = applyNudges(first, [warmer, harder]);
    await storeRound(id, tried, [warmer, harder], [[0.4, []]]);
    const third = applyNudges(first, [harder]);
    const r3 = await storeRound(id, third, [harder], [[0.75, [wider]]]);
    const next = await plan(id, r3);
    expect(next?.from).toBe(3);
    expect(next?.brief).toEqual(applyNudges(third, [wider]));
    const detail = (await library.store.getSession(id))!;
    const report = sessionReport(detail, 0.95, 'rounds');
    expect(
      report.rounds.map((r) => [r.reverted, r.standingBest.round, r.standingBest.overall]),
    ).toEqual([
      [false, 1, 0.6],
      [true, 1, 0.6],
      [false, 3, 0.75],
    ]);
    // The report shows what changed in the brief from round to round.
    expect(report.rounds[0]?.briefChanges).toEqual([]);
    expect(report.rounds[1]?.briefChanges.map((c) => c.path)).toEqual([
      'expression.intensity',
      'light.fillRatio',
    ]);
    expect(report.rounds[2]?.briefChanges).toEqual([
      { path: 'expression.intensity', kind: 'changed', before: 0.9, after: 0.5 },
    ]);
    expect(report.best).toMatchObject({ round: 3, overall: 0.75 });
    const markdown = markdownReport(report);
    expect(markdown).toContain(
      'Best this round 40% · standing best 60% (round 1) · worse than the standing best: its nudges are reverted',
    );
    expect(markdown).toContain('- `expression.intensity`: 0.9 → 0.5');
  });

  it('the goal is judged on the standing best, so a worse last round cannot reopen a met brief', async () => {
    const id = await newSession();
    await storeRound(id, first, [], [[0.85, [warmer]]]);
    const r2 = await storeRound(id, applyNudges(first, [warmer]), [warmer], [[0.5, [harder]]]);
    expect(await plan(id, r2, 0.8)).toBeNull();
    expect(await plan(id, r2, 0.9)).not.toBeNull();
  });

  it('with nothing left to halve, the standing brief runs again (new seeds)', async () => {
    const id = await newSession();
    await storeRound(id, first, [], [[0.6, [warmer]]]);
    const r2 = await storeRound(id, applyNudges(first, [warmer]), [warmer], [[0.5, []]]);
    const r3 = await storeRound(
      id,
      applyNudges(first, [halfStep(warmer, first)!]),
      [halfStep(warmer, first)!],
      [[0.55, []]],
    );
    expect((await plan(id, r2))?.brief.expression?.intensity).toBe(0.7);
    // 0.5 → 0.7 failed; half of it is 0.6, then 0.55, 0.53 …: steps under 0.02 are not tried.
    expect((await plan(id, r3))?.brief.expression?.intensity).toBe(0.6);
    const tiny: Nudge = {
      ...warmer,
      patch: [{ op: 'set', path: 'expression.intensity', value: 0.51 }],
    };
    expect(halfStep(tiny, first)).toBeNull();
    const r4 = await storeRound(id, applyNudges(first, [tiny]), [tiny], [[0.58, []]]);
    const again = await plan(id, r4);
    expect(again?.from).toBe(1);
    expect(again?.nudges).toEqual([]);
    expect(again?.brief).toEqual(first);
  });
});

describe('halfStep', () => {
  it('halves numbers and the numeric fields of an object value, from the base brief', () => {
    const keyed = validateBrief({ ...first, light: { key: { azimuth: 40, elevation: 30 } } });
    const move: Nudge = {
      ...harder,
      rule: 'critic.key-off',
      patch: [{ op: 'set', path: 'light.key', value: { azimuth: 80, elevation: 10 } }],
    };
    expect(halfStep(move, keyed)?.patch).toEqual([
      { op: 'set', path: 'light.key', value: { azimuth: 60, elevation: 20 } },
    ]);
    // A value the base does not hold cannot be halved.
    const named: Nudge = {
      ...wider,
      patch: [{ op: 'set', path: 'camera.depthOfField', value: 'shallow' }],
    };
    expect(halfStep(named, first)).toBeNull();
  });
});
