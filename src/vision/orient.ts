// Any roll of the head: the face detector and mesh are trained on upright faces, and on a photo
// turned 90° or 180° without EXIF they fit a mesh that looks plausible but sits on the wrong
// features (the lip contour on the forehead). The photo is read on quarter-turned copies where
// the first reading is doubtful, and the copy whose face is upright and best explained by the
// mesh wins; its detections are mapped back to the photo's own pixels.
import type { RgbImage } from '../image/index.js';
import { eyeLineAngle } from './mesh.js';
import type { RawDetection, RawFace } from './runtime.js';
import type { Box, MeshPoint } from './types.js';

/** Clockwise quarter turns of the photo under which the face was read (0 = as given). */
export type QuarterTurns = 0 | 1 | 2 | 3;

/** The photo turned clockwise by `turns` quarter turns, pixel for pixel (lossless). */
export function rotateQuarterTurns(image: RgbImage, turns: QuarterTurns): RgbImage {
  if (turns === 0) return image;
  const { width, height, data } = image;
  const outWidth = turns === 2 ? width : height;
  const outHeight = turns === 2 ? height : width;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [nx, ny] =
        turns === 1
          ? [height - 1 - y, x]
          : turns === 2
            ? [width - 1 - x, height - 1 - y]
            : [y, width - 1 - x];
      const from = (y * width + x) * 3;
      const to = (ny * outWidth + nx) * 3;
      out[to] = data[from] as number;
      out[to + 1] = data[from + 1] as number;
      out[to + 2] = data[from + 2] as number;
    }
  }
  return { ...image, width: outWidth, height: outHeight, data: out };
}

/**
 * Maps a point of the copy turned by `turns` back to the original photo (continuous pixel
 * coordinates; `width` and `height` are the original's).
 */
export function unrotatePoint(
  x: number,
  y: number,
  turns: QuarterTurns,
  width: number,
  height: number,
): [number, number] {
  switch (turns) {
    case 0:
      return [x, y];
    case 1:
      return [y, height - x];
    case 2:
      return [width - x, height - y];
    case 3:
      return [width - y, x];
  }
}

function unrotateBox(box: Box, turns: QuarterTurns, width: number, height: number): Box {
  if (turns === 0) return box;
  const corners = [
    unrotatePoint(box.x, box.y, turns, width, height),
    unrotatePoint(box.x + box.width, box.y + box.height, turns, width, height),
  ];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  return {
    x: Math.min(...xs),
    y: Math.min(...ys),
    width: Math.abs((xs[1] ?? 0) - (xs[0] ?? 0)),
    height: Math.abs((ys[1] ?? 0) - (ys[0] ?? 0)),
  };
}

/** A detection made on a turned copy, in the original photo's pixels. */
export function unrotateDetection(
  detection: RawDetection,
  turns: QuarterTurns,
  width: number,
  height: number,
): RawDetection {
  if (turns === 0) return detection;
  return {
    faces: detection.faces.map((face) => ({
      ...face,
      box: unrotateBox(face.box, turns, width, height),
      mesh: face.mesh.map(([x, y, z]): MeshPoint => {
        const [ox, oy] = unrotatePoint(x, y, turns, width, height);
        return [ox, oy, z];
      }),
    })),
    bodies: detection.bodies.map((body) => ({
      ...body,
      box: unrotateBox(body.box, turns, width, height),
      keypoints: body.keypoints.map((k) => {
        const [x, y] = unrotatePoint(k.x, k.y, turns, width, height);
        return { ...k, x, y };
      }),
    })),
  };
}

/** The largest face of a detection. */
export function mainFace(detection: RawDetection): RawFace | undefined {
  return [...detection.faces].sort(
    (a, b) => b.box.width * b.box.height - a.box.width * a.box.height,
  )[0];
}

/** The head's roll in the frame it was detected in, degrees (0 upright, ±180 upside down). */
export function meshRoll(mesh: readonly MeshPoint[]): number {
  return (-eyeLineAngle(mesh) * 180) / Math.PI;
}

/** Clockwise quarter turns that bring a head rolled by `roll` degrees upright. */
export function turnsToUpright(roll: number): QuarterTurns {
  // Roll is counter-clockwise on screen: undo it by turning the photo clockwise.
  return (((Math.round(roll / 90) % 4) + 4) % 4) as QuarterTurns;
}
