// Real-photo fixtures: single portraits cropped from the group photos that @vladmandic/face-api
// ships in demo/sample1..6.jpg (read from node_modules, never copied into the repo).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** A crop of one sample photo holding one face, with what the face shows. */
export interface FixtureFace {
  readonly id: string;
  readonly sample: 1 | 2 | 3 | 4 | 5 | 6;
  readonly crop: {
    readonly left: number;
    readonly top: number;
    readonly width: number;
    readonly height: number;
  };
  /** What a person sees in the face (for expression tests). */
  readonly expression: 'laughing' | 'smiling' | 'neutral';
}

/** The fixture faces. Crops were chosen so each holds exactly one detectable face. */
export const fixtureFaces: readonly FixtureFace[] = [
  {
    id: 'laughing',
    sample: 1,
    crop: { left: 1294, top: 35, width: 558, height: 698 },
    expression: 'laughing',
  },
  {
    id: 'neutral-blonde',
    sample: 3,
    crop: { left: 335, top: 96, width: 722, height: 903 },
    expression: 'neutral',
  },
  {
    id: 'smile-closed',
    sample: 3,
    crop: { left: 814, top: 0, width: 734, height: 918 },
    expression: 'smiling',
  },
  {
    id: 'neutral-dark-hair',
    sample: 4,
    crop: { left: 25, top: 19, width: 604, height: 755 },
    expression: 'neutral',
  },
  {
    id: 'soft-smile',
    sample: 6,
    crop: { left: 0, top: 258, width: 720, height: 900 },
    expression: 'smiling',
  },
  {
    id: 'makeup',
    sample: 1,
    crop: { left: 157, top: 122, width: 704, height: 880 },
    expression: 'smiling',
  },
];

/** Path of a face-api demo photo in node_modules. */
export function samplePath(sample: number): string {
  const require = createRequire(import.meta.url);
  // face-api's exports map hides package.json; its main entry sits in dist/.
  const main = require.resolve('@vladmandic/face-api');
  return join(dirname(main), '..', 'demo', `sample${sample}.jpg`);
}

/** Path of a face-api demo photo, typed to the six that exist. */
export function samplePhotoPath(index: 1 | 2 | 3 | 4 | 5 | 6): string {
  return samplePath(index);
}

/** The bytes of a whole sample photo (group photos: several faces). */
export async function readSample(sample: number): Promise<Uint8Array> {
  return new Uint8Array(await readFile(samplePath(sample)));
}

/** A fixture face's crop as PNG bytes. */
export async function readFixture(id: string): Promise<Uint8Array> {
  const face = fixtureFaces.find((f) => f.id === id);
  if (face === undefined)
    throw new Error(`no fixture "${id}"; known: ${fixtureFaces.map((f) => f.id).join(', ')}`);
  return new Uint8Array(await sharp(samplePath(face.sample)).extract(face.crop).png().toBuffer());
}

/** A fixture by id (throws on a typo so tests fail loudly). */
export function fixture(id: string): FixtureFace {
  const face = fixtureFaces.find((f) => f.id === id);
  if (face === undefined) throw new Error(`no fixture "${id}"`);
  return face;
}
