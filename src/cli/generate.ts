// `portraitist generate`: compile a brief for an engine, generate N candidates with a live progress
// line, and write each as a PNG carrying its provenance (or stripped of all metadata for export).
import { basename, extname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { readBriefFile } from '../brief/index.js';
import { candidateFileBytes, type EngineProgress } from '../engines/index.js';
import { refuseExisting, writeOutputFile } from '../files/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { createVision, createVisionRuntime, type Vision } from '../vision/index.js';
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

interface GenerateFlags extends EngineFlags {
  reference?: string[];
  count: string;
  seed?: string;
  out?: string;
  target?: string;
  stripMetadata?: boolean;
  provenance?: string;
  force?: boolean;
  json?: boolean;
}

/** One progress line: candidate count, stage, node, sampling step and a bar for the fraction. */
export function progressLine(progress: EngineProgress): string {
  const width = 16;
  const fraction = progress.fraction ?? 0;
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const step =
    progress.step !== undefined && progress.steps !== undefined
      ? ` step ${progress.step}/${progress.steps}`
      : '';
  const node = progress.node === undefined ? '' : ` · ${progress.node}`;
  return `${progress.done}/${progress.total} ${bar} ${progress.stage}${node}${step}`;
}

/** Adds the generate command. */
export function registerGenerate(program: Command, io: CliIo): void {
  addEngineOptions(program.command('generate'))
    .description('generate candidates for a brief with an engine and write them with provenance')
    .argument('<brief>', 'brief file (YAML or JSON)')
    .option(
      '--reference <photo>',
      'a reference photo, or role=photo (identity, pose, expression, lighting, palette, style); repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('-n, --count <n>', 'candidates to make', '4')
    .option('--seed <seed>', 'seed of the first candidate (default: the brief’s, or 1)')
    .option('--out <dir>', 'where to write the images (default out/<brief name>/generate)')
    .option('--strip-metadata', 'write images without any embedded metadata (for export)')
    .option(
      '--provenance <mode>',
      'reference photos in the embedded provenance: hashed (sha-256 of the bytes) or full (their file names)',
      'hashed',
    )
    .option('--force', 'overwrite candidate files that exist in --out')
    .option('--json', 'print what was written as JSON')
    .action(async (briefFile: string, flags: GenerateFlags) => {
      const json = flags.json === true;
      const config = await resolveEngineConfig(flags, io.env, io.cwd);
      const count = wholeNumber(flags.count, 'count', 1, 256);
      const provenance = provenanceMode(flags.provenance);
      const briefPath = resolve(io.cwd, briefFile);
      const brief = await readBriefFile(briefPath);
      const seed =
        flags.seed === undefined
          ? (brief.output.seed ?? 1)
          : wholeNumber(flags.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
      const references = await readReferences(flags.reference, brief, briefPath, io.cwd);
      const outDir = resolve(
        io.cwd,
        flags.out ?? join('out', basename(briefFile, extname(briefFile)), 'generate'),
      );
      // Vision draws pose skeletons for ControlNets and runs the darkroom; load it only when needed.
      const needsVision =
        config.engine === 'local' || brief.references.some((r) => r.role === 'pose');
      const vision: Vision | undefined = needsVision
        ? createVision(await createVisionRuntime())
        : undefined;
      const engine = await createConfiguredEngine(config, vision).catch((error: unknown) => {
        vision?.dispose();
        throw error;
      });
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      const style = styleFor(io, 'stderr');
      const live = !json && io.stderr.isTTY === true;
      try {
        const target = targetFor(engine, brief, flags.target);
        const compiled = createPromptCompiler().compile(brief, target);
        const writeOptions = { force: flags.force === true, field: 'out' };
        const fileFor = (candidateSeed: number) =>
          join(outDir, `${engine.id}-${candidateSeed}.png`);
        // Before paying an engine: refuse candidate files that are there already.
        for (let k = 0; k < count; k++) await refuseExisting(fileFor(seed + k), writeOptions);
        if (!json)
          writeLine(
            io.stderr,
            `generating ${count} × ${brief.title ?? basename(briefFile)} · ${target} · ${engineTarget(config)}`,
          );
        const seen = new Set<string>();
        const candidates = await engine.generate(
          { brief, compiled, references, count, seed },
          {
            signal: controller.signal,
            onProgress: (progress) => {
              if (json) return;
              const line = progressLine(progress);
              if (live) io.stderr.write(`\r${style.dim(line.padEnd(78).slice(0, 78))}`);
              else if (!seen.has(`${progress.done}:${progress.stage}`))
                // Into a log: one line per stage of each candidate, not one per sampling step.
                writeLine(io.stderr, style.dim(line));
              seen.add(`${progress.done}:${progress.stage}`);
            },
          },
        );
        if (live) io.stderr.write('\n');
        const written: Array<{ file: string; seed: number; engine: string; ms: number }> = [];
        for (const candidate of candidates) {
          const file = fileFor(candidate.seed);
          await writeOutputFile(
            file,
            candidateFileBytes(candidate, {
              stripMetadata: flags.stripMetadata === true,
              provenance,
            }),
            writeOptions,
          );
          written.push({
            file: relative(io.cwd, file),
            seed: candidate.seed,
            engine: candidate.engine,
            ms: candidate.timings.totalMs,
          });
        }
        if (json) writeJson(io, { engine: engine.id, target, outDir, candidates: written });
        else {
          for (const entry of written) writeLine(io.stdout, `${entry.file}  seed ${entry.seed}`);
          writeLine(
            io.stdout,
            style.ok(
              `wrote ${written.length} image${written.length === 1 ? '' : 's'} to ${relative(io.cwd, outDir) || '.'}${flags.stripMetadata === true ? ' (metadata stripped)' : ' (with provenance)'}`,
            ),
          );
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
        await engine.dispose();
        vision?.dispose();
      }
    });
}
