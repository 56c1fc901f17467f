import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createSegmenter } from '../darkroom/index.js';
import { readFixture } from '../testing/index.js';
import { createVisionRuntime } from '../vision/index.js';
import {
  SMALL_OUTPUT_PX,
  createDarkroomModels,
  darkroomChain,
  darkroomJobs,
  parseDarkroomRecipe,
  readDarkroomRecipe,
  relightTargetOf,
  type DarkroomPhotoResult,
} from './darkroom-chain.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'studio-darkroom-chain-'));

describe('darkroom recipes', () => {
  it('names each bad field by its path, with a did-you-mean for a misspelt key', () => {
    expect(() => parseDarkroomRecipe({ relight: { rig: 'loop', fil: 4 } }, 'r.yaml')).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        source: 'r.yaml',
        issues: [
          expect.objectContaining({
            path: 'relight.fil',
            message: expect.stringContaining('did you mean `relight.fill`'),
          }),
        ],
      }),
    );
    let caught: unknown;
    try {
      parseDarkroomRecipe({ relight: { rig: 'loop', fill: 0.5, face: -1 }, lens: {} }, 'r.yaml');
    } catch (error) {
      caught = error;
    }
    const paths = (caught as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['lens.aperture', 'relight.face', 'relight.fill']);
    expect(() => parseDarkroomRecipe({}, 'r.yaml')).toThrow(/at least one of relight/);
    expect(() => parseDarkroomRecipe({ grade: { contrast: 'high' } })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: 'grade.contrast' })] }),
    );
  });

  it('reads a YAML recipe file and reports a parse error or a missing file as such', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'ok.yaml'),
      'relight:\n  rig: rembrandt\n  fill: 4\n  face: all\ngrade:\n  grade: warm-film\n',
    );
    expect(await readDarkroomRecipe(join(dir, 'ok.yaml'), 'ok.yaml')).toEqual({
      relight: { rig: 'rembrandt', fill: 4, face: 'all' },
      grade: { grade: 'warm-film' },
    });
    await writeFile(join(dir, 'bad.yaml'), 'relight: [rig: : loop\n');
    await expect(readDarkroomRecipe(join(dir, 'bad.yaml'), 'bad.yaml')).rejects.toMatchObject({
      code: 'USAGE',
      issues: [{ path: 'recipe' }],
    });
    await expect(readDarkroomRecipe(join(dir, 'none.yaml'), 'none.yaml')).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
  });

  it('lays fill, softness, rim and colour temperature over the rig', () => {
    const target = relightTargetOf({
      rig: 'rembrandt',
      side: 'right',
      fill: 8,
      softness: 0.1,
      rim: true,
      colourTemperature: 3200,
    });
    expect(target).toMatchObject({
      fillRatio: 8,
      softness: 0.1,
      rim: true,
      colorTemperature: 3200,
    });
    expect(target.azimuth).toBeLessThan(0);
  });

  it('checks vocabulary names before any photo is read or output refused', async () => {
    const dir = await tempDir();
    const jobs = [
      { photo: join(dir, 'missing.jpg'), source: 'missing.jpg', out: join(dir, 'o.png') },
    ];
    const models = createDarkroomModels({
      visionRuntime: () => Promise.reject(new Error('must not load')),
      segmenter: () => Promise.reject(new Error('must not load')),
    });
    await expect(
      darkroomChain({ jobs, recipe: { relight: { rig: 'rembrant' } }, models }),
    ).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('rembrandt') });
    await expect(
      darkroomChain({ jobs, recipe: { reframe: { shot: 'headshoot' } }, models }),
    ).rejects.toMatchObject({ code: 'USAGE', issues: [{ path: 'shot' }] });
    await expect(
      darkroomChain({ jobs, recipe: { grade: { film: 'portra-4000' } }, models }),
    ).rejects.toMatchObject({ code: 'USAGE', issues: [{ path: 'film' }] });
  });
});

describe('darkroomJobs', () => {
  it('takes a folder’s photos in name order, one output each, and refuses -o for many', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'in'));
    for (const name of ['b.png', 'a.jpg', 'notes.txt', '.hidden.png'])
      await writeFile(join(dir, 'in', name), 'x');
    const jobs = await darkroomJobs([{ path: join(dir, 'in'), source: 'in' }], {
      outDir: join(dir, 'out'),
    });
    expect(jobs.map((j) => [j.source, j.out])).toEqual([
      [join('in', 'a.jpg'), join(dir, 'out', 'a.png')],
      [join('in', 'b.png'), join(dir, 'out', 'b.png')],
    ]);
    await expect(
      darkroomJobs([{ path: join(dir, 'in'), source: 'in' }], { out: join(dir, 'one.png') }),
    ).rejects.toMatchObject({ code: 'USAGE', issues: [{ path: 'out' }] });
    await writeFile(join(dir, 'in', 'a.png'), 'x');
    await expect(
      darkroomJobs([{ path: join(dir, 'in'), source: 'in' }], { outDir: join(dir, 'out') }),
    ).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('both write') });
    await expect(
      darkroomJobs([{ path: join(dir, 'nope'), source: 'nope' }], { outDir: dir }),
    ).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', issues: [{ path: 'photos' }] });
  });
});

describe('darkroomChain on real photos', () => {
  it('runs the chain over a folder with each model loaded once, keeps alpha, and says what could not act', async () => {
    const dir = await tempDir();
    const input = join(dir, 'in');
    await mkdir(input);
    // A real face, a real face with a graded alpha edge, and a photo with no face.
    await writeFile(join(input, 'a-face.png'), await readFixture('neutral-dark-hair'));
    const face = sharp(Buffer.from(await readFixture('smile-closed')));
    const { width = 0, height = 0 } = await face.metadata();
    const alphaIn = Buffer.alloc(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) alphaIn[y * width + x] = Math.min(255, x * 4);
    await face
      .joinChannel(alphaIn, { raw: { width, height, channels: 1 } })
      .png()
      .toFile(join(input, 'b-alpha.png'));
    await sharp({
      create: { width: 300, height: 200, channels: 3, background: { r: 120, g: 110, b: 100 } },
    })
      .png()
      .toFile(join(input, 'c-flat.png'));

    const loads = { vision: 0, segmenter: 0 };
    const models = createDarkroomModels({
      visionRuntime: () => {
        loads.vision++;
        return createVisionRuntime();
      },
      segmenter: () => {
        loads.segmenter++;
        return createSegmenter();
      },
    });
    const jobs = await darkroomJobs([{ path: input, source: 'in' }], {
      outDir: join(dir, 'out'),
    });
    const recipe = parseDarkroomRecipe({
      relight: { rig: 'rembrandt', side: 'left', fill: 4, softness: 0.4, face: 'all' },
      expression: { lift: 0.3, parted: 0.5 },
      lens: { aperture: 2 },
      grade: { grade: 'warm-film' },
    });
    const seen: string[] = [];
    try {
      const results = await darkroomChain({
        jobs,
        recipe,
        models,
        onPhoto: (r, i) => seen.push(`${i}:${r.input}`),
      });
      expect(loads).toEqual({ vision: 1, segmenter: 1 });
      expect(seen).toEqual([
        `0:${join('in', 'a-face.png')}`,
        `1:${join('in', 'b-alpha.png')}`,
        `2:${join('in', 'c-flat.png')}`,
      ]);
      const [a, b, c] = results as [DarkroomPhotoResult, DarkroomPhotoResult, DarkroomPhotoResult];
      for (const r of results) expect(r.error).toBeUndefined();
      expect(a.applied).toEqual(['relight', 'expression', 'lens', 'grade']);
      expect(a.alpha).toBe(false);
      // Both fixture faces have closed lips: the warp says it cannot part them.
      expect(a.notices).toContain(
        'the warp cannot part closed lips: it stretches the lip line but cannot show a mouth the photo hides',
      );
      expect(b.alpha).toBe(true);
      const out = await sharp(join(dir, 'out', 'b-alpha.png'))
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(out.info.channels).toBe(4);
      const alphaOut = Buffer.alloc(width * height);
      for (let i = 0; i < width * height; i++) alphaOut[i] = out.data[i * 4 + 3] ?? 0;
      expect(alphaOut.equals(alphaIn)).toBe(true);
      // The relit face differs from its source; the pixels are the photo's, not a blank.
      const source = await sharp(join(input, 'a-face.png')).raw().toBuffer();
      const result = await sharp(join(dir, 'out', 'a-face.png'))
        .raw()
        .toBuffer();
      let changed = 0;
      for (let i = 0; i < source.length; i++) if (source[i] !== result[i]) changed++;
      expect(changed / source.length).toBeGreaterThan(0.2);
      // No face: relight and expression cannot act, lens and grade still do; it is small.
      expect(c.applied).toEqual(['lens', 'grade']);
      expect(c.notices).toEqual([
        'relight cannot act: no face found in the photo',
        'expression cannot act: no face found in the photo',
        `the output is small: 300×200 px (short side under ${SMALL_OUTPUT_PX} px)`,
      ]);

      // A second pass refuses the outputs before any work; with force it rewrites them.
      const before = await readFile(join(dir, 'out', 'a-face.png'));
      await expect(darkroomChain({ jobs, recipe, models })).rejects.toMatchObject({
        code: 'OUTPUT_EXISTS',
      });
      expect((await readFile(join(dir, 'out', 'a-face.png'))).equals(before)).toBe(true);

      // Reframing to a headshot crops the alpha with the photo, and warns of a small output.
      const [reframed] = await darkroomChain({
        jobs: [{ ...jobs[1]!, out: join(dir, 'out', 'b-headshot.png') }],
        recipe: parseDarkroomRecipe({ reframe: { shot: 'headshot', aspect: '4:5' } }),
        models,
      });
      expect(reframed?.alpha).toBe(true);
      const meta = await sharp(join(dir, 'out', 'b-headshot.png')).metadata();
      expect(meta).toMatchObject({ channels: 4, width: reframed?.width });
      expect(reframed?.notices.some((n) => n.startsWith('the output is small'))).toBe(
        Math.min(reframed?.width ?? 0, reframed?.height ?? 0) < SMALL_OUTPUT_PX,
      );
      expect(loads).toEqual({ vision: 1, segmenter: 1 });
    } finally {
      await models.dispose();
    }
  }, 600_000);

  it('says when --face names a face the photo does not have, and relights nothing', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'face.png'), await readFixture('soft-smile'));
    const models = createDarkroomModels();
    try {
      const [r] = await darkroomChain({
        jobs: [{ photo: join(dir, 'face.png'), source: 'face.png', out: join(dir, 'o.png') }],
        recipe: parseDarkroomRecipe({
          relight: { rig: 'loop', face: 3 },
          grade: { contrast: 0.1 },
        }),
        models,
      });
      expect(r?.applied).toEqual(['grade']);
      expect(r?.notices[0]).toMatch(
        /^relight cannot act: --face 3 asked for, but the photo has 1 face /,
      );
    } finally {
      await models.dispose();
    }
  }, 600_000);
});
