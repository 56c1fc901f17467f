// Opt-in: runs against a real ComfyUI when COMFYUI_URL is set (e.g. http://127.0.0.1:8188).
// The workflow is model-free (LoadImage → ImageInvert → SaveImage), so it passes on any server,
// with or without a GPU or checkpoints; a second test renders with a checkpoint when one is named.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { validateBrief } from '../../brief/index.js';
import { createPromptCompiler } from '../../prompt/index.js';
import { readFixture } from '../../testing/index.js';
import { createComfyEngine, readProvenance, embedProvenance } from '../index.js';

const url = process.env['COMFYUI_URL'];
const checkpoint = process.env['COMFYUI_CHECKPOINT'];
const brief = validateBrief({
  version: 1,
  subject: { description: 'a woman in her twenties with long dark hair' },
  light: { rig: 'window', side: 'left' },
  output: { target: 'sd15', width: 512, height: 512, steps: 8 },
});

describe.skipIf(url === undefined)('comfyui engine against a live server (COMFYUI_URL)', () => {
  it('runs the model-free template: uploads the photo, follows the run, downloads the inverted image', async () => {
    const template = JSON.parse(
      readFileSync(new URL('../../../examples/comfyui/invert.json', import.meta.url), 'utf8'),
    ) as unknown;
    const photo = await readFixture('soft-smile');
    const stages: string[] = [];
    const engine = createComfyEngine({ url: url ?? '', template });
    const [candidate] = await engine.generate(
      {
        brief,
        compiled: createPromptCompiler().compile(brief, 'sd15'),
        references: [{ role: 'identity', image: photo, source: 'soft-smile.png' }],
        count: 1,
        seed: 7,
      },
      { onProgress: (p) => stages.push(p.stage) },
    );
    expect(candidate).toBeDefined();
    const [ours, expected] = await Promise.all([
      sharp(Buffer.from(candidate?.image ?? []))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true }),
      sharp(Buffer.from(photo))
        .negate({ alpha: false })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true }),
    ]);
    expect([ours.info.width, ours.info.height]).toEqual([
      expected.info.width,
      expected.info.height,
    ]);
    // PNG round trips are lossless: the server's inversion equals ours pixel for pixel (±1 for rounding).
    let worst = 0;
    for (let i = 0; i < ours.data.length; i++)
      worst = Math.max(worst, Math.abs((ours.data[i] ?? 0) - (expected.data[i] ?? 0)));
    expect(worst).toBeLessThanOrEqual(1);
    expect(stages).toContain('candidate done');
    expect(readProvenance(embedProvenance(candidate!))?.portraitist).toMatchObject({
      engine: 'comfyui',
      seed: 7,
    });
  }, 120_000);

  it.skipIf(checkpoint === undefined)(
    'renders with the named checkpoint (COMFYUI_CHECKPOINT)',
    async () => {
      const engine = createComfyEngine({ url: url ?? '', ...(checkpoint ? { checkpoint } : {}) });
      const [candidate] = await engine.generate({
        brief,
        compiled: createPromptCompiler().compile(brief, 'sd15'),
        references: [],
        count: 1,
        seed: 11,
      });
      const meta = await sharp(Buffer.from(candidate?.image ?? [])).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 512, 512]);
    },
    600_000,
  );
});
