// A contact sheet of a critiqued batch: the candidates in rank order, each with its rank, overall
// score, file name, one bar per pillar and its flags, so an artist can take in a batch at a glance.
// The photos are composited as tiles and everything else is one SVG that sharp (librsvg) renders.
import sharp, { type OverlayOptions } from 'sharp';
import { rgbToHex } from '../image/index.js';
import type { CriticFlag, CriticPillar, RankedCandidate } from './types.js';
import { ordinal } from './rank.js';

/** One candidate of the sheet: its encoded image (PNG, JPEG, WebP…) and its place in the ranking. */
export interface ContactSheetEntry {
  readonly image: Uint8Array;
  readonly ranked: RankedCandidate;
}

export interface ContactSheetOptions {
  /** Tiles per row; default min(4, ceil(√n)). Kept as given, even above the number of candidates. */
  readonly columns?: number;
  /** Width of a tile in pixels (the image is a 4:5 cell of this width); default 320. */
  readonly tileWidth?: number;
  /** Shown above the grid, wrapped to the sheet; the first line bold, later lines (after "\n") smaller. */
  readonly title?: string;
}

/** A rectangle in sheet pixels. */
export interface SheetRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One pillar's bar in a tile; `score` is null where the candidate has no score for that pillar. */
export interface SheetBar {
  readonly pillar: CriticPillar;
  readonly label: string;
  /** The full-length track; the filled part starts at its left edge. */
  readonly track: SheetRect;
  readonly score: number | null;
}

/** One tile: the card (image above caption), in sheet order. */
export interface SheetTile extends SheetRect {
  /** Index of the candidate in the input. */
  readonly entry: number;
  readonly image: SheetRect;
  readonly caption: SheetRect;
  readonly bars: readonly SheetBar[];
  /** The first-place tile, drawn with a highlighted border. */
  readonly highlighted: boolean;
}

/** A title line, baseline `y`. */
export interface SheetTitleLine {
  readonly text: string;
  readonly y: number;
  readonly fontSize: number;
  readonly bold: boolean;
}

/** Where everything on a contact sheet goes. */
export interface ContactSheetLayout {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
  readonly gutter: number;
  /** Stroke and font scale: 1 at a 320 px tile. */
  readonly unit: number;
  readonly title: readonly SheetTitleLine[];
  readonly tiles: readonly SheetTile[];
}

/** Pillars in the order the bars are drawn, with the short labels that fit a tile. */
const pillarLabels: ReadonlyArray<readonly [CriticPillar, string]> = [
  ['expression', 'expr'],
  ['posture', 'pose'],
  ['light', 'light'],
  ['camera', 'camera'],
  ['aesthetic', 'aesth'],
  ['authenticity', 'real'],
  ['identity', 'id'],
];

/** The colours of the sheet; the letterbox is the card colour so a fitted image sits on its card. */
const colours = {
  sheet: '#0e0e11',
  card: '#1b1b1f',
  track: '#34343c',
  text: '#f2f2f5',
  muted: '#a3a3ad',
  label: '#c4c4cc',
  badge: '#33333b',
  firstPlace: '#ffc53d',
  firstPlaceText: '#1b1b1f',
  flag: '#d93f45',
  flagText: '#ffffff',
} as const;

/** Score colour stops: red at 0, amber at 0.5, green at 1. */
const scoreStops: ReadonlyArray<readonly [number, number, number]> = [
  [0xe5, 0x48, 0x4d],
  [0xf0, 0xa0, 0x20],
  [0x3f, 0xbf, 0x6a],
];

/** Below this a tile's text no longer fits its caption. */
const minTileWidth = 160;

/** Renders the candidates as a PNG contact sheet in rank order: each image fitted on a 4:5 card with its rank, overall score, file name, pillar bars and flags, the first place outlined. */
export async function drawContactSheet(
  entries: ReadonlyArray<ContactSheetEntry>,
  options: ContactSheetOptions = {},
): Promise<Buffer> {
  const layout = contactSheetLayout(
    entries.map((entry) => entry.ranked),
    options,
  );
  const tiles = await Promise.all(
    layout.tiles.map(async (tile) => {
      const entry = entries[tile.entry];
      return entry === undefined ? null : fitImage(entry.image, tile.image);
    }),
  );
  const svg = sheetSvg(
    layout,
    entries.map((entry) => entry.ranked),
    tiles.map((tile) => tile !== null),
  );
  const composites: OverlayOptions[] = [];
  layout.tiles.forEach((tile, i) => {
    const fitted = tiles[i];
    if (fitted == null) return;
    composites.push({
      input: fitted.data,
      raw: { width: tile.image.width, height: tile.image.height, channels: fitted.channels },
      left: tile.image.x,
      top: tile.image.y,
    });
  });
  composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  return sharp({
    create: {
      width: layout.width,
      height: layout.height,
      channels: 3,
      background: colours.sheet,
    },
  })
    .composite(composites)
    .png()
    .toBuffer();
}

/** The geometry of a contact sheet for these candidates, in sheet order (what `drawContactSheet` draws, exposed so callers can map clicks and tests can find things). */
export function contactSheetLayout(
  candidates: readonly RankedCandidate[],
  options: ContactSheetOptions = {},
): ContactSheetLayout {
  const count = candidates.length;
  if (count === 0) throw new RangeError('a contact sheet needs at least one candidate');
  const tileWidth = Math.round(options.tileWidth ?? 320);
  if (!Number.isFinite(tileWidth) || tileWidth < minTileWidth) {
    throw new RangeError(
      `tileWidth must be at least ${minTileWidth} px, received ${options.tileWidth}`,
    );
  }
  const columns = Math.floor(options.columns ?? Math.min(4, Math.ceil(Math.sqrt(count))));
  if (!Number.isFinite(columns) || columns < 1) {
    throw new RangeError(`columns must be a positive whole number, received ${options.columns}`);
  }
  const u = tileWidth / 320;
  const gutter = Math.max(8, Math.round(16 * u));
  const width = columns * (tileWidth + gutter) + gutter;
  const rows = Math.ceil(count / columns);

  const title = titleLines(options.title ?? '', width - 2 * gutter, gutter, u);
  const lastTitle = title[title.length - 1];
  // The grid starts below the title's last descender, or at the gutter without a title.
  const gridTop =
    lastTitle === undefined ? gutter : Math.round(lastTitle.y + 0.35 * lastTitle.fontSize + gutter);

  // Every caption is as tall as the tallest so the grid stays regular; the bars are the union of
  // the pillars scored anywhere in the batch so each pillar sits at the same height in every tile.
  const scored = new Set(candidates.flatMap((c) => c.scorecard.pillars.map((p) => p.pillar)));
  const pillars = pillarLabels.filter(([pillar]) => scored.has(pillar));
  const metrics = captionMetrics(u);
  const innerWidth = tileWidth - 2 * metrics.padding;
  const flagRows = Math.max(
    ...candidates.map((c) => flagTags(c.scorecard.flags, innerWidth, metrics).rows),
  );
  const captionHeight = Math.round(
    metrics.barsTop +
      pillars.length * metrics.barRow +
      (flagRows > 0 ? metrics.flagsGap + flagRows * metrics.flagRow : 0) +
      metrics.padding,
  );
  const imageHeight = Math.round((tileWidth * 5) / 4);
  const tileHeight = imageHeight + captionHeight;
  const height = gridTop + rows * (tileHeight + gutter);

  const tiles = sheetOrder(candidates).map((entry, position): SheetTile => {
    const x = gutter + (position % columns) * (tileWidth + gutter);
    const y = gridTop + Math.floor(position / columns) * (tileHeight + gutter);
    const captionTop = y + imageHeight;
    const trackX = x + metrics.padding + metrics.labelWidth;
    const trackWidth = tileWidth - 2 * metrics.padding - metrics.labelWidth - metrics.valueWidth;
    const scores = new Map<CriticPillar, number>();
    for (const pillar of candidates[entry]?.scorecard.pillars ?? []) {
      // The first score of a pillar counts; a scorecard should not repeat one.
      if (!scores.has(pillar.pillar)) scores.set(pillar.pillar, pillar.score);
    }
    return {
      entry,
      x,
      y,
      width: tileWidth,
      height: tileHeight,
      image: { x, y, width: tileWidth, height: imageHeight },
      caption: { x, y: captionTop, width: tileWidth, height: captionHeight },
      bars: pillars.map(([pillar, label], row) => ({
        pillar,
        label,
        track: {
          x: trackX,
          y:
            captionTop +
            metrics.barsTop +
            row * metrics.barRow +
            (metrics.barRow - metrics.barHeight) / 2,
          width: trackWidth,
          height: metrics.barHeight,
        },
        score: scores.get(pillar) ?? null,
      })),
      highlighted: position === 0,
    };
  });
  return { width, height, columns, rows, gutter, unit: u, title, tiles };
}

// ---------------------------------------------------------------------------------------------
// Layout helpers

/**
 * Caption geometry relative to the caption's top-left, in pixels for this unit. Rows and columns
 * are sized from the font sizes, not only the unit, because fonts have a floor that a small tile's
 * unit would otherwise squeeze text into overlapping rows.
 */
function captionMetrics(u: number) {
  const padding = Math.round(12 * u);
  const badgeFont = font(24, u);
  const badgeHeight = Math.max(Math.round(38 * u), Math.ceil(badgeFont * 1.5));
  const nameTop = padding + badgeHeight + 8 * u;
  const nameFont = font(13, u);
  const barsTop = nameTop + nameFont * 1.4 + 6 * u;
  const labelFont = font(11.5, u);
  const flagFont = font(10.5, u);
  const flagHeight = Math.max(Math.round(17 * u), Math.ceil(flagFont * 1.6));
  const longestLabel = Math.max(
    ...pillarLabels.map(([, label]) => textWidth(label, labelFont, false)),
  );
  return {
    padding,
    badgeHeight,
    badgeFont,
    scoreFont: font(26, u),
    nameTop,
    nameFont,
    barsTop,
    barRow: Math.max(Math.round(17 * u), Math.ceil(labelFont * 1.3)),
    barHeight: Math.max(4, Math.round(8 * u)),
    labelFont,
    labelWidth: Math.ceil(Math.max(50 * u, longestLabel + 6 * u)),
    valueWidth: Math.ceil(Math.max(34 * u, textWidth('100', labelFont, false) + 8 * u)),
    flagsGap: 6 * u,
    flagHeight,
    flagRow: flagHeight + Math.max(3, Math.round(5 * u)),
    flagFont,
    flagPadding: 6 * u,
    flagGap: 5 * u,
  };
}

/** Input indices sorted by rank; ties keep input order and a non-finite rank goes last. */
function sheetOrder(candidates: readonly RankedCandidate[]): number[] {
  const key = (rank: number) => (Number.isFinite(rank) ? rank : Number.POSITIVE_INFINITY);
  return candidates
    .map((candidate, index) => ({ index, rank: key(candidate.rank) }))
    .sort((a, b) => (a.rank === b.rank ? a.index - b.index : a.rank < b.rank ? -1 : 1))
    .map((item) => item.index);
}

/** The title wrapped to `width`: the first paragraph big and bold, the rest smaller. */
function titleLines(title: string, width: number, top: number, u: number): SheetTitleLine[] {
  const lines: SheetTitleLine[] = [];
  let y = top;
  title
    .split(/\r?\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '')
    .forEach((paragraph, i) => {
      const bold = i === 0;
      const fontSize = font(bold ? 20 : 14, u);
      for (const text of wrap(paragraph, width, fontSize, bold)) {
        // Baselines: the cap height (≈0.8 em) below the previous line's spacing.
        y += lines.length === 0 ? fontSize * 0.85 : fontSize * 1.4;
        lines.push({ text, y, fontSize, bold });
      }
    });
  return lines;
}

/** Greedy word wrap by estimated width; a word wider than the line is cut with an ellipsis. */
function wrap(text: string, width: number, fontSize: number, bold: boolean): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const joined = current === '' ? word : `${current} ${word}`;
    if (current !== '' && textWidth(joined, fontSize, bold) > width) {
      lines.push(current);
      current = word;
    } else {
      current = joined;
    }
    // Only a single word can still be too wide here.
    if (textWidth(current, fontSize, bold) > width) {
      lines.push(fit(current, width, fontSize, bold));
      current = '';
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** Flags laid out as tags left to right, wrapping to new rows; positions relative to the first tag. */
function flagTags(
  flags: readonly CriticFlag[],
  width: number,
  m: ReturnType<typeof captionMetrics>,
): { rows: number; tags: Array<{ text: string; x: number; row: number; width: number }> } {
  const fontSize = m.flagFont;
  const padding = m.flagPadding;
  const gap = m.flagGap;
  const tags: Array<{ text: string; x: number; row: number; width: number }> = [];
  let x = 0;
  let row = 0;
  for (const flag of new Set(flags)) {
    const text = fit(flag, width - 2 * padding, fontSize, true);
    const tagWidth = textWidth(text, fontSize, true) + 2 * padding;
    if (x > 0 && x + tagWidth > width) {
      row += 1;
      x = 0;
    }
    tags.push({ text, x, row, width: tagWidth });
    x += tagWidth + gap;
  }
  return { rows: tags.length === 0 ? 0 : row + 1, tags };
}

// ---------------------------------------------------------------------------------------------
// Drawing

/** The image fitted (contain) into its cell on the card colour, as raw pixels; null if it cannot be read. */
async function fitImage(
  image: Uint8Array,
  cell: SheetRect,
): Promise<{ data: Buffer; channels: 3 } | null> {
  try {
    // rotate(): honour EXIF orientation so a phone photo is upright; flatten: transparency onto the card.
    const data = await sharp(image)
      .rotate()
      .resize(cell.width, cell.height, { fit: 'contain', background: colours.card })
      .flatten({ background: colours.card })
      .removeAlpha()
      .raw()
      .toBuffer();
    return { data, channels: 3 };
  } catch {
    // One unreadable file should not cost the artist the whole sheet; its tile says so instead.
    return null;
  }
}

/** The whole sheet but the photos, as one SVG the size of the sheet. */
function sheetSvg(
  layout: ContactSheetLayout,
  candidates: readonly RankedCandidate[],
  readable: readonly boolean[],
): string {
  const u = layout.unit;
  const parts: string[] = [];
  for (const line of layout.title) {
    parts.push(
      `<text x="${n(layout.gutter)}" y="${n(line.y)}" font-size="${n(line.fontSize)}" fill="${line.bold ? colours.text : colours.muted}"${line.bold ? ' font-weight="bold"' : ''}>${escapeXml(line.text)}</text>`,
    );
  }
  layout.tiles.forEach((tile, i) => {
    const candidate = candidates[tile.entry];
    if (candidate === undefined) return;
    parts.push(tileSvg(tile, candidate, readable[i] ?? false, u));
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="sans-serif">`,
    ...parts,
    '</svg>',
  ].join('\n');
}

function tileSvg(
  tile: SheetTile,
  candidate: RankedCandidate,
  readable: boolean,
  u: number,
): string {
  const m = captionMetrics(u);
  const card = candidate.scorecard;
  const parts: string[] = [];
  const { caption } = tile;
  // Only the caption is painted: the image cell is covered by the fitted photo.
  parts.push(rect(caption, colours.card));
  if (!readable) {
    parts.push(
      rect(tile.image, colours.card),
      `<text x="${n(tile.image.x + tile.image.width / 2)}" y="${n(tile.image.y + tile.image.height / 2)}" font-size="${n(font(14, u))}" fill="${colours.muted}" text-anchor="middle">image unreadable</text>`,
    );
  }
  if (tile.highlighted) {
    // Outside the card, in the gutter, so it hides nothing of the photo or its caption.
    const stroke = Math.max(2, Math.round(3 * u));
    const inset = 1 + stroke / 2;
    parts.push(
      `<rect x="${n(tile.x - inset)}" y="${n(tile.y - inset)}" width="${n(tile.width + 2 * inset)}" height="${n(tile.height + 2 * inset)}" rx="${n(3 * u)}" fill="none" stroke="${colours.firstPlace}" stroke-width="${stroke}"/>`,
    );
  }

  // Header: rank badge, then the overall score as a percentage in its score colour.
  const left = caption.x + m.padding;
  const top = caption.y + m.padding;
  const rankText = Number.isFinite(candidate.rank) ? ordinal(candidate.rank) : '?';
  const badgeWidth = Math.max(
    m.badgeHeight * 1.35,
    textWidth(rankText, m.badgeFont, true) + 20 * u,
  );
  parts.push(
    `<rect x="${n(left)}" y="${n(top)}" width="${n(badgeWidth)}" height="${n(m.badgeHeight)}" rx="${n(6 * u)}" fill="${tile.highlighted ? colours.firstPlace : colours.badge}"/>`,
    `<text x="${n(left + badgeWidth / 2)}" y="${n(top + m.badgeHeight / 2 + m.badgeFont * 0.36)}" font-size="${n(m.badgeFont)}" font-weight="bold" text-anchor="middle" fill="${tile.highlighted ? colours.firstPlaceText : colours.text}">${escapeXml(rankText)}</text>`,
  );
  const overall = finiteScore(card.overall);
  const scoreText = overall === null ? 'n/a' : `${Math.round(overall * 100)}%`;
  const scoreX = left + badgeWidth + 12 * u;
  const scoreBaseline = top + m.badgeHeight / 2 + m.scoreFont * 0.36;
  parts.push(
    `<text x="${n(scoreX)}" y="${n(scoreBaseline)}" font-size="${n(m.scoreFont)}" font-weight="bold" fill="${overall === null ? colours.muted : scoreColour(overall)}">${scoreText}</text>`,
  );
  const scoreRight = scoreX + textWidth(scoreText, m.scoreFont, true);
  const overallFont = font(11, u);
  if (
    scoreRight + 8 * u + textWidth('overall', overallFont, false) <=
    caption.x + caption.width - m.padding
  ) {
    parts.push(
      `<text x="${n(scoreRight + 8 * u)}" y="${n(scoreBaseline)}" font-size="${n(overallFont)}" fill="${colours.muted}">overall</text>`,
    );
  }

  // The file name only: the folder is the same for a whole batch and would crowd out the name.
  const innerWidth = caption.width - 2 * m.padding;
  const name = fit(basename(card.source), innerWidth, m.nameFont, false);
  parts.push(
    `<text x="${n(left)}" y="${n(caption.y + m.nameTop + m.nameFont * 0.95)}" font-size="${n(m.nameFont)}" fill="${colours.label}">${escapeXml(name)}</text>`,
  );

  // Pillar bars: label, track, the filled length in the score colour, and the score in percent.
  for (const bar of tile.bars) {
    const { track } = bar;
    const middle = track.y + track.height / 2;
    const textBaseline = middle + m.labelFont * 0.36;
    const score = bar.score === null ? null : finiteScore(bar.score);
    parts.push(
      `<text x="${n(left)}" y="${n(textBaseline)}" font-size="${n(m.labelFont)}" fill="${score === null ? colours.muted : colours.label}">${bar.label}</text>`,
      `<rect x="${n(track.x)}" y="${n(track.y)}" width="${n(track.width)}" height="${n(track.height)}" rx="${n(track.height / 2)}" fill="${colours.track}"/>`,
    );
    if (score !== null && score > 0) {
      parts.push(
        `<rect x="${n(track.x)}" y="${n(track.y)}" width="${n(Math.max(track.height, track.width * score))}" height="${n(track.height)}" rx="${n(track.height / 2)}" fill="${scoreColour(score)}"/>`,
      );
    }
    parts.push(
      `<text x="${n(caption.x + caption.width - m.padding)}" y="${n(textBaseline)}" font-size="${n(m.labelFont)}" text-anchor="end" fill="${score === null ? colours.muted : colours.label}">${score === null ? '–' : Math.round(score * 100)}</text>`,
    );
  }

  // Flags as red tags under the bars.
  const flagsTop = caption.y + m.barsTop + tile.bars.length * m.barRow + m.flagsGap;
  for (const tag of flagTags(card.flags, innerWidth, m).tags) {
    const x = left + tag.x;
    const y = flagsTop + tag.row * m.flagRow;
    parts.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(tag.width)}" height="${n(m.flagHeight)}" rx="${n(m.flagHeight / 2)}" fill="${colours.flag}"/>`,
      `<text x="${n(x + tag.width / 2)}" y="${n(y + m.flagHeight / 2 + m.flagFont * 0.36)}" font-size="${n(m.flagFont)}" font-weight="bold" text-anchor="middle" fill="${colours.flagText}">${escapeXml(tag.text)}</text>`,
    );
  }
  return `<g>${parts.join('')}</g>`;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A score clamped to 0..1, or null when it is not a number. */
function finiteScore(score: number): number | null {
  return Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : null;
}

/** Red at 0, amber at 0.5, green at 1, linear in between. */
function scoreColour(score: number): string {
  const t = Math.min(1, Math.max(0, score)) * (scoreStops.length - 1);
  const i = Math.min(Math.floor(t), scoreStops.length - 2);
  const from = scoreStops[i] ?? [0, 0, 0];
  const to = scoreStops[i + 1] ?? from;
  const f = t - i;
  return hexColour([0, 1, 2].map((c) => (from[c] ?? 0) + ((to[c] ?? 0) - (from[c] ?? 0)) * f));
}

/** An sRGB triple as #rrggbb (rounded, clamped). */
function hexColour(rgb: readonly number[]): string {
  return rgbToHex(rgb[0] ?? 0, rgb[1] ?? 0, rgb[2] ?? 0);
}

/** The last segment of a path or URL, either slash; the whole source if it has none. */
function basename(source: string): string {
  const segments = source.split(/[\\/]/).filter((segment) => segment !== '');
  return segments[segments.length - 1] ?? source;
}

/** Font size in pixels: scaled with the tile, floored so a small sheet stays legible. */
function font(base: number, u: number): number {
  return Math.max(base * u, 9);
}

/**
 * Estimated advance of `text` in em for a sans-serif face, per character class (DejaVu Sans, the
 * usual librsvg fallback and one of the wider faces, so the estimate errs toward fitting).
 */
function textWidth(text: string, fontSize: number, bold: boolean): number {
  let em = 0;
  for (const c of text) {
    if (/[iljI.,:;'|!()[\]{}`]/.test(c)) em += 0.3;
    else if (c === ' ') em += 0.32;
    else if (/[ftr\-"]/.test(c)) em += 0.42;
    else if (/[mwMW%@]/.test(c)) em += 0.98;
    else if (/[A-Z#&]/.test(c)) em += 0.76;
    else if (/[a-z0-9_<>=+?$]/.test(c)) em += 0.64;
    else em += 1;
  }
  return em * fontSize * (bold ? 1.1 : 1);
}

/** `text` cut with an ellipsis to fit `width`, or unchanged if it fits. */
function fit(text: string, width: number, fontSize: number, bold: boolean): string {
  if (textWidth(text, fontSize, bold) <= width) return text;
  const characters = Array.from(text);
  while (characters.length > 0 && textWidth(`${characters.join('')}…`, fontSize, bold) > width) {
    characters.pop();
  }
  return `${characters.join('')}…`;
}

/** A filled rectangle. */
function rect(r: SheetRect, fill: string): string {
  return `<rect x="${n(r.x)}" y="${n(r.y)}" width="${n(r.width)}" height="${n(r.height)}" fill="${fill}"/>`;
}

/** Escapes text for SVG; characters XML 1.0 forbids (control codes) become U+FFFD so librsvg still parses. */
function escapeXml(text: string): string {
  return Array.from(text, (c) => {
    const code = c.codePointAt(0) ?? 0;
    const forbidden =
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
      code === 0xfffe ||
      code === 0xffff;
    return forbidden ? '\uFFFD' : c;
  })
    .join('')
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number for SVG: two decimals are sub-pixel enough and keep the document small. */
function n(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '0';
}
