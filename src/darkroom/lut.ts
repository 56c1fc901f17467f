// 3D colour look-up tables in the Adobe/Resolve .cube format (Adobe "Cube LUT Specification 1.0"),
// applied with tetrahedral interpolation at full resolution. The LUT acts on the encoded sRGB
// values of the photo, as grading tools exporting .cube for display-referred images expect.
import { PortraitistError } from '../errors/index.js';
import type { RgbImage } from '../image/index.js';

/** A parsed 3D LUT: `size`³ output colours, red index changing fastest, then green, then blue. */
export interface Lut3d {
  readonly size: number;
  readonly domainMin: [number, number, number];
  readonly domainMax: [number, number, number];
  /** size³ × 3 output values (r, g, b), in file order. */
  readonly table: Float32Array;
  readonly title?: string;
}

const MIN_SIZE = 2;
const MAX_SIZE = 256;
// A decimal number as the spec allows it; stricter than Number(), which takes "0x1f" and "".
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function lutError(source: string, line: number, path: string, message: string): PortraitistError {
  return new PortraitistError('USAGE', `${source}, line ${line}: ${message}`, {
    source,
    issues: [{ path, message, line }],
  });
}

/** Parses `count` decimal numbers, or undefined when the fields are not exactly that. */
function numbers(fields: readonly string[], count: number): number[] | undefined {
  if (fields.length !== count || !fields.every((field) => NUMBER.test(field))) return undefined;
  return fields.map(Number);
}

function triple(values: number[]): [number, number, number] {
  return [values[0] ?? 0, values[1] ?? 0, values[2] ?? 0];
}

/** Parses the text of a .cube file into a 3D LUT, or throws a USAGE error naming the line. */
export function parseCubeLut(text: string, source = '<cube>'): Lut3d {
  let title: string | undefined;
  let size: number | undefined;
  let domainMin: [number, number, number] = [0, 0, 0];
  let domainMax: [number, number, number] = [1, 1, 1];
  let table: Float32Array | undefined;
  let rows = 0;
  let lastDataLine = 0;
  const seen = new Set<string>();

  const lines = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const lineNo = index + 1;
    const raw = (lines[index] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;

    if (raw.startsWith('TITLE')) {
      const match = /^TITLE\s+"([^"]*)"\s*$/.exec(raw);
      if (match === null) {
        throw lutError(source, lineNo, 'TITLE', `expected TITLE "text" but received ${raw}`);
      }
      title = match[1];
      continue;
    }

    // Inline comments are not in the spec but some exporters write them; drop them after TITLE.
    const fields = raw.replace(/#.*$/, '').trim().split(/\s+/);
    const keyword = fields[0] ?? '';
    const args = fields.slice(1);

    if (/^[A-Z][A-Z0-9_]*$/.test(keyword)) {
      if (table !== undefined && rows > 0) {
        throw lutError(source, lineNo, keyword, `expected a data row but received ${keyword}`);
      }
      if (seen.has(keyword)) {
        throw lutError(source, lineNo, keyword, `${keyword} appears twice`);
      }
      seen.add(keyword);
      switch (keyword) {
        case 'LUT_1D_SIZE':
        case 'LUT_1D_INPUT_RANGE':
          throw lutError(
            source,
            lineNo,
            keyword,
            'this is a 1D LUT; expected a 3D LUT (LUT_3D_SIZE)',
          );
        case 'LUT_3D_SIZE': {
          const value = args.length === 1 ? Number(args[0]) : Number.NaN;
          if (!Number.isInteger(value) || value < MIN_SIZE || value > MAX_SIZE) {
            throw lutError(
              source,
              lineNo,
              keyword,
              `expected an integer from ${MIN_SIZE} to ${MAX_SIZE} for \`LUT_3D_SIZE\` but received ${args.join(' ') || 'nothing'}`,
            );
          }
          size = value;
          table = new Float32Array(size * size * size * 3);
          break;
        }
        case 'DOMAIN_MIN':
        case 'DOMAIN_MAX': {
          const values = numbers(args, 3);
          if (values === undefined) {
            throw lutError(
              source,
              lineNo,
              keyword,
              `expected three numbers for \`${keyword}\` but received ${args.join(' ') || 'nothing'}`,
            );
          }
          if (keyword === 'DOMAIN_MIN') domainMin = triple(values);
          else domainMax = triple(values);
          break;
        }
        case 'LUT_3D_INPUT_RANGE': {
          // Resolve's spelling of one domain for all three channels.
          const values = numbers(args, 2);
          if (values === undefined) {
            throw lutError(
              source,
              lineNo,
              keyword,
              `expected two numbers for \`LUT_3D_INPUT_RANGE\` but received ${args.join(' ') || 'nothing'}`,
            );
          }
          const [low = 0, high = 1] = values;
          domainMin = [low, low, low];
          domainMax = [high, high, high];
          break;
        }
        default:
          throw lutError(
            source,
            lineNo,
            keyword,
            `expected TITLE, LUT_3D_SIZE, DOMAIN_MIN, DOMAIN_MAX or a data row but received ${keyword}`,
          );
      }
      continue;
    }

    const values = numbers(fields, 3);
    if (values === undefined) {
      throw lutError(
        source,
        lineNo,
        'data',
        `expected a data row of three numbers but received "${raw}"`,
      );
    }
    if (table === undefined || size === undefined) {
      throw lutError(
        source,
        lineNo,
        'LUT_3D_SIZE',
        'expected LUT_3D_SIZE before the first data row',
      );
    }
    if (rows >= size * size * size) {
      throw lutError(
        source,
        lineNo,
        'data',
        `expected exactly ${size ** 3} data rows for LUT_3D_SIZE ${size} but found more`,
      );
    }
    table.set(values, rows * 3);
    rows += 1;
    lastDataLine = lineNo;
  }

  if (table === undefined || size === undefined) {
    throw lutError(source, lines.length, 'LUT_3D_SIZE', 'expected LUT_3D_SIZE but found none');
  }
  if (rows !== size ** 3) {
    throw lutError(
      source,
      lastDataLine || lines.length,
      'data',
      `expected exactly ${size ** 3} data rows for LUT_3D_SIZE ${size} but found ${rows}`,
    );
  }
  for (let c = 0; c < 3; c += 1) {
    if (!((domainMin[c] ?? 0) < (domainMax[c] ?? 1))) {
      throw lutError(
        source,
        lines.length,
        'DOMAIN_MAX',
        `expected DOMAIN_MAX above DOMAIN_MIN in every channel but received ${domainMin.join(' ')} .. ${domainMax.join(' ')}`,
      );
    }
  }
  return { size, domainMin, domainMax, table, ...(title === undefined ? {} : { title }) };
}

/** Per-channel lattice position of each byte value: lower cell index (scaled) and fraction. */
function axis(
  lut: Lut3d,
  channel: 0 | 1 | 2,
  stride: number,
): { base: Int32Array; frac: Float32Array } {
  const base = new Int32Array(256);
  const frac = new Float32Array(256);
  const low = lut.domainMin[channel];
  const span = lut.domainMax[channel] - low;
  const last = lut.size - 1;
  for (let i = 0; i < 256; i += 1) {
    const t = Math.min(1, Math.max(0, (i / 255 - low) / span)) * last;
    // The top value sits in the last cell at fraction 1, so cell + 1 never leaves the lattice.
    const cell = Math.min(Math.floor(t), last - 1);
    base[i] = cell * stride;
    frac[i] = t - cell;
  }
  return { base, frac };
}

/**
 * Applies a 3D LUT with tetrahedral interpolation, blended with the original by `amount` (0..1).
 */
export function applyLut(image: RgbImage, lut: Lut3d, amount = 1): RgbImage {
  if (!Number.isFinite(amount) || amount < 0 || amount > 1) {
    throw new PortraitistError(
      'USAGE',
      `expected a number from 0 to 1 for \`amount\` but received ${amount}`,
      {
        issues: [
          {
            path: 'amount',
            message: `expected a number from 0 to 1 for \`amount\` but received ${amount}`,
          },
        ],
      },
    );
  }
  const n = lut.size;
  // Offsets in the flat table (×3 for the three values of each entry).
  const sr = 3;
  const sg = 3 * n;
  const sb = 3 * n * n;
  const R = axis(lut, 0, sr);
  const G = axis(lut, 1, sg);
  const B = axis(lut, 2, sb);
  const t = lut.table;
  const src = image.data;
  const out = new Uint8Array(src.length);
  const keep = 1 - amount;
  const count = src.length - (src.length % 3);

  for (let i = 0; i < count; i += 3) {
    const ri = src[i] as number;
    const gi = src[i + 1] as number;
    const bi = src[i + 2] as number;
    const fr = R.frac[ri] as number;
    const fg = G.frac[gi] as number;
    const fb = B.frac[bi] as number;
    const o = (R.base[ri] as number) + (G.base[gi] as number) + (B.base[bi] as number);
    // Tetrahedral: walk from the cell's origin to its far corner along the axes in order of
    // decreasing fraction; four lattice points, exact for any linear map (so identity is exact).
    let s1: number;
    let s2: number;
    let w0: number;
    let w1: number;
    let w2: number;
    let w3: number;
    if (fr >= fg) {
      if (fg >= fb) {
        s1 = sr;
        s2 = sr + sg;
        w1 = fr - fg;
        w2 = fg - fb;
        w3 = fb;
      } else if (fr >= fb) {
        s1 = sr;
        s2 = sr + sb;
        w1 = fr - fb;
        w2 = fb - fg;
        w3 = fg;
      } else {
        s1 = sb;
        s2 = sb + sr;
        w1 = fb - fr;
        w2 = fr - fg;
        w3 = fg;
      }
      w0 = 1 - (w1 + w2 + w3);
    } else {
      if (fb >= fg) {
        s1 = sb;
        s2 = sb + sg;
        w1 = fb - fg;
        w2 = fg - fr;
        w3 = fr;
      } else if (fb >= fr) {
        s1 = sg;
        s2 = sg + sb;
        w1 = fg - fb;
        w2 = fb - fr;
        w3 = fr;
      } else {
        s1 = sg;
        s2 = sg + sr;
        w1 = fg - fr;
        w2 = fr - fb;
        w3 = fb;
      }
      w0 = 1 - (w1 + w2 + w3);
    }
    const a = o;
    const b = o + s1;
    const c = o + s2;
    const d = o + sr + sg + sb;
    for (let k = 0; k < 3; k += 1) {
      const v =
        w0 * (t[a + k] as number) +
        w1 * (t[b + k] as number) +
        w2 * (t[c + k] as number) +
        w3 * (t[d + k] as number);
      const mixed = keep * (src[i + k] as number) + amount * v * 255;
      out[i + k] = mixed <= 0 ? 0 : mixed >= 255 ? 255 : Math.round(mixed);
    }
  }
  return { ...image, data: out };
}
