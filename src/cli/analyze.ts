// `portraitist analyze`: read the five pillars off photos, draw them, turn them into briefs.
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { nearestRig, stringifyBrief } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import { refuseExisting, writeOutputFile } from '../files/index.js';
import { readImage } from '../image/index.js';
import {
  briefFromBlueprint,
  drawOverlay,
  drawPoseControl,
  nearestExpression,
  type Blueprint,
} from '../vision/index.js';
import { exitCodes } from './errors.js';
import { styleFor, writeJson, writeLine, type CliIo, type Style } from './io.js';
import { progressBar } from './progress.js';
import { readPhotos } from './read-photos.js';

interface AnalyzeFlags {
  face?: string;
  overlay?: string;
  controlPose?: string;
  brief?: string;
  force?: boolean;
  json?: boolean;
}

const signed = (value: number, digits = 2): string =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;
const percent = (value: number): string => `${Math.round(value * 100)}%`;

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
            path: flag,
            message: `expected a path containing {name} for \`${flag}\` but received ${JSON.stringify(template)}`,
          },
        ],
      },
    );
  }
  const stem = basename(photo, extname(photo));
  return resolve(io.cwd, template.replaceAll('{name}', stem));
}

function describeBlueprint(blueprint: Blueprint, style: Style): string {
  const lines: string[] = [];
  const warnings = blueprint.warnings.map((w) => w.code);
  lines.push(
    `${style.bold(blueprint.source)}  ${blueprint.image.width}×${blueprint.image.height} ${blueprint.image.format} · ${blueprint.faces.length} face${blueprint.faces.length === 1 ? '' : 's'}` +
      (blueprint.faceIndex !== null && blueprint.faces.length > 1
        ? ` (reading face ${blueprint.faceIndex})`
        : '') +
      (warnings.length > 0 ? ` · ${style.warn(`warnings: ${warnings.join(', ')}`)}` : ''),
  );
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(12)} ${text}`);
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  if (face !== undefined) {
    const e = face.expression;
    const nearest = nearestExpression(e);
    const topEmotion = Object.entries(face.emotions).sort((a, b) => b[1] - a[1])[0];
    row(
      'expression',
      `lip-corner lift ${signed(e.lipCornerLift)} · lips parted ${e.lipsParted.toFixed(2)} · brow raise ${e.browRaise.toFixed(2)} · furrow ${e.browFurrow.toFixed(2)} · eyes ${signed(e.eyeAperture)} · asymmetry ${e.asymmetry.toFixed(2)} · ${topEmotion?.[0]} ${topEmotion?.[1].toFixed(2)} → ${nearest.entry.id} at ${nearest.intensity.toFixed(2)}`,
    );
    row(
      'head',
      `yaw ${signed(face.headPose.yaw, 1)}° · pitch ${signed(face.headPose.pitch, 1)}° · roll ${signed(face.headPose.roll, 1)}° · gaze ${face.gaze.label}`,
    );
  }
  const posture = blueprint.body?.posture;
  if (posture !== undefined) {
    row(
      'posture',
      [
        posture.shoulderAngle === null
          ? 'shoulders not seen'
          : `shoulders ${Math.round(posture.shoulderAngle)}° to camera`,
        posture.lean === null ? undefined : `lean ${signed(posture.lean, 0)}°`,
        `${posture.handsVisible} hand${posture.handsVisible === 1 ? '' : 's'} visible${posture.handNearFace ? ', one near the face' : ''}`,
        `stance ${posture.stance}`,
      ]
        .filter(Boolean)
        .join(' · '),
    );
  }
  const light = blueprint.light;
  if (light !== null) {
    const rig = nearestRig({
      azimuth: light.azimuth,
      elevation: light.elevation,
      fillRatio: light.fillRatio,
      softness: light.softness,
    });
    const side =
      Math.abs(light.azimuth) < 8
        ? 'frontal'
        : light.azimuth > 0
          ? "subject's left"
          : "subject's right";
    row(
      'light',
      `key az ${signed(light.azimuth, 0)}° el ${signed(light.elevation, 0)}° (${side}) · fill ${light.fillRatio.toFixed(1)}:1 · softness ${light.softness.toFixed(2)} · ${light.colorTemperature}K · fit R² ${light.confidence.toFixed(2)} → like ${rig.id}`,
    );
    row(
      'exposure',
      `mean ${light.exposure.toFixed(2)} · contrast ${light.contrast.toFixed(2)} · face ${light.faceLuminance.toFixed(2)}`,
    );
  }
  row(
    'palette',
    blueprint.palette.frame.map((s) => `${s.hex} ${percent(s.weight)}`).join(' · ') || 'none',
  );
  if (blueprint.palette.background.length > 0 && blueprint.faceIndex !== null)
    row(
      'background',
      blueprint.palette.background
        .slice(0, 4)
        .map((s) => `${s.hex} ${percent(s.weight)}`)
        .join(' · '),
    );
  const c = blueprint.composition;
  if (c !== null)
    row(
      'composition',
      `eyes at (${c.eyeCentre.x.toFixed(2)}, ${c.eyeCentre.y.toFixed(2)}) · nearest third ${c.nearestThird.distance.toFixed(3)} away · headroom ${c.headroom.toFixed(2)} · shot ${c.shot} · ${c.aspectRatio}`,
    );
  const q = blueprint.quality;
  row(
    'quality',
    `${q.eyeSharpness === null ? '' : `eye sharpness ${q.eyeSharpness} · `}frame sharpness ${q.frameSharpness} · noise σ ${q.noise} · clipped ${percent(q.clippedShadows)} / ${percent(q.clippedHighlights)}`,
  );
  return lines.join('\n');
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
    .action(async (photos: string[], flags: AnalyzeFlags) => {
      const json = flags.json === true;
      const faceIndex = Number(flags.face ?? '0');
      if (!Number.isInteger(faceIndex) || faceIndex < 0) {
        throw new PortraitistError('USAGE', `--face must be a whole number`, {
          issues: [
            {
              path: 'face',
              message: `expected a face index (0, 1, …) for \`face\` but received ${JSON.stringify(flags.face)}`,
            },
          ],
        });
      }
      const several = photos.length > 1;
      const force = flags.force === true;
      // Check output templates, and that no output exists (unless --force), before any work.
      for (const [flag, template] of [
        ['--overlay', flags.overlay],
        ['--control-pose', flags.controlPose],
        ['--brief', flags.brief],
      ] as const) {
        if (template === undefined) continue;
        for (const photo of photos)
          await refuseExisting(outputPath(io, template, photo, several, flag), {
            force,
            field: flag.slice(2),
          });
      }
      const progress = progressBar(io, photos.length, 'analyzing', !json);
      const paths = photos.map((photo) => resolve(io.cwd, photo));
      const results = await readPhotos(
        paths.map((input, i) => ({ input, source: photos[i] ?? input, faceIndex })),
        progress,
      );
      progress.done();
      const written: Record<string, string[]> = {};
      for (const [i, result] of results.entries()) {
        const photo = photos[i] ?? '';
        if (result instanceof Error) continue;
        const files: string[] = [];
        if (flags.overlay !== undefined || flags.controlPose !== undefined) {
          const image = await readImage(paths[i] ?? '', { source: photo });
          if (flags.overlay !== undefined) {
            const target = outputPath(io, flags.overlay, photo, several, '--overlay');
            await writeOutputFile(target, await drawOverlay(image, result), {
              force,
              field: 'overlay',
            });
            files.push(target);
          }
          if (flags.controlPose !== undefined) {
            const target = outputPath(io, flags.controlPose, photo, several, '--control-pose');
            await writeOutputFile(target, await drawPoseControl(result), {
              force,
              field: 'control-pose',
            });
            files.push(target);
          }
        }
        if (flags.brief !== undefined) {
          const target = outputPath(io, flags.brief, photo, several, '--brief');
          await writeOutputFile(
            target,
            stringifyBrief(briefFromBlueprint(result), target.endsWith('.json') ? 'json' : 'yaml'),
            { force, field: 'brief' },
          );
          files.push(target);
        }
        written[photo] = files;
      }
      if (json) {
        writeJson(
          io,
          results.map((r, i) =>
            r instanceof Error
              ? { source: photos[i], error: r.toJSON() }
              : { ...r, files: written[photos[i] ?? ''] ?? [] },
          ),
        );
      } else {
        const style = styleFor(io);
        for (const [i, result] of results.entries()) {
          if (result instanceof Error)
            writeLine(
              io.stdout,
              `${style.error('error')} ${result.code}: ${photos[i]}: ${result.message}`,
            );
          else {
            writeLine(io.stdout, describeBlueprint(result, style));
            for (const file of written[photos[i] ?? ''] ?? [])
              writeLine(io.stdout, `  ${'wrote'.padEnd(12)} ${file}`);
          }
          writeLine(io.stdout);
        }
      }
      const failure = results.find((r): r is PortraitistError => r instanceof Error);
      if (failure !== undefined) setExitCode(exitCodes[failure.code]);
    });
}
