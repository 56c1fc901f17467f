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

/**
 * Hand-labelled truth of every face in the six sample photos, each as a crop centred on it (a crop
 * may show a neighbour's edge; the face read is the largest). Labelled by looking at each crop:
 * `smile` is `clear` (corners up, cheeks raised), `slight` (a hint, or a closed-lip smirk: not
 * counted either way) or `none`; `gaze` is where the eyes look (`down` when the lids are lowered
 * over a downward look); `turn` is where the nose points in the image (camera left = the image's
 * left), null where the turn is too slight to call; `shoulders` is how many shoulders show.
 */
export interface TruthFace {
  readonly id: string;
  readonly sample: 1 | 2 | 3 | 4 | 5 | 6;
  readonly crop: {
    readonly left: number;
    readonly top: number;
    readonly width: number;
    readonly height: number;
  };
  readonly smile: 'clear' | 'slight' | 'none';
  readonly teeth: boolean;
  readonly expression: string;
  readonly gaze: 'camera' | 'down' | 'up' | 'off-camera-left' | 'off-camera-right' | null;
  readonly turn: 'camera-left' | 'camera-right' | 'frontal' | null;
  readonly shoulders: 'both' | 'one' | 'none';
}

/** The truth table: all 22 faces of the sample photos, labelled by hand. */
export const truthFaces: readonly TruthFace[] = [
  {
    id: 's1f0',
    sample: 1,
    crop: { left: 245, top: 191, width: 528, height: 669 },
    smile: 'slight',
    teeth: false,
    expression: 'closed-lip smile',
    gaze: 'camera',
    turn: 'camera-left',
    shoulders: 'both',
  },
  {
    id: 's1f1',
    sample: 1,
    crop: { left: 693, top: 267, width: 491, height: 619 },
    smile: 'slight',
    teeth: false,
    expression: 'downcast',
    gaze: 'down',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's1f2',
    sample: 1,
    crop: { left: 1363, top: 89, width: 419, height: 530 },
    smile: 'clear',
    teeth: true,
    expression: 'laugh',
    gaze: 'camera',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's2f0',
    sample: 2,
    crop: { left: 714, top: 65, width: 530, height: 673 },
    smile: 'slight',
    teeth: false,
    expression: 'downcast',
    gaze: 'down',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's2f1',
    sample: 2,
    crop: { left: 1292, top: 0, width: 521, height: 661 },
    smile: 'slight',
    teeth: false,
    expression: 'downcast, eyes nearly closed',
    gaze: 'down',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's2f2',
    sample: 2,
    crop: { left: 190, top: 8, width: 492, height: 623 },
    smile: 'slight',
    teeth: true,
    expression: 'playful, finger at the teeth',
    gaze: 'off-camera-left',
    turn: 'camera-left',
    shoulders: 'one',
  },
  {
    id: 's3f0',
    sample: 3,
    crop: { left: 1257, top: 106, width: 614, height: 777 },
    smile: 'clear',
    teeth: true,
    expression: 'broad smile',
    gaze: 'camera',
    turn: 'camera-right',
    shoulders: 'one',
  },
  {
    id: 's3f1',
    sample: 3,
    crop: { left: 905, top: 59, width: 551, height: 697 },
    smile: 'clear',
    teeth: true,
    expression: 'smile',
    gaze: 'camera',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's3f2',
    sample: 3,
    crop: { left: 425, top: 167, width: 542, height: 686 },
    smile: 'none',
    teeth: false,
    expression: 'neutral',
    gaze: 'camera',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's4f0',
    sample: 4,
    crop: { left: 834, top: 37, width: 495, height: 629 },
    smile: 'clear',
    teeth: true,
    expression: 'smile, eyes lowered',
    gaze: 'down',
    turn: 'camera-left',
    shoulders: 'both',
  },
  {
    id: 's4f1',
    sample: 4,
    crop: { left: 1140, top: 26, width: 458, height: 580 },
    smile: 'clear',
    teeth: true,
    expression: 'laugh',
    gaze: 'down',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's4f2',
    sample: 4,
    crop: { left: 101, top: 78, width: 453, height: 574 },
    smile: 'slight',
    teeth: false,
    expression: 'smirk over the shoulder',
    gaze: 'camera',
    turn: 'camera-right',
    shoulders: 'one',
  },
  {
    id: 's4f3',
    sample: 4,
    crop: { left: 544, top: 0, width: 417, height: 528 },
    smile: 'none',
    teeth: false,
    expression: 'neutral',
    gaze: 'camera',
    turn: null,
    shoulders: 'one',
  },
  {
    id: 's5f0',
    sample: 5,
    crop: { left: 1222, top: 215, width: 593, height: 751 },
    smile: 'slight',
    teeth: false,
    expression: 'slight smile',
    gaze: 'camera',
    turn: null,
    shoulders: 'one',
  },
  {
    id: 's5f1',
    sample: 5,
    crop: { left: 182, top: 718, width: 555, height: 680 },
    smile: 'slight',
    teeth: true,
    expression: 'talking',
    gaze: 'camera',
    turn: 'frontal',
    shoulders: 'both',
  },
  {
    id: 's5f2',
    sample: 5,
    crop: { left: 968, top: 58, width: 479, height: 606 },
    smile: 'clear',
    teeth: true,
    expression: 'smile',
    gaze: 'camera',
    turn: 'camera-left',
    shoulders: 'both',
  },
  {
    id: 's5f3',
    sample: 5,
    crop: { left: 439, top: 300, width: 462, height: 587 },
    smile: 'clear',
    teeth: true,
    expression: 'open smile',
    gaze: 'camera',
    turn: 'camera-right',
    shoulders: 'one',
  },
  {
    id: 's5f4',
    sample: 5,
    crop: { left: 656, top: 0, width: 408, height: 519 },
    smile: 'none',
    teeth: false,
    expression: 'neutral',
    gaze: 'camera',
    turn: 'frontal',
    shoulders: 'both',
  },
  {
    id: 's6f0',
    sample: 6,
    crop: { left: 488, top: 168, width: 576, height: 730 },
    smile: 'clear',
    teeth: true,
    expression: 'smile',
    gaze: 'camera',
    turn: null,
    shoulders: 'both',
  },
  {
    id: 's6f1',
    sample: 6,
    crop: { left: 1308, top: 102, width: 566, height: 716 },
    smile: 'slight',
    teeth: false,
    expression: 'closed-lip smile',
    gaze: 'camera',
    turn: 'frontal',
    shoulders: 'both',
  },
  {
    id: 's6f2',
    sample: 6,
    crop: { left: 989, top: 149, width: 552, height: 701 },
    smile: 'none',
    teeth: false,
    expression: 'pout',
    gaze: 'camera',
    turn: null,
    shoulders: 'one',
  },
  {
    id: 's6f3',
    sample: 6,
    crop: { left: 87, top: 328, width: 540, height: 686 },
    smile: 'slight',
    teeth: false,
    expression: 'closed-lip smile',
    gaze: 'camera',
    turn: 'frontal',
    shoulders: 'both',
  },
];

/** A truth-table face's crop as PNG bytes. */
export async function readTruthFace(id: string): Promise<Uint8Array> {
  const face = truthFaces.find((f) => f.id === id);
  if (face === undefined)
    throw new Error(`no truth face "${id}"; known: ${truthFaces.map((f) => f.id).join(', ')}`);
  return new Uint8Array(await sharp(samplePath(face.sample)).extract(face.crop).png().toBuffer());
}
