import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { resolveReferences } from './references.js';

const photo = new Uint8Array([1, 2, 3]);

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'references-'));
  await mkdir(join(dir, 'refs'));
  await writeFile(join(dir, 'refs', 'me.png'), photo);
  await writeFile(join(dir, 'stance.png'), new Uint8Array([4, 5]));
  return dir;
}

const brief = validateBrief({
  version: 1,
  subject: { description: 'a baker at dawn' },
  references: [
    { image: './refs/me.png', role: 'identity', weight: 0.7 },
    { image: './refs/light.jpg', role: 'lighting' },
  ],
});

describe('resolveReferences', () => {
  it("names the brief's missing reference by its field, never skipping it", async () => {
    const dir = await folder();
    await expect(
      resolveReferences({ brief, briefPath: join(dir, 'brief.yaml') }),
    ).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      issues: [
        {
          path: 'references[1].image',
          message: `expected a photo at ${join(dir, 'refs', 'light.jpg')} for \`references[1].image\` but received no readable file`,
        },
      ],
    });
    // Without the brief's folder a relative reference cannot be found: an error too.
    await expect(resolveReferences({ brief })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      issues: [{ path: 'references[0].image' }],
    });
  });

  it('puts extra references into the brief, replacing its own of the same role', async () => {
    const dir = await folder();
    const { brief: seen, references } = await resolveReferences({
      brief,
      briefPath: join(dir, 'brief.yaml'),
      extra: [
        { role: 'lighting', path: join(dir, 'refs', 'me.png') },
        { role: 'pose', path: join(dir, 'stance.png') },
      ],
    });
    expect(seen.references).toEqual([
      { image: './refs/me.png', role: 'identity', weight: 0.7 },
      { image: 'me.png', role: 'lighting', weight: 1 },
      { image: 'stance.png', role: 'pose', weight: 1 },
    ]);
    expect(references.map((r) => [r.role, r.source, Array.from(r.image)])).toEqual([
      ['identity', 'me.png', [1, 2, 3]],
      ['lighting', 'me.png', [1, 2, 3]],
      ['pose', 'stance.png', [4, 5]],
    ]);
    // The compiler now sees the pose photo: it becomes an OpenPose control.
    const compiled = createPromptCompiler().compile(seen, 'sdxl');
    expect(compiled.controls).toContainEqual(
      expect.objectContaining({
        role: 'pose',
        image: 'stance.png',
        mechanism: 'controlnet-openpose',
      }),
    );
  });

  it('an extra reference that cannot be read names its flag', async () => {
    const dir = await folder();
    await expect(
      resolveReferences({
        brief: validateBrief({ version: 1, subject: { description: 'x' } }),
        extra: [{ role: 'pose', path: join(dir, 'nope.png') }],
      }),
    ).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', issues: [{ path: 'reference[0]' }] });
  });
});
