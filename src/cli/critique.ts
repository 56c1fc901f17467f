// `portraitist critique`: score candidates against a brief, rank them, explain, nudge, and draw
// a contact sheet.
import { access, readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  formatPatch,
  readBriefFile,
  referenceRoles,
  type Brief,
  type ReferenceRole,
} from '../brief/index.js';
import {
  critique,
  drawContactSheet,
  rank,
  type CritiqueReferences,
  type Ranking,
} from '../critic/index.js';
import { PortraitistError } from '../errors/index.js';
import { refuseExisting, writeOutputFile } from '../files/index.js';
import { type Blueprint } from '../vision/index.js';
import { exitCodes } from './errors.js';
import { styleFor, writeJson, writeLine, type CliIo, type Style } from './io.js';
import { progressBar } from './progress.js';
import { readPhotos } from './read-photos.js';

interface CritiqueFlags {
  reference?: string[];
  sheet?: string;
  force?: boolean;
  json?: boolean;
}

const bar = (score: number, width = 10): string =>
  `${'█'.repeat(Math.round(score * width))}${'░'.repeat(width - Math.round(score * width))}`;

/** Parses `role=path` reference flags. */
function parseReferences(
  io: CliIo,
  values: readonly string[],
): Array<{ role: ReferenceRole; path: string }> {
  return values.map((value) => {
    const [role, ...rest] = value.split('=');
    const path = rest.join('=');
    if (!(referenceRoles as readonly string[]).includes(role ?? '') || path === '') {
      const message = `expected role=path with a role of ${referenceRoles.join(', ')} for \`reference\` but received ${JSON.stringify(value)}`;
      throw new PortraitistError('USAGE', message, { issues: [{ path: 'reference', message }] });
    }
    return { role: role as ReferenceRole, path: resolve(io.cwd, path) };
  });
}

/** The brief's own references whose files exist (paths relative to the brief), plus the flags'. */
async function referencePaths(
  brief: Brief,
  briefPath: string,
  flags: Array<{ role: ReferenceRole; path: string }>,
): Promise<Array<{ role: ReferenceRole; path: string }>> {
  const fromBrief: Array<{ role: ReferenceRole; path: string }> = [];
  for (const reference of brief.references) {
    const path = resolve(dirname(briefPath), reference.image);
    try {
      await access(path);
      fromBrief.push({ role: reference.role, path });
    } catch {
      // A library id or a missing file: nothing to measure against here.
    }
  }
  const overridden = new Set(flags.map((f) => f.role));
  return [...fromBrief.filter((r) => !overridden.has(r.role)), ...flags];
}

function describeRanking(ranking: Ranking, brief: Brief, style: Style): string {
  const lines = [
    style.bold(`Ranking${brief.title === undefined ? '' : ` · ${brief.title}`}`),
    `  ${ranking.summary}`,
    '',
  ];
  for (const candidate of ranking.candidates) {
    const card = candidate.scorecard;
    lines.push(
      `${String(candidate.rank).padStart(2)}. ${style.bold(card.source)}  ${Math.round(card.overall * 100)}%${card.flags.length > 0 ? `  ${style.warn(card.flags.join(', '))}` : ''}`,
    );
    for (const pillar of card.pillars) {
      lines.push(
        `    ${pillar.pillar.padEnd(13)} ${bar(pillar.score)} ${pillar.score.toFixed(2)}  ${pillar.reason}`,
      );
    }
    for (const nudge of card.nudges.slice(0, 3)) {
      const patch = formatPatch(nudge.patch);
      lines.push(`    ${style.warn('→')} ${nudge.message} ${style.dim(`(${patch})`)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Adds the critique command. */
export function registerCritique(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('critique')
    .description(
      'score candidates against a brief, rank them, explain why, and propose the next nudge',
    )
    .argument('<brief>', 'brief file (YAML or JSON)')
    .argument('<images...>', 'candidate images')
    .option(
      '--reference <role=path>',
      'a reference photo by role (identity, pose, expression, lighting, palette); repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--sheet <png>', 'write a contact sheet of the ranked candidates')
    .option('--force', 'overwrite the --sheet file if it exists')
    .option('--json', 'print the scorecards and ranking as JSON')
    .action(async (briefFile: string, images: string[], flags: CritiqueFlags) => {
      const json = flags.json === true;
      const sheetOptions = { force: flags.force === true, field: 'sheet' };
      if (flags.sheet !== undefined)
        await refuseExisting(resolve(io.cwd, flags.sheet), sheetOptions);
      const briefPath = resolve(io.cwd, briefFile);
      const brief = await readBriefFile(briefPath);
      const references = await referencePaths(
        brief,
        briefPath,
        parseReferences(io, flags.reference ?? []),
      );
      const paths = images.map((image) => resolve(io.cwd, image));
      const jobs = [
        ...references.map((r) => ({ input: r.path, source: basename(r.path) })),
        ...paths.map((input, i) => ({ input, source: images[i] ?? input })),
      ];
      const progress = progressBar(io, jobs.length, 'critiquing', !json);
      const results = await readPhotos(jobs, progress);
      progress.done();
      const referenceBlueprints: Record<string, Blueprint> = {};
      references.forEach((reference, i) => {
        const result = results[i];
        if (result instanceof Error) throw result;
        if (result !== undefined) referenceBlueprints[reference.role] = result;
      });
      const candidates = results.slice(references.length);
      const failures = candidates.filter((r): r is PortraitistError => r instanceof Error);
      const blueprints = candidates.filter((r): r is Blueprint => !(r instanceof Error));
      const scorecards = blueprints.map((blueprint) =>
        critique(blueprint, brief, referenceBlueprints as CritiqueReferences),
      );
      const ranking = rank(scorecards);
      if (flags.sheet !== undefined) {
        const target = resolve(io.cwd, flags.sheet);
        const bytes = new Map(
          await Promise.all(
            blueprints.map(
              async (b, i) =>
                [
                  b.source,
                  new Uint8Array(await readFile(paths[images.indexOf(b.source)] ?? paths[i] ?? '')),
                ] as const,
            ),
          ),
        );
        const sheet = await drawContactSheet(
          ranking.candidates.map((ranked) => ({
            image: bytes.get(ranked.scorecard.source) ?? new Uint8Array(),
            ranked,
          })),
          { title: `${brief.title ?? basename(briefFile)}\n${ranking.summary}` },
        );
        await writeOutputFile(target, sheet, sheetOptions);
      }
      if (json)
        writeJson(io, {
          ranking,
          failures: failures.map((f) => f.toJSON()),
          sheet: flags.sheet === undefined ? null : resolve(io.cwd, flags.sheet),
        });
      else {
        const style = styleFor(io);
        writeLine(io.stdout, describeRanking(ranking, brief, style));
        for (const failure of failures)
          writeLine(
            io.stdout,
            `${style.error('error')} ${failure.code}: ${failure.source ?? ''}: ${failure.message}`,
          );
        if (flags.sheet !== undefined) writeLine(io.stdout, `wrote ${flags.sheet}`);
      }
      const failure = failures[0];
      if (failure !== undefined) setExitCode(exitCodes[failure.code]);
    });
}
