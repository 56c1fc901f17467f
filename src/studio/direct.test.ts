import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNudges, validateBrief } from '../brief/index.js';
import { createSegmenter, type Segmenter } from '../darkroom/index.js';
import { critique } from '../critic/index.js';
import { createLocalEngine, readProvenance } from '../engines/index.js';
import { blobIdOf } from '../library/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { readFixture } from '../testing/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from '../vision/index.js';
import {
  direct,
  exampleReferencePhoto,
  openStudioLibrary,
  sessionProgressSchema,
  type DirectProgress,
  type OpenedLibrary,
} from './index.js';

let vision: Vision;
let segmenter: Segmenter;
let library: OpenedLibrary;
beforeAll(async () => {
  library = openStudioLibrary({ ephemeral: true });
  vision = createVision(await createVisionRuntime());
  segmenter = await createSegmenter();
}, 120_000);
afterAll(async () => {
  await library.close();
  await segmenter.dispose();
  vision.dispose();
});

const brief = validateBrief({
  version: 1,
  title: 'Window portrait',
  subject: { description: 'a woman in her twenties with long dark hair' },
  expression: { name: 'duchenne-smile', intensity: 0.6 },
  light: { rig: 'window', side: 'left' },
  camera: { focalLength: 85, aperture: 2, shot: 'headshot', aspectRatio: '4:5' },
  aesthetic: { composition: 'rule-of-thirds' },
  authenticity: { imperfections: ['visible-pores'], retouch: 'natural' },
  output: { target: 'sdxl', count: 2, seed: 7 },
});

describe('direct', () => {
  it('runs rounds: candidates with provenance, contact sheets, a report, and nudges between rounds', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'portraitist-direct-'));
    const progress: DirectProgress[] = [];
    // The reference already smiles broadly and a barely-there smile is wanted, under an unreachable
    // goal: the critic finds shortfalls and round 2 follows its nudges.
    const subtle = validateBrief({
      ...brief,
      expression: { name: 'closed-lip-half-smile', intensity: 0.9 },
    });
    const report = await direct({
      library,
      brief: subtle,
      briefSource: 'window.yaml',
      references: [
        { role: 'identity', image: await readFixture('soft-smile'), source: 'soft-smile.png' },
      ],
      engine: createLocalEngine({ vision, segmenter }),
      vision,
      compiler: createPromptCompiler(),
      count: 2,
      rounds: 2,
      outDir,
      goal: 0.99, // unreachable: both rounds run
      onProgress: (p) => progress.push(p),
    });
    expect(report.rounds).toHaveLength(2);
    // Round 2 runs with round 1's brief plus exactly the nudges it reports applying.
    const first = report.rounds[0];
    expect(first?.nudgesApplied.length).toBeGreaterThan(0);
    expect(report.rounds[1]?.brief).toEqual(
      applyNudges(first?.brief ?? subtle, first?.nudgesApplied ?? []),
    );
    expect(report.rounds[1]?.brief).not.toEqual(first?.brief);
    for (const round of report.rounds) {
      expect(round.candidates.map((c) => c.rank)).toEqual([1, 2]);
      for (const candidate of round.candidates) {
        const png = new Uint8Array(await readFile(join(outDir, candidate.file)));
        expect(readProvenance(png)?.portraitist).toMatchObject({ engine: 'local' });
      }
      await access(join(outDir, round.sheet));
    }
    const markdown = await readFile(join(outDir, 'report.md'), 'utf8');
    expect(markdown).toContain('# Window portrait');
    expect(markdown).toContain('## Round 2');
    expect(markdown).toContain('Nudges applied for the next round:');
    expect(JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')).best.file).toBe(
      report.best.file,
    );
    await access(join(outDir, 'best.png'));
    expect(progress.some((p) => p.stage === 'generating')).toBe(true);
    expect(progress[progress.length - 1]?.stage).toBe('done');
  }, 300_000); // ML-heavy: ~20 s alone, over 60 s when the machine is shared

  it('stops as soon as the brief is met', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'portraitist-direct-'));
    const report = await direct({
      library,
      brief,
      briefSource: 'window.yaml',
      references: [
        { role: 'identity', image: await readFixture('soft-smile'), source: 'soft-smile.png' },
      ],
      engine: createLocalEngine({ vision, segmenter }),
      vision,
      compiler: createPromptCompiler(),
      count: 1,
      rounds: 3,
      outDir,
      goal: 0,
      stripMetadata: true,
    });
    expect(report.rounds).toHaveLength(1);
    expect(report.metGoal).toBe(true);
    expect(
      readProvenance(new Uint8Array(await readFile(join(outDir, report.best.file)))),
    ).toBeNull();
  }, 300_000);

  it('keeps every round in the library, and ranks a further round by the artist’s picks', async () => {
    const reference = {
      role: 'identity' as const,
      image: await readFixture('soft-smile'),
      source: 'soft-smile.png',
    };
    const run = (outDir: string, rounds: number, session?: string) =>
      direct({
        library,
        ...(session === undefined ? {} : { session }),
        brief,
        briefSource: 'window.yaml',
        references: [reference],
        engine: createLocalEngine({ vision, segmenter }),
        vision,
        count: 3,
        rounds,
        outDir,
        goal: 1,
      });
    const progress: DirectProgress[] = [];
    const first = await direct({
      library,
      brief,
      briefSource: 'window.yaml',
      references: [reference],
      engine: createLocalEngine({ vision, segmenter }),
      vision,
      count: 3,
      rounds: 1,
      outDir: await mkdtemp(join(tmpdir(), 'portraitist-direct-')),
      goal: 1,
      onProgress: (p) => progress.push(p),
    });
    // Every event is the one serialisable type.
    for (const p of progress)
      expect(sessionProgressSchema.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
    expect(progress.filter((p) => p.stage === 'storing')).toHaveLength(3);
    const detail = await library.store.getSession(first.sessionId);
    expect(detail?.settings).toMatchObject({
      rounds: 1,
      count: 3,
      engine: 'local',
      goal: 1,
      seed: 7,
    });
    expect(detail?.references.map((r) => r.name)).toEqual(['soft-smile.png']);
    expect(detail?.candidates.map((c) => [c.index, c.scorecard === null])).toEqual([
      [0, false],
      [1, false],
      [2, false],
    ]);
    // The artist picks the critic's last and rejects its first.
    const ranked = first.rounds[0]?.candidates ?? [];
    await library.store.setPick(ranked[ranked.length - 1]?.id ?? '', { verdict: 'pick', stars: 5 });
    await library.store.setPick(ranked[0]?.id ?? '', { verdict: 'reject' });
    const second = await run(
      await mkdtemp(join(tmpdir(), 'portraitist-direct-')),
      2,
      first.sessionId,
    );
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.rounds).toHaveLength(2);
    // Round 1 is as it was; round 2 was planned with the picks and says so.
    expect(second.rounds[0]?.candidates.map((c) => c.id)).toEqual(ranked.map((c) => c.id));
    expect(second.rounds[0]?.taste).toBeUndefined();
    expect(second.rounds[1]?.taste).toMatch(/^ranked by (your 2 picks|the brief: your 2 picks)/);
    expect(second.rounds[1]?.summary.startsWith(second.rounds[1]?.taste ?? '?')).toBe(true);
    const after = await library.store.getSession(first.sessionId);
    // Round 2's brief is a new brief version, noted with the nudges it came from.
    expect(after?.briefVersions.map((v) => v.version)).toEqual([1, 2]);
    expect(after?.rounds.map((r) => [r.number, r.briefVersion, r.status])).toEqual([
      [1, 1, 'done'],
      [2, 2, 'done'],
    ]);
    expect(after?.rounds[1]?.nudges.at(-1)).toMatchObject({ kind: 'taste' });
    expect(after?.candidates).toHaveLength(6);
  }, 600_000);

  it('with --profile, a new session is ranked by what earlier sessions taught the profile', async () => {
    const reference = {
      role: 'identity' as const,
      image: await readFixture('soft-smile'),
      source: 'soft-smile.png',
    };
    const run = async () =>
      direct({
        library,
        brief,
        briefSource: 'window.yaml',
        references: [reference],
        engine: createLocalEngine({ vision, segmenter }),
        vision,
        count: 2,
        rounds: 1,
        outDir: await mkdtemp(join(tmpdir(), 'portraitist-direct-')),
        goal: 1,
        profile: 'ana',
      });
    const first = await run();
    // Nothing learnt yet: the first session is ranked by the brief alone.
    expect(first.rounds[0]?.taste).toBeUndefined();
    const ranked = first.rounds[0]?.candidates ?? [];
    await library.store.setPick(ranked[ranked.length - 1]?.id ?? '', { verdict: 'pick' });
    await library.store.setPick(ranked[0]?.id ?? '', { verdict: 'reject' });
    const second = await run();
    expect(second.sessionId).not.toBe(first.sessionId);
    // The first session's marks were folded into the profile before the second ran.
    const profile = await library.store.loadProfile('ana');
    expect(profile).toMatchObject({ learntFrom: [first.sessionId], taste: { picks: 2 } });
    expect(second.rounds[0]?.taste).toMatch(
      /^ranked by (your profile's 2 picks|the brief: your profile's 2 picks)/,
    );
    const stored = await library.store.getSession(second.sessionId);
    expect(stored?.settings).toMatchObject({ profile: 'ana' });
    expect(stored?.rounds[0]?.nudges.at(-1)).toMatchObject({ kind: 'taste' });
  }, 600_000);

  // Measured under load (round bests, count 2): soft-smile 0.871, 0.900, 0.881 (reverted);
  // neutral-blonde 0.901, 0.920, 0.940; laughing 0.231, 0.472, 0.817.
  it.each([['soft-smile'], ['neutral-blonde'], ['laughing']] as const)(
    '--rounds 3 on the local engine: the best score per round never decreases (%s)',
    async (fixture) => {
      const reference = {
        role: 'identity' as const,
        image: await readFixture(fixture),
        source: `${fixture}.png`,
      };
      const report = await direct({
        library,
        brief,
        briefSource: 'window.yaml',
        references: [reference],
        engine: createLocalEngine({ vision, segmenter }),
        vision,
        count: 2,
        rounds: 3,
        outDir: await mkdtemp(join(tmpdir(), 'portraitist-direct-')),
        goal: 0.99, // unreachable: all three rounds run
      });
      expect(report.rounds).toHaveLength(3);
      const bests = report.rounds.map((r) => r.candidates[0]?.scorecard.overall ?? -1);
      let standing = -1;
      for (const [i, round] of report.rounds.entries()) {
        const own = bests[i] ?? -1;
        // Worse than the standing best: reverted, and the standing best holds.
        expect(round.reverted, `round ${round.round} reverted`).toBe(i > 0 && own < standing);
        standing = Math.max(standing, own);
        expect(round.standingBest.overall, `round ${round.round} standing`).toBe(standing);
        expect(round.standingBest.overall).toBeGreaterThanOrEqual(
          report.rounds[i - 1]?.standingBest.overall ?? 0,
        );
        // Each round starts from the standing brief before it, plus exactly the nudges reported.
        const before = report.rounds[i - 1];
        if (before !== undefined) {
          const base = report.rounds.find((r) => r.round === before.standingBest.round);
          expect(round.brief).toEqual(applyNudges(base?.brief ?? brief, before.nudgesApplied));
        }
      }
      expect(report.best.overall).toBe(standing);
      // Every round is scored against the first brief, not the nudged one.
      const last = report.rounds[2]?.candidates[0];
      const detail = await library.store.getSession(report.sessionId);
      const stored = detail?.candidates.find((c) => c.id === last?.id);
      const blueprint = await library.store.cachedBlueprint(stored?.image ?? '', 'blueprint-v1');
      const identity = await library.store.cachedBlueprint(
        blobIdOf(reference.image),
        'blueprint-v1',
      );
      expect(
        critique(blueprint as Blueprint, brief, { identity: identity as Blueprint }).overall,
      ).toBeCloseTo(last?.scorecard.overall ?? -1, 6);
    },
    900_000,
  );

  it('has a bundled example photo with a face in it', async () => {
    const example = await exampleReferencePhoto();
    const blueprint = await vision.analyze(example.image, { source: example.source });
    expect(blueprint.faces).toHaveLength(1);
  });
});
