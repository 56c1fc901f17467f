import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseBrief } from '../brief/index.js';
import { readFixture, samplePhotoPath } from '../testing/index.js';
import { runCli } from './test-run.js';

const run = (argv: string[], cwd?: string) => runCli(argv, cwd, { stderrIsTerminal: true });

describe('portraitist analyze', () => {
  it('reads one photo and writes the overlay, the pose control image and a brief', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-analyze-'));
    await writeFile(join(dir, 'laughing.png'), await readFixture('laughing'));
    const result = await run(
      [
        'analyze',
        'laughing.png',
        '--overlay',
        'out/overlay.png',
        '--control-pose',
        'out/pose.png',
        '--brief',
        'out/brief.yaml',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/laughing\.png {2}558×698 png · 1 face/);
    expect(result.stdout).toMatch(/expression +lip-corner lift \+0\.\d\d/);
    expect(result.stdout).toMatch(/light +key az [+−]\d+°/);
    const overlay = await sharp(join(dir, 'out/overlay.png')).metadata();
    expect(overlay).toMatchObject({ width: 558, height: 698, format: 'png' });
    const pose = await sharp(join(dir, 'out/pose.png')).metadata();
    expect(pose).toMatchObject({ width: 558, height: 698 });
    const brief = parseBrief(await readFile(join(dir, 'out/brief.yaml'), 'utf8'));
    expect(['laughing', 'duchenne-smile', 'polite-smile']).toContain(brief.expression?.name);
  });

  it('batches on worker threads with --json, a progress bar, and {name} outputs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-analyze-'));
    await writeFile(join(dir, 'a.png'), await readFixture('neutral-blonde'));
    await writeFile(join(dir, 'b.png'), await readFixture('soft-smile'));
    const result = await run(
      [
        'analyze',
        'a.png',
        'b.png',
        join(samplePhotoPath(2)),
        '--brief',
        'briefs/{name}.yaml',
        '--json',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    const blueprints = JSON.parse(result.stdout) as Array<{
      source: string;
      faces: unknown[];
      files: string[];
    }>;
    expect(blueprints.map((b) => b.faces.length)).toEqual([1, 1, 3]);
    expect(blueprints[0]?.files).toEqual([join(dir, 'briefs/a.yaml')]);
    // --json keeps stderr free of the progress bar.
    expect(result.stderr).toBe('');
  });

  it('needs {name} in output paths for several photos, before doing any work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-analyze-'));
    const result = await run(['analyze', 'a.png', 'b.png', '--overlay', 'out.png'], dir);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('with several photos, --overlay needs {name} in its path');
  });

  it('a bad photo in a batch is reported and the exit code says so; the others are still read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-analyze-'));
    await writeFile(join(dir, 'good.png'), await readFixture('makeup'));
    await writeFile(join(dir, 'bad.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
    const result = await run(['analyze', 'good.png', 'bad.jpg'], dir);
    expect(result.code).toBe(65);
    expect(result.stdout).toMatch(/good\.png {2}704×880/);
    expect(result.stdout).toMatch(/error IMAGE_(CORRUPT|TRUNCATED): bad\.jpg/);
    expect(result.stderr).toContain('analyzing');
  });

  it('an out-of-range --face is a usage error naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-analyze-'));
    await writeFile(join(dir, 'one.png'), await readFixture('makeup'));
    const result = await run(['analyze', 'one.png', '--face', '3'], dir);
    expect(result.code).toBe(64);
    expect(result.stdout).toContain('there is 1 face; no face 3');
  });
});
