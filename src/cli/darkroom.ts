// `portraitist darkroom …`: each darkroom operation on its own, at the photo's full resolution.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { filmStocks, findEntry, grades, type FilmStock, type Grade } from '../brief/index.js';
import {
  applyLut,
  createSegmenter,
  grade,
  gradeFromVocabulary,
  lensBlur,
  parseCubeLut,
  reframe,
  relight,
  rigTarget,
  warpExpression,
  type GradeSettings,
  type PersonMask,
} from '../darkroom/index.js';
import { PortraitistError } from '../errors/index.js';
import { refuseExisting, writeOutputFile } from '../files/index.js';
import { encodePng, readImage, type RgbImage } from '../image/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from '../vision/index.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';

function number(
  value: string | undefined,
  field: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    const message = `expected a number from ${min} to ${max} for \`${field}\` but received ${JSON.stringify(value)}`;
    throw new PortraitistError('USAGE', message, { issues: [{ path: field, message }] });
  }
  return n;
}

/** The numeric flags that were given, checked, as an object of the named properties. */
function numbers(
  spec: ReadonlyArray<
    readonly [property: string, value: string | undefined, field: string, min: number, max: number]
  >,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [property, value, field, min, max] of spec) {
    const n = number(value, field, min, max);
    if (n !== undefined) out[property] = n;
  }
  return out;
}

/** The person mask of one photo, with a segmenter loaded for it alone. */
async function personMask(image: RgbImage, stage: (text: string) => void): Promise<PersonMask> {
  stage('segmenting the person');
  const segmenter = await createSegmenter();
  try {
    return await segmenter.segment(image);
  } finally {
    await segmenter.dispose();
  }
}

interface Session {
  readonly image: RgbImage;
  readonly vision: Vision;
  blueprint(): Promise<Blueprint>;
}

/** Where an operation writes: `-o` and whether `--force` lets it replace a file. */
interface OutputFlags {
  readonly out: string;
  readonly force?: boolean;
}

/** Runs one operation: read the photo, apply, write the PNG (atomically), report. */
async function runOperation(
  io: CliIo,
  photo: string,
  flags: OutputFlags,
  json: boolean,
  operation: string,
  apply: (session: Session, stage: (text: string) => void) => Promise<RgbImage>,
): Promise<void> {
  const started = performance.now();
  const output = flags.out;
  const target = resolve(io.cwd, output);
  const writeOptions = { force: flags.force === true, field: 'out' };
  // Before any work: an existing -o is refused unless --force.
  await refuseExisting(target, writeOptions);
  const stage = (text: string) => {
    if (!json) writeLine(io.stderr, styleFor(io, 'stderr').dim(`${operation}: ${text}`));
  };
  stage('reading the photo');
  const image = await readImage(resolve(io.cwd, photo), { source: photo });
  let vision: Vision | undefined;
  let blueprint: Blueprint | undefined;
  try {
    const session: Session = {
      image,
      get vision(): Vision {
        if (vision === undefined) throw new PortraitistError('INTERNAL', 'vision not loaded');
        return vision;
      },
      async blueprint() {
        if (blueprint === undefined) {
          stage('reading the face');
          vision = createVision(await createVisionRuntime());
          blueprint = await vision.analyze(image);
          if (blueprint.faceIndex === null)
            // The path is the error's source: the printed line names it once.
            throw new PortraitistError('NO_FACE', 'no face found in the photo', {
              source: photo,
              issues: [
                {
                  path: 'photo',
                  message: 'expected a photo with a face for `photo` but received one without',
                },
              ],
            });
        }
        return blueprint;
      },
    };
    const result = await apply(session, stage);
    await writeOutputFile(target, await encodePng(result), writeOptions);
    const ms = Math.round(performance.now() - started);
    if (json)
      writeJson(io, {
        operation,
        input: photo,
        output: target,
        width: result.width,
        height: result.height,
        ms,
      });
    else writeLine(io.stdout, `wrote ${output} (${result.width}×${result.height}, ${ms} ms)`);
  } finally {
    vision?.dispose();
  }
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
    .action(
      async (
        photo: string,
        flags: {
          out: string;
          force?: boolean;
          json?: boolean;
          rig: string;
          side: string;
          intensity: string;
        },
      ) => {
        if (flags.side !== 'left' && flags.side !== 'right')
          throw new PortraitistError(
            'USAGE',
            `expected left or right for \`side\` but received ${JSON.stringify(flags.side)}`,
          );
        const target = rigTarget(flags.rig, flags.side);
        const intensity = number(flags.intensity, 'intensity', 0, 1) ?? 0.8;
        await runOperation(
          io,
          photo,
          flags,
          flags.json === true,
          'relight',
          async (session, stage) => {
            const blueprint = await session.blueprint();
            const mask = await personMask(session.image, stage);
            stage(`relighting with ${flags.rig} ${keyPhrase(target.azimuth, flags.side)}`);
            return relight(session.image, blueprint, mask, target, {
              triangles: session.vision.runtime.triangulation,
              intensity,
            });
          },
        );
      },
    );

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
    .action(
      async (
        photo: string,
        flags: {
          out: string;
          json?: boolean;
          lift?: string;
          parted?: string;
          browRaise?: string;
          furrow?: string;
          eyes?: string;
          tilt?: string;
        },
      ) => {
        const deltas = numbers([
          ['lipCornerLift', flags.lift, 'lift', -1, 1],
          ['lipsParted', flags.parted, 'parted', 0, 1],
          ['browRaise', flags.browRaise, 'brow-raise', 0, 1],
          ['browFurrow', flags.furrow, 'furrow', 0, 1],
          ['eyeAperture', flags.eyes, 'eyes', -1, 1],
          ['headTilt', flags.tilt, 'tilt', -6, 6],
        ]);
        await runOperation(
          io,
          photo,
          flags,
          flags.json === true,
          'expression',
          async (session, stage) => {
            const blueprint = await session.blueprint();
            stage('warping');
            return warpExpression(session.image, blueprint, deltas);
          },
        );
      },
    );

  common(
    darkroom
      .command('lens')
      .description('blur the background as a wide aperture would, with disc bokeh'),
  )
    .option('--aperture <f>', 'f-number', '1.8')
    .option('--focal-length <mm>', 'focal length (full-frame mm)', '85')
    .action(
      async (
        photo: string,
        flags: {
          out: string;
          force?: boolean;
          json?: boolean;
          aperture: string;
          focalLength: string;
        },
      ) => {
        const aperture = number(flags.aperture, 'aperture', 0.7, 64) ?? 1.8;
        const focalLength = number(flags.focalLength, 'focal-length', 8, 800) ?? 85;
        await runOperation(
          io,
          photo,
          flags,
          flags.json === true,
          'lens',
          async (session, stage) => {
            const mask = await personMask(session.image, stage);
            stage(`blurring the background at f/${aperture}`);
            return lensBlur(session.image, mask, { aperture, focalLength });
          },
        );
      },
    );

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
    .action(
      async (
        photo: string,
        flags: {
          out: string;
          json?: boolean;
          grade?: string;
          film?: string;
          lut?: string;
          temperature?: string;
          contrast?: string;
          saturation?: string;
        },
      ) => {
        const vocabularyGrade =
          flags.grade === undefined
            ? undefined
            : findEntry(grades as readonly Grade[], flags.grade);
        if (flags.grade !== undefined && vocabularyGrade === undefined)
          throw new PortraitistError(
            'USAGE',
            `expected a grade (${grades.map((g) => g.id).join(', ')}) for \`grade\` but received ${JSON.stringify(flags.grade)}`,
          );
        const film =
          flags.film === undefined
            ? undefined
            : findEntry(filmStocks as readonly FilmStock[], flags.film);
        if (flags.film !== undefined && film === undefined)
          throw new PortraitistError(
            'USAGE',
            `expected a film stock (${filmStocks.map((f) => f.id).join(', ')}) for \`film\` but received ${JSON.stringify(flags.film)}`,
          );
        const lut =
          flags.lut === undefined
            ? undefined
            : parseCubeLut(await readFile(resolve(io.cwd, flags.lut), 'utf8'), flags.lut);
        const base: GradeSettings =
          vocabularyGrade === undefined ? {} : gradeFromVocabulary(vocabularyGrade, film);
        const temperature = number(flags.temperature, 'temperature', 1500, 15000);
        const settings: GradeSettings = {
          ...base,
          ...(temperature === undefined ? {} : { whiteBalance: { temperature } }),
          ...numbers([
            ['contrast', flags.contrast, 'contrast', -1, 1],
            ['saturation', flags.saturation, 'saturation', -1, 1],
          ]),
        };
        await runOperation(
          io,
          photo,
          flags,
          flags.json === true,
          'grade',
          async (session, stage) => {
            stage('grading');
            const graded = grade(session.image, settings);
            return lut === undefined ? graded : applyLut(graded, lut);
          },
        );
      },
    );

  common(
    darkroom
      .command('reframe')
      .description('crop to a shot type, composition rule and aspect ratio around the face'),
  )
    .option('--shot <shot>', 'shot type of the vocabulary', 'headshot')
    .option('--composition <rule>', 'composition rule of the vocabulary', 'rule-of-thirds')
    .option('--aspect <w:h>', 'aspect ratio', '4:5')
    .action(
      async (
        photo: string,
        flags: {
          out: string;
          force?: boolean;
          json?: boolean;
          shot: string;
          composition: string;
          aspect: string;
        },
      ) => {
        await runOperation(
          io,
          photo,
          flags,
          flags.json === true,
          'reframe',
          async (session, stage) => {
            const blueprint = await session.blueprint();
            stage('cropping');
            return reframe(session.image, blueprint, {
              shot: flags.shot,
              composition: flags.composition,
              aspectRatio: flags.aspect,
              lookRoom: 'auto',
            });
          },
        );
      },
    );
}

/** Where the key comes from, in words: a key within a few degrees of the axis (butterfly, frontal rigs) has no side. */
export function keyPhrase(azimuth: number, side: string): string {
  return Math.abs(azimuth) < 10 ? 'from the front' : `from the subject's ${side}`;
}
