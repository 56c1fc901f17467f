// Opt-in: one small real txt2img against a running AUTOMATIC1111/Forge server.
// Run with A1111_URL=http://127.0.0.1:7860 (add user:pass@ for --api-auth).
import { describe, expect, it } from 'vitest';
import { validateBrief } from '../../brief/index.js';
import { readImage } from '../../image/index.js';
import { createPromptCompiler } from '../../prompt/index.js';
import { createA1111Engine } from '../index.js';

const url = process.env['A1111_URL'];

describe.skipIf(url === undefined)('a1111 engine against a live server (A1111_URL)', () => {
  it('renders one 256×256 PNG with its seed and provenance', async () => {
    const brief = validateBrief({
      version: 1,
      subject: { description: 'a man in his fifties with a grey beard' },
      light: { rig: 'window', side: 'left' },
      output: { target: 'sd15', width: 256, height: 256, steps: 4 },
    });
    const engine = createA1111Engine({ url: url ?? '' });
    const [candidate] = await engine.generate({
      brief,
      compiled: createPromptCompiler().compile(brief, 'sd15'),
      references: [],
      count: 1,
      seed: 1234,
    });
    expect(candidate).toBeDefined();
    const image = await readImage(candidate?.image ?? new Uint8Array(), { source: 'live' });
    expect(image).toMatchObject({ format: 'png', width: 256, height: 256 });
    expect(candidate?.seed).toBe(1234);
    expect(candidate?.engine).toBe('a1111');
    expect(candidate?.parameters).toMatchObject({ sampler: expect.any(String), steps: 4 });
    expect(typeof candidate?.parameters['model']).toBe('string');
    expect(candidate?.provenance.brief).toEqual(brief);
    await engine.dispose();
  }, 600_000);
});
