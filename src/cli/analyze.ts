// `portraitist analyze`: read the five pillars off photos, draw them, turn them into briefs.
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { PortraitistError } from '../errors/index.js';
import { studio } from './studio.js';
import { exitCodes } from './errors.js';
import { parseFlags } from './flags.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';
import { progressBar } from './progress.js';

const analyzeFlags = z.object({
  face: z
    .string()
    .refine((v) => /^\d+$/.test(v.trim()), { error: 'expected a face index (0, 1, …)' })
    .transform(Number)
    .default(0),
  overlay: z.string().optional(),
  controlPose: z.string().optional(),
  brief: z.string().optional(),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** Resolves an output path for one photo of a batch: `{name}` is the photo's file stem. */
function outputPath(
  io: CliIo,
  template: string,
  photo: string,
  several: boolean,
  flag: string,
): string {
  if (several && !template.includes('{name}')) {
    throw new PortraitistError(
      'USAGE',
      `with several photos, ${flag} needs {name} in its path, e.g. out/{name}${extname(template) || '.png'}`,
      {
        issues: [
          {
            path: flag.slice(2),
            message: `expected a path containing {name} for \`${flag.slice(2)}\` but received ${JSON.stringify(template)}`,
          },
        ],
      },
    );
  }
  const stem = basename(photo, extname(photo));
  return resolve(io.cwd, template.replaceAll('{name}', stem));
}

/** Adds the analyze command. */
export function registerAnalyze(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('analyze')
    .description('read expression, posture, light, palette and composition off photos')
    .argument('<photos...>', 'photos (JPEG, PNG, WebP, AVIF)')
    .option('--face <n>', 'which face to read, largest first', '0')
    .option('--overlay <png>', 'write the blueprint drawn over the photo ({name} for batches)')
    .option(
      '--control-pose <png>',
      'write an OpenPose control image for ControlNet ({name} for batches)',
    )
    .option('--brief <yaml>', 'write a brief that asks for a photo like this ({name} for batches)')
    .option('--force', 'overwrite --overlay/--control-pose/--brief files that exist')
    .option('--json', 'print the blueprints as JSON')
    .action(async (photos: string[], rawFlags: unknown) => {
      const { analyzePhotos, describeBlueprint } = await studio();
      const flags = parseFlags(analyzeFlags, rawFlags);
      const json = flags.json === true;
      const several = photos.length > 1;
      const output = (template: string | undefined, photo: string, flag: string) =>
        template === undefined
          ? {}
          : {
              [flag]: outputPath(
                io,
                template,
                photo,
                several,
                `--${flag === 'controlPose' ? 'control-pose' : flag}`,
              ),
            };
      const inputs = photos.map((photo) => ({
        input: resolve(io.cwd, photo),
        source: photo,
        ...output(flags.overlay, photo, 'overlay'),
        ...output(flags.controlPose, photo, 'controlPose'),
        ...output(flags.brief, photo, 'brief'),
      }));
      const progress = progressBar(io, photos.length, 'analyzing', !json);
      const results = await analyzePhotos({
        photos: inputs,
        faceIndex: flags.face,
        force: flags.force === true,
        onProgress: (p) => progress.update(p.done, p.source ?? ''),
      });
      progress.done();
      if (json) {
        writeJson(
          io,
          results.map((r) =>
            'error' in r
              ? { source: r.source, error: r.error.toJSON() }
              : { ...r.blueprint, files: r.files },
          ),
        );
      } else {
        const style = styleFor(io);
        for (const result of results) {
          if ('error' in result)
            writeLine(
              io.stdout,
              `${style.error('error')} ${result.error.code}: ${result.source}: ${result.error.message}`,
            );
          else {
            writeLine(io.stdout, describeBlueprint(result.blueprint, style));
            for (const file of result.files)
              writeLine(io.stdout, `  ${'wrote'.padEnd(12)} ${file}`);
          }
          writeLine(io.stdout);
        }
      }
      const failure = results.find((r) => 'error' in r);
      if (failure !== undefined && 'error' in failure) setExitCode(exitCodes[failure.error.code]);
    });
}
