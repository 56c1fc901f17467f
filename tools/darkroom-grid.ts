// Writes docs/darkroom-rigs.jpg: one fixture face before and after every named light rig, each
// tile labelled. Run with `npx tsx tools/darkroom-grid.ts [fixture-id] [out.png]`; the README's
// rig grid is this script's output, not a hand-made picture.
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { lightRigs } from '../src/brief/index.js';
import { createSegmenter, relight, rigTarget } from '../src/darkroom/index.js';
import { readImage, type RgbImage } from '../src/image/index.js';
import { readFixture } from '../src/testing/index.js';
import { createVision, createVisionRuntime } from '../src/vision/index.js';

const id = process.argv[2] ?? 'soft-smile';
const out = process.argv[3] ?? 'docs/darkroom-rigs.jpg';
const TILE = 260;
const LABEL = 30;
const COLUMNS = 4;

const image = await readImage(await readFixture(id), { source: id });
const vision = createVision(await createVisionRuntime());
const segmenter = await createSegmenter();
const blueprint = await vision.analyze(image);
const mask = await segmenter.segment(image);
const face = blueprint.faces[blueprint.faceIndex ?? 0];
if (face === undefined) throw new Error(`${id}: no face`);
// A head-and-shoulders square around the face, the same for every tile.
const side = Math.min(image.width, image.height, Math.round(face.box.height * 2));
const left = Math.round(
  Math.min(image.width - side, Math.max(0, face.box.x + face.box.width / 2 - side / 2)),
);
const top = Math.round(
  Math.min(image.height - side, Math.max(0, face.box.y + face.box.height / 2 - side * 0.45)),
);

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
async function tile(picture: RgbImage, label: string): Promise<Buffer> {
  const body = await sharp(Buffer.from(picture.data), {
    raw: { width: picture.width, height: picture.height, channels: 3 },
  })
    .extract({ left, top, width: side, height: side })
    .resize(TILE, TILE)
    .png()
    .toBuffer();
  const caption = Buffer.from(
    `<svg width="${TILE}" height="${LABEL}" xmlns="http://www.w3.org/2000/svg">` +
      `<rect width="100%" height="100%" fill="#111"/>` +
      `<text x="${TILE / 2}" y="${LABEL * 0.7}" font-family="sans-serif" font-size="14" fill="#eee" text-anchor="middle">${escape(label)}</text></svg>`,
  );
  return sharp({ create: { width: TILE, height: TILE + LABEL, channels: 3, background: '#111' } })
    .composite([
      { input: body, left: 0, top: 0 },
      { input: caption, left: 0, top: TILE },
    ])
    .png()
    .toBuffer();
}

const tiles: Buffer[] = [await tile(image, 'before (the photo)')];
for (const rig of lightRigs) {
  const target = rigTarget(rig.id, 'left');
  const lit = relight(image, blueprint, mask, target, { triangles: vision.runtime.triangulation });
  const where = target.azimuth === 0 ? 'frontal' : 'subject’s left';
  tiles.push(await tile(lit, `${rig.name} · ${where}`));
}
const rows = Math.ceil(tiles.length / COLUMNS);
const grid = await sharp({
  create: {
    width: COLUMNS * TILE,
    height: rows * (TILE + LABEL),
    channels: 3,
    background: '#111',
  },
})
  .composite(
    tiles.map((input, k) => ({
      input,
      left: (k % COLUMNS) * TILE,
      top: Math.floor(k / COLUMNS) * (TILE + LABEL),
    })),
  )
  .toFormat(out.endsWith('.png') ? 'png' : 'jpeg', { quality: 88 })
  .toBuffer();
await writeFile(out, grid);
await segmenter.dispose();
vision.dispose();
process.stdout.write(`${out}: ${tiles.length} tiles of ${id}\n`);
