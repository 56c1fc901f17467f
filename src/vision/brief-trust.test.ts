// Brief from a photo: the names it writes follow from what was measured.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { facialGeometryKeys, type FacialGeometry } from '../brief/index.js';
import { namingKeys } from './brief-from-blueprint.js';
import { compositionForEyes, nearestStandardAspect } from './composition.js';
import { nearestExpression } from './index.js';

describe('brief from a photo', () => {
  it('writes the nearest standard aspect ratio, never a raw one', () => {
    expect(nearestStandardAspect(485, 876)).toBe('9:16');
    expect(nearestStandardAspect(720, 900)).toBe('4:5');
    expect(nearestStandardAspect(1920, 1280)).toBe('3:2');
    expect(nearestStandardAspect(1000, 1000)).toBe('1:1');
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 8000 }), fc.integer({ min: 16, max: 8000 }), (w, h) =>
        ['1:1', '4:5', '5:4', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9'].includes(
          nearestStandardAspect(w, h),
        ),
      ),
    );
  });

  it('takes the composition rule from where the eyes are', () => {
    expect(compositionForEyes({ x: 0.5, y: 0.38 })).toBe('centered-symmetric');
    expect(compositionForEyes({ x: 0.34, y: 0.33 })).toBe('rule-of-thirds');
    expect(compositionForEyes({ x: 0.66, y: 0.33 })).toBe('rule-of-thirds');
    // Eyes at x = 0.83 are off-centre: never "centred".
    expect(compositionForEyes({ x: 0.83, y: 0.4 })).not.toBe('centered-symmetric');
    expect(compositionForEyes({ x: 0.17, y: 0.4 })).not.toBe('centered-symmetric');
  });

  it('names an expression only from readings that support it', () => {
    const geometry = fc.record(
      Object.fromEntries(
        facialGeometryKeys.map((k) => [k, fc.double({ min: -1, max: 1, noNaN: true })]),
      ) as Record<keyof FacialGeometry, fc.Arbitrary<number>>,
    );
    fc.assert(
      fc.property(geometry, (measured) => {
        const { entry } = nearestExpression(measured);
        for (const k of namingKeys)
          if (Math.abs(entry.geometry[k]) >= 0.3) {
            expect(Math.sign(measured[k]), `${entry.id} ${k}`).toBe(Math.sign(entry.geometry[k]));
            expect(Math.abs(measured[k])).toBeGreaterThanOrEqual(0.1);
          }
      }),
    );
    // The reported case: a raised-brow name with browRaise 0.
    const flatBrows = nearestExpression({
      lipCornerLift: 0.2,
      lipsParted: 0,
      browRaise: 0,
      browFurrow: 0,
      eyeAperture: 0,
      asymmetry: 0.4,
    });
    expect(flatBrows.entry.id).not.toBe('skeptical-raised-brow');
  });
});
