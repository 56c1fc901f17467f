import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortraitistError } from '../errors/index.js';
import { readImage, type RgbImage } from '../image/index.js';
import { readFixture } from '../testing/index.js';
import { isnetAtResolution } from './isnet.js';
import {
  createSegmenter,
  segmentationResolution,
  REDUCED_SEGMENTATION_RESOLUTION,
  SEGMENTATION_RESOLUTION,
  type PersonMask,
  type Segmenter,
} from './index.js';

// The re-sized graph (768²) against the graph at the 1024² it was exported for: masks agree on the
// person (hair edges are measured on every fixture in the darkroom bench). Photos use 1024².
let working: Segmenter;
let native: Segmenter;
const faces = ['neutral-blonde', 'makeup'] as const;
const images = new Map<string, RgbImage>();
beforeAll(async () => {
  working = await createSegmenter({ resolution: REDUCED_SEGMENTATION_RESOLUTION });
  native = await createSegmenter({ resolution: 1024 });
  for (const id of faces) images.set(id, await readImage(await readFixture(id), { source: id }));
}, 300_000);
afterAll(async () => {
  await working.dispose();
  await native.dispose();
});

const image = (id: string): RgbImage => {
  const found = images.get(id);
  if (found === undefined) throw new Error(id);
  return found;
};

function iou(a: PersonMask, b: PersonMask): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.alpha.length; i++) {
    const x = (a.alpha[i] ?? 0) > 0.5;
    const y = (b.alpha[i] ?? 0) > 0.5;
    if (x && y) both++;
    if (x || y) either++;
  }
  return both / Math.max(1, either);
}

describe('person segmentation', () => {
  it("segments every photo at the graph's own 1024², small or large", () => {
    expect(SEGMENTATION_RESOLUTION).toBe(1024);
    expect(segmentationResolution(894, 1118)).toBe(1024);
    expect(segmentationResolution(1920, 1280)).toBe(1024);
  });

  it.each(faces)(
    'masks %s at the photo size, agreeing with the 1024² graph (IoU ≥ 0.95)',
    async (id) => {
      const photo = image(id);
      const mask = await working.segment(photo);
      expect(mask.width).toBe(photo.width);
      expect(mask.height).toBe(photo.height);
      expect(mask.alpha.length).toBe(photo.width * photo.height);
      // The face is the person; the top corners are background on these crops.
      const at = (x: number, y: number) =>
        mask.alpha[Math.round(y) * photo.width + Math.round(x)] ?? 0;
      expect(at(photo.width * 0.45, photo.height * 0.35)).toBeGreaterThan(0.9);
      expect(at(2, 2)).toBeLessThan(0.1);
      const reference = await native.segment(photo);
      expect(iou(mask, reference)).toBeGreaterThanOrEqual(0.95);
    },
    300_000,
  );

  it('reuses one session for many photos', async () => {
    const a = await working.segment(image('makeup'));
    const b = await working.segment(image('makeup'));
    expect(b.alpha).toEqual(a.alpha);
  }, 300_000);
});

describe('isnetAtResolution', () => {
  it('refuses a resolution that does not halve evenly through the network', () => {
    const attempt = () => isnetAtResolution(new Uint8Array(16), 700);
    expect(attempt).toThrow(PortraitistError);
    expect(attempt).toThrow(/multiple of 128/);
  });

  it('refuses bytes that are not the ISNet graph, with VISION_LOAD', () => {
    const bytes = new Uint8Array([0x3a, 0x02, 0x08, 0x01]); // a graph holding one stray field
    let caught: unknown;
    try {
      isnetAtResolution(bytes, 768);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PortraitistError);
    expect((caught as PortraitistError).code).toBe('VISION_LOAD');
  });
});
