// `portraitist darkroom <photos…|folder> --relight … --expression … --lens … --grade … --reframe …`:
// the darkroom in one pass (models loaded once per process), and each operation on its own as a
// subcommand, at the photo's full resolution.
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { PortraitistError } from '../errors/index.js';
import type { DarkroomOperation, DarkroomRecipe } from '../studio/index.js';
import { studio } from './studio.js';
import { exitCodes } from './errors.js';
import { numberFlag, parseFlags } from './flags.js';
import { progressBar } from './progress.js';
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
  const { darkroomSession } = await studio();
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

const expressionKeys = {
  lift: 'lift',
  parted: 'parted',
  'brow-raise': 'browRaise',
  furrow: 'furrow',
  eyes: 'eyes',
  tilt: 'tilt',
} as const;

/** `lift=0.3,brow-raise=0.2`: the expression flag of the one pass. */
const expressionSpec = z.string().transform((text, ctx) => {
  const deltas: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [key = '', value = ''] = part.split('=').map((p) => p.trim());
    const name = expressionKeys[key as keyof typeof expressionKeys];
    const number = Number(value);
    if (name === undefined || value === '' || !Number.isFinite(number)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected name=value pairs with names from ${Object.keys(expressionKeys).join(', ')} (e.g. lift=0.3,parted=0.2)`,
      });
      return z.NEVER;
    }
    deltas[name] = number;
  }
  return deltas;
});

const chainFlags = z.object({
  out: z.string().optional(),
  outDir: z.string().optional(),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
  recipe: z.string().optional(),
  relight: z.string().optional(),
  side: z.enum(['left', 'right'], { error: 'expected left or right' }).optional(),
  intensity: numberFlag(0, 1).optional(),
  fill: numberFlag(1, 32, 'a key:fill ratio').optional(),
  softness: numberFlag(0, 1).optional(),
  rim: z.boolean().optional(),
  colourTemperature: numberFlag(1500, 15000, 'a colour temperature in kelvin').optional(),
  face: z
    .string()
    .refine((v) => v === 'all' || /^\d+$/.test(v.trim()), {
      error: 'expected a face number (0, 1, …) or all',
    })
    .transform((v) => (v === 'all' ? ('all' as const) : Number(v)))
    .optional(),
  expression: expressionSpec.optional(),
  lens: numberFlag(0.7, 64, 'an f-number').optional(),
  focalLength: numberFlag(8, 800).optional(),
  grade: z.string().optional(),
  film: z.string().optional(),
  lut: z.string().optional(),
  temperature: numberFlag(1500, 15000).optional(),
  contrast: numberFlag(-1, 1).optional(),
  saturation: numberFlag(-1, 1).optional(),
  reframe: z.string().optional(),
  composition: z.string().optional(),
  aspect: z.string().optional(),
});

type ChainFlags = z.output<typeof chainFlags>;

/** A step of the recipe with the flags given laid over it (flags win field by field). */
function merged<T extends object>(
  base: T | undefined,
  over: Record<string, unknown>,
  start: boolean,
): T | undefined {
  const given = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined));
  if (base === undefined && !start) return undefined;
  return { ...(base ?? {}), ...given } as T;
}

/** The chain: the recipe file's, with the flags on top. */
function chainOf(flags: ChainFlags, recipe: DarkroomRecipe | undefined): unknown {
  const r = recipe ?? {};
  return Object.fromEntries(
    Object.entries({
      relight: merged(
        r.relight,
        {
          rig: flags.relight,
          side: flags.side,
          intensity: flags.intensity,
          fill: flags.fill,
          softness: flags.softness,
          rim: flags.rim,
          colourTemperature: flags.colourTemperature,
          face: flags.face,
        },
        flags.relight !== undefined,
      ),
      expression: merged(r.expression, flags.expression ?? {}, flags.expression !== undefined),
      lens: merged(
        r.lens,
        { aperture: flags.lens, focalLength: flags.focalLength },
        flags.lens !== undefined,
      ),
      grade: merged(
        r.grade,
        {
          grade: flags.grade,
          film: flags.film,
          lut: flags.lut,
          temperature: flags.temperature,
          contrast: flags.contrast,
          saturation: flags.saturation,
        },
        [
          flags.grade,
          flags.film,
          flags.lut,
          flags.temperature,
          flags.contrast,
          flags.saturation,
        ].some((v) => v !== undefined),
      ),
      reframe: merged(
        r.reframe,
        { shot: flags.reframe, composition: flags.composition, aspect: flags.aspect },
        flags.reframe !== undefined,
      ),
    }).filter(([, v]) => v !== undefined),
  );
}

/** The one pass over photos and folders. */
async function runChain(
  io: CliIo,
  photos: readonly string[],
  flags: ChainFlags,
  setExitCode: (code: number) => void,
): Promise<void> {
  const json = flags.json === true;
  if (photos.length === 0) {
    const message = 'expected at least one photo or folder for `photos`';
    throw new PortraitistError('USAGE', message, { issues: [{ path: 'photos', message }] });
  }
  const {
    createDarkroomModels,
    darkroomChain,
    darkroomJobs,
    parseDarkroomRecipe,
    readDarkroomRecipe,
  } = await studio();
  const recipePath = flags.recipe === undefined ? undefined : resolve(io.cwd, flags.recipe);
  const recipe =
    recipePath === undefined ? undefined : await readDarkroomRecipe(recipePath, flags.recipe);
  const chain = parseDarkroomRecipe(chainOf(flags, recipe), flags.recipe ?? 'the command line');
  const jobs = await darkroomJobs(
    photos.map((photo) => ({ path: resolve(io.cwd, photo), source: photo })),
    {
      ...(flags.out === undefined ? {} : { out: resolve(io.cwd, flags.out) }),
      ...(flags.outDir === undefined ? {} : { outDir: resolve(io.cwd, flags.outDir) }),
    },
  );
  const models = createDarkroomModels();
  const progress = progressBar(io, jobs.length, 'darkroom', !json && jobs.length > 1);
  const stderrStyle = styleFor(io, 'stderr');
  const style = styleFor(io);
  try {
    const results = await darkroomChain({
      jobs,
      recipe: chain,
      force: flags.force === true,
      models,
      // A recipe's LUT is found beside the recipe; a flag's in the working folder.
      lutPath: (lut) =>
        resolve(
          flags.lut === undefined && recipePath !== undefined ? dirname(recipePath) : io.cwd,
          lut,
        ),
      onStage: (_job, text) => {
        if (!json && jobs.length === 1) writeLine(io.stderr, stderrStyle.dim(`darkroom: ${text}`));
      },
      onPhoto: (result, index) => {
        progress.update(index + 1, result.input);
      },
    });
    progress.done();
    if (json)
      writeJson(
        io,
        results.map((r) => ({
          ...r,
          ...(r.error === undefined ? {} : { error: r.error.toJSON() }),
        })),
      );
    else
      for (const r of results) {
        if (r.error !== undefined)
          writeLine(
            io.stdout,
            `${style.error('error')} ${r.error.code}: ${r.input}: ${r.error.message}`,
          );
        else
          writeLine(
            io.stdout,
            `wrote ${r.output ?? ''} (${r.width ?? 0}×${r.height ?? 0}${r.alpha === true ? ', alpha kept' : ''}, ${r.applied.join(' → ') || 'nothing applied'}, ${r.ms} ms)`,
          );
        for (const notice of r.notices)
          writeLine(io.stderr, `${stderrStyle.warn('warning')} ${r.input}: ${notice}`);
      }
    const failure = results.find((r) => r.error !== undefined);
    if (failure?.error !== undefined) setExitCode(exitCodes[failure.error.code]);
  } finally {
    await models.dispose();
  }
}

/** Adds `darkroom <photos…>` (the one pass) and `darkroom relight|expression|lens|grade|reframe`. */
export function registerDarkroom(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const darkroom = program
    .command('darkroom')
    .description(
      're-direct real photos in one pass: light, expression, lens, grade, framing (or one operation as a subcommand)',
    )
    .enablePositionalOptions()
    .argument('[photos...]', 'photos, or folders of photos')
    .option('--recipe <file.yaml>', 'the chain as a recipe file (flags given override it)')
    .option('--relight <rig>', 'relight with a light rig of the vocabulary')
    .option('--side <side>', "the subject's side of the key: left or right")
    .option('--intensity <0..1>', 'how far the relight goes (default 0.8)')
    .option('--fill <ratio>', 'key:fill ratio, lit to shadow cheek in linear light (e.g. 4)')
    .option('--softness <0..1>', 'terminator width: 0 hard .. 1 very soft')
    .option('--rim', 'add a rim light')
    .option('--no-rim', 'no rim light, whatever the rig says')
    .option('--colour-temperature <K>', 'the key light colour in kelvin')
    .option('--face <N|all>', 'which face to relight (and warp): a number, or all (default)')
    .option(
      '--expression <name=value,…>',
      'expression warp: lift, parted, brow-raise, furrow, eyes, tilt (e.g. lift=0.3)',
    )
    .option('--lens <f-number>', 'blur the background as this aperture would')
    .option('--focal-length <mm>', 'focal length for --lens (default 85)')
    .option('--grade <grade>', 'a grade of the vocabulary')
    .option('--film <film>', 'a film stock of the vocabulary')
    .option('--lut <file.cube>', 'a 3D LUT in .cube format')
    .option('--temperature <K>', 'white balance target in kelvin')
    .option('--contrast <−1..1>', 'contrast')
    .option('--saturation <−1..1>', 'saturation')
    .option('--reframe <shot>', 'crop to a shot type of the vocabulary')
    .option('--composition <rule>', 'composition rule for --reframe (default rule-of-thirds)')
    .option('--aspect <w:h>', 'aspect ratio for --reframe (default the photo’s own)')
    .option('-o, --out <png>', 'where to write the result (one photo)')
    .option('--out-dir <dir>', 'where results go, one <name>.png per photo')
    .option('--force', 'overwrite outputs that exist')
    .option('--json', 'print the results as JSON')
    .action(async (photos: string[], raw: unknown) => {
      await runChain(io, photos, parseFlags(chainFlags, raw), setExitCode);
    });
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
