import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, type RgbImage } from '../image/index.js';
import { fixtureFaces, readFixture } from '../testing/index.js';
import { createVision, createVisionRuntime, type Vision } from './index.js';
import { frameLight, measureLight } from './light.js';
import { luminancePlanes } from './luminance.js';
import { vertexNormals } from './mesh.js';
import { faceFrame } from './pose.js';
import type { MeshPoint } from './types.js';

let vision: Vision;
beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
}, 60_000);
afterAll(() => vision.dispose());

/**
 * Paints the face as a grey Lambertian surface lit from (azimuth, elevation) in the face's frame,
 * by rasterising the detector's own mesh triangles with interpolated normals.
 */
function renderLambert(
  image: RgbImage,
  mesh: readonly MeshPoint[],
  triangles: readonly number[],
  azimuth: number,
  elevation: number,
): RgbImage {
  let normals = vertexNormals(mesh, triangles);
  if (normals.reduce((sum, n) => sum + n[2], 0) > 0)
    normals = normals.map(([x, y, z]) => [-x, -y, -z]);
  const { right, up, forward } = faceFrame(mesh);
  const a = (azimuth * Math.PI) / 180;
  const e = (elevation * Math.PI) / 180;
  const inFace = [Math.sin(a) * Math.cos(e), Math.sin(e), Math.cos(a) * Math.cos(e)] as const;
  const light = [0, 1, 2].map(
    (k) => (right[k] ?? 0) * inFace[0] + (up[k] ?? 0) * inFace[1] + (forward[k] ?? 0) * inFace[2],
  );
  const data = new Uint8Array(image.data);
  for (let t = 0; t + 2 < triangles.length; t += 3) {
    const ids = [triangles[t] ?? 0, triangles[t + 1] ?? 0, triangles[t + 2] ?? 0];
    const [p0, p1, p2] = ids.map((i) => mesh[i] ?? ([0, 0, 0] as const)) as [
      MeshPoint,
      MeshPoint,
      MeshPoint,
    ];
    const n = ids.map((i) => normals[i] ?? [0, 0, -1]);
    const det = (p1[1] - p2[1]) * (p0[0] - p2[0]) + (p2[0] - p1[0]) * (p0[1] - p2[1]);
    if (Math.abs(det) < 1e-6) continue;
    for (
      let y = Math.floor(Math.min(p0[1], p1[1], p2[1]));
      y <= Math.ceil(Math.max(p0[1], p1[1], p2[1]));
      y++
    ) {
      for (
        let x = Math.floor(Math.min(p0[0], p1[0], p2[0]));
        x <= Math.ceil(Math.max(p0[0], p1[0], p2[0]));
        x++
      ) {
        const w0 = ((p1[1] - p2[1]) * (x - p2[0]) + (p2[0] - p1[0]) * (y - p2[1])) / det;
        const w1 = ((p2[1] - p0[1]) * (x - p2[0]) + (p0[0] - p2[0]) * (y - p2[1])) / det;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0 || x < 0 || y < 0 || x >= image.width || y >= image.height)
          continue;
        const normal = [0, 1, 2].map(
          (k) => w0 * (n[0]?.[k] ?? 0) + w1 * (n[1]?.[k] ?? 0) + w2 * (n[2]?.[k] ?? 0),
        );
        const cosine =
          (normal[0]! * light[0]! + normal[1]! * light[1]! + normal[2]! * light[2]!) /
          (Math.hypot(...normal) || 1);
        const value = Math.round(
          255 * Math.min(1, (0.08 + 0.85 * Math.max(0, cosine)) ** (1 / 2.2)),
        );
        const i = (y * image.width + x) * 3;
        data[i] = value;
        data[i + 1] = value;
        data[i + 2] = value;
      }
    }
  }
  return { ...image, data, source: `${image.source} lit at ${azimuth}/${elevation}` };
}

describe('the light fit recovers a known light', () => {
  it.each(fixtureFaces.map((f) => [f.id]))(
    '%s: a Lambertian render on the real mesh gives back its key',
    async (id) => {
      const image = await readImage(await readFixture(id), { source: id });
      const blueprint = await vision.analyze(image);
      const mesh = blueprint.faces[0]?.mesh;
      if (mesh === undefined) throw new Error('no face');
      for (const [azimuth, elevation] of [
        [50, 20],
        [-50, 20],
        [0, 30],
        [80, 10],
      ] as const) {
        // Measured on the same mesh: this checks the light fit, not the detector's luck on a grey face.
        const rendered = renderLambert(
          image,
          mesh,
          vision.runtime.triangulation,
          azimuth,
          elevation,
        );
        const planes = luminancePlanes(rendered);
        const light = measureLight(
          mesh,
          vision.runtime.triangulation,
          planes,
          frameLight(rendered, planes),
        );
        // Within 15° in azimuth and elevation.
        expect(
          Math.abs(light.azimuth - azimuth),
          `azimuth ${azimuth} -> ${light.azimuth}`,
        ).toBeLessThan(15);
        expect(
          Math.abs(light.elevation - elevation),
          `elevation ${elevation} -> ${light.elevation}`,
        ).toBeLessThan(15);
        expect(light.confidence).toBeGreaterThan(0.5);
      }
    },
  );
});
