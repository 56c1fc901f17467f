// Peak resident memory of single-photo commands (issue 14): analyze, relight and `direct -n 1`
// on one ordinary portrait and on each image bomb, each run as the installed CLI in a child
// process whose own getrusage max RSS is read at exit. Target: ≤ 512 MiB for any of them.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { exampleBriefsDirectory } from '../src/brief/index.js';
import { imageBombs, samplePhotoPath } from '../src/testing/index.js';
import { figure, type BenchResult, type Figure } from './harness.js';

const LIMIT_MIB = 512;
// Printed by the child as it exits: its own peak RSS (kilobytes on Linux).
const reportRss = `data:text/javascript,process.on('exit',()=>{process.stderr.write('\\nmaxrss-kb '+process.resourceUsage().maxRSS+'\\n')})`;

interface Run {
  readonly rssMiB: number;
  readonly exit: number;
  readonly lastLine: string;
}

function runCli(args: readonly string[], cwd: string): Promise<Run> {
  const bin = fileURLToPath(new URL('../bin/portraitist.js', import.meta.url));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', reportRss, bin, ...args],
      { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, _stdout, stderr) => {
        const kb = Number(/maxrss-kb (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
        const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('maxrss'));
        const exit = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ rssMiB: kb / 1024, exit, lastLine: lines.at(-1) ?? '' });
      },
    );
  });
}

export async function benchMemory(): Promise<BenchResult> {
  const folder = await mkdtemp(join(tmpdir(), 'portraitist-memory-'));
  try {
    const inputs: Record<string, string> = {};
    const portrait = join(folder, 'portrait.jpg');
    // One ordinary 1 MP portrait: a crop of a face-api sample.
    await sharp(samplePhotoPath(2)).resize({ width: 1000 }).jpeg().toFile(portrait);
    inputs['1 MP portrait'] = portrait;
    for (const [name, bytes] of Object.entries(await imageBombs())) {
      const file = join(
        folder,
        `${name.replace(/[^a-z0-9]+/gi, '-')}.${name.includes('PNG') ? 'png' : name.includes('WebP') ? 'webp' : 'jpg'}`,
      );
      await writeFile(file, bytes);
      inputs[name] = file;
    }
    const brief = join(exampleBriefsDirectory(), 'window-light-portrait.yaml');
    const commands: Record<string, (photo: string, out: string) => string[]> = {
      analyze: (photo) => ['analyze', photo, '--json'],
      relight: (photo, out) => [
        'darkroom',
        'relight',
        photo,
        '--rig',
        'rembrandt',
        '-o',
        `${out}.png`,
      ],
      'direct -n 1': (photo, out) => [
        'direct',
        brief,
        '--reference',
        photo,
        '-n',
        '1',
        '--no-library',
        '--out',
        out,
      ],
    };
    const figures: Figure[] = [];
    const details: Record<string, string> = {};
    for (const [command, argsOf] of Object.entries(commands)) {
      for (const [input, photo] of Object.entries(inputs)) {
        const out = join(folder, `${command}-${input}`.replace(/[^a-z0-9]+/gi, '-'));
        const run = await runCli(argsOf(photo, out), folder);
        figures.push(
          figure(`${command} · ${input} peak RSS`, run.rssMiB, 'MiB', {
            op: '<=',
            value: LIMIT_MIB,
          }),
        );
        details[`${command} · ${input}`] = `exit ${run.exit}: ${run.lastLine.slice(0, 160)}`;
      }
    }
    // Photos over the working size (issue 10): analyze reads them on a 4 MP copy.
    const photos: Record<string, string> = {
      '24 MP photo JPEG': join(folder, 'photo-24mp.jpg'),
      '20 MP photo PNG': join(folder, 'photo-20mp.png'),
    };
    await sharp(samplePhotoPath(6))
      .resize(6000, 4000, { fit: 'fill' })
      .jpeg({ quality: 90 })
      .toFile(photos['24 MP photo JPEG'] as string);
    await sharp(samplePhotoPath(6))
      .resize(5000, 4000, { fit: 'fill' })
      .png()
      .toFile(photos['20 MP photo PNG'] as string);
    for (const [input, photo] of Object.entries(photos)) {
      const run = await runCli(['analyze', photo, '--json'], folder);
      figures.push(
        figure(`analyze · ${input} peak RSS`, run.rssMiB, 'MiB', { op: '<=', value: LIMIT_MIB }),
      );
      details[`analyze · ${input}`] = `exit ${run.exit}: ${run.lastLine.slice(0, 160)}`;
    }
    return { bench: 'memory', figures, details };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
