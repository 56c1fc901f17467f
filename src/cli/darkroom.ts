// `portraitist darkroom …`: each darkroom operation on its own, at the photo's full resolution.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { darkroomSession, type DarkroomOperation } from '../studio/index.js';
import { numberFlag, parseFlags } from './flags.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';

const output = {
  out: z.string(),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
};

const relightFlags = z.object({
  ...output,
  rig: z.string(),
  side: z.enum(['left', 'right'], { error: 'expected left or right' }),
  intensity: numberFlag(0, 1),
});

const expressionFlags = z.object({
  ...output,
  lift: numberFlag(-1, 1).optional(),
  parted: numberFlag(0, 1).optional(),
  browRaise: numberFlag(0, 1).optional(),
  furrow: numberFlag(0, 1).optional(),
  eyes: numberFlag(-1, 1).optional(),
  tilt: numberFlag(-6, 6).optional(),
});

const lensFlags = z.object({
  ...output,
  aperture: numberFlag(0.7, 64),
  focalLength: numberFlag(8, 800),
});

const gradeFlags = z.object({
  ...output,
  grade: z.string().optional(),
  film: z.string().optional(),
  lut: z.string().optional(),
  temperature: numberFlag(1500, 15000).optional(),
  contrast: numberFlag(-1, 1).optional(),
  saturation: numberFlag(-1, 1).optional(),
  splitShadows: z.string().optional(),
  splitHighlights: z.string().optional(),
  splitAmount: numberFlag(0, 1).optional(),
  splitBalance: numberFlag(-1, 1).optional(),
});

const reframeFlags = z.object({
  ...output,
  shot: z.string(),
  composition: z.string(),
  aspect: z.string(),
});

/** Only the keys whose values were given (exactOptionalPropertyTypes). */
function given<T extends Record<string, unknown>>(
  values: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** Runs one operation and reports what it wrote. */
async function run(
  io: CliIo,
  photo: string,
  flags: { out: string; force?: boolean | undefined; json?: boolean | undefined },
  operation: DarkroomOperation,
): Promise<void> {
  const json = flags.json === true;
  const result = await darkroomSession({
    photo: resolve(io.cwd, photo),
    source: photo,
    out: resolve(io.cwd, flags.out),
    force: flags.force === true,
    operation,
    onStage: (text) => {
      if (!json) writeLine(io.stderr, styleFor(io, 'stderr').dim(`${operation.kind}: ${text}`));
    },
  });
  if (json)
    writeJson(io, {
      operation: result.operation,
      input: photo,
      output: result.output,
      width: result.width,
      height: result.height,
      ms: result.ms,
    });
  else
    writeLine(io.stdout, `wrote ${flags.out} (${result.width}×${result.height}, ${result.ms} ms)`);
}

/** Adds `darkroom relight|expression|lens|grade|reframe`. */
export function registerDarkroom(program: Command, io: CliIo): void {
  const darkroom = program
    .command('darkroom')
    .description('re-direct a real photo: light, expression, lens, grade, framing');
  const common = (command: Command) =>
    command
      .argument('<photo>', 'the photo')
      .requiredOption('-o, --out <png>', 'where to write the result')
      .option('--force', 'overwrite the -o file if it exists')
      .option('--json', 'print the result as JSON');

  common(darkroom.command('relight').description('re-shade the person with a named rig'))
    .option('--rig <rig>', 'a light rig of the vocabulary', 'rembrandt')
    .option('--side <side>', "the subject's side of the key: left or right", 'left')
    .option('--intensity <0..1>', 'how far to go', '0.8')
    .action(async (photo: string, raw: unknown) => {
      const flags = parseFlags(relightFlags, raw);
      await run(io, photo, flags, {
        kind: 'relight',
        rig: flags.rig,
        side: flags.side,
        intensity: flags.intensity,
      });
    });

  common(
    darkroom
      .command('expression')
      .description('warp the expression: smile, lips, brows, eyes, tilt'),
  )
    .option('--lift <−1..1>', 'lip-corner lift')
    .option('--parted <0..1>', 'lips parted')
    .option('--brow-raise <0..1>', 'brow raise')
    .option('--furrow <0..1>', 'brow furrow')
    .option('--eyes <−1..1>', 'eye aperture')
    .option('--tilt <degrees>', 'head tilt, a few degrees')
    .action(async (photo: string, raw: unknown) => {
      const flags = parseFlags(expressionFlags, raw);
      await run(io, photo, flags, {
        kind: 'expression',
        deltas: given({
          lipCornerLift: flags.lift,
          lipsParted: flags.parted,
          browRaise: flags.browRaise,
          browFurrow: flags.furrow,
          eyeAperture: flags.eyes,
          headTilt: flags.tilt,
        }),
      });
    });

  common(
    darkroom
      .command('lens')
      .description('blur the background as a wide aperture would, with disc bokeh'),
  )
    .option('--aperture <f>', 'f-number', '1.8')
    .option('--focal-length <mm>', 'focal length (full-frame mm)', '85')
    .action(async (photo: string, raw: unknown) => {
      const flags = parseFlags(lensFlags, raw);
      await run(io, photo, flags, {
        kind: 'lens',
        aperture: flags.aperture,
        focalLength: flags.focalLength,
      });
    });

  common(
    darkroom
      .command('grade')
      .description('white balance, contrast, saturation, split toning, film look, .cube LUT'),
  )
    .option('--grade <grade>', 'a grade of the vocabulary')
    .option('--film <film>', 'a film stock of the vocabulary')
    .option('--lut <file.cube>', 'a 3D LUT in .cube format')
    .option('--temperature <K>', 'white balance target in kelvin')
    .option('--contrast <−1..1>', 'contrast')
    .option('--saturation <−1..1>', 'saturation')
    .option('--split-shadows <hex>', 'split toning: the hue pushed into the shadows, e.g. #1B2A48')
    .option('--split-highlights <hex>', 'split toning: the hue pushed into the highlights')
    .option('--split-amount <0..1>', 'split toning strength (default 0.5 when a hue is given)')
    .option('--split-balance <−1..1>', 'split toning: −1 favours the shadows, +1 the highlights')
    .action(async (photo: string, raw: unknown) => {
      const flags = parseFlags(gradeFlags, raw);
      const splitGiven =
        flags.splitShadows !== undefined ||
        flags.splitHighlights !== undefined ||
        flags.splitAmount !== undefined;
      // One hue alone tones that end only: the other end gets neutral grey, which pushes nothing.
      const split = splitGiven
        ? {
            split: {
              shadows: flags.splitShadows ?? '#808080',
              highlights: flags.splitHighlights ?? '#808080',
              amount: flags.splitAmount ?? 0.5,
              ...(flags.splitBalance === undefined ? {} : { balance: flags.splitBalance }),
            },
          }
        : {};
      await run(io, photo, flags, {
        kind: 'grade',
        ...given({
          grade: flags.grade,
          film: flags.film,
          temperature: flags.temperature,
          contrast: flags.contrast,
          saturation: flags.saturation,
        }),
        ...split,
        ...(flags.lut === undefined
          ? {}
          : { lut: { path: resolve(io.cwd, flags.lut), source: flags.lut } }),
      });
    });

  common(
    darkroom
      .command('reframe')
      .description('crop to a shot type, composition rule and aspect ratio around the face'),
  )
    .option('--shot <shot>', 'shot type of the vocabulary', 'headshot')
    .option('--composition <rule>', 'composition rule of the vocabulary', 'rule-of-thirds')
    .option('--aspect <w:h>', 'aspect ratio', '4:5')
    .action(async (photo: string, raw: unknown) => {
      const flags = parseFlags(reframeFlags, raw);
      await run(io, photo, flags, {
        kind: 'reframe',
        shot: flags.shot,
        composition: flags.composition,
        aspect: flags.aspect,
      });
    });
}
