// `portraitist critique`: score candidates against a brief, rank them, explain, nudge, and draw
// a contact sheet.
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { formatPatch, readBriefFile, type Brief } from '../brief/index.js';
import type { Ranking } from '../critic/index.js';
import { studio } from './studio.js';
import { exitCodes } from './errors.js';
import { parseFlags, referenceFlag } from './flags.js';
import { styleFor, writeJson, writeLine, type CliIo, type Style } from './io.js';
import { progressBar } from './progress.js';

const critiqueFlags = z.object({
  reference: z.array(z.string()).optional(),
  sheet: z.string().optional(),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
});

const bar = (score: number, width = 10): string =>
  `${'█'.repeat(Math.round(score * width))}${'░'.repeat(width - Math.round(score * width))}`;

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
    // Pillars vision could not measure on this candidate: not scored, said so.
    for (const unmeasured of card.unmeasured)
      lines.push(
        `    ${unmeasured.pillar.padEnd(13)} ${style.dim('–'.padEnd(15))}  ${unmeasured.reason}`,
      );
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
    .action(async (briefFile: string, images: string[], rawFlags: unknown) => {
      const { critiqueCandidates, resolveReferences } = await studio();
      const flags = parseFlags(critiqueFlags, rawFlags);
      const json = flags.json === true;
      const sheetPath = flags.sheet === undefined ? undefined : resolve(io.cwd, flags.sheet);
      const extra = (flags.reference ?? []).map((value) => referenceFlag(value, io.cwd, true));
      const briefPath = resolve(io.cwd, briefFile);
      const { brief, references } = await resolveReferences({
        brief: await readBriefFile(briefPath),
        briefPath,
        extra,
      });
      const progress = progressBar(io, references.length + images.length, 'critiquing', !json);
      const { ranking, failures } = await critiqueCandidates({
        brief,
        references,
        candidates: images.map((image) => ({ input: resolve(io.cwd, image), source: image })),
        ...(sheetPath === undefined
          ? {}
          : {
              sheet: {
                path: sheetPath,
                title: brief.title ?? basename(briefFile),
                force: flags.force === true,
              },
            }),
        onProgress: (p) => progress.update(p.done, p.source),
      });
      progress.done();
      if (json)
        writeJson(io, {
          ranking,
          failures: failures.map((f) => f.toJSON()),
          sheet: sheetPath ?? null,
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
