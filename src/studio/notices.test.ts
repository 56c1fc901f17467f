import { describe, expect, it } from 'vitest';
import { readExampleBriefs } from '../brief/index.js';
import type { EngineCapabilities } from '../engines/index.js';
import { engineNotice } from './notices.js';

const capabilities = (needsReferencePhoto: boolean): EngineCapabilities => ({
  id: needsReferencePhoto ? 'local' : 'comfyui',
  targets: ['sdxl'],
  poseControl: false,
  identityReference: false,
  img2img: true,
  needsReferencePhoto,
  maxCount: 8,
  sizes: { min: 64, max: 4096, multipleOf: 8 },
});

describe('engineNotice', async () => {
  const examples = await readExampleBriefs();
  const pastry = examples.find((e) => e.file === 'pastry-chef-window.yaml')?.brief;
  if (pastry === undefined) throw new Error('the pastry-chef example is missing');

  it('says once, plainly, that the local engine keeps the photo’s person, clothes and place', () => {
    const notice = engineNotice(pastry, capabilities(true));
    expect(notice).toContain('the subject, wardrobe and setting come from the photo itself');
    expect(notice?.split('\n')).toHaveLength(1);
  });

  it('says nothing for an engine that makes the picture', () => {
    expect(engineNotice(pastry, capabilities(false))).toBeUndefined();
  });
});
