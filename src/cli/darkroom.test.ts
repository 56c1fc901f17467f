import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCli } from './test-run.js';

async function photoFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portraitist-darkroom-pass-'));
  await mkdir(join(dir, 'in'));
  for (const [name, colour] of [
    ['one.png', { r: 150, g: 120, b: 100 }],
    ['two.png', { r: 90, g: 100, b: 130 }],
  ] as const)
    await sharp({ create: { width: 640, height: 480, channels: 3, background: colour } })
      .png()
      .toFile(join(dir, 'in', name));
  return dir;
}

describe('portraitist darkroom <photos…> (one pass)', () => {
  it('grades a folder, one log line per photo when stderr is not a terminal', async () => {
    const dir = await photoFolder();
    const result = await runCli(
      ['darkroom', 'in', '--grade', 'warm-film', '--contrast', '0.2', '--out-dir', 'out'],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('darkroom '))).toEqual([
      'darkroom 0/2',
      `darkroom 1/2 ${join('in', 'one.png')}`,
      `darkroom 2/2 ${join('in', 'two.png')}`,
    ]);
    expect(result.stdout).toMatch(/^wrote .*out\/one\.png \(640×480, grade, \d+ ms\)$/m);
    expect(await sharp(join(dir, 'out', 'two.png')).metadata()).toMatchObject({
      width: 640,
      height: 480,
    });
    // Outputs are refused unless --force, before any work.
    const again = await runCli(['darkroom', 'in', '--grade', 'warm-film', '--out-dir', 'out'], dir);
    expect(again.code).toBe(73);
    expect(again.stderr).toContain('already exists');
    const forced = await runCli(
      ['darkroom', 'in', '--grade', 'warm-film', '--out-dir', 'out', '--force'],
      dir,
    );
    expect(forced.code).toBe(0);
  });

  it('names bad flags and recipe fields, and needs --out-dir for many photos', async () => {
    const dir = await photoFolder();
    const flags = await runCli(
      [
        'darkroom',
        'in/one.png',
        '--relight',
        'loop',
        '--fill',
        '0.5',
        '--face',
        'first',
        '-o',
        'x.png',
      ],
      dir,
    );
    expect(flags.code).toBe(64);
    expect(flags.stderr).toContain('for `fill`');
    expect(flags.stderr).toContain('for `face`');
    await writeFile(join(dir, 'recipe.yaml'), 'relight:\n  rig: loop\n  softnes: 0.3\n');
    const recipe = await runCli(
      ['darkroom', 'in/one.png', '--recipe', 'recipe.yaml', '-o', 'x.png'],
      dir,
    );
    expect(recipe.code).toBe(64);
    expect(recipe.stderr).toContain('did you mean `relight.softness`?');
    const many = await runCli(['darkroom', 'in', '--grade', 'warm-film', '-o', 'x.png'], dir);
    expect(many.code).toBe(64);
    expect(many.stderr).toContain('`out-dir`');
  });

  it('keeps the single-operation subcommands, whose -o is their own', async () => {
    const dir = await photoFolder();
    const result = await runCli(
      ['darkroom', 'grade', 'in/one.png', '--grade', 'warm-film', '-o', 'graded.png'],
      dir,
    );
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/^wrote graded\.png \(640×480/);
  });
});
