// The bundled example photo for the main job on a fresh machine: a crop of one of the portraits
// @vladmandic/face-api ships in demo/ (read from the installed package, never copied into ours).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { PortraitistError } from '../errors/index.js';

/** Which photo and crop: a woman by a window with blinds, soft daylight from the side. */
const examplePhoto = { sample: 6, crop: { left: 0, top: 258, width: 720, height: 900 } } as const;

/** The example reference photo as PNG bytes, with a name for reports. */
export async function exampleReferencePhoto(): Promise<{ image: Uint8Array; source: string }> {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = join(
      dirname(require.resolve('@vladmandic/face-api')),
      '..',
      'demo',
      `sample${examplePhoto.sample}.jpg`,
    );
  } catch (error) {
    throw new PortraitistError(
      'FILE_NOT_FOUND',
      'the bundled example photo comes from @vladmandic/face-api: run npm install',
      { cause: error },
    );
  }
  const image = new Uint8Array(await sharp(path).extract(examplePhoto.crop).png().toBuffer());
  return { image, source: `face-api sample${examplePhoto.sample} (crop)` };
}
