import { beforeAll, describe, expect, it } from 'vitest';
import { filmStocks, grades } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import { readImage, type RgbImage } from '../image/index.js';
import { readFixture } from '../testing/index.js';
import { blackbodyLinearRgb, grade, gradeFromVocabulary, type GradeSettings } from './grade.js';
import { vignette } from './vignette.js';

let photo: RgbImage;

beforeAll(async () => {
  photo = await readImage(await readFixture('soft-smile'));
});

function meanRgb(image: RgbImage): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  for (let i = 0; i < image.data.length; i += 3) {
    r += image.data[i] ?? 0;
    g += image.data[i + 1] ?? 0;
    b += image.data[i + 2] ?? 0;
  }
  const n = image.data.length / 3;
  return [r / n, g / n, b / n];
}

function lumas(image: RgbImage): Float64Array {
  const values = new Float64Array(image.data.length / 3);
  for (let p = 0; p < values.length; p += 1) {
    const i = p * 3;
    values[p] =
      0.2126 * (image.data[i] ?? 0) +
      0.7152 * (image.data[i + 1] ?? 0) +
      0.0722 * (image.data[i + 2] ?? 0);
  }
  return values;
}

function std(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

function percentile(values: Float64Array, fraction: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(fraction * (sorted.length - 1))] ?? 0;
}

function maxDifference(a: RgbImage, b: RgbImage): number {
  let most = 0;
  for (let i = 0; i < a.data.length; i += 1) {
    most = Math.max(most, Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0)));
  }
  return most;
}

function usageError(run: () => unknown): PortraitistError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitistError);
    return error as PortraitistError;
  }
  throw new Error('expected a PortraitistError');
}

describe('blackbodyLinearRgb', () => {
  it('runs from orange at tungsten to blue in shade, near white at D65', () => {
    const [r32, , b32] = blackbodyLinearRgb(3200);
    const [r65, g65, b65] = blackbodyLinearRgb(6504);
    const [r10, , b10] = blackbodyLinearRgb(10000);
    expect(r32 / b32).toBeGreaterThan(4);
    expect(Math.max(r65, g65, b65) / Math.min(r65, g65, b65)).toBeLessThan(1.1);
    expect(b10 / r10).toBeGreaterThan(1.5);
  });
});

describe('grade', () => {
  it('keeps the size and leaves the input untouched', () => {
    const before = photo.data.slice();
    const graded = grade(photo, { contrast: 0.4, saturation: -0.3, fade: 0.2 });
    expect(graded.width).toBe(photo.width);
    expect(graded.height).toBe(photo.height);
    expect(graded.data.length).toBe(photo.data.length);
    // Buffer.compare: vitest's deep equality is slow on megabyte typed arrays.
    expect(Buffer.compare(photo.data, before)).toBe(0);
  });

  it('leaves the photo as it is with empty settings', () => {
    expect(maxDifference(grade(photo, {}), photo)).toBeLessThanOrEqual(1);
    // A white balance to the scene's own temperature is no change either.
    const same = grade(photo, { whiteBalance: { temperature: 5500 }, fromTemperature: 5500 });
    expect(maxDifference(same, photo)).toBeLessThanOrEqual(1);
  });

  it('follows Lightroom: a higher white-balance setting warms the photo, a lower one cools it', () => {
    const ratio = (image: RgbImage): number => {
      const [r, , b] = meanRgb(image);
      return r / b;
    };
    const cool = grade(photo, { whiteBalance: { temperature: 3200 } });
    const warm = grade(photo, { whiteBalance: { temperature: 8000 } });
    expect(ratio(cool)).toBeLessThan(ratio(photo) / 1.3);
    expect(ratio(warm)).toBeGreaterThan(ratio(photo) * 1.1);
    // Issue 16: 4500 on a daylight photo cools it a little, as Lightroom's Temp slider does.
    expect(ratio(grade(photo, { whiteBalance: { temperature: 4500 } }))).toBeLessThan(ratio(photo));
  });

  it('moves green against magenta with the tint', () => {
    const greenShare = (image: RgbImage): number => {
      const [r, g, b] = meanRgb(image);
      return g / (r + b);
    };
    const green = grade(photo, { whiteBalance: { temperature: 5500, tint: 0.5 } });
    const magenta = grade(photo, { whiteBalance: { temperature: 5500, tint: -0.5 } });
    expect(greenShare(green)).toBeGreaterThan(greenShare(photo));
    expect(greenShare(magenta)).toBeLessThan(greenShare(photo));
  });

  it('makes a monochrome image with saturation −1', () => {
    const mono = grade(photo, { saturation: -1, contrast: 0.3 });
    for (let i = 0; i < mono.data.length; i += 3) {
      const r = mono.data[i];
      if (r !== mono.data[i + 1] || r !== mono.data[i + 2]) {
        throw new Error(`pixel ${i / 3} is not grey`);
      }
    }
  });

  it('spreads the tones with more contrast and narrows them with less', () => {
    const base = std(lumas(photo));
    // Modest margin: a third of this photo is window blinds already near white.
    expect(std(lumas(grade(photo, { contrast: 0.5 })))).toBeGreaterThan(base * 1.05);
    expect(std(lumas(grade(photo, { contrast: -0.5 })))).toBeLessThan(base * 0.95);
  });

  it('lifts the darkest tones with fade and keeps white white', () => {
    const before = percentile(lumas(photo), 0.01);
    const faded = grade(photo, { fade: 0.5 });
    expect(percentile(lumas(faded), 0.01)).toBeGreaterThan(before + 15);
    const white: RgbImage = {
      ...photo,
      width: 1,
      height: 1,
      data: new Uint8Array([255, 255, 255]),
    };
    expect(Array.from(grade(white, { fade: 1 }).data)).toEqual([255, 255, 255]);
  });

  it('brightens with positive exposure and darkens with negative', () => {
    const mean = (image: RgbImage): number => meanRgb(image).reduce((a, b) => a + b) / 3;
    expect(mean(grade(photo, { exposure: 1 }))).toBeGreaterThan(mean(photo) + 20);
    expect(mean(grade(photo, { exposure: -1 }))).toBeLessThan(mean(photo) - 20);
  });

  it('pushes the shadow tone into dark pixels and the highlight tone into bright ones', () => {
    const ramp = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v += 1) ramp.fill(v, v * 3, v * 3 + 3);
    const grey: RgbImage = { width: 256, height: 1, data: ramp, format: 'png', source: 'ramp' };
    const toned = grade(grey, {
      split: { shadows: '#1B2A48', highlights: '#F0A868', amount: 1 },
    });
    const at = (v: number): number[] => Array.from(toned.data.subarray(v * 3, v * 3 + 3));
    const [sr = 0, , sb = 0] = at(40);
    const [hr = 0, , hb = 0] = at(215);
    expect(sb).toBeGreaterThan(sr + 5);
    expect(hr).toBeGreaterThan(hb + 5);
    // A grey tone pushes nothing.
    const neutral = grade(grey, { split: { shadows: '#808080', highlights: '#333', amount: 1 } });
    expect(Buffer.compare(neutral.data, grey.data)).toBe(0);
    // Balance towards the highlights lets their tone reach further down.
    const high = grade(grey, {
      split: { shadows: '#1B2A48', highlights: '#F0A868', amount: 1, balance: 0.8 },
    });
    const redAt = (image: RgbImage, v: number): number => image.data[v * 3] ?? 0;
    expect(redAt(high, 100)).toBeGreaterThan(redAt(toned, 100));
  });

  it('refuses out-of-range settings, naming the field', () => {
    const error = usageError(() => grade(photo, { contrast: 3 }));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe('expected a number from −1 to 1 for `contrast` but received 3');
    expect(error.issues[0]?.path).toBe('contrast');

    const cases: [GradeSettings, string][] = [
      [{ saturation: -1.5 }, 'saturation'],
      [{ fade: 2 }, 'fade'],
      [{ exposure: Number.NaN }, 'exposure'],
      [{ whiteBalance: { temperature: 500 } }, 'whiteBalance.temperature'],
      [{ whiteBalance: { temperature: 5000, tint: 4 } }, 'whiteBalance.tint'],
      [{ fromTemperature: 90000 }, 'fromTemperature'],
      [{ split: { shadows: 'teal', highlights: '#fff', amount: 0.5 } }, 'split.shadows'],
      [{ split: { shadows: '#000', highlights: '#fff', amount: 1.5 } }, 'split.amount'],
      [{ split: { shadows: '#000', highlights: '#fff', amount: 1, balance: -2 } }, 'split.balance'],
    ];
    for (const [settings, path] of cases) {
      const failure = usageError(() => grade(photo, settings));
      expect(failure.issues.map((issue) => issue.path)).toEqual([path]);
      expect(failure.message).toContain(`\`${path}\``);
    }
  });
});

describe('gradeFromVocabulary', () => {
  it('turns every vocabulary grade, alone and on every film stock, into valid settings', () => {
    const small: RgbImage = { ...photo, width: 64, height: 1, data: photo.data.slice(0, 64 * 3) };
    for (const vocabularyGrade of grades) {
      const settings = gradeFromVocabulary(vocabularyGrade);
      const graded = grade(photo, settings);
      expect(graded.width).toBe(photo.width);
      for (const film of filmStocks) {
        expect(() => grade(small, gradeFromVocabulary(vocabularyGrade, film))).not.toThrow();
      }
    }
  });

  it('maps warmth, monochrome and tones into the settings', () => {
    const warm = grades.find((g) => g.id === 'warm-film');
    const bw = grades.find((g) => g.id === 'high-contrast-bw');
    const cool = grades.find((g) => g.id === 'cool-cinematic');
    const triX = filmStocks.find((f) => f.id === 'tri-x-400');
    if (!warm || !bw || !cool || !triX) throw new Error('vocabulary changed');
    expect(gradeFromVocabulary(warm).whiteBalance?.temperature).toBeGreaterThan(5500);
    expect(gradeFromVocabulary(cool).whiteBalance?.temperature).toBeLessThan(5500);
    // And the settings do what the grade's name says.
    const warmth = (image: RgbImage) => {
      const [r, , b] = meanRgb(image);
      return r / b;
    };
    expect(warmth(grade(photo, gradeFromVocabulary(warm)))).toBeGreaterThan(warmth(photo));
    expect(warmth(grade(photo, gradeFromVocabulary(cool)))).toBeLessThan(warmth(photo));
    expect(gradeFromVocabulary(warm).split?.shadows).toBe('#3D2B1F');
    expect(gradeFromVocabulary(bw).saturation).toBe(-1);
    expect(gradeFromVocabulary(bw).split).toBeUndefined();
    expect(gradeFromVocabulary(warm, triX).saturation).toBe(-1);
    // The vocabulary's tint runs green − .. magenta +; the settings' the other way.
    expect(gradeFromVocabulary(warm).whiteBalance?.tint).toBeCloseTo(-0.05);
  });
});

describe('vignette', () => {
  const corners = (image: RgbImage): number => {
    const { width: w, height: h } = image;
    const points: [number, number][] = [
      [2, 2],
      [w - 3, 2],
      [2, h - 3],
      [w - 3, h - 3],
    ];
    let sum = 0;
    for (const [x, y] of points) {
      const i = (y * w + x) * 3;
      sum += (image.data[i] ?? 0) + (image.data[i + 1] ?? 0) + (image.data[i + 2] ?? 0);
    }
    return sum / 12;
  };
  const centre = (image: RgbImage): number[] => {
    const i = (Math.floor(image.height / 2) * image.width + Math.floor(image.width / 2)) * 3;
    return Array.from(image.data.subarray(i, i + 3));
  };

  it('darkens the corners for + and brightens them for −, leaving the centre', () => {
    const flat: RgbImage = {
      width: 300,
      height: 400,
      data: new Uint8Array(300 * 400 * 3).fill(128),
      format: 'png',
      source: 'flat',
    };
    const dark = vignette(flat, { amount: 0.8 });
    const bright = vignette(flat, { amount: -0.8 });
    expect(dark.width).toBe(flat.width);
    expect(dark.height).toBe(flat.height);
    expect(corners(dark)).toBeLessThan(90);
    expect(corners(bright)).toBeGreaterThan(170);
    expect(centre(dark)).toEqual([128, 128, 128]);
    expect(centre(bright)).toEqual([128, 128, 128]);

    // On the photo: darker corners, the middle third exactly as it was.
    const framed = vignette(photo, { amount: 0.6, roundness: 1, feather: 0.4 });
    expect(corners(framed)).toBeLessThan(corners(photo));
    expect(centre(framed)).toEqual(centre(photo));
  });

  it('falls off smoothly: no step between neighbouring pixels on a flat grey', () => {
    const flat: RgbImage = {
      width: 400,
      height: 300,
      data: new Uint8Array(400 * 300 * 3).fill(160),
      format: 'png',
      source: 'flat',
    };
    const result = vignette(flat, { amount: 1, feather: 0.8 });
    let steepest = 0;
    for (let y = 0; y < result.height; y += 1) {
      for (let x = 1; x < result.width; x += 1) {
        const i = (y * result.width + x) * 3;
        steepest = Math.max(steepest, Math.abs((result.data[i] ?? 0) - (result.data[i - 3] ?? 0)));
      }
    }
    expect(steepest).toBeLessThanOrEqual(1);
    expect(result.data[0]).toBeLessThan(100);
  });

  it('refuses out-of-range settings, naming the field', () => {
    expect(() => vignette(photo, { amount: 2 })).toThrow(/`amount`/);
    expect(() => vignette(photo, { amount: 0.5, centre: { x: 1.5, y: 0.5 } })).toThrow(
      /`centre.x`/,
    );
  });
});
