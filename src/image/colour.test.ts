import { describe, expect, it } from 'vitest';
import { PortraitistError } from '../errors/index.js';
import {
  correlatedColorTemperature,
  deltaE2000,
  hexToRgb,
  labToRgb,
  linearToSrgb,
  relativeLuminance,
  rgbToHex,
  rgbToLab,
  srgbToLinear,
  type Lab,
} from './index.js';

function expectLab(actual: Lab, expected: Lab, digits = 2): void {
  expect(actual[0]).toBeCloseTo(expected[0], digits);
  expect(actual[1]).toBeCloseTo(expected[1], digits);
  expect(actual[2]).toBeCloseTo(expected[2], digits);
}

describe('sRGB transfer function', () => {
  it('maps the ends and mid grey to their linear values and back', () => {
    expect(srgbToLinear(0)).toBe(0);
    expect(srgbToLinear(255)).toBeCloseTo(1, 12);
    expect(srgbToLinear(128)).toBeCloseTo(0.2158605, 6);
    expect(linearToSrgb(0.2158605)).toBeCloseTo(128, 3);
  });

  it('inverts itself across the whole range, including the linear toe', () => {
    for (let channel = 0; channel <= 255; channel += 1) {
      expect(linearToSrgb(srgbToLinear(channel))).toBeCloseTo(channel, 9);
    }
  });

  it('clamps linear light outside 0..1', () => {
    expect(linearToSrgb(-0.5)).toBe(0);
    expect(linearToSrgb(3)).toBe(255);
  });
});

describe('CIELAB', () => {
  it('puts white at (100, 0, 0) and black at (0, 0, 0)', () => {
    expectLab(rgbToLab(255, 255, 255), [100, 0, 0], 3);
    expectLab(rgbToLab(0, 0, 0), [0, 0, 0], 9);
  });

  it('puts sRGB red at the published (53.24, 80.09, 67.20)', () => {
    expectLab(rgbToLab(255, 0, 0), [53.24, 80.09, 67.2], 2);
  });

  it('gives neutral greys no chroma', () => {
    const [, a, b] = rgbToLab(119, 119, 119);
    expect(Math.abs(a)).toBeLessThan(1e-3);
    expect(Math.abs(b)).toBeLessThan(1e-3);
  });

  it('round-trips sRGB through Lab within 1 per channel', () => {
    for (let r = 0; r <= 255; r += 15) {
      for (let g = 0; g <= 255; g += 15) {
        for (let b = 0; b <= 255; b += 15) {
          const back = labToRgb(...rgbToLab(r, g, b));
          expect(Math.abs(back[0] - r)).toBeLessThanOrEqual(1);
          expect(Math.abs(back[1] - g)).toBeLessThanOrEqual(1);
          expect(Math.abs(back[2] - b)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('clamps out-of-gamut Lab to 0..255', () => {
    const [r, g, b] = labToRgb(50, 120, -120);
    for (const channel of [r, g, b]) {
      expect(channel).toBeGreaterThanOrEqual(0);
      expect(channel).toBeLessThanOrEqual(255);
      expect(Number.isInteger(channel)).toBe(true);
    }
  });
});

describe('deltaE2000', () => {
  // Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula", table 1: pairs 1, 2, 3,
  // 7, 17 and 25 (blue-region hue rotation, neutral vs. near-neutral, large difference, greens).
  const pairs: ReadonlyArray<readonly [Lab, Lab, number]> = [
    [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
    [[50, 3.1571, -77.2803], [50, 0, -82.7485], 2.8615],
    [[50, 2.8361, -74.02], [50, 0, -82.7485], 3.4412],
    [[50, 0, 0], [50, -1, 2], 2.3669],
    [[50, 2.5, 0], [73, 25, -18], 27.1492],
    [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
  ];

  it.each(pairs)('matches the published value for %j vs %j', (lab1, lab2, expected) => {
    expect(deltaE2000(lab1, lab2)).toBeCloseTo(expected, 4);
  });

  it('is symmetric and zero for identical colours', () => {
    for (const [lab1, lab2] of pairs) {
      expect(deltaE2000(lab2, lab1)).toBeCloseTo(deltaE2000(lab1, lab2), 10);
      expect(deltaE2000(lab1, lab1)).toBe(0);
    }
  });
});

describe('hex', () => {
  it('formats channels as lower-case #rrggbb, rounding and clamping', () => {
    expect(rgbToHex(200, 162, 122)).toBe('#c8a27a');
    expect(rgbToHex(-4, 255.4, 300)).toBe('#00ffff');
  });

  it('parses long and short forms, with or without #', () => {
    expect(hexToRgb('#C8A27A')).toEqual([200, 162, 122]);
    expect(hexToRgb('c8a27a')).toEqual([200, 162, 122]);
    expect(hexToRgb('#fa0')).toEqual([255, 170, 0]);
  });

  it('refuses anything else with a typed error', () => {
    expect(() => hexToRgb('#12345g')).toThrow(PortraitistError);
    expect(() => hexToRgb('red')).toThrow(/not a hex colour/);
  });
});

describe('relativeLuminance', () => {
  it('is 0 for black, 1 for white and the WCAG weights for primaries', () => {
    expect(relativeLuminance(0, 0, 0)).toBe(0);
    expect(relativeLuminance(255, 255, 255)).toBeCloseTo(1, 12);
    expect(relativeLuminance(0, 255, 0)).toBeCloseTo(0.7152, 6);
  });
});

describe('correlatedColorTemperature', () => {
  it('puts sRGB white (D65) at about 6500 K', () => {
    expect(correlatedColorTemperature(255, 255, 255)).toBeGreaterThan(6300);
    expect(correlatedColorTemperature(255, 255, 255)).toBeLessThan(6700);
  });

  it('puts a warm tungsten-like colour near 3000 K', () => {
    // McCamy gives about 2920 K for (255, 180, 107); tungsten is 2700–3200 K.
    const kelvin = correlatedColorTemperature(255, 180, 107);
    expect(kelvin).toBeGreaterThan(2700);
    expect(kelvin).toBeLessThan(3200);
  });

  it('orders warm below neutral below cool', () => {
    const warm = correlatedColorTemperature(255, 200, 150);
    const neutral = correlatedColorTemperature(200, 200, 200);
    const cool = correlatedColorTemperature(190, 210, 255);
    expect(warm).toBeLessThan(neutral);
    expect(neutral).toBeLessThan(cool);
  });

  it('stays within 1500..20000 K and finite for any colour, black included', () => {
    for (const [r, g, b] of [
      [0, 0, 0],
      [0, 0, 255],
      [255, 0, 255],
      [0, 255, 255],
      [255, 0, 0],
      [1, 0, 0],
    ] as const) {
      const kelvin = correlatedColorTemperature(r, g, b);
      expect(kelvin).toBeGreaterThanOrEqual(1500);
      expect(kelvin).toBeLessThanOrEqual(20000);
    }
  });
});
