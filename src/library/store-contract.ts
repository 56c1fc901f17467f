// The one contract every Store passes (SQLite and PostgreSQL): register it from a test file with
// a factory that opens a fresh, empty store. Test-only (imports vitest); not exported by index.ts.
import { describe, expect, it } from 'vitest';
import { isPortraitistError, type ErrorCode } from '../errors/index.js';
import { diffBriefs } from './diff.js';
import { scoreNames, type CandidateRecord, type ScoreName, type Store } from './types.js';

/** What a factory hands the contract: a fresh store, and ways to reach the same data again. */
export interface StoreHarness {
  readonly store: Store;
  /** Opens a second Store on the same data (another connection, as another process would). */
  openAgain(): Promise<Store>;
  /** Runs raw SQL on the same data (to damage a row on purpose). */
  exec(sql: string): Promise<void>;
  /** Releases everything the harness opened (the stores are closed by the tests). */
  dispose?(): Promise<void>;
}

/** Opens a fresh, empty store whose clock is `clock`. */
export type StoreFactory = (options: { clock: () => Date }) => Promise<StoreHarness>;

const blob = (n: number): string => n.toString(16).padStart(64, '0');

/** A clock that moves one second per reading from 2026-01-01. */
function steppingClock(): { clock: () => Date; at: (n: number) => Date } {
  const start = Date.UTC(2026, 0, 1);
  let tick = 0;
  return { clock: () => new Date(start + ++tick * 1000), at: (n) => new Date(start + n * 1000) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to be refused');
}

async function expectCode(
  promise: Promise<unknown>,
  code: ErrorCode,
  path?: string,
): Promise<void> {
  const error = await rejection(promise);
  expect(isPortraitistError(error), String(error)).toBe(true);
  if (!isPortraitistError(error)) return;
  expect(error.code).toBe(code);
  if (path !== undefined) {
    expect(error.issues.map((i) => i.path)).toContain(path);
    expect(error.message).toContain(`\`${path}\``);
  }
}

const brief = {
  version: 1,
  subject: { description: 'a fisherman, late sixties' },
  references: [
    { image: 'face.jpg', role: 'identity' },
    { image: 'pose.jpg', role: 'pose' },
  ],
};

// Values whose JSON text must read back exactly: key order, unicode, floats, nesting, nulls.
const awkwardJson = {
  zeta: 1,
  alpha: [0.1, 1e-7, 123456789.123, -42, 2 ** 53 - 1, 1e21],
  ключ: 'ünïcødé 🎞️ "quotes" \\ back\nslash',
  nested: { empty: {}, list: [], nulls: [null, { a: null }], deep: [[[{ x: true }]]] },
  '': 'empty key',
};

/** Registers the Store contract under `name`. */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    const withStore = async (
      test: (
        store: Store,
        harness: StoreHarness,
        time: ReturnType<typeof steppingClock>,
      ) => Promise<void>,
    ): Promise<void> => {
      const time = steppingClock();
      const harness = await factory({ clock: time.clock });
      try {
        await test(harness.store, harness, time);
      } finally {
        await harness.store.close();
        await harness.dispose?.();
      }
    };

    const sessionWithRound = async (
      store: Store,
    ): Promise<{ sessionId: string; roundId: string }> => {
      const session = await store.createSession({ title: 'fisherman', brief });
      const round = await store.startRound(session.id, {
        briefVersion: 1,
        engine: 'local',
        count: 4,
        seed: 7,
        nudges: [],
      });
      return { sessionId: session.id, roundId: round.id };
    };

    const candidate = (index: number, scores: Partial<Record<ScoreName, number | null>> = {}) => ({
      index,
      engine: 'local',
      seed: 1000 + index,
      parameters: { steps: 20, cfg: 4.5 },
      provenance: { prompt: 'a weathered face', index },
      image: blob(index + 1),
      scores,
    });

    it('creates a session with its brief as version 1, reads it back and lists sessions', () =>
      withStore(async (store, _h, time) => {
        const a = await store.createSession({ title: 'first', brief });
        expect(a).toMatchObject({ title: 'first', latestBriefVersion: 1 });
        expect(a.createdAt).toEqual(time.at(1));
        const b = await store.createSession({ title: 'second', brief: { version: 1 } });
        const detail = await store.getSession(a.id);
        expect(detail?.briefVersions.map((v) => [v.version, v.brief, v.note])).toEqual([
          [1, brief, null],
        ]);
        expect(detail?.references).toEqual([]);
        expect(detail?.rounds).toEqual([]);
        expect(detail?.candidates).toEqual([]);
        expect(await store.getSession('no-such-session')).toBeUndefined();
        expect((await store.listSessions()).map((s) => s.id)).toEqual([b.id, a.id]);
        expect((await store.listSessions({ limit: 1 })).map((s) => s.id)).toEqual([b.id]);
        expect((await store.listSessions({ since: b.updatedAt })).map((s) => s.id)).toEqual([b.id]);
        // A change to the older session brings it to the top.
        await store.addBriefVersion(a.id, { ...brief, subject: { description: 'older' } });
        expect((await store.listSessions()).map((s) => s.id)).toEqual([a.id, b.id]);
        await expectCode(store.createSession({ title: '', brief }), 'LIBRARY_INVALID', 'title');
      }));

    it("keeps a session's run settings exactly, and null when none were given", () =>
      withStore(async (store) => {
        const settings = {
          rounds: 3,
          count: 2,
          target: 'sdxl',
          goal: 0.8,
          engine: 'comfyui',
          seed: 7.5e3,
        };
        const s = await store.createSession({ title: 'resumable', brief, settings });
        expect(s.settings).toEqual(settings);
        expect((await store.getSession(s.id))?.settings).toEqual(settings);
        const plain = await store.createSession({ title: 'plain', brief });
        expect(plain.settings).toBeNull();
        expect((await store.listSessions()).map((x) => x.settings)).toEqual([null, settings]);
      }));

    it('numbers brief versions 1..n per session, keeps notes, and diffs them by path', () =>
      withStore(async (store) => {
        const s = await store.createSession({ title: 'versions', brief });
        const other = await store.createSession({ title: 'other', brief });
        const changed = {
          ...brief,
          references: [brief.references[0], { image: 'pose.jpg', role: 'expression' }],
          light: { rig: 'rembrandt' },
        };
        const v2 = await store.addBriefVersion(s.id, changed, 'warmer light');
        const v3 = await store.addBriefVersion(s.id, brief);
        expect([v2.version, v3.version]).toEqual([2, 3]);
        expect(v2.note).toBe('warmer light');
        expect(v3.note).toBeNull();
        expect((await store.addBriefVersion(other.id, brief)).version).toBe(2);
        const detail = await store.getSession(s.id);
        expect(detail?.latestBriefVersion).toBe(3);
        expect(detail?.briefVersions.map((v) => v.version)).toEqual([1, 2, 3]);
        const v1 = await store.getBriefVersion(s.id, 1);
        const v2back = await store.getBriefVersion(s.id, 2);
        expect(await store.getBriefVersion(s.id, 4)).toBeUndefined();
        expect(diffBriefs(v1?.brief, v2back?.brief).map((c) => c.path)).toEqual([
          'references[1].role',
          'light',
        ]);
        await expectCode(store.addBriefVersion('missing', brief), 'LIBRARY_NOT_FOUND', 'sessionId');
      }));

    it('keeps references and caches blueprints per blob and model version', () =>
      withStore(async (store) => {
        const s = await store.createSession({ title: 'refs', brief });
        const face = await store.addReference(s.id, {
          role: 'identity',
          name: 'face.jpg',
          blob: blob(10),
        });
        await store.addReference(s.id, { role: 'pose', name: 'pose.jpg', blob: blob(11) });
        expect(face).toMatchObject({
          sessionId: s.id,
          role: 'identity',
          name: 'face.jpg',
          blob: blob(10),
        });
        const detail = await store.getSession(s.id);
        expect(detail?.references.map((r) => r.name)).toEqual(['face.jpg', 'pose.jpg']);

        expect(await store.cachedBlueprint(blob(10), 'human-3.3')).toBeUndefined();
        await store.cacheBlueprint(blob(10), 'human-3.3', awkwardJson);
        await store.cacheBlueprint(blob(10), 'human-3.4', { faces: [] });
        expect(JSON.stringify(await store.cachedBlueprint(blob(10), 'human-3.3'))).toBe(
          JSON.stringify(awkwardJson),
        );
        expect(await store.cachedBlueprint(blob(10), 'human-3.4')).toEqual({ faces: [] });
        expect(await store.cachedBlueprint(blob(11), 'human-3.3')).toBeUndefined();
        await store.cacheBlueprint(blob(10), 'human-3.4', { faces: [1] });
        expect(await store.cachedBlueprint(blob(10), 'human-3.4')).toEqual({ faces: [1] });

        await expectCode(
          store.addReference(s.id, { role: 'pose', name: 'x', blob: '../../etc/passwd' }),
          'LIBRARY_INVALID',
          'blob',
        );
        await expectCode(
          store.addReference('missing', { role: 'pose', name: 'x', blob: blob(1) }),
          'LIBRARY_NOT_FOUND',
          'sessionId',
        );
      }));

    it('numbers rounds per session, stores the nudges applied and how each round ended', () =>
      withStore(async (store) => {
        const s = await store.createSession({ title: 'rounds', brief });
        await store.addBriefVersion(s.id, brief);
        const nudges = [
          {
            pillar: 'light',
            sentence: 'Lower the key.',
            patch: [{ path: 'light.key.elevation', value: 20 }],
          },
          awkwardJson,
        ];
        const first = await store.startRound(s.id, {
          briefVersion: 1,
          engine: 'local',
          count: 4,
          seed: 7,
          nudges: [],
        });
        const second = await store.startRound(s.id, {
          briefVersion: 2,
          engine: 'comfyui',
          count: 2,
          seed: 2 ** 40,
          nudges,
        });
        expect([first.number, second.number]).toEqual([1, 2]);
        expect(second).toMatchObject({
          briefVersion: 2,
          engine: 'comfyui',
          count: 2,
          seed: 2 ** 40,
          status: 'running',
          finishedAt: null,
        });
        expect(JSON.stringify(second.nudges)).toBe(JSON.stringify(nudges));
        await store.finishRound(first.id, 'done');
        await store.finishRound(second.id, 'cancelled');
        const back = await store.getRound(second.id);
        expect(back?.status).toBe('cancelled');
        expect(back?.finishedAt).toBeInstanceOf(Date);
        const detail = await store.getSession(s.id);
        expect(detail?.rounds.map((r) => [r.number, r.status])).toEqual([
          [1, 'done'],
          [2, 'cancelled'],
        ]);
        expect(JSON.stringify(detail?.rounds[1]?.nudges)).toBe(JSON.stringify(nudges));
        expect(await store.getRound('missing')).toBeUndefined();
        await expectCode(
          store.startRound(s.id, {
            briefVersion: 9,
            engine: 'local',
            count: 1,
            seed: 1,
            nudges: [],
          }),
          'LIBRARY_NOT_FOUND',
          'briefVersion',
        );
        await expectCode(store.finishRound('missing', 'done'), 'LIBRARY_NOT_FOUND', 'roundId');
        await expectCode(
          store.startRound(s.id, {
            briefVersion: 1,
            engine: 'local',
            count: 0,
            seed: 1,
            nudges: [],
          }),
          'LIBRARY_INVALID',
          'count',
        );
      }));

    it('records remote jobs once each, listed by candidate index', () =>
      withStore(async (store) => {
        const { roundId } = await sessionWithRound(store);
        await store.recordRemoteJob(roundId, {
          index: 1,
          engine: 'comfyui',
          kind: 'comfyui-prompt',
          id: 'p-2',
        });
        await store.recordRemoteJob(roundId, {
          index: 0,
          engine: 'comfyui',
          kind: 'comfyui-prompt',
          id: 'p-1',
        });
        await store.recordRemoteJob(roundId, {
          index: 1,
          engine: 'comfyui',
          kind: 'comfyui-prompt',
          id: 'p-2',
        });
        expect(await store.remoteJobs(roundId)).toEqual([
          { index: 0, engine: 'comfyui', kind: 'comfyui-prompt', id: 'p-1' },
          { index: 1, engine: 'comfyui', kind: 'comfyui-prompt', id: 'p-2' },
        ]);
        expect(await store.remoteJobs('missing')).toEqual([]);
        await expectCode(
          store.recordRemoteJob('missing', {
            index: 0,
            engine: 'a1111',
            kind: 'a1111-task',
            id: 't',
          }),
          'LIBRARY_NOT_FOUND',
          'roundId',
        );
      }));

    it('stores a candidate exactly once per (round, index), also when calls race', () =>
      withStore(async (store, harness) => {
        const { sessionId, roundId } = await sessionWithRound(store);
        const first = await store.addCandidate(roundId, candidate(0, { light: 0.5 }));
        const again = await store.addCandidate(roundId, {
          ...candidate(0),
          seed: 99,
          image: blob(99),
        });
        expect(again.id).toBe(first.id);
        expect(again.seed).toBe(1000);
        expect(again.image).toBe(blob(1));

        // Two connections (two processes) racing on the same indices.
        const other = await harness.openAgain();
        try {
          const raced = await Promise.all(
            [1, 2, 3, 1, 2, 3].flatMap((i, n) => [
              (n % 2 === 0 ? store : other).addCandidate(roundId, candidate(i)),
              (n % 2 === 0 ? other : store).addCandidate(roundId, candidate(i)),
            ]),
          );
          for (const i of [1, 2, 3])
            expect(new Set(raced.filter((c) => c.index === i).map((c) => c.id)).size).toBe(1);
        } finally {
          await other.close();
        }
        const stored = await store.listCandidates(roundId);
        expect(stored.map((c) => c.index)).toEqual([0, 1, 2, 3]);
        expect(stored[0]).toMatchObject({ sessionId, roundId, engine: 'local', seed: 1000 });
        expect((await store.getSession(sessionId))?.candidates.map((c) => c.index)).toEqual([
          0, 1, 2, 3,
        ]);
        expect(await store.getCandidate(first.id)).toEqual(first);
        expect(await store.getCandidate('missing')).toBeUndefined();
        await expectCode(
          store.addCandidate('missing', candidate(0)),
          'LIBRARY_NOT_FOUND',
          'roundId',
        );
        await expectCode(
          store.addCandidate(roundId, { ...candidate(5), index: -1 }),
          'LIBRARY_INVALID',
          'index',
        );
        await expectCode(
          store.addCandidate(roundId, { ...candidate(5), image: 'x' }),
          'LIBRARY_INVALID',
          'image',
        );
      }));

    it('round-trips JSON columns exactly and refuses values JSON cannot carry', () =>
      withStore(async (store) => {
        const { roundId } = await sessionWithRound(store);
        const stored = await store.addCandidate(roundId, {
          ...candidate(0),
          parameters: awkwardJson,
          provenance: [awkwardJson, 'x', 0, false, null],
          blueprint: { faces: [{ box: [0.25, 0.5, 0.125, 0.0625] }] },
          scorecard: { overall: 0.5 },
        });
        const back = await store.getCandidate(stored.id);
        expect(JSON.stringify(back?.parameters)).toBe(JSON.stringify(awkwardJson));
        expect(JSON.stringify(back?.provenance)).toBe(
          JSON.stringify([awkwardJson, 'x', 0, false, null]),
        );
        expect(back?.blueprint).toEqual({ faces: [{ box: [0.25, 0.5, 0.125, 0.0625] }] });
        expect(back?.scorecard).toEqual({ overall: 0.5 });
        const bare = await store.addCandidate(roundId, candidate(1));
        expect(bare.blueprint).toBeNull();
        expect(bare.scorecard).toBeNull();
        await expectCode(
          store.addCandidate(roundId, { ...candidate(2), parameters: { steps: Number.NaN } }),
          'LIBRARY_INVALID',
          'parameters.steps',
        );
        await expectCode(
          store.addCandidate(roundId, { ...candidate(2), provenance: { at: new Date() } }),
          'LIBRARY_INVALID',
          'provenance.at',
        );
        await expectCode(
          store.createSession({ title: 't', brief: { list: [1, undefined] } }),
          'LIBRARY_INVALID',
          'brief.list[1]',
        );
        expect(await store.listCandidates(roundId)).toHaveLength(2);
      }));

    it('sets scorecards with their pillar scores, refusing scores outside 0..1', () =>
      withStore(async (store) => {
        const { roundId } = await sessionWithRound(store);
        const c = await store.addCandidate(roundId, candidate(0));
        expect(Object.values(c.scores).every((s) => s === null)).toBe(true);
        const scorecard = {
          overall: 0.7,
          pillars: { light: { score: 0.9, reason: 'key matches' } },
        };
        await store.setScorecard(c.id, scorecard, { light: 0.9, expression: null, overall: 0.7 });
        const back = await store.getCandidate(c.id);
        expect(back?.scorecard).toEqual(scorecard);
        expect(back?.scores).toEqual({
          expression: null,
          posture: null,
          light: 0.9,
          aesthetic: null,
          authenticity: null,
          overall: 0.7,
        });
        await expectCode(
          store.setScorecard(c.id, {}, { light: 1.5 }),
          'LIBRARY_INVALID',
          'scores.light',
        );
        await expectCode(
          store.setScorecard(c.id, {}, { lighting: 0.5 } as never),
          'LIBRARY_INVALID',
        );
        await expectCode(store.setScorecard('missing', {}, {}), 'LIBRARY_NOT_FOUND', 'candidateId');
      }));

    it('keeps picks, rejects, stars 1-5 and notes, changing only the fields given', () =>
      withStore(async (store) => {
        const { sessionId, roundId } = await sessionWithRound(store);
        const c = await store.addCandidate(roundId, candidate(0));
        expect(c.pick).toBeNull();
        const picked = await store.setPick(c.id, { verdict: 'pick', stars: 4 });
        expect(picked).toMatchObject({ candidateId: c.id, verdict: 'pick', stars: 4, note: null });
        const noted = await store.setPick(c.id, { note: 'the eyes' });
        expect(noted).toMatchObject({ verdict: 'pick', stars: 4, note: 'the eyes' });
        const cleared = await store.setPick(c.id, { verdict: 'reject', stars: null });
        expect(cleared).toMatchObject({ verdict: 'reject', stars: null, note: 'the eyes' });
        expect((await store.getCandidate(c.id))?.pick).toEqual(cleared);
        expect((await store.getSession(sessionId))?.candidates[0]?.pick).toEqual(cleared);
        for (const stars of [0, 6, 2.5]) {
          const error = await rejection(store.setPick(c.id, { stars: stars as 1 }));
          expect(isPortraitistError(error) && error.code).toBe('LIBRARY_INVALID');
          expect(isPortraitistError(error) && error.issues[0]?.path).toBe('stars');
          expect(String((error as Error).message)).toContain('`stars`');
          expect(String((error as Error).message)).toContain(String(stars));
        }
        await expectCode(
          store.setPick(c.id, { verdict: 'love' as 'pick' }),
          'LIBRARY_INVALID',
          'verdict',
        );
        await expectCode(
          store.setPick('missing', { verdict: 'pick' }),
          'LIBRARY_NOT_FOUND',
          'candidateId',
        );
        expect((await store.getCandidate(c.id))?.pick?.stars).toBeNull();
      }));

    it('searches candidates by pillar ranges, engine, time, session, verdict and stars', () =>
      withStore(async (store, _h, time) => {
        const made: CandidateRecord[] = [];
        const sessions: string[] = [];
        for (const title of ['one', 'two']) {
          const s = await store.createSession({ title, brief });
          sessions.push(s.id);
          for (const engine of ['local', 'comfyui']) {
            const round = await store.startRound(s.id, {
              briefVersion: 1,
              engine,
              count: 5,
              seed: 1,
              nudges: [],
            });
            for (let i = 0; i < 5; i++) {
              const k = made.length;
              const scores = Object.fromEntries(
                scoreNames.map((n, j) => [
                  n,
                  k % 7 === 3 && n === 'light' ? null : ((k * 37 + j * 11) % 100) / 100,
                ]),
              );
              made.push(
                await store.addCandidate(round.id, {
                  ...candidate(i, scores),
                  engine,
                  image: blob(k + 1),
                }),
              );
            }
          }
        }
        const picks = new Map<string, { verdict: 'pick' | 'reject'; stars: 1 | 2 | 3 | 4 | 5 }>();
        for (const [n, c] of made.entries())
          if (n % 3 !== 0) {
            const pick = {
              verdict: n % 2 === 0 ? 'pick' : 'reject',
              stars: ((n % 5) + 1) as 1,
            } as const;
            picks.set(c.id, pick);
            await store.setPick(c.id, pick);
          }
        const ids = (list: readonly CandidateRecord[]): string[] => list.map((c) => c.id);
        const newest = [...made].reverse();

        expect(ids(await store.searchCandidates({ limit: 1000 }))).toEqual(ids(newest));
        expect(ids(await store.searchCandidates({ limit: 3, offset: 2 }))).toEqual(
          ids(newest.slice(2, 5)),
        );
        expect(await store.searchCandidates({})).toHaveLength(20);

        const lightRange = newest.filter(
          (c) => c.scores.light !== null && c.scores.light >= 0.3 && c.scores.light <= 0.7,
        );
        expect(lightRange.length).toBeGreaterThan(2);
        expect(
          ids(await store.searchCandidates({ pillars: { light: { gte: 0.3, lte: 0.7 } } })),
        ).toEqual(ids(lightRange));
        const both = newest.filter(
          (c) => (c.scores.expression ?? -1) >= 0.5 && (c.scores.overall ?? 2) <= 0.6,
        );
        expect(
          ids(
            await store.searchCandidates({
              pillars: { expression: { gte: 0.5 }, overall: { lte: 0.6 } },
            }),
          ),
        ).toEqual(ids(both));

        expect(ids(await store.searchCandidates({ engine: 'comfyui' }))).toEqual(
          ids(newest.filter((c) => c.engine === 'comfyui')),
        );
        const since = made[12]?.createdAt ?? time.at(0);
        expect(ids(await store.searchCandidates({ since }))).toEqual(
          ids(newest.filter((c) => c.createdAt >= since)),
        );
        expect(ids(await store.searchCandidates({ sessionId: sessions[0] }))).toEqual(
          ids(newest.filter((c) => c.sessionId === sessions[0])),
        );
        expect(ids(await store.searchCandidates({ verdict: 'pick' }))).toEqual(
          ids(newest.filter((c) => picks.get(c.id)?.verdict === 'pick')),
        );
        expect(ids(await store.searchCandidates({ minStars: 4 }))).toEqual(
          ids(newest.filter((c) => (picks.get(c.id)?.stars ?? 0) >= 4)),
        );
        const picked = await store.searchCandidates({ verdict: 'reject', engine: 'local' });
        expect(picked.every((c) => c.pick?.verdict === 'reject' && c.engine === 'local')).toBe(
          true,
        );

        const byLight = await store.searchCandidates({ orderBy: 'light', limit: 1000 });
        const lights = byLight.map((c) => c.scores.light);
        const scored = lights.filter((l): l is number => l !== null);
        expect(scored).toEqual([...scored].sort((a, b) => b - a));
        expect(lights.slice(scored.length).every((l) => l === null)).toBe(true);
        expect(lights.length).toBe(20);
        expect(ids(await store.searchCandidates({ orderBy: 'overall', limit: 2 }))).toEqual(
          ids(
            [...made]
              .sort(
                (a, b) =>
                  (b.scores.overall ?? 0) - (a.scores.overall ?? 0) ||
                  (a.createdAt < b.createdAt ? 1 : -1),
              )
              .slice(0, 2),
          ),
        );

        await expectCode(
          store.searchCandidates({ pillars: { light: { gte: 2 } } }),
          'LIBRARY_INVALID',
          'pillars.light.gte',
        );
        await expectCode(store.searchCandidates({ minStars: 9 }), 'LIBRARY_INVALID', 'minStars');
        await expectCode(store.searchCandidates({ limit: 0 }), 'LIBRARY_INVALID', 'limit');
      }));

    it('saves and loads artist profiles by name', () =>
      withStore(async (store) => {
        expect(await store.loadProfile('ana')).toBeUndefined();
        await store.saveProfile('ana', awkwardJson);
        await store.saveProfile('ben', { weights: { light: 0.5 } });
        expect(JSON.stringify(await store.loadProfile('ana'))).toBe(JSON.stringify(awkwardJson));
        await store.saveProfile('ana', { weights: { light: 0.2 } });
        expect(await store.loadProfile('ana')).toEqual({ weights: { light: 0.2 } });
        expect(await store.loadProfile('ben')).toEqual({ weights: { light: 0.5 } });
        await expectCode(store.saveProfile('', {}), 'LIBRARY_INVALID', 'name');
      }));

    it('reports a damaged row read back as LIBRARY_CORRUPT, naming table and column', () =>
      withStore(async (store, harness) => {
        const { roundId } = await sessionWithRound(store);
        const c = await store.addCandidate(roundId, candidate(0));
        await harness.exec(`UPDATE candidates SET image = '../../etc/passwd' WHERE id = '${c.id}'`);
        const error = await rejection(store.getCandidate(c.id));
        expect(isPortraitistError(error) && error.code).toBe('LIBRARY_CORRUPT');
        expect(isPortraitistError(error) && error.issues[0]?.path).toBe('candidates.image');
      }));

    it('sees what another connection wrote, and refuses calls once closed', async () => {
      const time = steppingClock();
      const harness = await factory({ clock: time.clock });
      const other = await harness.openAgain();
      try {
        const s = await harness.store.createSession({ title: 'shared', brief });
        expect((await other.getSession(s.id))?.title).toBe('shared');
        await harness.store.close();
        await harness.store.close();
        await expect(harness.store.getSession(s.id)).rejects.toThrow(/closed/);
        expect((await other.getSession(s.id))?.title).toBe('shared');
      } finally {
        await other.close();
        await harness.dispose?.();
      }
    });
  });
}
