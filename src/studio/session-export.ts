// A session as a folder: today's `out/` layout (round-N/candidate-K.png, contact sheets,
// best.png, report.md, report.json) plus `session.json` and the reference photos, written from the
// library alone; and the way back (import).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { formatPatch, type Brief, type Nudge } from '../brief/index.js';
import { drawContactSheet, type Scorecard } from '../critic/index.js';
import { PortraitistError } from '../errors/index.js';
import {
  refuseExisting,
  writeOutputFile,
  type OutputFileSystem,
  type WriteOutputOptions,
} from '../files/index.js';
import {
  diffBriefs,
  type BriefChange,
  type RoundRecord,
  type SessionDetail,
  type Stars,
  type Verdict,
} from '../library/index.js';
import { blueprintModelVersion, candidateFileName, type SessionLibrary } from './session.js';
import { roundNudges, roundOutcome, roundStandings, storedBrief } from './session-plan.js';

/** The run settings a session keeps, so `--resume` can go on exactly as the run began. */
export const directSettingsSchema = z.strictObject({
  rounds: z.number().int().min(1).max(10),
  count: z.number().int().min(1),
  target: z.string().min(1),
  goal: z.number().min(0).max(1),
  engine: z.string().min(1),
  seed: z.number().int().nonnegative(),
  stripMetadata: z.boolean(),
  provenance: z.enum(['hashed', 'full']),
  /** The brief's file name, the report's title when the brief has none. */
  briefSource: z.string(),
  /** The artist profile the run was ranked and taught with (its name), when one was asked for. */
  profile: z.string().optional(),
});

/** What a session keeps to be resumed. */
export type DirectSettings = z.output<typeof directSettingsSchema>;

/** A session's settings, checked; USAGE when the session was not made by `direct`. */
export function sessionSettings(detail: SessionDetail): DirectSettings {
  const parsed = directSettingsSchema.safeParse(detail.settings);
  if (!parsed.success)
    throw new PortraitistError('USAGE', `session ${detail.id} has no run settings to resume`, {
      issues: [{ path: 'session', message: `expected a session made by direct: ${detail.id}` }],
    });
  return parsed.data;
}

export interface DirectCandidate {
  readonly id: string;
  readonly file: string;
  readonly seed: number;
  readonly rank: number;
  readonly scorecard: Scorecard;
  readonly parameters: unknown;
}

export interface DirectRound {
  readonly round: number;
  readonly brief: Brief;
  readonly candidates: readonly DirectCandidate[];
  readonly summary: string;
  readonly sheet: string;
  /** Nudges applied to make the next round's brief (empty on the last round). */
  readonly nudgesApplied: readonly Nudge[];
  /** How the artist's picks ranked this round ("ranked by your 3 picks: …"), when they did. */
  readonly taste?: string;
  /** What changed in the brief from the round before (none on the first round). */
  readonly briefChanges: readonly BriefChange[];
  /**
   * This round's best fell below the standing best: the nudges that made its brief are reverted
   * and the next round starts from the standing round's brief again.
   */
  readonly reverted: boolean;
  /** The best so far, this round included: it never falls from one round to the next. */
  readonly standingBest: {
    readonly round: number;
    readonly file: string;
    readonly overall: number;
  };
}

export interface DirectReport {
  readonly sessionId: string;
  readonly title: string;
  readonly engine: string;
  readonly rounds: readonly DirectRound[];
  readonly best: { readonly round: number; readonly file: string; readonly overall: number };
  readonly metGoal: boolean;
  readonly goal: number;
  readonly files: {
    readonly json: string;
    readonly markdown: string;
    readonly best: string;
    readonly session: string;
  };
}

/** The report of a session's finished rounds, from the library alone. */
export function sessionReport(
  detail: SessionDetail,
  goal: number,
  fallbackTitle: string,
): DirectReport {
  const done = detail.rounds.filter((r) => r.status === 'done');
  const standings = new Map(roundStandings(detail).map((s) => [s.round.id, s]));
  const topFile = (round: RoundRecord): string => {
    const top = roundOutcome(round, detail.candidates).ranked[0];
    return top === undefined ? '' : candidateFileName(round.number, top.candidate.index);
  };
  const rounds: DirectRound[] = done.map((round, i) => {
    const outcome = roundOutcome(round, detail.candidates);
    const next = done[i + 1];
    const previous = done[i - 1];
    const standing = standings.get(round.id);
    const brief = storedBrief(detail, round.briefVersion);
    return {
      round: round.number,
      brief,
      candidates: outcome.ranked.map((r) => ({
        id: r.candidate.id,
        file: candidateFileName(round.number, r.candidate.index),
        seed: r.candidate.seed,
        rank: r.rank,
        scorecard: r.scorecard,
        parameters: r.candidate.parameters,
      })),
      summary: outcome.ranking.summary,
      sheet: `round-${round.number}/contact-sheet.png`,
      nudgesApplied: next === undefined ? [] : roundNudges(next).nudges,
      ...(outcome.taste === undefined ? {} : { taste: outcome.taste.explanation }),
      briefChanges:
        previous === undefined ? [] : diffBriefs(storedBrief(detail, previous.briefVersion), brief),
      reverted: standing?.reverted ?? false,
      standingBest:
        standing === undefined
          ? { round: round.number, file: '', overall: 0 }
          : {
              round: standing.standing.round.number,
              file: topFile(standing.standing.round),
              overall: standing.standing.overall,
            },
    };
  });
  let best: DirectReport['best'] | undefined;
  for (const round of rounds) {
    const top = round.candidates[0];
    if (top !== undefined && (best === undefined || top.scorecard.overall > best.overall))
      best = { round: round.round, file: top.file, overall: top.scorecard.overall };
  }
  if (best === undefined)
    throw new PortraitistError('ENGINE_FAILED', `session ${detail.id} has no scored candidates`);
  const first = detail.briefVersions[0]?.brief as { title?: unknown } | undefined;
  return {
    sessionId: detail.id,
    title: typeof first?.title === 'string' ? first.title : fallbackTitle,
    engine: done[0]?.engine ?? '',
    rounds,
    best,
    metGoal: best.overall >= goal,
    goal,
    files: {
      json: 'report.json',
      markdown: 'report.md',
      best: 'best.png',
      session: 'session.json',
    },
  };
}

const exportNames = ['round-1', 'report.json', 'best.png', 'session.json'];

/** Refuses an earlier export in `outDir` (OUTPUT_EXISTS naming `out`) unless `force`. */
export async function refuseEarlierExport(
  outDir: string,
  options: { force?: boolean; files?: OutputFileSystem },
): Promise<void> {
  const writeOptions: WriteOutputOptions = {
    force: options.force === true,
    field: 'out',
    ...(options.files === undefined ? {} : { fs: options.files }),
  };
  for (const name of exportNames) await refuseExisting(join(outDir, name), writeOptions);
}

export interface ExportSessionOptions {
  readonly library: SessionLibrary;
  readonly sessionId: string;
  readonly outDir: string;
  readonly force?: boolean;
  readonly files?: OutputFileSystem;
}

const percent = (value: number): string => `${Math.round(value * 100)}%`;

/** Writes a session's export (every write atomic); returns its report. */
export async function exportSession(options: ExportSessionOptions): Promise<DirectReport> {
  const { store, blobs } = options.library;
  const detail = await store.getSession(options.sessionId);
  if (detail === undefined)
    throw new PortraitistError('NOT_FOUND', `no session ${options.sessionId} in the library`, {
      issues: [
        {
          path: 'session',
          message: `expected a session id but received ${JSON.stringify(options.sessionId)}`,
        },
      ],
    });
  const settings = directSettingsSchema.safeParse(detail.settings);
  const goal = settings.success ? settings.data.goal : 0.8;
  const report = sessionReport(
    detail,
    goal,
    settings.success ? settings.data.briefSource : detail.title,
  );
  await refuseEarlierExport(options.outDir, options);
  const writeOptions: WriteOutputOptions = {
    force: options.force === true,
    field: 'out',
    ...(options.files === undefined ? {} : { fs: options.files }),
  };
  const write = (name: string, data: Uint8Array | string) =>
    writeOutputFile(join(options.outDir, name), data, writeOptions);
  const bytesOf = new Map<string, Uint8Array>();
  for (const round of report.rounds) {
    const images: Uint8Array[] = [];
    for (const candidate of round.candidates) {
      const stored = detail.candidates.find((c) => c.id === candidate.id);
      if (stored === undefined) continue;
      const bytes = await blobs.get(stored.image);
      bytesOf.set(candidate.file, bytes);
      images.push(bytes);
      await write(candidate.file, bytes);
    }
    const outcome = roundOutcome(
      detail.rounds.find((r) => r.number === round.round) ?? detail.rounds[0]!,
      detail.candidates,
    );
    await write(
      round.sheet,
      await drawContactSheet(
        outcome.ranking.candidates.map((ranked, k) => ({
          image: images[k] ?? new Uint8Array(),
          ranked,
        })),
        { title: `${report.title} — round ${round.round}\n${round.summary}` },
      ),
    );
  }
  const best = bytesOf.get(report.best.file);
  if (best !== undefined) await write('best.png', best);
  const references: Array<{ role: string; name: string; file: string }> = [];
  for (const [i, ref] of detail.references.entries()) {
    const file = `references/${i + 1}-${ref.role}.bin`;
    await write(file, await blobs.get(ref.blob));
    references.push({ role: ref.role, name: ref.name, file });
  }
  const blueprints: Record<string, unknown> = {};
  for (const c of detail.candidates) {
    const blueprint = await store.cachedBlueprint(c.image, blueprintModelVersion);
    if (blueprint !== undefined && blueprint !== null) blueprints[c.id] = blueprint;
  }
  const session: SessionFile = {
    format: 'portraitist-session',
    version: 1,
    id: detail.id,
    title: detail.title,
    createdAt: detail.createdAt.toISOString(),
    settings: detail.settings,
    briefVersions: detail.briefVersions.map((v) => ({
      version: v.version,
      brief: v.brief,
      note: v.note,
    })),
    references,
    rounds: detail.rounds.map((r) => ({
      number: r.number,
      briefVersion: r.briefVersion,
      engine: r.engine,
      count: r.count,
      seed: r.seed,
      nudges: [...r.nudges],
      status: r.status,
      candidates: detail.candidates
        .filter((c) => c.roundId === r.id)
        .map((c) => ({
          id: c.id,
          index: c.index,
          file: candidateFileName(r.number, c.index),
          engine: c.engine,
          seed: c.seed,
          parameters: c.parameters,
          provenance: c.provenance,
          scorecard: c.scorecard,
          scores: c.scores,
          blueprint: blueprints[c.id] ?? null,
          pick:
            c.pick === null
              ? null
              : { verdict: c.pick.verdict, stars: c.pick.stars, note: c.pick.note },
        })),
    })),
  };
  await write('session.json', `${JSON.stringify(session, null, 2)}\n`);
  await write('report.json', `${JSON.stringify(report, null, 2)}\n`);
  await write('report.md', markdownReport(report));
  return report;
}

const sessionFileSchema = z.strictObject({
  format: z.literal('portraitist-session'),
  version: z.literal(1),
  id: z.string(),
  title: z.string().min(1),
  createdAt: z.string(),
  settings: z.unknown(),
  briefVersions: z
    .array(
      z.strictObject({
        version: z.number().int().min(1),
        brief: z.unknown(),
        note: z.string().nullable(),
      }),
    )
    .min(1),
  references: z.array(
    z.strictObject({
      role: z.string().min(1),
      name: z.string().min(1),
      file: z.string().regex(/^references\/[\w.-]+$/),
    }),
  ),
  rounds: z.array(
    z.strictObject({
      number: z.number().int().min(1),
      briefVersion: z.number().int().min(1),
      engine: z.string().min(1),
      count: z.number().int().min(1),
      seed: z.number().int(),
      nudges: z.array(z.unknown()),
      status: z.enum(['running', 'done', 'failed', 'cancelled']),
      candidates: z.array(
        z.strictObject({
          id: z.string(),
          index: z.number().int().nonnegative(),
          file: z.string().regex(/^round-\d+\/candidate-\d+\.png$/),
          engine: z.string().min(1),
          seed: z.number().int(),
          parameters: z.unknown(),
          provenance: z.unknown(),
          scorecard: z.unknown(),
          scores: z.record(z.string(), z.number().nullable()),
          blueprint: z.unknown(),
          pick: z
            .strictObject({
              verdict: z.enum(['pick', 'reject']).nullable(),
              stars: z.number().int().min(1).max(5).nullable(),
              note: z.string().nullable(),
            })
            .nullable(),
        }),
      ),
    }),
  ),
});

/** The `session.json` of an export. */
export type SessionFile = z.output<typeof sessionFileSchema>;

/** Imports an exported session folder as a new session (new ids); returns its id. */
export async function importSession(options: {
  readonly library: SessionLibrary;
  readonly folder: string;
}): Promise<string> {
  const { store, blobs } = options.library;
  const path = join(options.folder, 'session.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PortraitistError(
      'USAGE',
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      {
        issues: [
          { path: 'folder', message: `expected an exported session folder with session.json` },
        ],
      },
    );
  }
  const parsed = sessionFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = (issue?.path ?? []).map(String).join('.');
    throw new PortraitistError('USAGE', `${path}: ${where}: ${issue?.message ?? 'invalid'}`, {
      issues: parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.'),
        message: i.message,
      })),
    });
  }
  const file = parsed.data;
  const [first, ...later] = [...file.briefVersions].sort((a, b) => a.version - b.version);
  const session = await store.createSession({
    title: file.title,
    brief: first?.brief,
    ...(file.settings === undefined || file.settings === null ? {} : { settings: file.settings }),
  });
  for (const v of later) await store.addBriefVersion(session.id, v.brief, v.note ?? undefined);
  for (const ref of file.references) {
    const blob = await blobs.put(new Uint8Array(await readFile(join(options.folder, ref.file))));
    await store.addReference(session.id, { role: ref.role, name: ref.name, blob });
  }
  for (const round of [...file.rounds].sort((a, b) => a.number - b.number)) {
    const record = await store.startRound(session.id, {
      briefVersion: round.briefVersion,
      engine: round.engine,
      count: round.count,
      seed: round.seed,
      nudges: round.nudges,
    });
    for (const c of round.candidates) {
      const image = await blobs.put(new Uint8Array(await readFile(join(options.folder, c.file))));
      const stored = await store.addCandidate(record.id, {
        index: c.index,
        engine: c.engine,
        seed: c.seed,
        parameters: c.parameters,
        provenance: c.provenance,
        image,
        ...(c.scorecard === null ? {} : { scorecard: c.scorecard, scores: c.scores }),
      });
      if (c.blueprint !== null)
        await store.cacheBlueprint(image, blueprintModelVersion, c.blueprint);
      if (c.pick !== null)
        await store.setPick(stored.id, {
          verdict: c.pick.verdict as Verdict | null,
          stars: c.pick.stars as Stars | null,
          note: c.pick.note,
        });
    }
    if (round.status !== 'running') await store.finishRound(record.id, round.status);
  }
  return session.id;
}

/** One brief change in words, e.g. `expression.intensity`: 0.6 → 0.84. */
export function describeChange(change: BriefChange): string {
  const show = (value: unknown) => JSON.stringify(value);
  if (change.kind === 'added') return `\`${change.path}\` added: ${show(change.after)}`;
  if (change.kind === 'removed') return `\`${change.path}\` removed (was ${show(change.before)})`;
  return `\`${change.path}\`: ${show(change.before)} → ${show(change.after)}`;
}

/** The report a person reads: per round, the ranking with each candidate's pillars and the nudges taken. */
export function markdownReport(report: DirectReport): string {
  const lines: string[] = [
    `# ${report.title}`,
    '',
    `Engine: \`${report.engine}\` · ${report.rounds.length} round${report.rounds.length === 1 ? '' : 's'} · best ${percent(report.best.overall)} (round ${report.best.round}, \`${report.best.file}\`) · ${report.metGoal ? `meets the brief (≥ ${percent(report.goal)})` : `below the goal of ${percent(report.goal)}`}`,
    '',
    `Session \`${report.sessionId}\` (\`portraitist sessions show ${report.sessionId}\`).`,
    '',
    `![best](${report.files.best})`,
    '',
  ];
  for (const round of report.rounds) {
    lines.push(`## Round ${round.round}`, '');
    if (round.briefChanges.length > 0) {
      lines.push('Brief changes from the round before:', '');
      for (const change of round.briefChanges) lines.push(`- ${describeChange(change)}`);
      lines.push('');
    }
    lines.push(
      `Best this round ${percent(round.candidates[0]?.scorecard.overall ?? 0)} · standing best ${percent(round.standingBest.overall)} (round ${round.standingBest.round})${round.reverted ? ' · worse than the standing best: its nudges are reverted' : ''}`,
      '',
    );
    if (round.taste !== undefined) lines.push(`_${round.taste}_`, '');
    lines.push(round.summary, '', `![contact sheet](${round.sheet})`, '');
    const pillars = [
      ...new Set(round.candidates.flatMap((c) => c.scorecard.pillars.map((p) => p.pillar))),
    ];
    lines.push(
      `| rank | candidate | overall | ${pillars.join(' | ')} | flags |`,
      `|---|---|---|${pillars.map(() => '---').join('|')}|---|`,
    );
    for (const candidate of round.candidates) {
      const cells = pillars.map((pillar) => {
        const score = candidate.scorecard.pillars.find((p) => p.pillar === pillar)?.score;
        return score === undefined ? '–' : percent(score);
      });
      lines.push(
        `| ${candidate.rank} | \`${candidate.file}\` | ${percent(candidate.scorecard.overall)} | ${cells.join(' | ')} | ${candidate.scorecard.flags.join(', ')} |`,
      );
    }
    lines.push('');
    const top = round.candidates[0];
    if (top !== undefined) {
      lines.push('Why the first is first:', '');
      for (const pillar of top.scorecard.pillars)
        lines.push(
          `- **${pillar.pillar}** ${percent(pillar.score)} — wanted ${pillar.wanted}; measured ${pillar.measured}. ${pillar.reason}.`,
        );
      for (const unmeasured of top.scorecard.unmeasured)
        lines.push(
          `- **${unmeasured.pillar}** – — wanted ${unmeasured.wanted}; ${unmeasured.reason}.`,
        );
      lines.push('');
    }
    if (round.nudgesApplied.length > 0) {
      lines.push('Nudges applied for the next round:', '');
      for (const nudge of round.nudgesApplied)
        lines.push(`- ${nudge.message} (\`${formatPatch(nudge.patch)}\`)`);
      lines.push('');
    }
  }
  return `${lines.join('\n')}\n`;
}
