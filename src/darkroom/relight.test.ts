import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, type RgbImage } from '../image/index.js';
import { fixtureFaces, readFixture } from '../testing/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from '../vision/index.js';
import { createSegmenter, relight, rigTarget, type PersonMask, type Segmenter } from './index.js';

let vision: Vision;
let segmenter: Segmenter;
const photos = new Map<string, { image: RgbImage; blueprint: Blueprint; mask: PersonMask }>();
beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
  segmenter = await createSegmenter();
  for (const face of fixtureFaces) {
    const image = await readImage(await readFixture(face.id), { source: face.id });
    photos.set(face.id, {
      image,
      blueprint: await vision.analyze(image),
      mask: await segmenter.segment(image),
    });
  }
}, 180_000);
afterAll(async () => {
  await segmenter.dispose();
  vision.dispose();
});

const photo = (id: string) => {
  const entry = photos.get(id);
  if (entry === undefined) throw new Error(id);
  return entry;
};

/** Mean Sobel gradient magnitude of luminance over pixels where the mask is between 0.2 and 0.8. */
function boundaryGradient(image: RgbImage, mask: PersonMask): number {
  const { width, height, data } = image;
  const lum = (x: number, y: number) => {
    const i =
      (Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))) * 3;
    return 0.2126 * (data[i] ?? 0) + 0.7152 * (data[i + 1] ?? 0) + 0.0722 * (data[i + 2] ?? 0);
  };
  let sum = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const a = mask.alpha[y * width + x] ?? 0;
      if (a < 0.2 || a > 0.8) continue;
      const gx =
        lum(x + 1, y - 1) +
        2 * lum(x + 1, y) +
        lum(x + 1, y + 1) -
        lum(x - 1, y - 1) -
        2 * lum(x - 1, y) -
        lum(x - 1, y + 1);
      const gy =
        lum(x - 1, y + 1) +
        2 * lum(x, y + 1) +
        lum(x + 1, y + 1) -
        lum(x - 1, y - 1) -
        2 * lum(x, y - 1) -
        lum(x + 1, y - 1);
      sum += Math.hypot(gx, gy);
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Relighting may not raise the edge contrast along the person's outline by more than this. */
const SEAM_MARGIN = 1.25;

describe('relight', () => {
  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: a key on the subject’s left reads on the left, on the right reads on the right',
    async (id) => {
      const { image, blueprint, mask } = photo(id);
      const triangles = vision.runtime.triangulation;
      const left = await vision.analyze(
        relight(image, blueprint, mask, rigTarget('rembrandt', 'left'), { triangles }),
      );
      const right = await vision.analyze(
        relight(image, blueprint, mask, rigTarget('rembrandt', 'right'), { triangles }),
      );
      expect(left.light?.azimuth).toBeGreaterThan(15);
      expect(right.light?.azimuth).toBeLessThan(-15);
    },
  );

  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: no seam along the person’s outline, full resolution',
    (id) => {
      const { image, blueprint, mask } = photo(id);
      for (const rig of ['split', 'low-key', 'high-key'] as const) {
        const lit = relight(image, blueprint, mask, rigTarget(rig, 'right'), {
          triangles: vision.runtime.triangulation,
        });
        expect(lit.width).toBe(image.width);
        expect(lit.height).toBe(image.height);
        expect(boundaryGradient(lit, mask), rig).toBeLessThanOrEqual(
          boundaryGradient(image, mask) * SEAM_MARGIN,
        );
      }
    },
  );

  it('leaves the background alone and blends by intensity', () => {
    const { image, blueprint, mask } = photo('soft-smile');
    const none = relight(image, blueprint, mask, rigTarget('split', 'left'), {
      triangles: vision.runtime.triangulation,
      intensity: 0,
    });
    let maxDiff = 0;
    for (let i = 0; i < image.data.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs((none.data[i] ?? 0) - (image.data[i] ?? 0)));
    expect(maxDiff).toBeLessThanOrEqual(1);
    const full = relight(image, blueprint, mask, rigTarget('split', 'left'), {
      triangles: vision.runtime.triangulation,
      intensity: 1,
    });
    let changedBackground = 0;
    let background = 0;
    for (let p = 0; p < mask.alpha.length; p++) {
      if ((mask.alpha[p] ?? 1) > 0.01) continue;
      background++;
      if (Math.abs((full.data[p * 3] ?? 0) - (image.data[p * 3] ?? 0)) > 1) changedBackground++;
    }
    expect(changedBackground / Math.max(1, background)).toBeLessThan(0.01);
  });

  it('works for every named rig, and refuses bad input with typed errors', () => {
    const { image, blueprint, mask } = photo('laughing');
    for (const rig of [
      'rembrandt',
      'loop',
      'butterfly',
      'split',
      'broad',
      'short',
      'clamshell',
      'rim',
      'high-key',
      'low-key',
      'window',
      'golden-hour',
      'overcast',
      'practical-neon',
      'ring-light',
    ]) {
      expect(
        relight(image, blueprint, mask, rigTarget(rig), { triangles: vision.runtime.triangulation })
          .data.length,
        rig,
      ).toBe(image.data.length);
    }
    expect(() => rigTarget('rembrant')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() =>
      relight(image, blueprint, mask, rigTarget('loop'), {
        triangles: vision.runtime.triangulation,
        intensity: 2,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        issues: [expect.objectContaining({ path: 'intensity' })],
      }),
    );
  });
});
