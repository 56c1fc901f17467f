// direct: the main job. Read the references, compile the brief, generate candidates, critique and
// rank them, write everything with provenance, then apply the top nudges and go again until the
// best candidate meets the brief or the rounds run out.
import { join, relative } from 'node:path';
import {
  applyNudges,
  formatPatch,
  type Brief,
  type Nudge,
  type ReferenceRole,
  type Target,
} from '../brief/index.js';
import {
  critique,
  drawContactSheet,
  rank,
  type CritiqueReferences,
  type Scorecard,
} from '../critic/index.js';
import {
  candidateFileBytes,
  type Engine,
  type ProvenanceMode,
  type ReferenceImage,
} from '../engines/index.js';
import { PortraitistError, isPortraitistError } from '../errors/index.js';
import {
  refuseExisting,
  writeOutputFile,
  type OutputFileSystem,
  type WriteOutputOptions,
} from '../files/index.js';
import { createPromptCompiler, type PromptCompiler } from '../prompt/index.js';
import type { Blueprint, Vision } from '../vision/index.js';

/** What `direct` reports as it goes. */
export interface DirectProgress {
  readonly round: number;
  readonly rounds: number;
  readonly stage: 'references' | 'generating' | 'critiquing' | 'writing' | 'done';
  readonly done: number;
  readonly total: number;
  readonly detail?: string;
}

export interface DirectOptions {
  readonly brief: Brief;
  readonly briefSource: string;
  readonly references: readonly ReferenceImage[];
  readonly engine: Engine;
  readonly vision: Vision;
  /** The prompt compiler (default: a new one). */
  readonly compiler?: PromptCompiler;
  /** Model family to compile for (default: the brief's `output.target`). */
  readonly target?: Target;
  readonly count: number;
  readonly rounds: number;
  readonly outDir: string;
  /** Seed of the first candidate (default: the brief's seed, or 1). */
  readonly seed?: number;
  /** Overall score at which the brief counts as met (default 0.8). */
  readonly goal?: number;
  /** Write images without embedded provenance. */
  readonly stripMetadata?: boolean;
  /** Reference photos in the embedded provenance: content hashes (default) or their names too. */
  readonly provenance?: ProvenanceMode;
  /** Replace the files of an earlier run in outDir (default: refuse with OUTPUT_EXISTS). */
  readonly force?: boolean;
  /** The file system writes go to (default: the real one); every write is atomic. */
  readonly files?: OutputFileSystem;
  readonly onProgress?: (progress: DirectProgress) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

export interface DirectCandidate {
  readonly file: string;
  readonly seed: number;
  readonly rank: number;
  readonly scorecard: Scorecard;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
}

export interface DirectRound {
  readonly round: number;
  readonly brief: Brief;
  readonly candidates: readonly DirectCandidate[];
  readonly summary: string;
  readonly sheet: string;
  /** Nudges applied to make the next round's brief (empty on the last round). */
  readonly nudgesApplied: readonly Nudge[];
}

export interface DirectReport {
  readonly title: string;
  readonly engine: string;
  readonly rounds: readonly DirectRound[];
  readonly best: { readonly round: number; readonly file: string; readonly overall: number };
  readonly metGoal: boolean;
  readonly goal: number;
  readonly files: { readonly json: string; readonly markdown: string; readonly best: string };
}

const percent = (value: number): string => `${Math.round(value * 100)}%`;

/** Runs the main job and writes candidates, contact sheets and a report (Markdown + JSON) to outDir. */
export async function direct(options: DirectOptions): Promise<DirectReport> {
  const { engine, vision, outDir } = options;
  const compiler = options.compiler ?? createPromptCompiler();
  const goal = options.goal ?? 0.8;
  const report = (progress: DirectProgress) => options.onProgress?.(progress);
  if (!Number.isInteger(options.rounds) || options.rounds < 1 || options.rounds > 10) {
    throw new PortraitistError('USAGE', 'bad round count', {
      issues: [
        {
          path: 'rounds',
          message: `expected a whole number from 1 to 10 for \`rounds\` but received ${options.rounds}`,
        },
      ],
    });
  }
  const writeOptions: WriteOutputOptions = {
    force: options.force === true,
    field: 'out',
    ...(options.files === undefined ? {} : { fs: options.files }),
  };
  const write = (file: string, data: Uint8Array | string) =>
    writeOutputFile(file, data, writeOptions);
  // An earlier run's files are refused before any work; folders are made only as files land, so
  // a run that fails before writing leaves no empty round folder.
  for (const earlier of ['round-1', 'report.json', 'best.png'])
    await refuseExisting(join(outDir, earlier), writeOptions);

  // References are read once: they are what every round is measured against.
  report({
    round: 0,
    rounds: options.rounds,
    stage: 'references',
    done: 0,
    total: options.references.length,
  });
  const referenceBlueprints: Partial<Record<ReferenceRole, Blueprint>> = {};
  for (const [i, reference] of options.references.entries()) {
    referenceBlueprints[reference.role] = await vision.analyze(reference.image, {
      source: reference.source,
    });
    report({
      round: 0,
      rounds: options.rounds,
      stage: 'references',
      done: i + 1,
      total: options.references.length,
      detail: reference.source,
    });
  }

  let brief = options.brief;
  const rounds: DirectRound[] = [];
  let best: { round: number; file: string; overall: number; bytes: Uint8Array } | undefined;
  const firstSeed = options.seed ?? brief.output.seed ?? 1;
  for (let round = 1; round <= options.rounds; round++) {
    const roundBrief = brief;
    const roundDir = join(outDir, `round-${round}`);
    const compiled = compiler.compile(brief, options.target ?? brief.output.target);
    const candidates = await engine.generate(
      {
        brief,
        compiled,
        references: options.references,
        count: options.count,
        seed: firstSeed + (round - 1) * 1000,
      },
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onProgress: (p) =>
          report({
            round,
            rounds: options.rounds,
            stage: 'generating',
            done: p.done,
            total: p.total,
            detail: p.stage,
          }),
      },
    );
    const written: Array<{
      file: string;
      bytes: Uint8Array;
      blueprint: Blueprint;
      parameters: DirectCandidate['parameters'];
      seed: number;
    }> = [];
    for (const [k, candidate] of candidates.entries()) {
      const file = join(roundDir, `candidate-${k + 1}.png`);
      const bytes = candidateFileBytes(candidate, {
        stripMetadata: options.stripMetadata === true,
        provenance: options.provenance ?? 'hashed',
      });
      await write(file, bytes);
      report({
        round,
        rounds: options.rounds,
        stage: 'critiquing',
        done: k,
        total: candidates.length,
        detail: relative(outDir, file),
      });
      const blueprint = await vision.analyze(bytes, { source: relative(outDir, file) });
      written.push({
        file,
        bytes,
        blueprint,
        parameters: candidate.parameters,
        seed: candidate.seed,
      });
    }
    const scorecards = written.map((w) =>
      critique(w.blueprint, brief, referenceBlueprints as CritiqueReferences),
    );
    const ranking = rank(scorecards);
    report({ round, rounds: options.rounds, stage: 'writing', done: 0, total: 1 });
    const sheet = join(roundDir, 'contact-sheet.png');
    await write(
      sheet,
      await drawContactSheet(
        ranking.candidates.map((ranked) => ({
          image:
            written.find((w) => relative(outDir, w.file) === ranked.scorecard.source)?.bytes ??
            new Uint8Array(),
          ranked,
        })),
        { title: `${brief.title ?? options.briefSource} — round ${round}\n${ranking.summary}` },
      ),
    );
    const roundCandidates: DirectCandidate[] = ranking.candidates.map((ranked) => {
      const entry = written.find((w) => relative(outDir, w.file) === ranked.scorecard.source);
      return {
        file: relative(outDir, entry?.file ?? ''),
        seed: entry?.seed ?? 0,
        rank: ranked.rank,
        scorecard: ranked.scorecard,
        parameters: entry?.parameters ?? {},
      };
    });
    const top = ranking.candidates[0];
    const topEntry = written.find((w) => relative(outDir, w.file) === top?.scorecard.source);
    if (
      top !== undefined &&
      topEntry !== undefined &&
      (best === undefined || top.scorecard.overall > best.overall)
    ) {
      best = {
        round,
        file: relative(outDir, topEntry.file),
        overall: top.scorecard.overall,
        bytes: topEntry.bytes,
      };
    }
    const met = (top?.scorecard.overall ?? 0) >= goal;
    // The next round follows the two most costly shortfalls: the best candidate's first, then
    // those the others share (one nudge per rule).
    const pool = ranking.candidates.flatMap((c) => c.scorecard.nudges);
    const byRule = new Map<string, Nudge>();
    for (const nudge of pool) if (!byRule.has(nudge.rule)) byRule.set(nudge.rule, nudge);
    const nudges = met || round === options.rounds ? [] : [...byRule.values()].slice(0, 2);
    let applied: Nudge[] = [];
    if (nudges.length > 0) {
      try {
        brief = applyNudges(brief, nudges);
        applied = nudges;
      } catch (error) {
        if (!isPortraitistError(error)) throw error;
        applied = [];
      }
    }
    rounds.push({
      round,
      brief: roundBrief,
      candidates: roundCandidates,
      summary: ranking.summary,
      sheet: relative(outDir, sheet),
      nudgesApplied: applied,
    });
    if (met) break;
  }
  if (best === undefined)
    throw new PortraitistError('ENGINE_FAILED', `${engine.id} made no candidates`);
  const bestFile = join(outDir, 'best.png');
  await write(bestFile, best.bytes);
  const result: DirectReport = {
    title: options.brief.title ?? options.briefSource,
    engine: engine.id,
    rounds,
    best: { round: best.round, file: best.file, overall: best.overall },
    metGoal: best.overall >= goal,
    goal,
    files: { json: 'report.json', markdown: 'report.md', best: 'best.png' },
  };
  await write(join(outDir, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  await write(join(outDir, 'report.md'), markdownReport(result));
  report({ round: rounds.length, rounds: options.rounds, stage: 'done', done: 1, total: 1 });
  return result;
}

/** The report a person reads: per round, the ranking with each candidate's pillars and the nudges taken. */
export function markdownReport(report: DirectReport): string {
  const lines: string[] = [
    `# ${report.title}`,
    '',
    `Engine: \`${report.engine}\` · ${report.rounds.length} round${report.rounds.length === 1 ? '' : 's'} · best ${percent(report.best.overall)} (round ${report.best.round}, \`${report.best.file}\`) · ${report.metGoal ? `meets the brief (≥ ${percent(report.goal)})` : `below the goal of ${percent(report.goal)}`}`,
    '',
    `![best](${report.files.best})`,
    '',
  ];
  for (const round of report.rounds) {
    lines.push(
      `## Round ${round.round}`,
      '',
      round.summary,
      '',
      `![contact sheet](${round.sheet})`,
      '',
    );
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
