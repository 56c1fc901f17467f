import { access, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { exampleBriefsDirectory } from '../brief/index.js';
import { readFixture } from '../testing/index.js';
import { runCli } from './test-run.js';

const run = (argv: string[], cwd?: string) => runCli(argv, cwd);

describe('portraitist direct', () => {
  it('runs the main job on the bundled example photo and writes candidates, a contact sheet and a report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-direct-cli-'));
    const result = await run(
      [
        'direct',
        join(exampleBriefsDirectory(), 'pastry-chef-window.yaml'),
        '-n',
        '2',
        '--out',
        'out',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('reference: the bundled example photo');
    // The local engine keeps the photo's person and place: said once, plainly.
    expect(result.stderr.split('come from the photo itself')).toHaveLength(2);
    expect(result.stdout).toMatch(/round 1: candidate-\d first: /);
    expect(result.stdout).toMatch(/best: round-1\/candidate-\d\.png at \d+%/);
    for (const file of [
      'round-1/candidate-1.png',
      'round-1/candidate-2.png',
      'round-1/contact-sheet.png',
      'best.png',
      'report.md',
      'report.json',
    ]) {
      await access(join(dir, 'out', file));
    }
    expect(
      JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8')).rounds[0].candidates,
    ).toHaveLength(2);
  });

  it('takes a reference photo and refuses an unknown engine, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-direct-cli-'));
    await writeFile(join(dir, 'me.png'), await readFixture('neutral-blonde'));
    const json = await run(
      [
        'direct',
        join(exampleBriefsDirectory(), 'minimal.yaml'),
        '--reference',
        'me.png',
        '-n',
        '1',
        '--out',
        'o',
        '--json',
      ],
      dir,
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ engine: 'local', rounds: [{ round: 1 }] });
    const remote = await run(
      ['direct', join(exampleBriefsDirectory(), 'minimal.yaml'), '--engine', 'midjourney'],
      dir,
    );
    expect(remote.code).toBe(64);
    expect(remote.stderr).toContain(
      'expected one of local, comfyui, a1111, openai for `engine` but received "midjourney"',
    );
    const badCount = await run(
      ['direct', join(exampleBriefsDirectory(), 'minimal.yaml'), '-n', '0'],
      dir,
    );
    expect(badCount.stderr).toContain(
      'expected a whole number from 1 to 64 for `count` but received "0"',
    );
  });
});

describe('portraitist darkroom', () => {
  it('a photo without a face is an input error (65, NO_FACE) that names the file once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-darkroom-cli-'));
    const flat = await sharp({
      create: { width: 320, height: 400, channels: 3, background: { r: 128, g: 120, b: 110 } },
    })
      .png()
      .toBuffer();
    await writeFile(join(dir, 'wall.png'), flat);
    const result = await run(
      ['darkroom', 'relight', 'wall.png', '--rig', 'loop', '-o', 'out.png'],
      dir,
    );
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('NO_FACE');
    expect(result.stderr.split('wall.png').length - 1).toBe(1);
    await expect(access(join(dir, 'out.png'))).rejects.toThrow();
  });

  it('grades, reframes and relights at full resolution, with --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-darkroom-cli-'));
    await writeFile(join(dir, 'in.png'), await readFixture('soft-smile'));
    const graded = await run(
      [
        'darkroom',
        'grade',
        'in.png',
        '--grade',
        'warm-film',
        '--film',
        'portra-400',
        '-o',
        'graded.png',
        '--json',
      ],
      dir,
    );
    expect(graded.code).toBe(0);
    expect(JSON.parse(graded.stdout)).toMatchObject({
      operation: 'grade',
      width: 720,
      height: 900,
    });
    expect(await sharp(join(dir, 'graded.png')).metadata()).toMatchObject({
      width: 720,
      height: 900,
    });
    const relit = await run(
      ['darkroom', 'relight', 'in.png', '--rig', 'split', '--side', 'right', '-o', 'relit.png'],
      dir,
    );
    expect(relit.code).toBe(0);
    expect(relit.stdout).toMatch(/^wrote relit\.png \(720×900, \d+ ms\)/);
    expect(relit.stderr).toContain("relight: relighting with split from the subject's right");
    const framed = await run(
      [
        'darkroom',
        'reframe',
        'in.png',
        '--shot',
        'close-up',
        '--aspect',
        '1:1',
        '-o',
        'framed.png',
        '--json',
      ],
      dir,
    );
    const meta = JSON.parse(framed.stdout) as { width: number; height: number };
    expect(meta.width).toBe(meta.height);
  });

  it('names the field on bad input', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-darkroom-cli-'));
    await writeFile(join(dir, 'in.png'), await readFixture('soft-smile'));
    const badRig = await run(
      ['darkroom', 'relight', 'in.png', '--rig', 'rembrant', '-o', 'x.png'],
      dir,
    );
    expect(badRig.code).toBe(64);
    expect(badRig.stderr).toBe('error USAGE: unknown rig "rembrant" — did you mean "rembrandt"?\n');
    const badLift = await run(
      ['darkroom', 'expression', 'in.png', '--lift', '3', '-o', 'x.png'],
      dir,
    );
    expect(badLift.stderr).toContain('expected a number from -1 to 1 for `lift` but received "3"');
    const badLut = await writeFile(join(dir, 'bad.cube'), 'LUT_3D_SIZE 2\n0 0 0\n');
    expect(badLut).toBeUndefined();
    const lut = await run(['darkroom', 'grade', 'in.png', '--lut', 'bad.cube', '-o', 'x.png'], dir);
    expect(lut.code).toBe(64);
  });
});
