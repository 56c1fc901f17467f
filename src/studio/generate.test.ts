import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { createComfyEngine, readProvenance } from '../engines/index.js';
import { startFakeComfy } from '../testing/index.js';
import { generateCandidates } from './generate.js';

const brief = validateBrief({
  version: 1,
  subject: { description: 'a baker at dawn' },
  output: { target: 'sdxl', count: 2 },
});

describe('generateCandidates', () => {
  it('writes each candidate as <engine>-<seed>.png with provenance, and refuses earlier files before paying', async () => {
    const server = await startFakeComfy();
    const engine = createComfyEngine({ url: server.url });
    try {
      const outDir = await mkdtemp(join(tmpdir(), 'studio-generate-'));
      const started: string[] = [];
      const written = await generateCandidates({
        engine,
        brief,
        target: 'sdxl',
        references: [],
        count: 2,
        seed: 40,
        outDir,
        onStart: () => started.push('start'),
      });
      expect(started).toEqual(['start']);
      expect(written.map((w) => [w.file, w.seed])).toEqual([
        [join(outDir, 'comfyui-40.png'), 40],
        [join(outDir, 'comfyui-41.png'), 41],
      ]);
      const png = new Uint8Array(await readFile(join(outDir, 'comfyui-40.png')));
      expect(readProvenance(png)?.portraitist).toMatchObject({ engine: 'comfyui', seed: 40 });
      expect((await readdir(outDir)).sort()).toEqual(['comfyui-40.png', 'comfyui-41.png']);
      const queued = server.prompts.size;

      // A file that is there already: refused with OUTPUT_EXISTS naming `out`, and no prompt queued.
      await writeFile(join(outDir, 'comfyui-43.png'), 'keep me');
      await expect(
        generateCandidates({
          engine,
          brief,
          target: 'sdxl',
          references: [],
          count: 2,
          seed: 42,
          outDir,
        }),
      ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
      expect(server.prompts.size).toBe(queued);
    } finally {
      await engine.dispose();
      await server.close();
    }
  }, 120_000);
});
