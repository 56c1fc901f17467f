// `portraitist direct`: the main job — references, compile, generate, critique, rank, write, and
// with --rounds, nudge and go again.
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { readBriefFile } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import {
  candidateCount,
  direct,
  engineTarget,
  exampleReferencePhoto,
  openEngine,
  provenanceModes,
  resolveEngineConfig,
  resolveReferences,
  targetFor,
} from '../studio/index.js';
import { addEngineOptions } from './engine-options.js';
import {
  countFlag,
  engineFlagsShape,
  numberFlag,
  parseFlags,
  referenceFlag,
  wholeNumberFlag,
} from './flags.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';

const directFlags = z.object({
  ...engineFlagsShape,
  reference: z.array(z.string()).optional(),
  count: countFlag.optional(),
  rounds: wholeNumberFlag(1, 10).default(1),
  out: z.string().optional(),
  seed: wholeNumberFlag(0, Number.MAX_SAFE_INTEGER).optional(),
  goal: numberFlag(0, 1).default(0.8),
  stripMetadata: z.boolean().optional(),
  provenance: z.enum(provenanceModes).default('hashed'),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** Adds the direct command. */
export function registerDirect(program: Command, io: CliIo): void {
  addEngineOptions(program.command('direct'))
    .description(
      'the main job: generate candidates for a brief, critique, rank, report, and nudge for more rounds',
    )
    .argument('<brief>', 'brief file (YAML or JSON)')
    .option(
      '--reference <photo>',
      'a reference photo, or role=photo (identity, pose, expression, lighting, palette, style); repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('-n, --count <n>', 'candidates per round (default: the brief’s output.count)')
    .option('--rounds <r>', 'rounds: apply the top nudges and go again until the brief is met', '1')
    .option(
      '--out <dir>',
      'where to write candidates, contact sheets and the report (default out/<brief name>)',
    )
    .option('--seed <seed>', 'seed of the first candidate')
    .option('--goal <score>', 'overall score (0..1) at which the brief counts as met', '0.8')
    .option('--strip-metadata', 'write images without embedded provenance')
    .option(
      '--provenance <mode>',
      'reference photos in the embedded provenance: hashed (sha-256 of the bytes) or full (their file names)',
      'hashed',
    )
    .option('--force', 'replace the files of an earlier run in --out')
    .option('--json', 'print the report as JSON')
    .action(async (briefFile: string, rawFlags: unknown) => {
      const flags = parseFlags(directFlags, rawFlags);
      const json = flags.json === true;
      const config = await resolveEngineConfig(flags, io.env, io.cwd);
      const { rounds, goal } = flags;
      const extra = (flags.reference ?? []).map((value) => referenceFlag(value, io.cwd, false));
      const briefPath = resolve(io.cwd, briefFile);
      const resolved = await resolveReferences({
        brief: await readBriefFile(briefPath),
        briefPath,
        extra,
      });
      const { brief } = resolved;
      const references = [...resolved.references];
      let usedExample = false;
      if (references.length === 0 && config.engine === 'local') {
        const example = await exampleReferencePhoto();
        references.push({ role: 'identity', image: example.image, source: example.source });
        usedExample = true;
      }
      const outDir = resolve(io.cwd, flags.out ?? `out/${basename(briefFile, extname(briefFile))}`);
      const style = styleFor(io, 'stderr');
      const live = !json && io.stderr.isTTY === true;
      const session = await openEngine(config, { withVision: true });
      const { engine, vision } = session;
      // Ctrl-C cancels: a remote engine interrupts its running job and drops the queued ones.
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        if (vision === undefined) throw new PortraitistError('INTERNAL', 'vision not loaded');
        const count = candidateCount(
          engine.describe(),
          brief,
          flags.count === undefined ? undefined : { value: flags.count, field: 'count' },
        );
        const target = targetFor(engine, brief, flags.target);
        if (!json) {
          writeLine(
            io.stderr,
            `directing ${brief.title ?? basename(briefFile)} · ${engineTarget(config)} · ${count} candidate${count === 1 ? '' : 's'} × up to ${rounds} round${rounds === 1 ? '' : 's'}${usedExample ? ' · reference: the bundled example photo' : ''}`,
          );
        }
        let lastLine = '';
        const result = await direct({
          signal: controller.signal,
          brief,
          briefSource: basename(briefFile),
          references,
          engine,
          vision,
          target,
          count,
          rounds,
          outDir,
          goal,
          ...(flags.seed === undefined ? {} : { seed: flags.seed }),
          stripMetadata: flags.stripMetadata === true,
          provenance: flags.provenance,
          force: flags.force === true,
          onProgress: (p) => {
            if (json) return;
            const line = `round ${p.round}/${p.rounds} · ${p.stage} ${p.done}/${p.total}${p.detail === undefined ? '' : ` · ${p.detail}`}`;
            if (live) io.stderr.write(`\r${style.dim(line.padEnd(72).slice(0, 72))}`);
            else if (p.stage !== lastLine.split(' ')[3]) writeLine(io.stderr, style.dim(line));
            lastLine = line;
          },
        });
        if (live) io.stderr.write('\n');
        if (json) writeJson(io, { ...result, outDir });
        else {
          const out = styleFor(io);
          writeLine(io.stdout, out.bold(`${result.title}`));
          for (const round of result.rounds) {
            writeLine(io.stdout, `  round ${round.round}: ${round.summary}`);
            for (const nudge of round.nudgesApplied)
              writeLine(io.stdout, `    ${out.warn('→')} ${nudge.message}`);
          }
          writeLine(
            io.stdout,
            `  best: ${result.best.file} at ${Math.round(result.best.overall * 100)}% ${result.metGoal ? out.ok('(meets the brief)') : `(goal ${Math.round(goal * 100)}%)`}`,
          );
          writeLine(
            io.stdout,
            `  wrote ${outDir}/: candidates, contact sheets, best.png, report.md, report.json`,
          );
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
        await session.dispose();
      }
    });
}
