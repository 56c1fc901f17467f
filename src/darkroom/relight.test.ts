import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readImage, srgbToLinear, type RgbImage } from '../image/index.js';
import { fixtureFaces, readFixture, readSample } from '../testing/index.js';
import {
  createVision,
  createVisionRuntime,
  landmarks,
  meshContours,
  type Blueprint,
  type FaceReading,
  type MeshPoint,
  type Vision,
} from '../vision/index.js';
import {
  cheekLuminance,
  createSegmenter,
  keyColour,
  relight,
  rigTarget,
  skinLab,
  type PersonMask,
  type RelightTarget,
  type Segmenter,
} from './index.js';

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
}, 600_000);
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

/** Lit-over-shadow: the subject's left cheek over the right, in linear light. */
function cheekRatio(image: RgbImage, face: FaceReading, mask: PersonMask): number {
  const cheeks = cheekLuminance(image, face, mask);
  return cheeks.left / cheeks.right;
}

/** A target in the brief's terms with everything but the named fields neutral. */
const neutral: RelightTarget = {
  azimuth: 0,
  elevation: 0,
  fillRatio: 1,
  softness: 1,
  colorTemperature: 5500,
  rim: false,
};

/** How far a fill ratio may land from the rig's, as a factor either way. */
const FILL_TOLERANCE = 1.35;
/** The most skin a* b* may move (CIELAB units), once the rig's own colour is taken back out. */
const SKIN_DELTA_E = 7;
/** The most a mesh contour's change may out-grow the face interior's (gradient of ln gain). */
const CONTOUR_MARGIN = 1.5;

/** Distance from a point to a closed mesh contour. */
function contourDistance(
  mesh: readonly MeshPoint[],
  contour: readonly number[],
  x: number,
  y: number,
) {
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k + 1 < contour.length; k++) {
    const a = mesh[contour[k] ?? 0] ?? [0, 0, 0];
    const b = mesh[contour[k + 1] ?? 0] ?? [0, 0, 0];
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const t = Math.max(
      0,
      Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy || 1)),
    );
    best = Math.min(best, Math.hypot(x - a[0] - t * dx, y - a[1] - t * dy));
  }
  return best;
}

function insideContour(
  mesh: readonly MeshPoint[],
  contour: readonly number[],
  x: number,
  y: number,
) {
  let hit = false;
  for (let i = 0, j = contour.length - 1; i < contour.length; j = i++) {
    const a = mesh[contour[i] ?? 0] ?? [0, 0, 0];
    const b = mesh[contour[j] ?? 0] ?? [0, 0, 0];
    if (a[1] > y !== b[1] > y && x < ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1] || 1e-9) + a[0])
      hit = !hit;
  }
  return hit;
}

/**
 * The seam test on the mesh: the mean gradient of the applied change (ln of relit over source
 * luminance, on 4-pixel blocks) in a band along the face contour, and inside the face.
 */
function contourAndInterior(
  before: RgbImage,
  after: RgbImage,
  face: FaceReading,
  mask: PersonMask,
) {
  const block = 4;
  const bw = Math.floor(before.width / block);
  const bh = Math.floor(before.height / block);
  const change = new Float32Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let a = 0;
      let b = 0;
      for (let y = by * block; y < (by + 1) * block; y++)
        for (let x = bx * block; x < (bx + 1) * block; x++) {
          const i = (y * before.width + x) * 3;
          for (const [c, w] of [
            [0, 0.2126],
            [1, 0.7152],
            [2, 0.0722],
          ] as const) {
            a += w * srgbToLinear(before.data[i + c] ?? 0);
            b += w * srgbToLinear(after.data[i + c] ?? 0);
          }
        }
      change[by * bw + bx] = Math.log((b + 0.02) / (a + 0.02));
    }
  }
  const contour = meshContours.silhouette ?? [];
  let band = 0;
  let bandCount = 0;
  let interior = 0;
  let interiorCount = 0;
  for (let by = 1; by < bh - 1; by++) {
    for (let bx = 1; bx < bw - 1; bx++) {
      const x = (bx + 0.5) * block;
      const y = (by + 0.5) * block;
      const g = Math.hypot(
        (change[by * bw + bx + 1] ?? 0) - (change[by * bw + bx - 1] ?? 0),
        (change[(by + 1) * bw + bx] ?? 0) - (change[(by - 1) * bw + bx] ?? 0),
      );
      const d = contourDistance(face.mesh, contour, x, y);
      // Where the contour is the person's outline too, the mask-boundary test above speaks.
      let onPerson = true;
      for (let dy = -2; dy <= 2 && onPerson; dy++)
        for (let dx = -2; dx <= 2; dx++) {
          const px = Math.min(before.width - 1, Math.max(0, Math.round(x + dx * block)));
          const py = Math.min(before.height - 1, Math.max(0, Math.round(y + dy * block)));
          if ((mask.alpha[py * before.width + px] ?? 0) < 0.95) onPerson = false;
        }
      if (!onPerson) continue;
      if (d <= 1.5 * block) {
        band += g;
        bandCount++;
      } else if (d > 4 * block && insideContour(face.mesh, contour, x, y)) {
        interior += g;
        interiorCount++;
      }
    }
  }
  return { band: band / Math.max(1, bandCount), interior: interior / Math.max(1, interiorCount) };
}

/** The photo as if lit all over by the key's colour for `kelvin` (luminance kept). */
function tinted(image: RgbImage, kelvin: number): RgbImage {
  const gains = keyColour(kelvin);
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) {
    const linear = srgbToLinear(image.data[i] ?? 0) * (gains[i % 3] ?? 1);
    const c = Math.min(1, Math.max(0, linear));
    data[i] = Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055));
  }
  return { ...image, data };
}

describe('relight', () => {
  const triangles = () => vision.runtime.triangulation;
  const main = (blueprint: Blueprint) => blueprint.faces[blueprint.faceIndex ?? 0] as FaceReading;

  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: the key on each side makes the named cheek the brighter, ≥ 0.3 apart in log ratio',
    (id) => {
      const { image, blueprint, mask } = photo(id);
      const face = main(blueprint);
      const left = cheekRatio(
        relight(image, blueprint, mask, rigTarget('rembrandt', 'left'), { triangles: triangles() }),
        face,
        mask,
      );
      const right = cheekRatio(
        relight(image, blueprint, mask, rigTarget('rembrandt', 'right'), {
          triangles: triangles(),
        }),
        face,
        mask,
      );
      expect(left, 'key on the subject’s left').toBeGreaterThan(1);
      expect(right, 'key on the subject’s right').toBeLessThan(1);
      expect(Math.log(left / right)).toBeGreaterThanOrEqual(0.3);
    },
  );

  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: a flat neutral re-shade brings the cheeks within 10% of each other, whatever the photo’s own key',
    (id) => {
      const { image, blueprint, mask } = photo(id);
      const ratio = cheekRatio(
        relight(image, blueprint, mask, neutral, { triangles: triangles() }),
        main(blueprint),
        mask,
      );
      expect(ratio).toBeGreaterThan(1 / 1.1);
      expect(ratio).toBeLessThan(1.1);
    },
  );

  it.each(fixtureFaces.map((f) => [f.id]))(
    `%s: fill 2:1, 4:1 and 8:1 measure in that order on the cheeks, each within ×${FILL_TOLERANCE}`,
    (id) => {
      const { image, blueprint, mask } = photo(id);
      const measured = [2, 4, 8].map((fillRatio) =>
        cheekRatio(
          relight(
            image,
            blueprint,
            mask,
            { ...neutral, azimuth: 50, elevation: 20, softness: 0.3, fillRatio },
            { triangles: triangles() },
          ),
          main(blueprint),
          mask,
        ),
      );
      expect(measured[0]).toBeLessThan(measured[1] as number);
      expect(measured[1]).toBeLessThan(measured[2] as number);
      measured.forEach((ratio, k) => {
        const wanted = 2 ** (k + 1);
        expect(Math.abs(Math.log(ratio / wanted)), `${wanted}:1 measured ${ratio}`).toBeLessThan(
          Math.log(FILL_TOLERANCE),
        );
      });
    },
  );

  it.each(fixtureFaces.map((f) => [f.id]))(
    `%s: skin keeps its a* b* within ΔE ${SKIN_DELTA_E} of the source, the rig's colour aside`,
    (id) => {
      const { image, blueprint, mask } = photo(id);
      const face = main(blueprint);
      const [, a0, b0] = skinLab(image, face);
      for (const rig of ['rembrandt', 'split', 'butterfly', 'golden-hour', 'practical-neon']) {
        const target = rigTarget(rig, 'left');
        const [, a, b] = skinLab(
          relight(image, blueprint, mask, target, { triangles: triangles() }),
          face,
        );
        // The rig's own shift: where its key colour takes the source's skin, at full strength.
        // Any part of it up to all of it is the rig's; what remains is the skin's own change.
        const [, ra, rb] = skinLab(tinted(image, target.colorTemperature), face);
        const rig2 = [ra - a0, rb - b0] as const;
        const moved = [a - a0, b - b0] as const;
        const length2 = rig2[0] ** 2 + rig2[1] ** 2;
        const t =
          length2 < 1e-9
            ? 0
            : Math.min(1, Math.max(0, (moved[0] * rig2[0] + moved[1] * rig2[1]) / length2));
        const left = Math.hypot(moved[0] - t * rig2[0], moved[1] - t * rig2[1]);
        expect(left, rig).toBeLessThan(SKIN_DELTA_E);
      }
    },
  );

  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: no seam along the person’s outline or the mesh contour, full resolution',
    (id) => {
      const { image, blueprint, mask } = photo(id);
      for (const rig of ['split', 'rembrandt', 'low-key', 'high-key'] as const) {
        const lit = relight(image, blueprint, mask, rigTarget(rig, 'right'), {
          triangles: triangles(),
        });
        expect(lit.width).toBe(image.width);
        expect(lit.height).toBe(image.height);
        expect(boundaryGradient(lit, mask), rig).toBeLessThanOrEqual(
          boundaryGradient(image, mask) * SEAM_MARGIN,
        );
        const { band, interior } = contourAndInterior(image, lit, main(blueprint), mask);
        expect(band, `${rig}: contour ${band} vs interior ${interior}`).toBeLessThanOrEqual(
          interior * CONTOUR_MARGIN + 0.01,
        );
      }
    },
  );

  it('adds no new clipping on the face', () => {
    for (const id of ['smile-closed', 'neutral-blonde']) {
      const { image, blueprint, mask } = photo(id);
      const face = main(blueprint);
      const lit = relight(image, blueprint, mask, rigTarget('high-key'), {
        triangles: triangles(),
      });
      let clipped = 0;
      let pixels = 0;
      const { x, y, width, height } = face.box;
      for (let yy = Math.max(0, Math.round(y)); yy < Math.min(image.height, y + height); yy++)
        for (let xx = Math.max(0, Math.round(x)); xx < Math.min(image.width, x + width); xx++) {
          const i = (yy * image.width + xx) * 3;
          pixels++;
          for (let c = 0; c < 3; c++)
            if ((lit.data[i + c] ?? 0) >= 254 && (image.data[i + c] ?? 0) < 254) clipped++;
        }
      expect(clipped / pixels, id).toBeLessThan(0.001);
    }
  });

  it('puts small catchlights at the key’s clock position', () => {
    const { image, blueprint, mask } = photo('soft-smile');
    const face = main(blueprint);
    const changeCentroid = (target: RelightTarget) => {
      const lit = relight(image, blueprint, mask, target, { triangles: triangles() });
      // The same relight without catchlights: what differs is the catchlight alone.
      const plain = relight(image, blueprint, mask, target, {
        triangles: triangles(),
        catchlights: false,
      });
      const centre = face.mesh[landmarks.leftIrisCentre] ?? [0, 0, 0];
      const edge = face.mesh[landmarks.leftIrisCentre + 1] ?? centre;
      const r = Math.hypot(edge[0] - centre[0], edge[1] - centre[1]);
      let sx = 0;
      let sy = 0;
      let n = 0;
      for (let y = Math.floor(centre[1] - r); y <= centre[1] + r; y++)
        for (let x = Math.floor(centre[0] - r); x <= centre[0] + r; x++) {
          const i = (y * image.width + x) * 3;
          if ((lit.data[i] ?? 0) - (plain.data[i] ?? 0) > 10) {
            sx += x - centre[0];
            sy += y - centre[1];
            n++;
          }
        }
      return { x: sx / Math.max(1, n), y: sy / Math.max(1, n), n, area: Math.PI * r * r };
    };
    const top = changeCentroid(rigTarget('butterfly'));
    expect(top.n).toBeGreaterThan(0);
    expect(top.y).toBeLessThan(0); // 12 o'clock: above the iris centre
    expect(top.n / top.area).toBeLessThan(0.15); // small
    const side = changeCentroid({
      ...neutral,
      azimuth: 45,
      elevation: 30,
      fillRatio: 4,
      softness: 0.5,
    });
    expect(side.n).toBeGreaterThan(0);
    expect(side.y).toBeLessThan(0);
  });

  it('relights every face of a group photo, or only the one named', async () => {
    const image = await readImage(await readSample(1), { source: 'sample1.jpg' });
    const blueprint = await vision.analyze(image);
    const mask = await segmenter.segment(image);
    const faces = blueprint.faces.filter((f) => f.box.height >= 60);
    expect(faces.length).toBeGreaterThan(1);
    const lit = relight(image, blueprint, mask, rigTarget('rembrandt', 'left'), {
      triangles: triangles(),
    });
    for (const face of faces)
      expect(cheekRatio(lit, face, mask)).toBeGreaterThan(cheekRatio(image, face, mask));
    // One face: its cheeks take the rig, and a face far from it is left nearly as it was.
    const index = blueprint.faces.indexOf(faces[0] as FaceReading);
    const one = relight(image, blueprint, mask, rigTarget('rembrandt', 'left'), {
      triangles: triangles(),
      faceIndex: index,
    });
    expect(cheekRatio(one, faces[0] as FaceReading, mask)).toBeGreaterThan(
      cheekRatio(image, faces[0] as FaceReading, mask),
    );
    expect(() =>
      relight(image, blueprint, mask, rigTarget('loop'), { triangles: triangles(), faces: [99] }),
    ).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        issues: [expect.objectContaining({ path: 'face' })],
      }),
    );
  }, 180_000);

  it('relights a 48 MP photo on a bounded field, with no clipped wedge', async () => {
    const { image, blueprint, mask } = photo('soft-smile');
    const k = Math.sqrt(48e6 / (image.width * image.height));
    const width = Math.round(image.width * k);
    const height = Math.round(image.height * k);
    const big: RgbImage = {
      ...image,
      width,
      height,
      data: new Uint8Array(
        await sharp(Buffer.from(image.data), {
          raw: { width: image.width, height: image.height, channels: 3 },
        })
          .resize(width, height, { kernel: 'cubic' })
          .raw()
          .toBuffer(),
      ),
    };
    const alpha = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      const row = Math.min(image.height - 1, Math.floor(y / k)) * image.width;
      for (let x = 0; x < width; x++)
        alpha[y * width + x] = mask.alpha[row + Math.min(image.width - 1, Math.floor(x / k))] ?? 0;
    }
    const scalePoint = ([x, y, z]: MeshPoint): MeshPoint => [x * k, y * k, z * k];
    const bigBlueprint: Blueprint = {
      ...blueprint,
      image: { ...blueprint.image, width, height },
      faces: blueprint.faces.map((f) => ({
        ...f,
        mesh: f.mesh.map(scalePoint),
        box: { x: f.box.x * k, y: f.box.y * k, width: f.box.width * k, height: f.box.height * k },
      })),
    };
    const lit = relight(
      big,
      bigBlueprint,
      { width, height, alpha },
      rigTarget('rembrandt', 'left'),
      {
        triangles: triangles(),
      },
    );
    expect(lit.width * lit.height).toBeGreaterThan(47e6);
    // No clipped wedge: new clipping anywhere on the person stays a trace, and no row of the
    // frame holds a run of it.
    let clipped = 0;
    let person = 0;
    let worstRow = 0;
    for (let y = 0; y < height; y += 4) {
      let row = 0;
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        if ((alpha[p] ?? 0) < 0.5) continue;
        person++;
        const i = p * 3;
        if ((lit.data[i] ?? 0) >= 254 && (big.data[i] ?? 0) < 250) {
          clipped++;
          row++;
        }
      }
      worstRow = Math.max(worstRow, row);
    }
    expect(clipped / person).toBeLessThan(0.001);
    expect(worstRow).toBeLessThan(width * 0.01);
    expect(
      cheekRatio(lit, bigBlueprint.faces[0] as FaceReading, { width, height, alpha }),
    ).toBeGreaterThan(1.5);
  }, 180_000);

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
