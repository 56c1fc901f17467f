// Landmark indices of the 468-point face mesh (+10 iris points) and geometry helpers on it.
// "Right"/"left" are the subject's: the subject's right eye appears on the image's left.
import type { MeshPoint } from './types.js';

/** Named landmarks used by the measurements. */
export const landmarks = {
  foreheadTop: 10,
  chin: 152,
  noseTip: 1,
  noseBridge: 168,
  mouthCornerRight: 61,
  mouthCornerLeft: 291,
  upperLipInner: 13,
  lowerLipInner: 14,
  upperLipOuter: 0,
  lowerLipOuter: 17,
  rightEyeOuter: 33,
  rightEyeInner: 133,
  rightEyeUpper: 159,
  rightEyeLower: 145,
  leftEyeOuter: 263,
  leftEyeInner: 362,
  leftEyeUpper: 386,
  leftEyeLower: 374,
  rightBrowInner: 55,
  rightBrowMiddle: 105,
  rightBrowOuter: 46,
  leftBrowInner: 285,
  leftBrowMiddle: 334,
  leftBrowOuter: 276,
  rightCheek: 234,
  leftCheek: 454,
  // Human appends the subject's left iris first (468–472), then the right (473–477): checked on
  // the fixtures, 468 sits within 5 px of the left eye's corners' midpoint.
  rightIrisCentre: 473,
  leftIrisCentre: 468,
} as const;

/** Closed or open contours of the mesh, for drawing. */
export const meshContours: Readonly<Record<string, readonly number[]>> = {
  silhouette: [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10,
  ],
  lipsOuter: [
    61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146, 61,
  ],
  lipsInner: [
    78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95, 78,
  ],
  rightEye: [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7, 33],
  leftEye: [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249, 263],
  rightBrow: [46, 53, 52, 65, 55, 107, 66, 105, 63, 70],
  leftBrow: [276, 283, 282, 295, 285, 336, 296, 334, 293, 300],
  noseBridge: [168, 6, 197, 195, 5, 4, 1],
};

/** Mesh vertices that are skin on the cheeks, forehead and nose (no eyes, brows, lips or hair line). */
export const skinRegions: Readonly<
  Record<'forehead' | 'rightCheek' | 'leftCheek' | 'nose' | 'chin', readonly number[]>
> = {
  // The lower forehead only: toward the hairline a fringe or hair bow would count as texture.
  forehead: [9, 107, 66, 69, 108, 151, 337, 299, 296, 336],
  rightCheek: [50, 101, 36, 205, 187, 123, 116, 117, 118, 119, 100, 126, 142, 203, 206, 207, 147],
  leftCheek: [280, 330, 266, 425, 411, 352, 345, 346, 347, 348, 329, 355, 371, 423, 426, 427, 376],
  nose: [4, 5, 195, 197, 6, 45, 275, 51, 281, 3, 248, 44, 274],
  chin: [152, 148, 377, 199, 175, 200, 428, 208, 32, 262, 18, 83, 313],
};

/** The point at an index, or the origin (meshes always hold 478 points; this keeps types honest). */
export function point(mesh: readonly MeshPoint[], index: number): MeshPoint {
  return mesh[index] ?? [0, 0, 0];
}

export const distance2d = (a: MeshPoint, b: MeshPoint): number =>
  Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Face height: forehead top to chin, in pixels. Robust to yaw, the unit expression ratios use. */
export function faceHeight(mesh: readonly MeshPoint[]): number {
  return distance2d(point(mesh, landmarks.foreheadTop), point(mesh, landmarks.chin));
}

/** The roll of the eye line in the image, radians (positive = clockwise, image y down). */
export function eyeLineAngle(mesh: readonly MeshPoint[]): number {
  const right = point(mesh, landmarks.rightEyeOuter);
  const left = point(mesh, landmarks.leftEyeOuter);
  return Math.atan2(left[1] - right[1], left[0] - right[0]);
}

/**
 * Points in the face's upright frame: the eye line made horizontal around the midpoint between
 * the eyes, so "up" means toward the forehead whatever the head's roll.
 */
export function uprightMesh(mesh: readonly MeshPoint[]): MeshPoint[] {
  const angle = -eyeLineAngle(mesh);
  const right = point(mesh, landmarks.rightEyeOuter);
  const left = point(mesh, landmarks.leftEyeOuter);
  const cx = (right[0] + left[0]) / 2;
  const cy = (right[1] + left[1]) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return mesh.map(([x, y, z]) => {
    const dx = x - cx;
    const dy = y - cy;
    return [dx * cos - dy * sin, dx * sin + dy * cos, z] as const;
  });
}

/** Per-vertex unit normals of the face mesh from its triangulation (camera frame: x right, y down, z toward the viewer negative). */
export function vertexNormals(
  mesh: readonly MeshPoint[],
  triangles: readonly number[],
): Array<[number, number, number]> {
  const normals = Array.from({ length: mesh.length }, () => [0, 0, 0] as [number, number, number]);
  for (let i = 0; i + 2 < triangles.length; i += 3) {
    const ia = triangles[i] ?? 0;
    const ib = triangles[i + 1] ?? 0;
    const ic = triangles[i + 2] ?? 0;
    const a = point(mesh, ia);
    const b = point(mesh, ib);
    const c = point(mesh, ic);
    const ux = b[0] - a[0];
    const uy = b[1] - a[1];
    const uz = b[2] - a[2];
    const vx = c[0] - a[0];
    const vy = c[1] - a[1];
    const vz = c[2] - a[2];
    // Area-weighted face normal.
    const nx = uy * vz - uz * vy;
    const ny = uz * vx - ux * vz;
    const nz = ux * vy - uy * vx;
    for (const index of [ia, ib, ic]) {
      const n = normals[index];
      if (n === undefined) continue;
      n[0] += nx;
      n[1] += ny;
      n[2] += nz;
    }
  }
  return normals.map(([x, y, z]) => {
    const length = Math.hypot(x, y, z) || 1;
    return [x / length, y / length, z / length];
  });
}
