// Opt-in: one real, cheap generation against api.openai.com. Runs only with OPENAI_API_KEY set
// (it costs about a cent: gpt-image-1-mini, low quality, 1024x1024).
import { describe, expect, it } from 'vitest';
import { validateBrief } from '../../brief/index.js';
import { readImage } from '../../image/index.js';
import { createPromptCompiler } from '../../prompt/index.js';
import { createOpenAiEngine } from '../index.js';

const apiKey = process.env['OPENAI_API_KEY'];

describe.skipIf(apiKey === undefined || apiKey === '')('openai engine: live API', () => {
  it('makes one low-quality portrait with provenance', { timeout: 300_000 }, async () => {
    const brief = validateBrief({
      version: 1,
      title: 'Live check',
      subject: { description: 'a man in his fifties with a grey beard' },
      expression: { name: 'closed-lip-half-smile', intensity: 0.4 },
      light: { rig: 'window', side: 'left' },
      camera: { focalLength: 85, aperture: 2.8, shot: 'headshot', aspectRatio: '1:1' },
      output: { target: 'gpt-image', count: 1 },
    });
    const compiled = createPromptCompiler().compile(brief, 'gpt-image');
    const cheap = {
      ...compiled,
      params: { ...compiled.params, extra: { ...compiled.params.extra, quality: 'low' } },
    };
    const engine = createOpenAiEngine({ apiKey: apiKey ?? '', model: 'gpt-image-1-mini' });
    try {
      const [candidate] = await engine.generate({
        brief,
        compiled: cheap,
        references: [],
        count: 1,
        seed: 7,
      });
      const image = await readImage(candidate?.image ?? new Uint8Array(), { source: 'live' });
      expect(image.format).toBe('png');
      expect([image.width, image.height]).toEqual([1024, 1024]);
      expect(candidate?.engine).toBe('openai');
      expect(candidate?.seed).toBe(7);
      expect(candidate?.provenance.brief).toEqual(brief);
      expect(candidate?.parameters).toMatchObject({
        model: 'gpt-image-1-mini',
        size: '1024x1024',
        quality: 'low',
        seed_honoured: false,
      });
      expect(typeof candidate?.parameters['request_id']).toBe('string');
    } finally {
      await engine.dispose();
    }
  });
});
