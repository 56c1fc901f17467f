import { beforeAll, describe, expect, it } from 'vitest';
import { filmStocks } from '../brief/index.js';
import { readImage, type RgbImage } from '../image/index.js';
import { readFixture } from '../testing/index.js';
import { addGrain, grainForStock } from './grain.js';

let photo: RgbImage;

beforeAll(async () => {
  photo = await readImage(await readFixture('soft-smile'));
});

/** Standard deviation of (after − before) over all channels, in levels. */
function noiseStd(after: Uint8Array, before: Uint8Array): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < after.length; i += 1) {
    const d = (after[i] ?? 0) - (before[i] ?? 0);
    sum += d;
    squares += d * d;
  }
  const mean = sum / after.length;
  return Math.sqrt(squares / after.length - mean * mean);
}

function flat(level: number): RgbImage {
  return {
    width: 256,
    height: 256,
    data: new Uint8Array(256 * 256 * 3).fill(level),
    format: 'png',
    source: `flat-${level}`,
  };
}

describe('addGrain', () => {
  it('is repeatable with a seed and differs between seeds', () => {
    const a = addGrain(photo, { amount: 0.4, seed: 7 });
    const b = addGrain(photo, { amount: 0.4, seed: 7 });
    const c = addGrain(photo, { amount: 0.4, seed: 8 });
    expect(a.width).toBe(photo.width);
    expect(a.height).toBe(photo.height);
    expect(Buffer.compare(a.data, b.data)).toBe(0);
    expect(Buffer.compare(a.data, c.data)).not.toBe(0);
    expect(noiseStd(a.data, c.data)).toBeGreaterThan(1);
  });

  it('changes nothing at amount 0', () => {
    const out = addGrain(photo, { amount: 0, seed: 1 });
    expect(Buffer.compare(out.data, photo.data)).toBe(0);
    expect(out.data === photo.data).toBe(false);
  });

  it('adds more noise with more amount', () => {
    const levels = [0.1, 0.3, 0.6, 1].map((amount) =>
      noiseStd(addGrain(photo, { amount, seed: 3 }).data, photo.data),
    );
    for (let k = 1; k < levels.length; k += 1) {
      expect(levels[k] ?? 0).toBeGreaterThan((levels[k - 1] ?? 0) * 1.5);
    }
  });

  it('puts more grain in the mid-tones than near black or white', () => {
    const at = (level: number): number =>
      noiseStd(addGrain(flat(level), { amount: 0.5, seed: 11 }).data, flat(level).data);
    const mid = at(128);
    expect(mid).toBeGreaterThan(at(12) * 2.5);
    expect(mid).toBeGreaterThan(at(245) * 2.5);
    // Amount 0.5 in mid-grey is about 0.05 × 255 ≈ 13 levels of grain.
    expect(mid).toBeGreaterThan(8);
    expect(mid).toBeLessThan(18);
  });

  it('keeps a grey image grey with monochrome grain, and tints it slightly without', () => {
    const chroma = (image: RgbImage): number => {
      let most = 0;
      for (let i = 0; i < image.data.length; i += 3) {
        const r = image.data[i] ?? 0;
        most = Math.max(
          most,
          Math.abs(r - (image.data[i + 1] ?? 0)),
          Math.abs(r - (image.data[i + 2] ?? 0)),
        );
      }
      return most;
    };
    expect(chroma(addGrain(flat(128), { amount: 0.6, seed: 5, monochrome: true }))).toBe(0);
    expect(chroma(addGrain(flat(128), { amount: 0.6, seed: 5 }))).toBeGreaterThan(0);
  });

  it('makes coarser grain with a larger size', () => {
    // Neighbour correlation rises as the grain grows past a pixel.
    const correlation = (size: number): number => {
      const base = flat(128);
      const out = addGrain(base, { amount: 0.5, seed: 2, size, monochrome: true });
      let same = 0;
      let total = 0;
      for (let i = 3; i < out.data.length; i += 3) {
        const a = (out.data[i] ?? 0) - 128;
        const b = (out.data[i - 3] ?? 0) - 128;
        same += a * b;
        total += a * a;
      }
      return same / total;
    };
    expect(correlation(4)).toBeGreaterThan(correlation(1) + 0.2);
  });

  it('refuses bad settings, naming the field', () => {
    expect(() => addGrain(photo, { amount: 2, seed: 1 })).toThrow(/`amount`/);
    expect(() => addGrain(photo, { amount: 0.5, seed: Number.NaN })).toThrow(/`seed`/);
    expect(() => addGrain(photo, { amount: 0.5, seed: 1, size: 100 })).toThrow(/`size`/);
  });
});

describe('grainForStock', () => {
  it('follows the ISO when there is no stock', () => {
    expect(grainForStock(undefined, 100)).toBeCloseTo(0.05, 2);
    expect(grainForStock(undefined, 3200)).toBeCloseTo(0.5, 2);
    expect(grainForStock(undefined, 400)).toBeGreaterThan(grainForStock(undefined, 200));
    expect(grainForStock(undefined, 1e7)).toBe(1);
    expect(grainForStock(undefined)).toBe(0);
    expect(() => grainForStock(undefined, -5)).toThrow(/`iso`/);
  });

  it('uses the stock’s grain, coarser when pushed', () => {
    for (const film of filmStocks) {
      const amount = grainForStock(film);
      expect(amount).toBe(film.grain);
      expect(amount).toBeGreaterThanOrEqual(0);
      expect(amount).toBeLessThanOrEqual(1);
    }
    const triX = filmStocks.find((f) => f.id === 'tri-x-400');
    const digital = filmStocks.find((f) => f.id === 'digital-clean');
    if (!triX || !digital) throw new Error('vocabulary changed');
    expect(grainForStock(triX, 1600)).toBeGreaterThan(grainForStock(triX));
    expect(grainForStock(triX, 100)).toBeLessThan(grainForStock(triX));
    expect(grainForStock(digital, 6400)).toBe(0);
  });
});
