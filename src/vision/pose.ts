// Head pose and gaze from the 3D face mesh, and posture from body keypoints — in the brief's
// sign conventions (see types.ts), computed here rather than taken from the detector so the
// conventions are ours and testable (mirror the photo: yaw and roll change sign).
import { landmarks as L, eyeLineAngle, faceHeight, point, uprightMesh } from './mesh.js';
import type { Box, Gaze, HeadPose, Keypoint, MeshPoint, PostureReading } from './types.js';

type Vec3 = [number, number, number];
const sub = (a: readonly number[], b: readonly number[]): Vec3 => [
  (a[0] ?? 0) - (b[0] ?? 0),
  (a[1] ?? 0) - (b[1] ?? 0),
  (a[2] ?? 0) - (b[2] ?? 0),
];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const unit = (v: Vec3): Vec3 => {
  const length = Math.hypot(...v) || 1;
  return [v[0] / length, v[1] / length, v[2] / length];
};
export const dot = (a: readonly number[], b: readonly number[]): number =>
  (a[0] ?? 0) * (b[0] ?? 0) + (a[1] ?? 0) * (b[1] ?? 0) + (a[2] ?? 0) * (b[2] ?? 0);
const degrees = (radians: number): number => (radians * 180) / Math.PI;
const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * The face's own axes in camera coordinates (x right, y down, z away from the camera):
 * `right` toward the subject's left cheek, `up` toward the forehead, `forward` out of the face
 * toward the camera.
 */
export interface FaceFrame {
  readonly right: Vec3;
  readonly up: Vec3;
  readonly forward: Vec3;
}

export function faceFrame(mesh: readonly MeshPoint[]): FaceFrame {
  const across = unit(sub(point(mesh, L.leftCheek), point(mesh, L.rightCheek)));
  const upward = sub(point(mesh, L.foreheadTop), point(mesh, L.chin));
  // Gram–Schmidt keeps the frame orthonormal when the mesh is slightly skewed.
  const upOrtho = unit(
    sub(
      upward,
      across.map((c) => c * dot(upward, across)),
    ),
  );
  const forward = unit(cross(across, upOrtho));
  return { right: across, up: upOrtho, forward };
}

/** Head pose in degrees, brief conventions. */
export function headPose(mesh: readonly MeshPoint[]): HeadPose {
  const { forward: camera } = faceFrame(mesh);
  const rollRadians = -eyeLineAngle(mesh);
  // Yaw and pitch are the head's own turn and nod: undo the roll in the image plane first
  // (turn the forward vector clockwise on screen by the roll), so a photo lying on its side
  // reads the same yaw and pitch as the upright one.
  const cos = Math.cos(rollRadians);
  const sin = Math.sin(rollRadians);
  const forward: Vec3 = [
    camera[0] * cos - camera[1] * sin,
    camera[0] * sin + camera[1] * cos,
    camera[2],
  ];
  // A frontal face looks along −z; turning toward the subject's left points it to +x (image right).
  const yaw = degrees(Math.atan2(forward[0], -forward[2]));
  const pitch = degrees(Math.atan2(-forward[1], Math.hypot(forward[0], forward[2])));
  const roll = degrees(rollRadians);
  return { yaw: round1(yaw), pitch: round1(pitch), roll: round1(roll) };
}

/** Lid opening over eye width of a gaze looking level at the camera, and its span to full scale. */
export const gazeCalibration = { openLids: 0.36, span: 0.12 } as const;

function eyeOpening(p: (index: number) => MeshPoint, side: 'right' | 'left'): number {
  const [outer, inner, upper, lower] =
    side === 'right'
      ? [L.rightEyeOuter, L.rightEyeInner, L.rightEyeUpper, L.rightEyeLower]
      : [L.leftEyeOuter, L.leftEyeInner, L.leftEyeUpper, L.leftEyeLower];
  return Math.abs(p(lower)[1] - p(upper)[1]) / (Math.abs(p(inner)[0] - p(outer)[0]) || 1);
}

/** Gaze: left and right from where the irises sit between the eye corners plus the head's turn; up and down from the lids and the head's nod. */
export function measureGaze(mesh: readonly MeshPoint[], pose: HeadPose): Gaze {
  const upright = uprightMesh(mesh);
  const p = (i: number) => point(upright, i);
  const eye = (outer: number, inner: number, upper: number, lower: number, iris: number) => {
    const left = Math.min(p(outer)[0], p(inner)[0]);
    const right = Math.max(p(outer)[0], p(inner)[0]);
    const half = (right - left) / 2 || 1;
    const horizontal = (p(iris)[0] - (left + right) / 2) / half;
    const top = p(upper)[1];
    const bottom = p(lower)[1];
    const halfHeight = Math.abs(bottom - top) / 2 || 1;
    const vertical = -(p(iris)[1] - (top + bottom) / 2) / halfHeight;
    return { horizontal, vertical };
  };
  const right = eye(
    L.rightEyeOuter,
    L.rightEyeInner,
    L.rightEyeUpper,
    L.rightEyeLower,
    L.rightIrisCentre,
  );
  const left = eye(
    L.leftEyeOuter,
    L.leftEyeInner,
    L.leftEyeUpper,
    L.leftEyeLower,
    L.leftIrisCentre,
  );
  // Image right is the subject's left: the iris offset plus the head's own turn (60° ≈ full scale).
  const horizontal = Math.max(
    -1,
    Math.min(1, (right.horizontal + left.horizontal) / 2 + pose.yaw / 60),
  );
  // Up and down come from the lids, not the iris: looking down lowers the upper lid over the
  // iris, so the iris's place between the lids reads "up" on a downcast face (measured on the
  // truth faces: lowered lids open 0.15–0.28 of the eye width, eyes at the camera 0.32–0.43).
  // A turned head foreshortens the eyes' width, not their height.
  const foreshortening = Math.max(0.5, Math.cos((pose.yaw * Math.PI) / 180));
  const aperture = ((eyeOpening(p, 'right') + eyeOpening(p, 'left')) / 2) * foreshortening;
  const lids = Math.max(
    -1,
    Math.min(1, (aperture - gazeCalibration.openLids) / gazeCalibration.span),
  );
  const vertical = Math.max(-1, Math.min(1, 0.6 * lids + pose.pitch / 60));
  const label: Gaze['label'] =
    vertical < -0.45
      ? 'down'
      : vertical > 0.55
        ? 'up'
        : horizontal > 0.35
          ? 'off-camera-right'
          : horizontal < -0.35
            ? 'off-camera-left'
            : 'camera';
  return {
    horizontal: Math.round(horizontal * 100) / 100,
    vertical: Math.round(vertical * 100) / 100,
    label,
  };
}

const MIN_SCORE = 0.3;

/**
 * Posture from body keypoints and the head pose. Shoulder angle to the camera comes from the
 * foreshortening of the shoulder line against the face width: square-on shoulders measure about
 * 2.4 face widths between MoveNet's shoulder points (adult proportions, biacromial ≈ 2.8× bizygomatic,
 * keypoints sit inside the shoulder edge), so a narrower line means a turned body.
 */
export function measurePosture(
  keypoints: readonly Keypoint[],
  pose: HeadPose,
  face: { box: Box; mesh: readonly MeshPoint[] } | null,
): PostureReading {
  const k = (part: string): Keypoint | undefined =>
    keypoints.find((p) => p.part === part && p.score >= MIN_SCORE);
  const rightShoulder = k('rightShoulder');
  const leftShoulder = k('leftShoulder');
  const faceWidth =
    face === null
      ? undefined
      : Math.hypot(
          point(face.mesh, L.leftCheek)[0] - point(face.mesh, L.rightCheek)[0],
          point(face.mesh, L.leftCheek)[1] - point(face.mesh, L.rightCheek)[1],
        ) / Math.max(0.3, Math.cos((pose.yaw * Math.PI) / 180));
  let shoulderAngle: number | null = null;
  let shoulderTilt: number | null = null;
  if (rightShoulder && leftShoulder) {
    const width = Math.hypot(leftShoulder.x - rightShoulder.x, leftShoulder.y - rightShoulder.y);
    if (faceWidth !== undefined && faceWidth > 0) {
      const ratio = Math.min(1, width / (2.4 * faceWidth));
      shoulderAngle = round1(degrees(Math.acos(ratio)));
    }
    // Subject's left shoulder higher (smaller y) gives a positive tilt.
    shoulderTilt = round1(
      degrees(
        Math.atan2(
          rightShoulder.y - leftShoulder.y,
          Math.abs(leftShoulder.x - rightShoulder.x) || 1,
        ),
      ),
    );
  }
  const rightHip = k('rightHip');
  const leftHip = k('leftHip');
  let lean: number | null = null;
  if (rightShoulder && leftShoulder && rightHip && leftHip) {
    const sx = (rightShoulder.x + leftShoulder.x) / 2;
    const sy = (rightShoulder.y + leftShoulder.y) / 2;
    const hx = (rightHip.x + leftHip.x) / 2;
    const hy = (rightHip.y + leftHip.y) / 2;
    // Shoulders right of the hips in the image = leaning toward the subject's left.
    lean = round1(degrees(Math.atan2(sx - hx, hy - sy)));
  }
  const wrists = [k('rightWrist'), k('leftWrist')].filter((w): w is Keypoint => w !== undefined);
  const shoulderY =
    rightShoulder && leftShoulder ? (rightShoulder.y + leftShoulder.y) / 2 : undefined;
  const handsRaised = shoulderY === undefined ? 0 : wrists.filter((w) => w.y < shoulderY).length;
  const centre =
    face === null
      ? undefined
      : { x: face.box.x + face.box.width / 2, y: face.box.y + face.box.height / 2 };
  const reach = face === null ? 0 : faceHeight(face.mesh) * 1.1;
  const handNearFace =
    centre !== undefined && wrists.some((w) => Math.hypot(w.x - centre.x, w.y - centre.y) < reach);
  const knees = [k('rightKnee'), k('leftKnee')].filter((p): p is Keypoint => p !== undefined);
  let stance: PostureReading['stance'] = 'unknown';
  if (rightHip && leftHip && knees.length > 0 && shoulderY !== undefined) {
    const hipY = (rightHip.y + leftHip.y) / 2;
    const torso = Math.max(1, hipY - shoulderY);
    const kneeDrop = knees.reduce((sum, p) => sum + (p.y - hipY), 0) / knees.length;
    // Standing thighs hang down (knees ≈ 0.8 torso below the hips); seated thighs run level.
    stance = kneeDrop / torso < 0.35 ? 'seated' : 'standing';
  }
  return {
    shoulderAngle,
    shoulderTilt,
    headTilt: pose.roll,
    headTurn: pose.yaw,
    lean,
    handsVisible: wrists.length,
    handsRaised,
    handNearFace,
    stance,
  };
}
