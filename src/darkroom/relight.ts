// relight(photo, blueprint, rig, intensity): divide out the light the photo has (the key and
// ambient fitted by vision on the face mesh) and re-shade with the brief's rig. Normals come from
// the face mesh on the face and from an inflated person silhouette on hair, neck and body.
import { closest, findEntry, lightRigs, type LightRig } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import { srgbToLinear, linearToSrgb, type RgbImage } from '../image/index.js';
import { blackbodyLinearRgb } from './grade.js';
import { faceFrame, vertexNormals, type Blueprint, type FaceReading } from '../vision/index.js';
import type { PersonMask } from './types.js';

/** The light to re-shade with, in the brief's terms (azimuth positive toward the subject's left). */
export interface RelightTarget {
  readonly azimuth: number;
  readonly elevation: number;
  /** Key:fill ratio (≥ 1). */
  readonly fillRatio: number;
  /** 0 hard .. 1 very soft (wrap-around). */
  readonly softness: number;
  readonly colorTemperature: number;
  readonly rim: boolean;
}

/** A vocabulary rig as a relight target, on the given side of the subject's face. */
export function rigTarget(rigId: string, side: 'left' | 'right' = 'left'): RelightTarget {
  const rig = findEntry(lightRigs as readonly LightRig[], rigId);
  if (rig === undefined) {
    const ids = lightRigs.map((r) => r.id);
    // The same suggestion the brief loader gives for a misspelt vocabulary value.
    const suggestion = closest(rigId, ids);
    const hint = suggestion === undefined ? '' : ` — did you mean "${suggestion}"?`;
    throw new PortraitistError('USAGE', `unknown rig "${rigId}"${hint}`, {
      issues: [
        {
          path: 'rig',
          message: `expected one of ${ids.join(', ')} for \`rig\` but received ${JSON.stringify(rigId)}${hint}`,
        },
      ],
    });
  }
  const middle = (range: readonly [number, number]) => (range[0] + range[1]) / 2;
  return {
    azimuth: (side === 'left' ? 1 : -1) * middle(rig.key.azimuth),
    elevation: middle(rig.key.elevation),
    fillRatio: rig.fillRatio === null ? 8 : middle(rig.fillRatio),
    softness: middle(rig.softness),
    colorTemperature: rig.colorTemperature,
    rim: rig.rim,
  };
}

/** Working resolution of the shading field: shading is smooth, so it is solved small and upsampled. */
const FIELD_SIDE = 384;

/** The colour of a light at `kelvin` as linear RGB gains relative to 5500 K daylight. */
export function kelvinGains(kelvin: number): [number, number, number] {
  const target = blackbodyLinearRgb(Math.min(15000, Math.max(1500, kelvin)));
  const reference = blackbodyLinearRgb(5500);
  return [target[0] / reference[0], target[1] / reference[1], target[2] / reference[2]];
}

/** A direction in the face's frame (azimuth/elevation) turned into camera coordinates. */
function cameraDirection(
  face: FaceReading,
  azimuth: number,
  elevation: number,
): [number, number, number] {
  const { right, up, forward } = faceFrame(face.mesh);
  const a = (azimuth * Math.PI) / 180;
  const e = (elevation * Math.PI) / 180;
  const f = [Math.sin(a) * Math.cos(e), Math.sin(e), Math.cos(a) * Math.cos(e)] as const;
  return [0, 1, 2].map(
    (k) => (right[k] ?? 0) * f[0] + (up[k] ?? 0) * f[1] + (forward[k] ?? 0) * f[2],
  ) as [number, number, number];
}

/** Separable box blur of a float field, in place, `passes` times (≈ Gaussian). */
function boxBlur(
  field: Float32Array,
  width: number,
  height: number,
  radius: number,
  passes = 2,
): void {
  if (radius < 1) return;
  const temp = new Float32Array(field.length);
  for (let pass = 0; pass < passes; pass++) {
    for (let y = 0; y < height; y++) {
      let sum = 0;
      const row = y * width;
      for (let x = -radius; x <= radius; x++)
        sum += field[row + Math.min(width - 1, Math.max(0, x))] as number;
      for (let x = 0; x < width; x++) {
        temp[row + x] = sum / (2 * radius + 1);
        sum +=
          (field[row + Math.min(width - 1, x + radius + 1)] as number) -
          (field[row + Math.max(0, x - radius)] as number);
      }
    }
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let y = -radius; y <= radius; y++)
        sum += temp[Math.min(height - 1, Math.max(0, y)) * width + x] as number;
      for (let y = 0; y < height; y++) {
        field[y * width + x] = sum / (2 * radius + 1);
        sum +=
          (temp[Math.min(height - 1, y + radius + 1) * width + x] as number) -
          (temp[Math.max(0, y - radius) * width + x] as number);
      }
    }
  }
}

/** Bilinear sample of a small field at full-resolution coordinates. */
function sample(field: Float32Array, width: number, height: number, x: number, y: number): number {
  const fx = Math.min(width - 1, Math.max(0, x));
  const fy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  const tx = fx - x0;
  const ty = fy - y0;
  const top =
    (field[y0 * width + x0] as number) * (1 - tx) + (field[y0 * width + x1] as number) * tx;
  const bottom =
    (field[y1 * width + x0] as number) * (1 - tx) + (field[y1 * width + x1] as number) * tx;
  return top * (1 - ty) + bottom * ty;
}

/**
 * Surface normals at field resolution: the person silhouette inflated into a rounded height field,
 * with the face mesh's own normals rasterised over the face. Camera frame, facing the camera (−z).
 */
function normalField(
  mask: PersonMask,
  face: FaceReading,
  triangles: readonly number[],
  scale: number,
  width: number,
  height: number,
): { nx: Float32Array; ny: Float32Array; nz: Float32Array; person: Float32Array } {
  const size = width * height;
  const person = new Float32Array(size);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      person[y * width + x] = sample(mask.alpha, mask.width, mask.height, x / scale, y / scale);
  }
  // Inflate: blurred coverage at two scales approximates a rounded cross-section (a cheap
  // distance transform): gentle at the centre of the body, steep at its silhouette.
  const height1 = new Float32Array(person);
  boxBlur(height1, width, height, Math.max(2, Math.round(width / 24)), 3);
  const height2 = new Float32Array(person);
  boxBlur(height2, width, height, Math.max(2, Math.round(width / 8)), 3);
  const nx = new Float32Array(size);
  const ny = new Float32Array(size);
  const nz = new Float32Array(size);
  const depth = width / 6; // how far the body bulges toward the camera, in field pixels
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const h = (v: Float32Array, xx: number, yy: number) =>
        v[
          Math.min(height - 1, Math.max(0, yy)) * width + Math.min(width - 1, Math.max(0, xx))
        ] as number;
      const hx =
        (h(height1, x + 1, y) - h(height1, x - 1, y)) * 0.6 +
        (h(height2, x + 1, y) - h(height2, x - 1, y)) * 0.4;
      const hy =
        (h(height1, x, y + 1) - h(height1, x, y - 1)) * 0.6 +
        (h(height2, x, y + 1) - h(height2, x, y - 1)) * 0.4;
      const gx = -hx * depth * 0.5;
      const gy = -hy * depth * 0.5;
      const length = Math.hypot(gx, gy, 1);
      nx[i] = gx / length;
      ny[i] = gy / length;
      nz[i] = -1 / length;
    }
  }
  // The face: the mesh's normals, rasterised with barycentric interpolation, feathered into the body's.
  let normals = vertexNormals(face.mesh, triangles);
  if (normals.reduce((s, n) => s + n[2], 0) > 0) normals = normals.map(([a, b, c]) => [-a, -b, -c]);
  const faceWeight = new Float32Array(size);
  const fnx = new Float32Array(size);
  const fny = new Float32Array(size);
  const fnz = new Float32Array(size);
  for (let t = 0; t + 2 < triangles.length; t += 3) {
    const ids = [triangles[t] ?? 0, triangles[t + 1] ?? 0, triangles[t + 2] ?? 0];
    const p = ids.map((k) => face.mesh[k] ?? ([0, 0, 0] as const));
    const [p0, p1, p2] = p.map(([px, py]) => [px * scale, py * scale] as const) as [
      readonly [number, number],
      readonly [number, number],
      readonly [number, number],
    ];
    const det = (p1[1] - p2[1]) * (p0[0] - p2[0]) + (p2[0] - p1[0]) * (p0[1] - p2[1]);
    if (Math.abs(det) < 1e-9) continue;
    const n = ids.map((k) => normals[k] ?? [0, 0, -1]);
    for (
      let y = Math.max(0, Math.floor(Math.min(p0[1], p1[1], p2[1])));
      y <= Math.min(height - 1, Math.ceil(Math.max(p0[1], p1[1], p2[1])));
      y++
    ) {
      for (
        let x = Math.max(0, Math.floor(Math.min(p0[0], p1[0], p2[0])));
        x <= Math.min(width - 1, Math.ceil(Math.max(p0[0], p1[0], p2[0])));
        x++
      ) {
        const w0 = ((p1[1] - p2[1]) * (x - p2[0]) + (p2[0] - p1[0]) * (y - p2[1])) / det;
        const w1 = ((p2[1] - p0[1]) * (x - p2[0]) + (p0[0] - p2[0]) * (y - p2[1])) / det;
        const w2 = 1 - w0 - w1;
        if (w0 < -0.01 || w1 < -0.01 || w2 < -0.01) continue;
        const i = y * width + x;
        fnx[i] = w0 * (n[0]?.[0] ?? 0) + w1 * (n[1]?.[0] ?? 0) + w2 * (n[2]?.[0] ?? 0);
        fny[i] = w0 * (n[0]?.[1] ?? 0) + w1 * (n[1]?.[1] ?? 0) + w2 * (n[2]?.[1] ?? 0);
        fnz[i] = w0 * (n[0]?.[2] ?? 0) + w1 * (n[1]?.[2] ?? 0) + w2 * (n[2]?.[2] ?? 0);
        faceWeight[i] = 1;
      }
    }
  }
  boxBlur(faceWeight, width, height, Math.max(1, Math.round(width / 96)), 2);
  for (let i = 0; i < size; i++) {
    const w = faceWeight[i] as number;
    if (w <= 0) continue;
    const fl = Math.hypot(fnx[i] as number, fny[i] as number, fnz[i] as number) || 1;
    const x = (nx[i] as number) * (1 - w) + ((fnx[i] as number) / fl) * w;
    const y = (ny[i] as number) * (1 - w) + ((fny[i] as number) / fl) * w;
    const z = (nz[i] as number) * (1 - w) + ((fnz[i] as number) / fl) * w;
    const l = Math.hypot(x, y, z) || 1;
    nx[i] = x / l;
    ny[i] = y / l;
    nz[i] = z / l;
  }
  return { nx, ny, nz, person };
}

/** Options of relight. */
export interface RelightOptions {
  /** The face mesh's triangulation (VisionRuntime.triangulation). */
  readonly triangles: readonly number[];
  /** 0 leaves the photo as it is, 1 applies the rig fully. */
  readonly intensity?: number;
  readonly faceIndex?: number;
}

/**
 * Re-shades the person in the photo with `target`, at full resolution. The background is left as
 * it was; the person mask's soft edge blends the two, so no seam appears.
 */
export function relight(
  image: RgbImage,
  blueprint: Blueprint,
  mask: PersonMask,
  target: RelightTarget,
  options: RelightOptions,
): RgbImage {
  const intensity = options.intensity ?? 1;
  if (!(intensity >= 0 && intensity <= 1)) {
    throw new PortraitistError('USAGE', `intensity out of range`, {
      issues: [
        {
          path: 'intensity',
          message: `expected a number from 0 to 1 for \`intensity\` but received ${intensity}`,
        },
      ],
    });
  }
  const face = blueprint.faces[options.faceIndex ?? blueprint.faceIndex ?? 0];
  if (face === undefined || blueprint.light === null) {
    throw new PortraitistError(
      'USAGE',
      `${blueprint.source}: relighting needs a face to read the light from`,
      {
        issues: [
          { path: 'face', message: 'expected a photo with a face for `face` but received none' },
        ],
      },
    );
  }
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new PortraitistError('USAGE', 'the person mask does not match the photo', {
      issues: [
        {
          path: 'mask',
          message: `expected a ${image.width}×${image.height} mask for \`mask\` but received ${mask.width}×${mask.height}`,
        },
      ],
    });
  }
  const scale = Math.min(1, FIELD_SIDE / Math.max(image.width, image.height));
  const width = Math.max(2, Math.round(image.width * scale));
  const height = Math.max(2, Math.round(image.height * scale));
  const triangles = options.triangles;
  if (triangles.length < 3) {
    throw new PortraitistError('USAGE', 'relighting needs the face mesh triangulation', {
      issues: [
        {
          path: 'triangles',
          message: `expected the runtime's triangulation for \`triangles\` but received ${triangles.length} indices`,
        },
      ],
    });
  }
  const { nx, ny, nz, person } = normalField(mask, face, triangles, scale, width, height);

  const oldLight = cameraDirection(face, blueprint.light.azimuth, blueprint.light.elevation);
  const newLight = cameraDirection(face, target.azimuth, target.elevation);
  const rimLight = cameraDirection(face, target.azimuth >= 0 ? 140 : -140, 15);
  const oldAmbient = Math.max(1e-3, blueprint.light.model.ambient);
  const oldGain = Math.max(0, blueprint.light.model.gain);
  // New key and fill: key:fill = (ambient + gain) / ambient; the same total light as before.
  const ratio = Math.max(1.05, target.fillRatio);
  const total = oldAmbient + oldGain;
  const newAmbient = total / ratio;
  const newGain = total - newAmbient;
  const wrap = Math.min(0.9, Math.max(0, target.softness) * 0.9);
  const [kr, kg, kb] = kelvinGains(target.colorTemperature);
  const [or, og, ob] = kelvinGains(blueprint.light.colorTemperature);
  // Per-channel ratio fields at working resolution: new shading over old shading.
  const ratioR = new Float32Array(width * height);
  const ratioG = new Float32Array(width * height);
  const ratioB = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const n0 = nx[i] as number;
    const n1 = ny[i] as number;
    const n2 = nz[i] as number;
    const oldShade =
      oldAmbient + oldGain * Math.max(0, n0 * oldLight[0] + n1 * oldLight[1] + n2 * oldLight[2]);
    const lambert = (n0 * newLight[0] + n1 * newLight[1] + n2 * newLight[2] + wrap) / (1 + wrap);
    const key = newGain * Math.max(0, lambert);
    const rim = target.rim
      ? 0.6 * total * Math.max(0, n0 * rimLight[0] + n1 * rimLight[1] + n2 * rimLight[2]) ** 2
      : 0;
    const p = person[i] as number;
    const base = Math.max(0.02, oldShade);
    // White-balance the key's colour against the photo's own light; fill keeps the old colour.
    const r = (newAmbient + (key + rim) * (kr / or)) / base;
    const g = (newAmbient + (key + rim) * (kg / og)) / base;
    const b = (newAmbient + (key + rim) * (kb / ob)) / base;
    const mix = p * intensity;
    ratioR[i] = 1 + (Math.min(4, Math.max(0.1, r)) - 1) * mix;
    ratioG[i] = 1 + (Math.min(4, Math.max(0.1, g)) - 1) * mix;
    ratioB[i] = 1 + (Math.min(4, Math.max(0.1, b)) - 1) * mix;
  }
  // Full resolution: multiply in linear light by the upsampled ratios.
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = srgbToLinear(v);
  const encode = new Uint8Array(4097);
  for (let v = 0; v <= 4096; v++) encode[v] = Math.round(linearToSrgb(v / 4096));
  const out = new Uint8Array(image.data.length);
  const { data } = image;
  // Bilinear upsampling, separably: the horizontal weights are computed once per column, and each
  // output row blends two pre-interpolated field rows, so a pixel costs a few loads and lerps.
  const x0s = new Int32Array(image.width);
  const x1s = new Int32Array(image.width);
  const txs = new Float32Array(image.width);
  for (let x = 0; x < image.width; x++) {
    const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * scale - 0.5));
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(width - 1, (x0s[x] as number) + 1);
    txs[x] = fx - (x0s[x] as number);
  }
  const rows = [new Float32Array(image.width * 3), new Float32Array(image.width * 3)];
  const fillRow = (target: Float32Array, fieldRow: number) => {
    const base = fieldRow * width;
    for (let x = 0; x < image.width; x++) {
      const a0 = base + (x0s[x] as number);
      const a1 = base + (x1s[x] as number);
      const t = txs[x] as number;
      target[x * 3] =
        (ratioR[a0] as number) + ((ratioR[a1] as number) - (ratioR[a0] as number)) * t;
      target[x * 3 + 1] =
        (ratioG[a0] as number) + ((ratioG[a1] as number) - (ratioG[a0] as number)) * t;
      target[x * 3 + 2] =
        (ratioB[a0] as number) + ((ratioB[a1] as number) - (ratioB[a0] as number)) * t;
    }
  };
  let cachedTop = -1;
  let cachedBottom = -1;
  for (let y = 0; y < image.height; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * scale - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(height - 1, y0 + 1);
    const ty = fy - y0;
    if (y0 !== cachedTop) {
      if (y0 === cachedBottom) {
        rows.reverse();
      } else fillRow(rows[0] as Float32Array, y0);
      cachedTop = y0;
      cachedBottom = -1;
    }
    if (y1 !== cachedBottom) {
      fillRow(rows[1] as Float32Array, y1);
      cachedBottom = y1;
    }
    const top = rows[0] as Float32Array;
    const bottom = rows[1] as Float32Array;
    let i = y * image.width * 3;
    for (let k = 0; k < image.width * 3; k++, i++) {
      const ratio = (top[k] as number) + ((bottom[k] as number) - (top[k] as number)) * ty;
      const value = (lut[data[i] as number] as number) * ratio;
      out[i] = encode[value >= 1 ? 4096 : Math.round(value * 4096)] as number;
    }
  }
  return { ...image, data: out, source: `${image.source} relit` };
}
