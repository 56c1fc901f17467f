import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { contactSheetLayout, drawContactSheet, type ContactSheetEntry } from './sheet.js';
import type { CriticFlag, CriticPillar, RankedCandidate } from './types.js';

// ---------------------------------------------------------------------------------------------
// Synthetic batch: solid-colour images of different sizes and aspects, so any pixel inside a
// fitted image is that candidate's colour, and hand-made rankings given out of rank order.

type Rgb = readonly [number, number, number];

/** The sheet's own colours (sheet.ts): the bar track and the first-place border. */
const trackRgb: Rgb = [0x34, 0x34, 0x3c];
const firstPlaceRgb: Rgb = [0xff, 0xc5, 0x3d];
const cardRgb: Rgb = [0x1b, 0x1b, 0x1f];

async function solid(width: number, height: number, rgb: Rgb): Promise<Uint8Array> {
  const png = await sharp({
    create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

function ranked(
  rank: number,
  source: string,
  scores: Partial<Record<CriticPillar, number>>,
  flags: CriticFlag[] = [],
): RankedCandidate {
  const pillars = Object.entries(scores).map(([pillar, score]) => ({
    pillar: pillar as CriticPillar,
    wanted: '',
    measured: '',
    score: score ?? 0,
    reason: '',
    details: {},
  }));
  const overall = pillars.reduce((sum, p) => sum + p.score, 0) / Math.max(1, pillars.length);
  return {
    rank,
    reason: '',
    scorecard: { source, overall, pillars, flags, unmeasured: [], nudges: [] },
  };
}

const red: Rgb = [200, 40, 40];
const blue: Rgb = [40, 60, 210];
const green: Rgb = [30, 170, 70];
const grey: Rgb = [128, 128, 128];

async function batch(): Promise<ContactSheetEntry[]> {
  return [
    {
      image: await solid(600, 400, red),
      ranked: ranked(3, '/renders/seed-3.png', { expression: 0.5, light: 0.4, camera: 0.6 }, [
        'plastic-skin',
      ]),
    },
    {
      // First place: light on brief, expression missed, so its bars show both ends.
      image: await solid(400, 500, blue),
      ranked: ranked(1, '/renders/seed-1.png', { expression: 0.1, light: 1, camera: 0.8 }),
    },
    {
      image: await solid(300, 900, green),
      ranked: ranked(2, 'C:\\renders\\seed-2.jpg', { expression: 0.7, light: 0.6, camera: 0.5 }),
    },
    {
      image: await solid(256, 256, grey),
      ranked: ranked(4, '/renders/seed-4.png', { expression: 0.2, light: 0.3, camera: 0.1 }, [
        'extra-faces',
        'soft-eyes',
      ]),
    },
  ];
}

interface Pixels {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

async function pixels(png: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function at(image: Pixels, x: number, y: number): Rgb {
  const i = (Math.round(y) * image.width + Math.round(x)) * image.channels;
  return [image.data[i] ?? -1, image.data[i + 1] ?? -1, image.data[i + 2] ?? -1];
}

function near(a: Rgb, b: Rgb, tolerance = 3): boolean {
  return a.every((channel, i) => Math.abs(channel - (b[i] ?? 0)) <= tolerance);
}

/** Whether any pixel in the band left of `x` (inside the gutter) at rows y..y+height has the colour. */
function bandHas(image: Pixels, x: number, y: number, height: number, rgb: Rgb): boolean {
  for (let row = y; row < y + height; row += 4) {
    for (let dx = 1; dx <= 6; dx++) if (near(at(image, x - dx, row), rgb, 8)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

describe('drawContactSheet', () => {
  it('is as large as the grid: columns × (tile + gutter) + gutter wide, rows of tiles high', async () => {
    const entries = await batch();
    const png = await drawContactSheet(entries);
    const meta = await sharp(png).metadata();
    const layout = contactSheetLayout(entries.map((e) => e.ranked));
    // Four candidates: min(4, ceil(√4)) = 2 columns, 2 rows.
    expect(layout.columns).toBe(2);
    expect(layout.rows).toBe(2);
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(2 * (320 + layout.gutter) + layout.gutter);
    const last = layout.tiles[layout.tiles.length - 1];
    expect(last).toBeDefined();
    expect(meta.height).toBe((last?.y ?? 0) + (last?.height ?? 0) + layout.gutter);
    // 4:5 image cells of the tile width.
    for (const tile of layout.tiles) expect(tile.image).toMatchObject({ width: 320, height: 400 });

    const wide = await drawContactSheet(entries, { columns: 3, tileWidth: 200, title: 'Batch' });
    const wideLayout = contactSheetLayout(
      entries.map((e) => e.ranked),
      { columns: 3, tileWidth: 200, title: 'Batch' },
    );
    expect(await sharp(wide).metadata()).toMatchObject({
      width: 3 * (200 + wideLayout.gutter) + wideLayout.gutter,
      height: wideLayout.height,
    });
  });

  it('places the first-ranked candidate top-left and the rest in rank order', async () => {
    const entries = await batch();
    const layout = contactSheetLayout(entries.map((e) => e.ranked));
    expect(layout.tiles.map((tile) => entries[tile.entry]?.ranked.rank)).toEqual([1, 2, 3, 4]);
    const first = layout.tiles[0];
    if (first === undefined) throw new Error('no tiles');
    expect(first).toMatchObject({ x: layout.gutter, y: layout.gutter });
    const image = await pixels(await drawContactSheet(entries));
    const { x, y, width, height } = first.image;
    expect(near(at(image, x + width / 2, y + height / 2), blue)).toBe(true);
    // The second tile (rank 2, a tall green image) sits to its right.
    const second = layout.tiles[1];
    if (second === undefined) throw new Error('no second tile');
    expect(second.y).toBe(first.y);
    expect(second.x).toBeGreaterThan(first.x);
    expect(
      near(at(image, second.image.x + second.image.width / 2, second.image.y + 200), green),
    ).toBe(true);
  });

  it('letterboxes an image of another aspect on the dark card colour', async () => {
    const entries = await batch();
    const layout = contactSheetLayout(entries.map((e) => e.ranked));
    const image = await pixels(await drawContactSheet(entries));
    // Rank 3 is the 3:2 red image: fitted by width, with bands above and below.
    const third = layout.tiles[2];
    if (third === undefined) throw new Error('no third tile');
    const cell = third.image;
    expect(near(at(image, cell.x + cell.width / 2, cell.y + 5), cardRgb)).toBe(true);
    expect(near(at(image, cell.x + cell.width / 2, cell.y + cell.height - 5), cardRgb)).toBe(true);
    expect(near(at(image, cell.x + cell.width / 2, cell.y + cell.height / 2), red)).toBe(true);
  });

  it('fills a bar by its score in a colour from red to green', async () => {
    const entries = await batch();
    const layout = contactSheetLayout(entries.map((e) => e.ranked));
    const image = await pixels(await drawContactSheet(entries));
    const bars = layout.tiles[0]?.bars ?? [];
    expect(bars.map((bar) => bar.label)).toEqual(['expr', 'light', 'camera']);
    const light = bars.find((bar) => bar.pillar === 'light');
    const expression = bars.find((bar) => bar.pillar === 'expression');
    if (light === undefined || expression === undefined) throw new Error('bars missing');
    // The same place near the right end of each track: filled at 1.0, bare track at 0.1.
    const nearEnd = (bar: typeof light) =>
      at(
        image,
        bar.track.x + bar.track.width - bar.track.height / 2,
        bar.track.y + bar.track.height / 2,
      );
    const [r, g, b] = nearEnd(light);
    expect(g).toBeGreaterThan(r + 60);
    expect(g).toBeGreaterThan(b + 30);
    expect(near(nearEnd(expression), trackRgb)).toBe(true);
    // The low score's short fill, at the left end of its track, is red-ish.
    const [lr, lg, lb] = at(
      image,
      expression.track.x + expression.track.height / 2,
      expression.track.y + expression.track.height / 2,
    );
    expect(lr).toBeGreaterThan(lg + 60);
    expect(lr).toBeGreaterThan(lb + 60);
  });

  it('outlines the first-place tile and no other', async () => {
    const entries = await batch();
    const layout = contactSheetLayout(entries.map((e) => e.ranked));
    const image = await pixels(await drawContactSheet(entries));
    const [first, second] = layout.tiles;
    if (first === undefined || second === undefined) throw new Error('tiles missing');
    expect(first.highlighted).toBe(true);
    expect(layout.tiles.slice(1).every((tile) => !tile.highlighted)).toBe(true);
    expect(bandHas(image, first.x, first.y, first.height, firstPlaceRgb)).toBe(true);
    expect(bandHas(image, second.x, second.y, second.height, firstPlaceRgb)).toBe(false);
  });

  it('escapes names and titles instead of breaking the SVG', async () => {
    const entries = await batch();
    const hostile = entries.map((entry, i) =>
      i === 1
        ? {
            ...entry,
            ranked: {
              ...entry.ranked,
              scorecard: { ...entry.ranked.scorecard, source: `/x/<b>&"it's"</b>\u0007.png` },
            },
          }
        : entry,
    );
    const png = await drawContactSheet(hostile, { title: `A <title> & "quotes" 'too'\n]]><!--` });
    const image = await pixels(png);
    const layout = contactSheetLayout(
      hostile.map((e) => e.ranked),
      { title: `A <title> & "quotes" 'too'\n]]><!--` },
    );
    expect(layout.title.map((line) => line.text)).toEqual([
      `A <title> & "quotes" 'too'`,
      ']]><!--',
    ]);
    expect(image.width).toBe(layout.width);
    // The overlay still rendered: the first-place border and the bars are there.
    const first = layout.tiles[0];
    if (first === undefined) throw new Error('no tiles');
    expect(bandHas(image, first.x, first.y, first.height, firstPlaceRgb)).toBe(true);
  });

  it('draws a tile for an unreadable image instead of failing the sheet', async () => {
    const entries = await batch();
    const broken = entries.map((entry, i) =>
      i === 1 ? { ...entry, image: new Uint8Array([1, 2, 3, 4]) } : entry,
    );
    const layout = contactSheetLayout(broken.map((e) => e.ranked));
    const image = await pixels(await drawContactSheet(broken));
    const first = layout.tiles[0];
    if (first === undefined) throw new Error('no tiles');
    expect(near(at(image, first.image.x + 10, first.image.y + 10), cardRgb)).toBe(true);
  });

  it('keeps input order for tied ranks and wraps a long title', () => {
    const tied = [
      ranked(2, 'b.png', { light: 0.5 }),
      ranked(1, 'a.png', { light: 0.5 }),
      ranked(2, 'c.png', { light: 0.5 }),
    ];
    const layout = contactSheetLayout(tied, {
      title: `Brief\n${'a ranking summary that goes on '.repeat(12)}`,
    });
    expect(layout.tiles.map((tile) => tile.entry)).toEqual([1, 0, 2]);
    expect(layout.title.length).toBeGreaterThan(2);
    const firstTile = layout.tiles[0];
    const lastLine = layout.title[layout.title.length - 1];
    expect(firstTile?.y).toBeGreaterThan(lastLine?.y ?? Infinity);
  });

  it('rejects an empty batch and unusable options', async () => {
    await expect(drawContactSheet([])).rejects.toThrow(RangeError);
    const one = [ranked(1, 'a.png', { light: 1 })];
    expect(() => contactSheetLayout(one, { tileWidth: 20 })).toThrow(RangeError);
    expect(() => contactSheetLayout(one, { columns: 0 })).toThrow(RangeError);
    expect(() => contactSheetLayout(one, { tileWidth: Number.NaN })).toThrow(RangeError);
  });
});
