import { beforeAll, describe, expect, it } from 'vitest';
import { PortraitistError } from '../errors/index.js';
import { readImage, type RgbImage } from '../image/index.js';
import { readFixture } from '../testing/index.js';
import { applyLut, parseCubeLut } from './lut.js';

let photo: RgbImage;

beforeAll(async () => {
  photo = await readImage(await readFixture('soft-smile'));
});

/** A .cube text whose entry at lattice (r, g, b) is `map` of the lattice coordinates (0..1). */
function cube(
  size: number,
  map: (r: number, g: number, b: number) => [number, number, number],
  header = '',
): string {
  const lines = ['# generated in the test', 'TITLE "generated"', `LUT_3D_SIZE ${size}`, header];
  for (let b = 0; b < size; b += 1) {
    for (let g = 0; g < size; g += 1) {
      // Red changes fastest, as the spec orders the rows.
      for (let r = 0; r < size; r += 1) {
        const out = map(r / (size - 1), g / (size - 1), b / (size - 1));
        lines.push(out.map((v) => v.toFixed(6)).join(' '));
      }
    }
  }
  return lines.join('\n') + '\n';
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  let most = 0;
  for (let i = 0; i < a.length; i += 1) most = Math.max(most, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return most;
}

function parseError(text: string): PortraitistError {
  try {
    parseCubeLut(text, 'look.cube');
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitistError);
    return error as PortraitistError;
  }
  throw new Error('expected a parse error');
}

describe('parseCubeLut', () => {
  it('reads the title, size, domain and rows in file order', () => {
    const lut = parseCubeLut(
      cube(2, (r, g, b) => [r, g, b], 'DOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1'),
      'identity.cube',
    );
    expect(lut.title).toBe('generated');
    expect(lut.size).toBe(2);
    expect(lut.domainMin).toEqual([0, 0, 0]);
    expect(lut.domainMax).toEqual([1, 1, 1]);
    expect(lut.table.length).toBe(24);
    // Second row is red = 1, green = blue = 0.
    expect(Array.from(lut.table.subarray(3, 6))).toEqual([1, 0, 0]);
    // Third row is green = 1.
    expect(Array.from(lut.table.subarray(6, 9))).toEqual([0, 1, 0]);
  });

  it('accepts CRLF line ends, blank lines and Resolve’s LUT_3D_INPUT_RANGE', () => {
    const text = cube(2, (r, g, b) => [r, g, b], 'LUT_3D_INPUT_RANGE 0.0 2.0\n\n').replace(
      /\n/g,
      '\r\n',
    );
    const lut = parseCubeLut(text);
    expect(lut.domainMax).toEqual([2, 2, 2]);
    expect(lut.size).toBe(2);
  });

  it('reports a bad size with its line', () => {
    const error = parseError('TITLE "x"\nLUT_3D_SIZE 1\n0 0 0\n');
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(/line 2/);
    expect(error.message).toContain('expected an integer from 2 to 256 for `LUT_3D_SIZE`');
    expect(error.issues[0]?.line).toBe(2);
    expect(parseError('LUT_3D_SIZE 300\n').message).toMatch(/line 1: .*received 300/);
    expect(parseError('LUT_3D_SIZE 2.5\n').message).toMatch(/line 1/);
  });

  it('reports too few and too many rows', () => {
    const full = cube(2, (r, g, b) => [r, g, b]);
    const lines = full.trimEnd().split('\n');
    const short = parseError(lines.slice(0, -1).join('\n'));
    expect(short.message).toContain('expected exactly 8 data rows for LUT_3D_SIZE 2 but found 7');
    expect(short.message).toMatch(new RegExp(`line ${lines.length - 1}:`));
    const long = parseError(full + '0.5 0.5 0.5\n');
    expect(long.message).toMatch(new RegExp(`line ${lines.length + 1}: .*found more`));
  });

  it('reports a non-numeric row with its line', () => {
    const lines = cube(2, (r, g, b) => [r, g, b]).split('\n');
    lines[6] = '0.1 abc 0.3';
    const error = parseError(lines.join('\n'));
    expect(error.message).toBe(
      'look.cube, line 7: expected a data row of three numbers but received "0.1 abc 0.3"',
    );
    expect(error.issues[0]?.line).toBe(7);
    expect(parseError('LUT_3D_SIZE 2\n0 0\n').message).toMatch(/line 2/);
  });

  it('refuses a 1D LUT, naming the line', () => {
    const error = parseError('# a curve\nTITLE "curve"\nLUT_1D_SIZE 1024\n0 0 0\n');
    expect(error.message).toMatch(/line 3: .*1D LUT/);
  });

  it('refuses rows before the size, unknown keywords and an empty domain', () => {
    expect(parseError('0 0 0\n').message).toMatch(/line 1: expected LUT_3D_SIZE before/);
    expect(parseError('LUT_3D_SIZE 2\nGAMMA 2.2\n').message).toMatch(/line 2: .*GAMMA/);
    const flat = cube(2, (r, g, b) => [r, g, b], 'DOMAIN_MIN 1 0 0');
    expect(parseError(flat).message).toMatch(/DOMAIN_MAX above DOMAIN_MIN/);
    expect(parseError('').message).toMatch(/expected LUT_3D_SIZE but found none/);
  });
});

describe('applyLut', () => {
  it('leaves the photo unchanged with an identity LUT', () => {
    for (const size of [2, 17, 33]) {
      const lut = parseCubeLut(cube(size, (r, g, b) => [r, g, b]));
      const out = applyLut(photo, lut);
      expect(out.width).toBe(photo.width);
      expect(out.height).toBe(photo.height);
      expect(maxDifference(out.data, photo.data)).toBeLessThanOrEqual(1);
    }
  });

  it('swaps red and blue with a swapping LUT', () => {
    const lut = parseCubeLut(cube(9, (r, g, b) => [b, g, r]));
    const out = applyLut(photo, lut);
    const swapped = new Uint8Array(photo.data.length);
    for (let i = 0; i < swapped.length; i += 3) {
      swapped[i] = photo.data[i + 2] ?? 0;
      swapped[i + 1] = photo.data[i + 1] ?? 0;
      swapped[i + 2] = photo.data[i] ?? 0;
    }
    expect(maxDifference(out.data, swapped)).toBeLessThanOrEqual(1);
  });

  it('halves the values with a 0.5-gain LUT', () => {
    const lut = parseCubeLut(cube(5, (r, g, b) => [r / 2, g / 2, b / 2]));
    const out = applyLut(photo, lut);
    let worst = 0;
    for (let i = 0; i < out.data.length; i += 1) {
      worst = Math.max(worst, Math.abs((out.data[i] ?? 0) - (photo.data[i] ?? 0) / 2));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('blends with the original by amount', () => {
    const lut = parseCubeLut(cube(5, () => [0, 0, 0]));
    const half = applyLut(photo, lut, 0.5);
    let worst = 0;
    for (let i = 0; i < half.data.length; i += 1) {
      worst = Math.max(worst, Math.abs((half.data[i] ?? 0) - (photo.data[i] ?? 0) / 2));
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(Buffer.compare(applyLut(photo, lut, 0).data, photo.data)).toBe(0);
    expect(() => applyLut(photo, lut, 1.5)).toThrow(/`amount`/);
  });

  it('maps the input through the domain', () => {
    // Domain 0..2: a byte of 255 (1.0) lands half-way along the lattice.
    const lut = parseCubeLut(cube(3, (r, g, b) => [r, g, b], 'DOMAIN_MAX 2 2 2'));
    const white: RgbImage = { ...photo, width: 1, height: 1, data: new Uint8Array([255, 255, 0]) };
    expect(Array.from(applyLut(white, lut).data)).toEqual([128, 128, 0]);
  });
});
