import { describe, expect, it } from 'vitest';
import {
  catchlightClock,
  lightRigs,
  nearestRig,
  resolveExpression,
  resolveLight,
  resolvePosture,
  validateBrief,
} from './index.js';

const brief = (extra: Record<string, unknown>) =>
  validateBrief({
    version: 1,
    subject: { description: 'a baker with flour on her forearms' },
    ...extra,
  });

describe('resolveLight', () => {
  it('puts the key on the side the brief names (positive azimuth = subject’s left)', () => {
    const left = resolveLight(brief({ light: { rig: 'rembrandt', side: 'left' } }));
    const right = resolveLight(brief({ light: { rig: 'rembrandt', side: 'right' } }));
    expect(left?.azimuth).toBeGreaterThan(40);
    expect(right?.azimuth).toBeLessThan(-40);
    expect(left?.catchlightClock).toBeGreaterThanOrEqual(1);
    expect(left?.catchlightClock).toBeLessThanOrEqual(3);
    expect(right?.catchlightClock).toBeGreaterThanOrEqual(9);
    expect(right?.catchlightClock).toBeLessThanOrEqual(11);
  });

  it('explicit key angles win over the rig and set the side', () => {
    const light = resolveLight(
      brief({ light: { rig: 'loop', key: { azimuth: -70, elevation: 10 } } }),
    );
    expect(light).toMatchObject({ azimuth: -70, elevation: 10, side: 'right', explicitKey: true });
  });

  it('broad light falls on the side turned toward the camera, short light on the other', () => {
    // Head turned toward the subject's left shows the right cheek to the camera.
    const turned = { posture: { headTurn: 30 } };
    expect(resolveLight(brief({ ...turned, light: { rig: 'broad' } }))?.side).toBe('right');
    expect(resolveLight(brief({ ...turned, light: { rig: 'short' } }))?.side).toBe('left');
  });

  it('is undefined when the brief states no light', () => {
    expect(resolveLight(brief({}))).toBeUndefined();
  });
});

describe('catchlightClock', () => {
  it.each([
    [0, 50, 12],
    [90, 0, 3],
    [-90, 0, 9],
    [45, 35, 2],
    [-45, 35, 10],
    [0, -40, 6],
  ])('azimuth %d elevation %d -> %d o’clock', (azimuth, elevation, clock) => {
    expect(catchlightClock(azimuth, elevation)).toBe(clock);
  });
});

describe('nearestRig', () => {
  it('finds each geometric rig from the middle of its own ranges', () => {
    for (const id of ['rembrandt', 'loop', 'split', 'butterfly', 'rim']) {
      const rig = lightRigs.find((r) => r.id === id);
      if (rig === undefined) throw new Error(id);
      const mid = (range: readonly [number, number]) => (range[0] + range[1]) / 2;
      const found = nearestRig({
        azimuth: mid(rig.key.azimuth),
        elevation: mid(rig.key.elevation),
        fillRatio: rig.fillRatio === null ? null : mid(rig.fillRatio),
        softness: mid(rig.softness),
      });
      expect(found.id, id).toBe(id);
    }
  });
});

describe('resolveExpression and resolvePosture', () => {
  it('scales geometry by intensity and lets fine controls override', () => {
    const resolved = resolveExpression(
      brief({ expression: { name: 'duchenne-smile', intensity: 0.5, asymmetry: 0.3 } }),
    );
    expect(resolved?.geometry.lipCornerLift).toBeCloseTo(
      (resolved?.entry.geometry.lipCornerLift ?? 0) * 0.5,
      3,
    );
    expect(resolved?.geometry.asymmetry).toBe(0.3);
    expect(resolved?.overrides).toEqual(['asymmetry']);
    expect(resolved?.gaze).toBe(resolved?.entry.defaultGaze);
  });

  it('takes the named pose and overrides it with explicit values', () => {
    const posture = resolvePosture(
      brief({ posture: { pose: 'classic-three-quarter', headTilt: -6 } }),
    );
    expect(posture?.pose?.id).toBe('classic-three-quarter');
    expect(posture?.headTilt).toBe(-6);
    expect(posture?.shoulderAngle).toBe(posture?.pose?.shoulderAngle);
  });
});
