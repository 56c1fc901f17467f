import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { darkroomSession } from './darkroom.js';

describe('darkroomSession', () => {
  it('checks the settings before the photo is read, and refuses an existing output before any work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'studio-darkroom-'));
    const missing = join(dir, 'not-there.jpg');
    await expect(
      darkroomSession({
        photo: missing,
        source: 'not-there.jpg',
        out: join(dir, 'x.png'),
        operation: { kind: 'relight', rig: 'rembrant', side: 'left', intensity: 0.8 },
      }),
    ).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('rembrandt') });
    await expect(
      darkroomSession({
        photo: missing,
        source: 'not-there.jpg',
        out: join(dir, 'x.png'),
        operation: { kind: 'grade', film: 'portra-4000' },
      }),
    ).rejects.toMatchObject({ code: 'USAGE', issues: [{ path: 'film' }] });
    await writeFile(join(dir, 'taken.png'), 'keep');
    await expect(
      darkroomSession({
        photo: missing,
        source: 'not-there.jpg',
        out: join(dir, 'taken.png'),
        operation: { kind: 'grade', grade: 'warm-film' },
      }),
    ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(await readFile(join(dir, 'taken.png'), 'utf8')).toBe('keep');
  });

  it('grades a photo at its full size without loading vision, reporting its stages', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'studio-darkroom-'));
    const photo = join(dir, 'flat.png');
    await sharp({
      create: { width: 96, height: 120, channels: 3, background: { r: 140, g: 120, b: 100 } },
    })
      .png()
      .toFile(photo);
    const stages: string[] = [];
    let clock = 0;
    const result = await darkroomSession({
      photo,
      source: 'flat.png',
      out: join(dir, 'graded.png'),
      operation: { kind: 'grade', contrast: 0.3, saturation: -0.5 },
      onStage: (text) => stages.push(text),
      now: () => (clock += 5),
    });
    expect(result).toEqual({
      operation: 'grade',
      output: join(dir, 'graded.png'),
      width: 96,
      height: 120,
      ms: 5,
    });
    expect(stages).toEqual(['reading the photo', 'grading']);
    expect(await sharp(join(dir, 'graded.png')).metadata()).toMatchObject({
      width: 96,
      height: 120,
    });
  });

  it("split-tones the shadows toward the hue asked for (the README's grade flags)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'studio-darkroom-'));
    const photo = join(dir, 'dark.png');
    await sharp({
      create: { width: 32, height: 32, channels: 3, background: { r: 50, g: 50, b: 50 } },
    })
      .png()
      .toFile(photo);
    await darkroomSession({
      photo,
      source: 'dark.png',
      out: join(dir, 'toned.png'),
      operation: {
        kind: 'grade',
        split: { shadows: '#1B2A48', highlights: '#808080', amount: 1 },
      },
    });
    const { data } = await sharp(join(dir, 'toned.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    // A blue-navy shadow tone: blue rises above red in a neutral dark grey.
    expect((data[2] ?? 0) - (data[0] ?? 0)).toBeGreaterThan(4);
  });
});
