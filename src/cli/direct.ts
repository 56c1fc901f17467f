// `portraitist direct`: the main job — references, compile, generate, critique, rank, write, and
// with --rounds, nudge and go again.
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { readBriefFile } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { direct, exampleReferencePhoto } from '../studio/index.js';
import { createVision, createVisionRuntime } from '../vision/index.js';
import {
  addEngineOptions,
  createConfiguredEngine,
  engineTarget,
  provenanceMode,
  resolveEngineConfig,
  targetFor,
  type EngineFlags,
} from './engine-config.js';
import { styleFor, wholeNumber, writeJson, writeLine, type CliIo } from './io.js';
import { readReferences } from './references.js';

interface DirectFlags extends EngineFlags {
  reference?: string[];
  target?: string;
  count: string;
  rounds: string;
  out?: string;
  seed?: string;
  goal?: string;
  stripMetadata?: boolean;
  provenance?: string;
  force?: boolean;
  json?: boolean;
}

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
    .option('-n, --count <n>', 'candidates per round', '4')
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
    .action(async (briefFile: string, flags: DirectFlags) => {
      const json = flags.json === true;
      const config = await resolveEngineConfig(flags, io.env, io.cwd);
      const count = wholeNumber(flags.count, 'count', 1, 64);
      const rounds = wholeNumber(flags.rounds, 'rounds', 1, 10);
      const goal = Number(flags.goal ?? '0.8');
      if (!(goal >= 0 && goal <= 1))
        throw new PortraitistError(
          'USAGE',
          `expected a number from 0 to 1 for \`goal\` but received ${JSON.stringify(flags.goal)}`,
        );
      const provenance = provenanceMode(flags.provenance);
      const briefPath = resolve(io.cwd, briefFile);
      const brief = await readBriefFile(briefPath);
      const references = await readReferences(flags.reference, brief, briefPath, io.cwd);
      let usedExample = false;
      if (references.length === 0 && config.engine === 'local') {
        const example = await exampleReferencePhoto();
        references.push({ role: 'identity', image: example.image, source: example.source });
        usedExample = true;
      }
      const outDir = resolve(io.cwd, flags.out ?? `out/${basename(briefFile, extname(briefFile))}`);
      const style = styleFor(io, 'stderr');
      const live = !json && io.stderr.isTTY === true;
      if (!json) {
        writeLine(
          io.stderr,
          `directing ${brief.title ?? basename(briefFile)} · ${engineTarget(config)} · ${count} candidate${count === 1 ? '' : 's'} × up to ${rounds} round${rounds === 1 ? '' : 's'}${usedExample ? ' · reference: the bundled example photo' : ''}`,
        );
      }
      const vision = createVision(await createVisionRuntime());
      const engine = await createConfiguredEngine(config, vision).catch((error: unknown) => {
        vision.dispose();
        throw error;
      });
      // Ctrl-C cancels: a remote engine interrupts its running job and drops the queued ones.
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        const target = targetFor(engine, brief, flags.target);
        let lastLine = '';
        const result = await direct({
          signal: controller.signal,
          brief,
          briefSource: basename(briefFile),
          references,
          engine,
          vision,
          compiler: createPromptCompiler(),
          target,
          count,
          rounds,
          outDir,
          goal,
          ...(flags.seed === undefined
            ? {}
            : { seed: wholeNumber(flags.seed, 'seed', 0, Number.MAX_SAFE_INTEGER) }),
          stripMetadata: flags.stripMetadata === true,
          provenance,
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
        await engine.dispose();
        vision.dispose();
      }
    });
}
