// Drawings of a Blueprint: an annotated overlay for the artist to check what was read off a photo,
// and the OpenPose skeleton image that pose ControlNets take as their control input.
// Everything is drawn as one SVG string that sharp (librsvg) renders, so no canvas dependency.
import sharp from 'sharp';
import { rgbToHex, type RgbImage } from '../image/index.js';
import { landmarks, meshContours } from './mesh.js';
import type {
  Blueprint,
  Box,
  FaceReading,
  HeadPose,
  Keypoint,
  LightReading,
  Swatch,
} from './types.js';

/** A point in output pixels. */
interface Point2 {
  readonly x: number;
  readonly y: number;
}

/** The output canvas: its size, the scale from blueprint pixels, and the size unit strokes and text scale with. */
interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly scaleX: number;
  readonly scaleY: number;
  /** 1 at a 1600 px longest side; floored so a small output stays legible. */
  readonly unit: number;
}

/** Keypoints below this score are treated as not seen (MoveNet's own usual cut-off). */
const minKeypointScore = 0.3;

/** The colours of the overlay; the light arrow's colour is used nowhere else so it can be found. */
const overlayColours = {
  grid: '#ffffff',
  selectedFace: '#00e5ff',
  otherFace: '#ffffff',
  meshDot: '#ffffff',
  eyesAndBrows: '#9dff5c',
  lips: '#ff6fa5',
  iris: '#ff4fd8',
  axisX: '#ff2d2d',
  axisY: '#2ecc40',
  axisZ: '#1e90ff',
  bodyLeft: '#64d2ff',
  bodyRight: '#ff9f0a',
  bodyCentre: '#f5f5f5',
  lightArrow: '#ffcc00',
} as const;

// ---------------------------------------------------------------------------------------------
// Overlay

/** Renders the photo, scaled to fit `maxSize`, with the blueprint drawn over it: thirds, faces, mesh, head pose, body, light, palette and a legend. */
export async function drawOverlay(
  image: RgbImage,
  blueprint: Blueprint,
  options: { maxSize?: number } = {},
): Promise<Buffer> {
  const maxSize = options.maxSize ?? 1600;
  if (!Number.isFinite(maxSize) || maxSize < 1) {
    throw new RangeError(`maxSize must be a positive number of pixels, received ${maxSize}`);
  }
  // Fit means shrink only: enlarging a small photo would only blur it.
  const fit = Math.min(1, maxSize / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * fit));
  const height = Math.max(1, Math.round(image.height * fit));
  // Blueprint coordinates are in the blueprint's image size, which may differ from this copy's.
  const sourceWidth = blueprint.image.width > 0 ? blueprint.image.width : image.width;
  const sourceHeight = blueprint.image.height > 0 ? blueprint.image.height : image.height;
  const canvas: Canvas = {
    width,
    height,
    scaleX: width / sourceWidth,
    scaleY: height / sourceHeight,
    unit: Math.max(Math.max(width, height) / 1600, 0.5),
  };
  const svg = overlaySvg(blueprint, canvas);
  const pixels = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return sharp(pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/** The whole overlay as one SVG document the size of the output. */
function overlaySvg(blueprint: Blueprint, canvas: Canvas): string {
  const selected = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  const parts: string[] = [thirdsGrid(canvas)];
  if (blueprint.body !== null) parts.push(bodySkeleton(blueprint.body.keypoints, canvas));
  // The selected face last, so its emphasis sits on top of any overlapping face.
  blueprint.faces.forEach((face, index) => {
    if (index !== blueprint.faceIndex) parts.push(faceDrawing(face, false, canvas));
  });
  if (selected !== undefined) parts.push(faceDrawing(selected, true, canvas));
  const defs: string[] = [];
  if (blueprint.light !== null) {
    // No arrow for a key whose direction could not be measured.
    if (blueprint.readings.lightDirection.status === 'measured')
      parts.push(lightArrow(blueprint.light, selected, canvas));
    const sphere = lightSphere(
      blueprint.light,
      canvas,
      blueprint.readings.lightDirection.status !== 'measured',
    );
    defs.push(sphere.defs);
    parts.push(sphere.body);
  }
  parts.push(paletteBar(blueprint.palette.frame, canvas));
  parts.push(legend(blueprint, selected, canvas));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}" viewBox="0 0 ${canvas.width} ${canvas.height}" font-family="sans-serif">`,
    `<defs>${defs.join('')}</defs>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

function thirdsGrid(canvas: Canvas): string {
  const { width, height } = canvas;
  const stroke = strokeWidth(1.5, canvas);
  const lines = [1, 2].flatMap((third) => [
    line({ x: (width * third) / 3, y: 0 }, { x: (width * third) / 3, y: height }),
    line({ x: 0, y: (height * third) / 3 }, { x: width, y: (height * third) / 3 }),
  ]);
  return `<g stroke="${overlayColours.grid}" stroke-opacity="0.35" stroke-width="${stroke}" fill="none">${lines.join('')}</g>`;
}

/** A face: box, mesh dots, contours, iris centres and head-pose axes. */
function faceDrawing(face: FaceReading, isSelected: boolean, canvas: Canvas): string {
  const box = scaleBox(face.box, canvas);
  const parts: string[] = [];
  const boxStroke = strokeWidth(isSelected ? 3 : 1.5, canvas);
  parts.push(
    `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}" fill="none" ` +
      (isSelected
        ? `stroke="${overlayColours.selectedFace}" stroke-width="${boxStroke}"/>`
        : `stroke="${overlayColours.otherFace}" stroke-opacity="0.5" stroke-width="${boxStroke}" stroke-dasharray="${n(8 * canvas.unit)} ${n(6 * canvas.unit)}"/>`),
  );
  const meshPoints = face.mesh.map((p) => toCanvas(p[0], p[1], canvas));
  const dotRadius = n(Math.max(0.9 * canvas.unit, 0.6));
  const dots = meshPoints
    .filter(isFinitePoint)
    .map((p) => `<circle cx="${n(p.x)}" cy="${n(p.y)}" r="${dotRadius}"/>`);
  parts.push(
    `<g fill="${overlayColours.meshDot}" fill-opacity="${isSelected ? 0.6 : 0.35}">${dots.join('')}</g>`,
  );
  const contourOpacity = isSelected ? 0.9 : 0.45;
  const contourStroke = strokeWidth(1.6, canvas);
  for (const [name, indices] of Object.entries(meshContours)) {
    const path = polylinePath(indices.map((index) => meshPoints[index]));
    if (path === '') continue;
    parts.push(
      `<path d="${path}" fill="none" stroke="${contourColour(name)}" stroke-opacity="${contourOpacity}" stroke-width="${contourStroke}" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
  }
  for (const index of [landmarks.rightIrisCentre, landmarks.leftIrisCentre]) {
    const iris = meshPoints[index];
    if (iris === undefined || !isFinitePoint(iris)) continue;
    parts.push(
      `<circle cx="${n(iris.x)}" cy="${n(iris.y)}" r="${n(3.5 * canvas.unit)}" fill="none" stroke="${overlayColours.iris}" stroke-width="${strokeWidth(1.5, canvas)}"/>`,
      `<circle cx="${n(iris.x)}" cy="${n(iris.y)}" r="${n(Math.max(1.2 * canvas.unit, 0.8))}" fill="${overlayColours.iris}"/>`,
    );
  }
  const noseTip = meshPoints[landmarks.noseTip];
  const origin = noseTip !== undefined && isFinitePoint(noseTip) ? noseTip : boxCentre(box);
  parts.push(headPoseAxes(face.headPose, origin, 0.45 * box.height, isSelected, canvas));
  return `<g>${parts.join('')}</g>`;
}

function contourColour(name: string): string {
  if (name.startsWith('lips')) return overlayColours.lips;
  if (name.endsWith('Eye') || name.endsWith('Brow')) return overlayColours.eyesAndBrows;
  return overlayColours.selectedFace;
}

/**
 * Image-plane directions of the head's axes: x toward the subject's left (image right when
 * frontal), y up, z forward out of the face (toward the camera when frontal), each a unit 3D
 * vector projected orthographically (image y down).
 *
 * Conventions (types.ts HeadPose): yaw positive turns the face toward the subject's left, i.e.
 * the forward axis swings to the camera's right; pitch positive raises the chin, so the forward
 * axis tips up; roll positive tilts the head toward the subject's right shoulder, which turns the
 * triad counter-clockwise in the image. The rotations are applied
 * pitch, then yaw, then roll (R = Rroll · Ryaw · Rpitch), which is how an upright head turns.
 */
function headAxes(pose: HeadPose): { x: Point2; y: Point2; z: Point2 } {
  const pitch = radians(pose.pitch);
  const yaw = radians(pose.yaw);
  // Brief convention: positive roll is counter-clockwise on screen (image y down), so negate.
  const roll = -radians(pose.roll);
  type Vector = readonly [number, number, number];
  // Camera frame: x image right, y image down, z toward the viewer.
  const rotate = ([x0, y0, z0]: Vector): Point2 => {
    // Pitch about the camera's x axis: the forward axis (0,0,1) goes to (0, −sin, cos), i.e. up.
    const y1 = y0 * Math.cos(pitch) - z0 * Math.sin(pitch);
    const z1 = y0 * Math.sin(pitch) + z0 * Math.cos(pitch);
    // Yaw about the vertical: forward goes to (sin, 0, cos), i.e. toward the image's right.
    const x2 = x0 * Math.cos(yaw) + z1 * Math.sin(yaw);
    // Roll in the image plane; with y down a positive angle here is clockwise on screen.
    return {
      x: x2 * Math.cos(roll) - y1 * Math.sin(roll),
      y: x2 * Math.sin(roll) + y1 * Math.cos(roll),
    };
  };
  return { x: rotate([1, 0, 0]), y: rotate([0, -1, 0]), z: rotate([0, 0, 1]) };
}

function headPoseAxes(
  pose: HeadPose,
  origin: Point2,
  length: number,
  isSelected: boolean,
  canvas: Canvas,
): string {
  if (![pose.yaw, pose.pitch, pose.roll].every(Number.isFinite) || !(length > 0)) return '';
  const axes = headAxes(pose);
  const stroke = strokeWidth(isSelected ? 3.5 : 2, canvas);
  const tipRadius = n(2.2 * Number(stroke));
  const drawn = (
    [
      [axes.x, overlayColours.axisX],
      [axes.y, overlayColours.axisY],
      [axes.z, overlayColours.axisZ],
    ] as const
  ).map(([direction, colour]) => {
    const tip = { x: origin.x + direction.x * length, y: origin.y + direction.y * length };
    return (
      `<line x1="${n(origin.x)}" y1="${n(origin.y)}" x2="${n(tip.x)}" y2="${n(tip.y)}" stroke="${colour}" stroke-width="${stroke}" stroke-linecap="round"/>` +
      `<circle cx="${n(tip.x)}" cy="${n(tip.y)}" r="${tipRadius}" fill="${colour}"/>`
    );
  });
  return `<g opacity="${isSelected ? 1 : 0.6}">${drawn.join('')}</g>`;
}

/** MoveNet skeleton edges; the side decides the colour so left and right can be told apart. */
const bodyEdges: ReadonlyArray<readonly [string, string, 'left' | 'right' | 'centre']> = [
  ['nose', 'leftEye', 'left'],
  ['nose', 'rightEye', 'right'],
  ['leftEye', 'leftEar', 'left'],
  ['rightEye', 'rightEar', 'right'],
  ['leftShoulder', 'rightShoulder', 'centre'],
  ['leftShoulder', 'leftElbow', 'left'],
  ['leftElbow', 'leftWrist', 'left'],
  ['rightShoulder', 'rightElbow', 'right'],
  ['rightElbow', 'rightWrist', 'right'],
  ['leftShoulder', 'leftHip', 'left'],
  ['rightShoulder', 'rightHip', 'right'],
  ['leftHip', 'rightHip', 'centre'],
  ['leftHip', 'leftKnee', 'left'],
  ['leftKnee', 'leftAnkle', 'left'],
  ['rightHip', 'rightKnee', 'right'],
  ['rightKnee', 'rightAnkle', 'right'],
];

function bodySkeleton(keypoints: readonly Keypoint[], canvas: Canvas): string {
  const seen = new Map<string, Point2>();
  for (const keypoint of keypoints) {
    if (keypoint.score < minKeypointScore) continue;
    const p = toCanvas(keypoint.x, keypoint.y, canvas);
    if (isFinitePoint(p)) seen.set(keypoint.part, p);
  }
  const sideColour = {
    left: overlayColours.bodyLeft,
    right: overlayColours.bodyRight,
    centre: overlayColours.bodyCentre,
  };
  const stroke = strokeWidth(3, canvas);
  const bones = bodyEdges.flatMap(([from, to, side]) => {
    const a = seen.get(from);
    const b = seen.get(to);
    if (a === undefined || b === undefined) return [];
    return [
      `<line x1="${n(a.x)}" y1="${n(a.y)}" x2="${n(b.x)}" y2="${n(b.y)}" stroke="${sideColour[side]}" stroke-width="${stroke}" stroke-linecap="round" stroke-opacity="0.9"/>`,
    ];
  });
  const jointRadius = n(4 * canvas.unit);
  const joints = [...seen.values()].map(
    (p) => `<circle cx="${n(p.x)}" cy="${n(p.y)}" r="${jointRadius}"/>`,
  );
  return (
    `<g>${bones.join('')}</g>` +
    `<g fill="#ffffff" stroke="#202020" stroke-width="${strokeWidth(1.2, canvas)}">${joints.join('')}</g>`
  );
}

/**
 * Where the key light sits, seen from the face and projected on the image (y down): azimuth
 * positive is toward the subject's left, which is the camera's right; elevation positive is above.
 * The length shrinks toward 0 as the key moves onto the camera axis.
 */
function keyDirection(light: LightReading): Point2 {
  const azimuth = radians(light.azimuth);
  const elevation = radians(light.elevation);
  return { x: Math.sin(azimuth) * Math.cos(elevation), y: -Math.sin(elevation) };
}

/** An arrow from the key's side of the frame onto the face (or onto the frame's centre without one). */
function lightArrow(light: LightReading, face: FaceReading | undefined, canvas: Canvas): string {
  if (!Number.isFinite(light.azimuth) || !Number.isFinite(light.elevation)) return '';
  const box =
    face === undefined
      ? {
          x: canvas.width * 0.4,
          y: canvas.height * 0.4,
          width: canvas.width * 0.2,
          height: canvas.height * 0.2,
        }
      : scaleBox(face.box, canvas);
  const centre = boxCentre(box);
  const radius = Math.max(box.width, box.height) / 2;
  const colour = overlayColours.lightArrow;
  const stroke = Math.max(6 * canvas.unit, 2);
  const direction = keyDirection(light);
  const projected = Math.hypot(direction.x, direction.y);
  if (projected < 0.12) {
    // The key is on (or near) the camera axis: an arrow seen end-on, drawn as a crossed circle.
    const r = 16 * canvas.unit;
    const at = { x: box.x + box.width, y: box.y };
    const d = r * Math.SQRT1_2;
    return (
      `<g stroke="${colour}" stroke-width="${n(stroke / 2)}" fill="none">` +
      `<circle cx="${n(at.x)}" cy="${n(at.y)}" r="${n(r)}"/>` +
      line({ x: at.x - d, y: at.y - d }, { x: at.x + d, y: at.y + d }) +
      line({ x: at.x - d, y: at.y + d }, { x: at.x + d, y: at.y - d }) +
      `</g>`
    );
  }
  const unitX = direction.x / projected;
  const unitY = direction.y / projected;
  const tipDistance = radius * 1.05;
  // Keep the tail inside the frame when there is room, so the arrow's origin stays visible.
  const room = distanceToEdge(centre, { x: unitX, y: unitY }, canvas) - 4 * canvas.unit;
  const tailDistance = Math.max(tipDistance + radius * 0.6, Math.min(radius * 2.3, room));
  const tip = { x: centre.x + unitX * tipDistance, y: centre.y + unitY * tipDistance };
  const tail = { x: centre.x + unitX * tailDistance, y: centre.y + unitY * tailDistance };
  const headLength = stroke * 3.5;
  const headHalfWidth = stroke * 2;
  const neck = { x: tip.x + unitX * headLength, y: tip.y + unitY * headLength };
  const head = [
    tip,
    { x: neck.x - unitY * headHalfWidth, y: neck.y + unitX * headHalfWidth },
    { x: neck.x + unitY * headHalfWidth, y: neck.y - unitX * headHalfWidth },
  ];
  return (
    `<g>` +
    `<line x1="${n(tail.x)}" y1="${n(tail.y)}" x2="${n(neck.x)}" y2="${n(neck.y)}" stroke="${colour}" stroke-width="${n(stroke)}" stroke-linecap="round"/>` +
    `<polygon points="${head.map((p) => `${n(p.x)},${n(p.y)}`).join(' ')}" fill="${colour}"/>` +
    `</g>`
  );
}

/** A shaded sphere lit from the key's direction, with the key's angles and the fill ratio, in the top-right corner. */
function lightSphere(
  light: LightReading,
  canvas: Canvas,
  unsureKey: boolean,
): { defs: string; body: string } {
  const direction = keyDirection(light);
  const safe = (value: number) => (Number.isFinite(value) ? value : 0);
  // The highlight sits where the key's direction meets the sphere, seen from the camera.
  const focusX = 0.5 + 0.38 * safe(direction.x);
  const focusY = 0.5 + 0.38 * safe(direction.y);
  // The shadow side is as dark as the key:fill ratio says (a 1:1 light leaves no shadow).
  const fillRatio = Number.isFinite(light.fillRatio) && light.fillRatio > 0 ? light.fillRatio : 1;
  const shadowGrey = Math.round(235 * Math.min(1, Math.max(0.06, 1 / fillRatio)));
  const shadow = hexColour([shadowGrey, shadowGrey, shadowGrey]);
  const defs =
    `<radialGradient id="keySphere" cx="0.5" cy="0.5" r="0.5" fx="${focusX.toFixed(3)}" fy="${focusY.toFixed(3)}">` +
    `<stop offset="0" stop-color="#ffffff"/><stop offset="0.3" stop-color="#e8e8e8"/><stop offset="1" stop-color="${shadow}"/>` +
    `</radialGradient>`;
  const u = canvas.unit;
  const fontSize = fontPixels(20, canvas);
  const labels = [
    unsureKey
      ? 'Key: could not measure'
      : `Key az ${signed(light.azimuth, 0)}° el ${signed(light.elevation, 0)}°`,
    `Fill ${fixed(fillRatio, 1)}:1`,
  ];
  const sphereRadius = 44 * u;
  const padding = 12 * u;
  const lineHeight = fontSize * 1.3;
  const boxWidth =
    Math.max(2 * sphereRadius, ...labels.map((label) => textWidth(label, fontSize))) + 2 * padding;
  const boxHeight = 2 * sphereRadius + padding * 3 + lineHeight * labels.length;
  const margin = 16 * u;
  const left = canvas.width - margin - boxWidth;
  const top = margin;
  const centreX = left + boxWidth / 2;
  const centreY = top + padding + sphereRadius;
  const text = labels
    .map(
      (label, i) =>
        `<text x="${n(centreX)}" y="${n(top + 2 * padding + 2 * sphereRadius + lineHeight * (i + 0.8))}" text-anchor="middle">${escapeXml(label)}</text>`,
    )
    .join('');
  const body =
    `<g>` +
    `<rect x="${n(left)}" y="${n(top)}" width="${n(boxWidth)}" height="${n(boxHeight)}" rx="${n(8 * u)}" fill="#000000" fill-opacity="0.55"/>` +
    `<circle cx="${n(centreX)}" cy="${n(centreY)}" r="${n(sphereRadius)}" fill="url(#keySphere)"/>` +
    `<g fill="#ffffff" font-size="${n(fontSize)}">${text}</g>` +
    `</g>`;
  return { defs, body };
}

/** The frame palette as a bar along the bottom, each swatch as wide as its weight, with its hex. */
function paletteBar(swatches: readonly Swatch[], canvas: Canvas): string {
  const usable = swatches.filter((swatch) => Number.isFinite(swatch.weight) && swatch.weight > 0);
  const total = usable.reduce((sum, swatch) => sum + swatch.weight, 0);
  if (total <= 0) return '';
  const barHeight = Math.max(36 * canvas.unit, 14);
  const top = canvas.height - barHeight;
  const fontSize = fontPixels(16, canvas);
  let left = 0;
  const parts = usable.map((swatch) => {
    const width = (swatch.weight / total) * canvas.width;
    const fill = safeHex(swatch.hex);
    let part = `<rect x="${n(left)}" y="${n(top)}" width="${n(width + 0.5)}" height="${n(barHeight)}" fill="${fill}"/>`;
    const label = fill.toUpperCase();
    if (textWidth(label, fontSize) + 8 * canvas.unit < width) {
      // Dark text on light swatches and the reverse, by Lab lightness.
      const ink = (swatch.lab[0] ?? 50) > 55 ? '#000000' : '#ffffff';
      part += `<text x="${n(left + width / 2)}" y="${n(top + barHeight / 2 + fontSize * 0.35)}" text-anchor="middle" font-size="${n(fontSize)}" fill="${ink}">${escapeXml(label)}</text>`;
    }
    left += width;
    return part;
  });
  return `<g>${parts.join('')}</g>`;
}

/** A legend box in the top-left corner: expression, head pose, shot type and the axis colours. */
function legend(blueprint: Blueprint, face: FaceReading | undefined, canvas: Canvas): string {
  type Span = { readonly text: string; readonly colour?: string };
  const lines: Span[][] = [];
  if (face === undefined) {
    lines.push([{ text: 'No face found' }]);
  } else {
    // An unsure reading is drawn as such, not as a number.
    lines.push([
      blueprint.readings.lips.status === 'measured'
        ? { text: `Lip-corner lift ${signed(face.expression.lipCornerLift, 2)}` }
        : { text: 'Lips: could not measure', colour: '#ffb020' },
    ]);
    const pose = face.headPose;
    lines.push([
      {
        text: `Head yaw ${signed(pose.yaw, 0)}° pitch ${signed(pose.pitch, 0)}° roll ${signed(pose.roll, 0)}°`,
      },
    ]);
  }
  if (blueprint.composition !== null) lines.push([{ text: `Shot ${blueprint.composition.shot}` }]);
  if (face !== undefined) {
    lines.push([
      { text: 'Axes ' },
      { text: 'x', colour: overlayColours.axisX },
      { text: ' ' },
      { text: 'y', colour: overlayColours.axisY },
      { text: ' ' },
      { text: 'z', colour: overlayColours.axisZ },
    ]);
  }
  const u = canvas.unit;
  const fontSize = fontPixels(22, canvas);
  const lineHeight = fontSize * 1.35;
  const padding = 12 * u;
  const margin = 16 * u;
  const width =
    Math.max(
      ...lines.map((spans) => textWidth(spans.map((span) => span.text).join(''), fontSize)),
    ) +
    2 * padding;
  const height = lines.length * lineHeight + 2 * padding - (lineHeight - fontSize);
  const text = lines
    .map((spans, i) => {
      const tspans = spans
        .map((span) =>
          span.colour === undefined
            ? `<tspan>${escapeXml(span.text)}</tspan>`
            : `<tspan fill="${span.colour}" font-weight="bold">${escapeXml(span.text)}</tspan>`,
        )
        .join('');
      return `<text x="${n(margin + padding)}" y="${n(margin + padding + fontSize * 0.85 + i * lineHeight)}" xml:space="preserve">${tspans}</text>`;
    })
    .join('');
  return (
    `<g>` +
    `<rect x="${n(margin)}" y="${n(margin)}" width="${n(width)}" height="${n(height)}" rx="${n(8 * u)}" fill="#000000" fill-opacity="0.55"/>` +
    `<g fill="#ffffff" font-size="${n(fontSize)}">${text}</g>` +
    `</g>`
  );
}

// ---------------------------------------------------------------------------------------------
// OpenPose control image

/** The OpenPose (COCO 18) keypoint names in their canonical order. */
const openPoseOrder = [
  'nose',
  'neck',
  'rightShoulder',
  'rightElbow',
  'rightWrist',
  'leftShoulder',
  'leftElbow',
  'leftWrist',
  'rightHip',
  'rightKnee',
  'rightAnkle',
  'leftHip',
  'leftKnee',
  'leftAnkle',
  'rightEye',
  'leftEye',
  'rightEar',
  'leftEar',
] as const;

/** The 17 limbs, as 1-based OpenPose keypoint pairs (the convention every OpenPose tool copies). */
const openPoseLimbs: ReadonlyArray<readonly [number, number]> = [
  [2, 3],
  [2, 6],
  [3, 4],
  [4, 5],
  [6, 7],
  [7, 8],
  [2, 9],
  [9, 10],
  [10, 11],
  [2, 12],
  [12, 13],
  [13, 14],
  [2, 1],
  [1, 15],
  [15, 17],
  [1, 16],
  [16, 18],
];

/** The standard OpenPose colours: limb i and keypoint i both take colour i. */
const openPoseColours: ReadonlyArray<readonly [number, number, number]> = [
  [255, 0, 0],
  [255, 85, 0],
  [255, 170, 0],
  [255, 255, 0],
  [170, 255, 0],
  [85, 255, 0],
  [0, 255, 0],
  [0, 255, 85],
  [0, 255, 170],
  [0, 255, 255],
  [0, 170, 255],
  [0, 85, 255],
  [0, 0, 255],
  [85, 0, 255],
  [170, 0, 255],
  [255, 0, 255],
  [255, 0, 170],
  [255, 0, 85],
];

/** The 18 OpenPose COCO keypoints (nose, neck, right arm, left arm, right leg, left leg, eyes, ears) in image pixels, null where not seen. */
export function openPoseKeypoints(blueprint: Blueprint): Array<{ x: number; y: number } | null> {
  const body = blueprint.body;
  if (body !== null && body.keypoints.some((keypoint) => keypoint.score >= minKeypointScore)) {
    const seen = new Map<string, Point2>();
    for (const keypoint of body.keypoints) {
      if (
        keypoint.score >= minKeypointScore &&
        Number.isFinite(keypoint.x) &&
        Number.isFinite(keypoint.y)
      ) {
        seen.set(keypoint.part, { x: keypoint.x, y: keypoint.y });
      }
    }
    // MoveNet has no neck; OpenPose's is the point between the shoulders.
    const right = seen.get('rightShoulder');
    const left = seen.get('leftShoulder');
    if (right !== undefined && left !== undefined) {
      seen.set('neck', { x: (right.x + left.x) / 2, y: (right.y + left.y) / 2 });
    }
    return openPoseOrder.map((part) => seen.get(part) ?? null);
  }
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  if (face === undefined) return openPoseOrder.map(() => null);
  // Without a body, the face mesh still places the head's five points.
  const meshAt = (index: number): Point2 | null => {
    const p = face.mesh[index];
    return p !== undefined && Number.isFinite(p[0]) && Number.isFinite(p[1])
      ? { x: p[0], y: p[1] }
      : null;
  };
  // A 468-point mesh has no iris points: the middle of the eye corners stands in.
  const eye = (iris: number, outer: number, inner: number): Point2 | null => {
    const centre = meshAt(iris);
    if (centre !== null) return centre;
    const a = meshAt(outer);
    const b = meshAt(inner);
    return a === null || b === null ? null : { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  const fromFace: Partial<Record<(typeof openPoseOrder)[number], Point2 | null>> = {
    nose: meshAt(landmarks.noseTip),
    rightEye: eye(landmarks.rightIrisCentre, landmarks.rightEyeOuter, landmarks.rightEyeInner),
    leftEye: eye(landmarks.leftIrisCentre, landmarks.leftEyeOuter, landmarks.leftEyeInner),
    rightEar: meshAt(landmarks.rightCheek),
    leftEar: meshAt(landmarks.leftCheek),
  };
  return openPoseOrder.map((part) => fromFace[part] ?? null);
}

/** Renders the OpenPose skeleton ControlNet expects: coloured limbs and joints on black, at the image size or the given size. */
export async function drawPoseControl(
  blueprint: Blueprint,
  options: { width?: number; height?: number } = {},
): Promise<Buffer> {
  const sourceWidth = blueprint.image.width;
  const sourceHeight = blueprint.image.height;
  // With one side given, the other keeps the photo's aspect.
  const width = Math.round(
    options.width ??
      (options.height !== undefined && sourceHeight > 0
        ? (options.height * sourceWidth) / sourceHeight
        : sourceWidth),
  );
  const height = Math.round(
    options.height ??
      (options.width !== undefined && sourceWidth > 0
        ? (options.width * sourceHeight) / sourceWidth
        : sourceHeight),
  );
  if (!(width >= 1 && height >= 1) || !(sourceWidth > 0 && sourceHeight > 0)) {
    throw new RangeError(
      `pose control needs a positive size, got ${width}×${height} for a ${sourceWidth}×${sourceHeight} image`,
    );
  }
  const scaleX = width / sourceWidth;
  const scaleY = height / sourceHeight;
  const points = openPoseKeypoints(blueprint).map((p) =>
    p === null ? null : { x: p.x * scaleX, y: p.y * scaleY },
  );
  // controlnet_aux draws a stick width (ellipse half-thickness) and joint radius of 4 at a 512 px short side.
  const scale = Math.min(width, height) / 512;
  const stickWidth = 4 * scale;
  const jointRadius = 4 * scale;
  const limbs = openPoseLimbs.flatMap(([from, to], i) => {
    const a = points[from - 1];
    const b = points[to - 1];
    const colour = openPoseColours[i];
    if (a == null || b == null || colour === undefined) return [];
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    const angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
    const centre = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    // Limbs are 60% of their colour over black, as controlnet_aux's draw_bodypose fills them.
    const fill = hexColour(
      colour.map((channel) => Math.floor(channel * 0.6)) as [number, number, number],
    );
    return [
      `<ellipse cx="${n(centre.x)}" cy="${n(centre.y)}" rx="${n(length / 2)}" ry="${n(stickWidth)}" transform="rotate(${n(angle)} ${n(centre.x)} ${n(centre.y)})" fill="${fill}"/>`,
    ];
  });
  const joints = points.flatMap((p, i) => {
    const colour = openPoseColours[i];
    if (p === null || colour === undefined) return [];
    return [
      `<circle cx="${n(p.x)}" cy="${n(p.y)}" r="${n(jointRadius)}" fill="${hexColour(colour)}"/>`,
    ];
  });
  // crispEdges: hard-edged flat colours like OpenCV's, which is what the ControlNet was trained on.
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" shape-rendering="crispEdges">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#000000"/>`,
    ...limbs,
    ...joints,
    '</svg>',
  ].join('\n');
  return sharp(Buffer.from(svg)).removeAlpha().png().toBuffer();
}

// ---------------------------------------------------------------------------------------------
// SVG helpers

/** Escapes text for SVG element content and attribute values. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number for SVG: two decimals are sub-pixel enough and keep the document small. */
function n(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '0';
}

function strokeWidth(base: number, canvas: Canvas): string {
  return n(Math.max(base * canvas.unit, 0.75));
}

function fontPixels(base: number, canvas: Canvas): number {
  return Math.max(base * canvas.unit, 10);
}

/** Rough text width for a sans-serif face (average advance ≈ 0.58 em), to size boxes around text. */
function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.58;
}

function line(a: Point2, b: Point2): string {
  return `<line x1="${n(a.x)}" y1="${n(a.y)}" x2="${n(b.x)}" y2="${n(b.y)}"/>`;
}

/** An SVG path through the points; a missing or non-finite point breaks the line there. */
function polylinePath(points: ReadonlyArray<Point2 | undefined>): string {
  let path = '';
  let drawing = false;
  for (const p of points) {
    if (p === undefined || !isFinitePoint(p)) {
      drawing = false;
      continue;
    }
    path += `${drawing ? 'L' : 'M'}${n(p.x)} ${n(p.y)}`;
    drawing = true;
  }
  return path;
}

function toCanvas(x: number, y: number, canvas: Canvas): Point2 {
  return { x: x * canvas.scaleX, y: y * canvas.scaleY };
}

function scaleBox(box: Box, canvas: Canvas): Box {
  return {
    x: box.x * canvas.scaleX,
    y: box.y * canvas.scaleY,
    width: box.width * canvas.scaleX,
    height: box.height * canvas.scaleY,
  };
}

function boxCentre(box: Box): Point2 {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

function isFinitePoint(p: Point2): boolean {
  return Number.isFinite(p.x) && Number.isFinite(p.y);
}

/** How far one can go from `from` along the unit `direction` before leaving the canvas. */
function distanceToEdge(from: Point2, direction: Point2, canvas: Canvas): number {
  const along = (position: number, step: number, size: number): number => {
    if (step > 1e-9) return (size - position) / step;
    if (step < -1e-9) return -position / step;
    return Number.POSITIVE_INFINITY;
  };
  return Math.min(
    along(from.x, direction.x, canvas.width),
    along(from.y, direction.y, canvas.height),
  );
}

function radians(degrees: number): number {
  return (degrees * Math.PI) / 180;
}

/** An sRGB triple as #rrggbb (rounded, clamped). */
function hexColour(rgb: readonly number[]): string {
  return rgbToHex(rgb[0] ?? 0, rgb[1] ?? 0, rgb[2] ?? 0);
}

/** A swatch's hex if it is a plain #rrggbb, else mid grey (the value goes into an attribute). */
function safeHex(hex: string): string {
  return /^#[0-9a-f]{6}$/i.test(hex) ? hex.toLowerCase() : '#808080';
}

function signed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const text = Math.abs(value).toFixed(digits);
  // No "-0" or "+0": a rounded zero has no sign.
  if (Number(text) === 0) return text;
  return `${value < 0 ? '-' : '+'}${text}`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}
