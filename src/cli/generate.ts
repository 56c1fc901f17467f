// `portraitist generate`: compile a brief for an engine, generate N candidates with a live progress
// line, and write each as a PNG carrying its provenance (or stripped of all metadata for export).
import { basename, extname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { readBriefFile } from '../brief/index.js';
import type { EngineProgress } from '../engines/index.js';
import { provenanceModes } from '../studio/light.js';
import { studio } from './studio.js';
import { addEngineOptions } from './engine-options.js';
import {
  countFlag,
  engineFlagsShape,
  parseFlags,
  referenceFlag,
  wholeNumberFlag,
} from './flags.js';
import { openCliLibrary } from './direct.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';

const generateFlags = z.object({
  ...engineFlagsShape,
  reference: z.array(z.string()).optional(),
  count: countFlag.optional(),
  seed: wholeNumberFlag(0, Number.MAX_SAFE_INTEGER).optional(),
  out: z.string().optional(),
  stripMetadata: z.boolean().optional(),
  provenance: z.enum(provenanceModes).default('hashed'),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
  library: z.union([z.string().min(1), z.boolean()]).optional(),
});

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
    .option('-n, --count <n>', 'candidates to make (default: the brief’s output.count)')
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
    .option(
      '--library <folder>',
      'the library folder (default $PORTRAITIST_LIBRARY or ~/.portraitist)',
    )
    .option('--no-library', 'keep nothing in the library: write only the files')
    .action(async (briefFile: string, rawFlags: unknown) => {
      const {
        candidateCount,
        engineNeedsVision,
        engineTarget,
        generateCandidates,
        openEngine,
        resolveEngineConfig,
        resolveReferences,
        targetFor,
      } = await studio();
      const flags = parseFlags(generateFlags, rawFlags);
      const json = flags.json === true;
      const config = await resolveEngineConfig(flags, io.env, io.cwd);
      const extra = (flags.reference ?? []).map((value) => referenceFlag(value, io.cwd, false));
      const briefPath = resolve(io.cwd, briefFile);
      const { brief, references } = await resolveReferences({
        brief: await readBriefFile(briefPath),
        briefPath,
        extra,
      });
      const seed = flags.seed ?? brief.output.seed ?? 1;
      const outDir = resolve(
        io.cwd,
        flags.out ?? join('out', basename(briefFile, extname(briefFile)), 'generate'),
      );
      const library = flags.library === false ? undefined : await openCliLibrary(io, flags.library);
      const session = await openEngine(config, {
        withVision: engineNeedsVision(config, brief),
      }).catch(async (error: unknown) => {
        await library?.close();
        throw error;
      });
      const { engine } = session;
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      const style = styleFor(io, 'stderr');
      const live = !json && io.stderr.isTTY === true;
      try {
        const target = targetFor(engine, brief, flags.target);
        const count = candidateCount(
          engine.describe(),
          brief,
          flags.count === undefined ? undefined : { value: flags.count, field: 'count' },
        );
        const seen = new Set<string>();
        const written = await generateCandidates({
          engine,
          brief,
          target,
          references,
          count,
          seed,
          outDir,
          stripMetadata: flags.stripMetadata === true,
          provenance: flags.provenance,
          force: flags.force === true,
          signal: controller.signal,
          ...(library === undefined ? {} : { library, briefSource: basename(briefFile) }),
          onStart: () => {
            if (!json)
              writeLine(
                io.stderr,
                `generating ${count} × ${brief.title ?? basename(briefFile)} · ${target} · ${engineTarget(config)}`,
              );
          },
          onProgress: (progress) => {
            if (json) return;
            const line = progressLine(progress);
            if (live) io.stderr.write(`\r${style.dim(line.padEnd(78).slice(0, 78))}`);
            else if (!seen.has(`${progress.done}:${progress.stage}`))
              // Into a log: one line per stage of each candidate, not one per sampling step.
              writeLine(io.stderr, style.dim(line));
            seen.add(`${progress.done}:${progress.stage}`);
          },
        });
        if (live) io.stderr.write('\n');
        const entries = written.map((w) => ({
          file: relative(io.cwd, w.file),
          seed: w.seed,
          engine: w.engine,
          ms: w.ms,
        }));
        if (json)
          writeJson(io, {
            engine: engine.id,
            target,
            outDir,
            library: library?.folder ?? null,
            candidates: entries,
          });
        else {
          for (const entry of entries) writeLine(io.stdout, `${entry.file}  seed ${entry.seed}`);
          writeLine(
            io.stdout,
            style.ok(
              `wrote ${entries.length} image${entries.length === 1 ? '' : 's'} to ${relative(io.cwd, outDir) || '.'}${flags.stripMetadata === true ? ' (metadata stripped)' : ' (with provenance)'}`,
            ),
          );
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
        try {
          await session.dispose();
        } finally {
          await library?.close();
        }
      }
    });
}
