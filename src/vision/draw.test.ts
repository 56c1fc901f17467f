import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../image/index.js';
import { drawOverlay, drawPoseControl, openPoseKeypoints } from './draw.js';
import { meshContours } from './mesh.js';
import type {
  Blueprint,
  FaceReading,
  HeadPose,
  Keypoint,
  LightReading,
  MeshPoint,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Synthetic fixtures: a face whose 478-point mesh lies on an ellipse (contours on plausible
// shapes), a standing body, and a uniform grey photo whose pixels are easy to check.

/** Points `count` along an ellipse arc from `from` to `to` degrees (screen angles, y down). */
function arc(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  from: number,
  to: number,
  count: number,
) {
  return Array.from({ length: count }, (_, i) => {
    const angle = ((from + ((to - from) * i) / Math.max(1, count - 1)) * Math.PI) / 180;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle), 0] as MeshPoint;
  });
}

function syntheticMesh(cx: number, cy: number, rx: number, ry: number): MeshPoint[] {
  // Fill the face with a sunflower spiral so the mesh dots cover it like a real mesh.
  const mesh: MeshPoint[] = Array.from({ length: 478 }, (_, i) => {
    const r = Math.sqrt((i + 0.5) / 478) * 0.95;
    const angle = i * 2.399963;
    return [cx + rx * r * Math.cos(angle), cy + ry * r * Math.sin(angle), -(1 - r * r) * rx * 0.5];
  });
  const place = (indices: readonly number[] | undefined, points: MeshPoint[]) =>
    (indices ?? []).forEach((index, i) => {
      const p = points[i];
      if (p !== undefined) mesh[index] = p;
    });
  const count = (name: string) => meshContours[name]?.length ?? 0;
  // The silhouette starts at the forehead and goes toward the image's right first.
  place(meshContours.silhouette, arc(cx, cy, rx, ry, -90, 270, count('silhouette')));
  const eyeY = cy - 0.12 * ry;
  // The subject's right eye is on the image's left; both outlines start at the outer corner, upper lid first.
  place(
    meshContours.rightEye,
    arc(cx - 0.38 * rx, eyeY, 0.2 * rx, 0.07 * ry, 180, 540, count('rightEye')),
  );
  place(
    meshContours.leftEye,
    arc(cx + 0.38 * rx, eyeY, 0.2 * rx, 0.07 * ry, 0, -360, count('leftEye')),
  );
  const browY = cy - 0.27 * ry;
  for (const [name, side] of [
    ['rightBrow', -1],
    ['leftBrow', 1],
  ] as const) {
    const outer = cx + side * 0.62 * rx;
    const inner = cx + side * 0.14 * rx;
    const brow = Array.from({ length: count(name) }, (_, i): MeshPoint => {
      // Lower edge outer -> inner, then upper edge inner -> outer.
      const half = count(name) / 2;
      const t = i < half ? i / (half - 1) : 1 - (i - half) / (half - 1);
      const lift = i < half ? 0 : 0.04 * ry;
      return [outer + (inner - outer) * t, browY - lift - Math.sin(t * Math.PI) * 0.03 * ry, 0];
    });
    place(meshContours[name], brow);
  }
  const mouthY = cy + 0.5 * ry;
  place(meshContours.lipsOuter, arc(cx, mouthY, 0.32 * rx, 0.1 * ry, 180, 540, count('lipsOuter')));
  place(
    meshContours.lipsInner,
    arc(cx, mouthY, 0.26 * rx, 0.03 * ry, 180, 540, count('lipsInner')),
  );
  place(
    meshContours.noseBridge,
    Array.from({ length: count('noseBridge') }, (_, i): MeshPoint => [
      cx,
      cy - 0.1 * ry + i * 0.05 * ry,
      -0.4 * rx,
    ]),
  );
  // Iris centres and rims.
  for (const [centre, x] of [
    // Human's order: 468 is the subject's left iris (image right), 473 the right (image left).
    [468, cx + 0.38 * rx],
    [473, cx - 0.38 * rx],
  ] as const) {
    mesh[centre] = [x, eyeY, 0];
    arc(x, eyeY, 0.07 * rx, 0.07 * rx, 0, 270, 4).forEach((p, i) => (mesh[centre + 1 + i] = p));
  }
  return mesh;
}

function syntheticFace(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  headPose: HeadPose = { yaw: 0, pitch: 0, roll: 0 },
): FaceReading {
  return {
    box: { x: cx - rx, y: cy - ry, width: 2 * rx, height: 2 * ry },
    score: 0.98,
    mesh: syntheticMesh(cx, cy, rx, ry),
    headPose,
    gaze: { horizontal: 0, vertical: 0, label: 'camera' },
    expression: {
      lipCornerLift: 0.32,
      lipsParted: 0,
      browRaise: 0,
      browFurrow: 0,
      eyeAperture: 0,
      eyeApertureLeft: 0,
      eyeApertureRight: 0,
      asymmetry: 0,
      raw: {},
    },
    emotions: { neutral: 0.8, happy: 0.2, sad: 0, surprise: 0, angry: 0, fear: 0, disgust: 0 },
    descriptor: [],
    heightFraction: 0.3,
    cut: false,
  };
}

/** A standing body around a face centred at (cx, cy) with face height `faceHeight`. */
function standingBody(
  cx: number,
  cy: number,
  faceHeight: number,
  scores: Partial<Record<string, number>> = {},
): Keypoint[] {
  const u = faceHeight;
  // The subject's right side is on the image's left.
  const parts: Array<[string, number, number]> = [
    ['nose', 0, 0.05],
    ['leftEye', 0.2, -0.1],
    ['rightEye', -0.2, -0.1],
    ['leftEar', 0.45, -0.05],
    ['rightEar', -0.45, -0.05],
    ['leftShoulder', 0.9, 1.0],
    ['rightShoulder', -0.9, 1.0],
    ['leftElbow', 1.1, 2.0],
    ['rightElbow', -1.1, 2.0],
    ['leftWrist', 1.15, 2.9],
    ['rightWrist', -1.15, 2.9],
    ['leftHip', 0.55, 3.0],
    ['rightHip', -0.55, 3.0],
    ['leftKnee', 0.6, 4.4],
    ['rightKnee', -0.6, 4.4],
    ['leftAnkle', 0.62, 5.7],
    ['rightAnkle', -0.62, 5.7],
  ];
  return parts.map(([part, dx, dy]) => ({
    part,
    x: cx + dx * u,
    y: cy + dy * u,
    score: scores[part] ?? 0.9,
  }));
}

function blueprint(options: {
  width: number;
  height: number;
  faces?: FaceReading[];
  body?: Keypoint[] | null;
  light?: Partial<LightReading> | null;
}): Blueprint {
  const faces = options.faces ?? [];
  const light: LightReading | null =
    options.light === null || options.light === undefined
      ? null
      : {
          azimuth: 0,
          elevation: 0,
          fillRatio: 2,
          softness: 0.5,
          confidence: 0.8,
          colorTemperature: 5200,
          faceLuminance: 0.5,
          exposure: 0,
          contrast: 0.5,
          model: { ambient: 0.1, gain: 0.5 },
          coefficients: [],
          ...options.light,
        };
  return {
    version: 1,
    source: 'synthetic',
    orientation: { quarterTurns: 0, tried: [0] },
    readings: Object.fromEntries(
      [
        'headPose',
        'lips',
        'brows',
        'gaze',
        'body',
        'lightDirection',
        'colorTemperature',
        'warmth',
        'skinTexture',
      ].map((name) => [name, { status: 'measured', confidence: 1, reason: null }]),
    ) as Blueprint['readings'],
    image: { width: options.width, height: options.height, format: 'png' },
    faces,
    faceIndex: faces.length > 0 ? 0 : null,
    body:
      options.body === null || options.body === undefined
        ? null
        : {
            score: 0.9,
            box: { x: 0, y: 0, width: options.width, height: options.height },
            keypoints: options.body,
            posture: {
              shoulderAngle: 0,
              shoulderTilt: 0,
              headTilt: 0,
              headTurn: 0,
              lean: 0,
              handsVisible: 2,
              handsRaised: 0,
              handNearFace: false,
              stance: 'standing',
            },
          },
    light,
    palette: {
      frame: [
        { hex: '#2b2b33', lab: [17, 2, -5], weight: 0.45 },
        { hex: '#c9a27e', lab: [69, 8, 22], weight: 0.3 },
        { hex: '#7a5a44', lab: [41, 9, 16], weight: 0.15 },
        { hex: '#e8e4dc', lab: [91, 0, 4], weight: 0.1 },
      ],
      background: [],
    },
    composition: {
      eyeCentre: { x: 0.5, y: 0.35 },
      nearestThird: { x: 0.667, y: 0.333, distance: 0.1 },
      headroom: 0.1,
      subjectSize: 0.08,
      shot: 'medium close-up',
      aspectRatio: '4:3',
    },
    quality: {
      eyeSharpness: 1,
      frameSharpness: 1,
      skinTexture: null,
      backgroundBlurRatio: null,
      noise: 1,
      clippedShadows: 0,
      clippedHighlights: 0,
    },
    warnings: [],
    timings: {},
  };
}

function greyImage(width: number, height: number, level = 128): RgbImage {
  return {
    width,
    height,
    data: new Uint8Array(width * height * 3).fill(level),
    format: 'png',
    source: 'grey',
  };
}

interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
}

async function pixels(png: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

function at(image: Pixels, x: number, y: number): [number, number, number] {
  const offset = (Math.round(y) * image.width + Math.round(x)) * image.channels;
  return [image.data[offset] ?? -1, image.data[offset + 1] ?? -1, image.data[offset + 2] ?? -1];
}

/** Every pixel of exactly this colour. */
function pixelsOfColour(
  image: Pixels,
  rgb: readonly [number, number, number],
): Array<{ x: number; y: number }> {
  const found: Array<{ x: number; y: number }> = [];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const [r, g, b] = at(image, x, y);
      if (r === rgb[0] && g === rgb[1] && b === rgb[2]) found.push({ x, y });
    }
  }
  return found;
}

// The overlay's exact stroke colours the tests look for (see the colours in draw.ts).
const lightArrowRgb = [0xff, 0xcc, 0x00] as const;
const axisZRgb = [0x1e, 0x90, 0xff] as const;
const axisYRgb = [0x2e, 0xcc, 0x40] as const;

const faceCentre = { x: 600, y: 350 };
const faceRadii = { x: 120, y: 150 };

function portraitBlueprint(
  overrides: { light?: Partial<LightReading> | null; headPose?: HeadPose } = {},
): Blueprint {
  return blueprint({
    width: 1200,
    height: 900,
    faces: [
      syntheticFace(faceCentre.x, faceCentre.y, faceRadii.x, faceRadii.y, overrides.headPose),
    ],
    body: standingBody(faceCentre.x, faceCentre.y, 2 * faceRadii.y * 0.6),
    light: overrides.light === undefined ? { azimuth: 45, elevation: 30 } : overrides.light,
  });
}

// ---------------------------------------------------------------------------------------------

describe('drawOverlay', () => {
  it('fits the output within maxSize, keeping the aspect', async () => {
    const landscape = await sharp(
      await drawOverlay(greyImage(1200, 900), portraitBlueprint(), { maxSize: 600 }),
    ).metadata();
    expect([landscape.width, landscape.height, landscape.format]).toEqual([600, 450, 'png']);
    const portrait = blueprint({
      width: 900,
      height: 1200,
      faces: [syntheticFace(450, 400, 100, 130)],
    });
    const tall = await sharp(
      await drawOverlay(greyImage(900, 1200), portrait, { maxSize: 800 }),
    ).metadata();
    expect([tall.width, tall.height]).toEqual([600, 800]);
    const wide = blueprint({ width: 2000, height: 1000 });
    const big = await sharp(await drawOverlay(greyImage(2000, 1000), wide)).metadata();
    expect([big.width, big.height]).toEqual([1600, 800]);
  });

  it('never enlarges a photo smaller than maxSize and rejects a bad maxSize', async () => {
    const small = await sharp(
      await drawOverlay(greyImage(300, 200), blueprint({ width: 300, height: 200 })),
    ).metadata();
    expect([small.width, small.height]).toEqual([300, 200]);
    await expect(
      drawOverlay(greyImage(10, 10), blueprint({ width: 10, height: 10 }), { maxSize: 0 }),
    ).rejects.toThrow(RangeError);
  });

  it('draws over the face and leaves the photo untouched far from any drawing', async () => {
    const image = await pixels(await drawOverlay(greyImage(1200, 900), portraitBlueprint()));
    let changed = 0;
    let total = 0;
    for (let y = faceCentre.y - faceRadii.y; y < faceCentre.y + faceRadii.y; y++) {
      for (let x = faceCentre.x - faceRadii.x; x < faceCentre.x + faceRadii.x; x++) {
        total++;
        if (at(image, x, y).some((channel) => Math.abs(channel - 128) > 8)) changed++;
      }
    }
    expect(changed / total).toBeGreaterThan(0.05);
    // Left of the body, between the thirds lines, below the legend and above the palette bar.
    let worst = 0;
    for (let y = 400; y < 500; y++) {
      for (let x = 150; x < 250; x++) {
        worst = Math.max(worst, ...at(image, x, y).map((channel) => Math.abs(channel - 128)));
      }
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('draws the palette along the bottom', async () => {
    const image = await pixels(await drawOverlay(greyImage(1200, 900), portraitBlueprint()));
    // The first swatch (#2b2b33, 45%) starts at the left edge of the bottom bar.
    expect(at(image, 5, 897)).toEqual([0x2b, 0x2b, 0x33]);
    expect(at(image, 1195, 897)).toEqual([0xe8, 0xe4, 0xdc]);
  });

  it('points the light arrow from the key side: azimuth +60 (subject left) comes from the image right', async () => {
    const fromLeftOfSubject = await pixels(
      await drawOverlay(
        greyImage(1200, 900),
        portraitBlueprint({ light: { azimuth: 60, elevation: 20 } }),
      ),
    );
    const arrow = pixelsOfColour(fromLeftOfSubject, lightArrowRgb);
    expect(arrow.length).toBeGreaterThan(50);
    expect(arrow.every((p) => p.x > faceCentre.x + faceRadii.x * 0.8)).toBe(true);
    // Elevation +20: from above, so the arrow starts higher than it ends.
    expect(Math.min(...arrow.map((p) => p.y))).toBeLessThan(faceCentre.y);

    const fromRightOfSubject = await pixels(
      await drawOverlay(
        greyImage(1200, 900),
        portraitBlueprint({ light: { azimuth: -60, elevation: 20 } }),
      ),
    );
    const mirrored = pixelsOfColour(fromRightOfSubject, lightArrowRgb);
    expect(mirrored.length).toBeGreaterThan(50);
    expect(mirrored.every((p) => p.x < faceCentre.x - faceRadii.x * 0.8)).toBe(true);
  });

  it('draws no light arrow without a light reading', async () => {
    const image = await pixels(
      await drawOverlay(greyImage(1200, 900), portraitBlueprint({ light: null })),
    );
    expect(pixelsOfColour(image, lightArrowRgb)).toHaveLength(0);
  });

  it('turns the head-pose axes with the documented signs', async () => {
    const centroid = (points: Array<{ x: number; y: number }>) => ({
      x: points.reduce((sum, p) => sum + p.x, 0) / points.length,
      y: points.reduce((sum, p) => sum + p.y, 0) / points.length,
    });
    // The synthetic nose tip (mesh 1) is at the face centre; the axes are 0.45 face box heights long.
    const noseTip = syntheticMesh(faceCentre.x, faceCentre.y, faceRadii.x, faceRadii.y)[1] ?? [
      0, 0, 0,
    ];
    const draw = async (headPose: HeadPose) =>
      pixels(await drawOverlay(greyImage(1200, 900), portraitBlueprint({ light: null, headPose })));
    // Only the face's own axes: the legend names the axis colours too.
    const nearFace = (points: Array<{ x: number; y: number }>) =>
      points.filter(
        (p) =>
          Math.abs(p.x - faceCentre.x) < 2 * faceRadii.x &&
          Math.abs(p.y - faceCentre.y) < 2 * faceRadii.y,
      );

    // Yaw +30: the face turns toward the subject's left, so its forward (z) axis swings to the image right.
    const yawed = centroid(
      nearFace(pixelsOfColour(await draw({ yaw: 30, pitch: 0, roll: 0 }), axisZRgb)),
    );
    expect(yawed.x).toBeGreaterThan(noseTip[0] + 20);
    // Pitch +20: chin up, the forward axis tips up.
    const pitched = centroid(
      nearFace(pixelsOfColour(await draw({ yaw: 0, pitch: 20, roll: 0 }), axisZRgb)),
    );
    expect(pitched.y).toBeLessThan(noseTip[1] - 20);
    // Roll +20: toward the subject's right shoulder (the image's left), so the up axis leans left.
    const rolled = centroid(
      nearFace(pixelsOfColour(await draw({ yaw: 0, pitch: 0, roll: 20 }), axisYRgb)),
    );
    const level = centroid(
      nearFace(pixelsOfColour(await draw({ yaw: 0, pitch: 0, roll: 0 }), axisYRgb)),
    );
    expect(rolled.x).toBeLessThan(level.x - 10);
    expect(level.y).toBeLessThan(noseTip[1]);
  });

  it('scales blueprint coordinates to a smaller decoded copy of the photo', async () => {
    // The blueprint was read at 1200×900; the photo handed in is a 600×450 copy.
    const image = await pixels(
      await drawOverlay(
        greyImage(600, 450),
        portraitBlueprint({ light: { azimuth: 60, elevation: 20 } }),
      ),
    );
    const arrow = pixelsOfColour(image, lightArrowRgb);
    expect(arrow.length).toBeGreaterThan(20);
    expect(arrow.every((p) => p.x > (faceCentre.x + faceRadii.x * 0.8) / 2)).toBe(true);
  });

  it('renders hostile text safely', async () => {
    const bp = portraitBlueprint();
    const hostile: Blueprint = {
      ...bp,
      composition:
        bp.composition === null ? null : { ...bp.composition, shot: '<script>&"\'</script>' },
      palette: { frame: [{ hex: '"/><script/>', lab: [50, 0, 0], weight: 1 }], background: [] },
    };
    const image = await pixels(await drawOverlay(greyImage(1200, 900), hostile));
    expect(at(image, 600, 897)).toEqual([0x80, 0x80, 0x80]);
  });
});

describe('openPoseKeypoints', () => {
  it('maps MoveNet sides to OpenPose sides and derives the neck', () => {
    const body = standingBody(256, 200, 60);
    const points = openPoseKeypoints(blueprint({ width: 512, height: 768, body }));
    const part = (name: string) => body.find((k) => k.part === name);
    expect(points).toHaveLength(18);
    // OpenPose index 2 is rShoulder, the subject's right: MoveNet 'rightShoulder' (image left).
    expect(points[2]).toEqual({ x: part('rightShoulder')?.x, y: part('rightShoulder')?.y });
    expect(points[5]).toEqual({ x: part('leftShoulder')?.x, y: part('leftShoulder')?.y });
    expect(points[14]).toEqual({ x: part('rightEye')?.x, y: part('rightEye')?.y });
    expect(points[17]).toEqual({ x: part('leftEar')?.x, y: part('leftEar')?.y });
    expect(points[10]).toEqual({ x: part('rightAnkle')?.x, y: part('rightAnkle')?.y });
    expect((points[2]?.x ?? 0) < (points[5]?.x ?? 0)).toBe(true);
    expect(points[1]).toEqual({ x: 256, y: 260 });
  });

  it('nulls low-score points and the neck without both shoulders', () => {
    const body = standingBody(256, 200, 60, { leftShoulder: 0.2, leftKnee: 0.29 });
    const points = openPoseKeypoints(blueprint({ width: 512, height: 768, body }));
    expect(points[5]).toBeNull();
    expect(points[12]).toBeNull();
    expect(points[1]).toBeNull();
    expect(points[2]).not.toBeNull();
  });

  it('places the head from the face mesh when there is no body', () => {
    const face = syntheticFace(256, 200, 60, 80);
    const points = openPoseKeypoints(blueprint({ width: 512, height: 768, faces: [face] }));
    const mesh = (index: number) => {
      const p = face.mesh[index];
      return p === undefined ? undefined : { x: p[0], y: p[1] };
    };
    expect(points[0]).toEqual(mesh(1));
    expect(points[14]).toEqual(mesh(473));
    expect(points[15]).toEqual(mesh(468));
    expect(points[16]).toEqual(mesh(234));
    expect(points[17]).toEqual(mesh(454));
    expect(points.filter((p) => p !== null)).toHaveLength(5);
    // The subject's right eye is on the image's left.
    expect((points[14]?.x ?? 0) < (points[15]?.x ?? 0)).toBe(true);
  });

  it('is all null with neither body nor face', () => {
    expect(openPoseKeypoints(blueprint({ width: 64, height: 64 })).every((p) => p === null)).toBe(
      true,
    );
  });
});

describe('drawPoseControl', () => {
  const body = standingBody(256, 200, 60, { leftKnee: 0.1 });
  const poseBlueprint = blueprint({ width: 512, height: 768, body });
  const part = (name: string) => {
    const keypoint = body.find((k) => k.part === name);
    if (keypoint === undefined) throw new Error(`no ${name}`);
    return keypoint;
  };

  it('draws the OpenPose colours on black at the image size', async () => {
    const image = await pixels(await drawPoseControl(poseBlueprint));
    expect([image.width, image.height, image.channels]).toEqual([512, 768, 3]);
    expect(at(image, 2, 2)).toEqual([0, 0, 0]);
    expect(at(image, 500, 760)).toEqual([0, 0, 0]);
    const rightShoulder = part('rightShoulder');
    const leftShoulder = part('leftShoulder');
    const neck = {
      x: (rightShoulder.x + leftShoulder.x) / 2,
      y: (rightShoulder.y + leftShoulder.y) / 2,
    };
    // Limb 1 (neck -> right shoulder) is [255,0,0] at 60% over black.
    expect(at(image, (neck.x + rightShoulder.x) / 2, (neck.y + rightShoulder.y) / 2)).toEqual([
      153, 0, 0,
    ]);
    // Limb 2 (neck -> left shoulder) is [255,85,0] at 60%.
    expect(at(image, (neck.x + leftShoulder.x) / 2, (neck.y + leftShoulder.y) / 2)).toEqual([
      153, 51, 0,
    ]);
    // Keypoint 5 (0-based; OpenPose's lShoulder) takes colour 5, full strength, as controlnet_aux draws it.
    expect(at(image, leftShoulder.x, leftShoulder.y)).toEqual([85, 255, 0]);
    // Keypoint 2, rShoulder, colour 2.
    expect(at(image, rightShoulder.x, rightShoulder.y)).toEqual([255, 170, 0]);
  });

  it('draws nothing where a keypoint is missing', async () => {
    const image = await pixels(await drawPoseControl(poseBlueprint));
    const knee = part('leftKnee');
    const hip = part('leftHip');
    const ankle = part('leftAnkle');
    expect(at(image, knee.x, knee.y)).toEqual([0, 0, 0]);
    expect(at(image, (hip.x + knee.x) / 2, (hip.y + knee.y) / 2)).toEqual([0, 0, 0]);
    expect(at(image, (knee.x + ankle.x) / 2, (knee.y + ankle.y) / 2)).toEqual([0, 0, 0]);
    // The ankle itself is seen, so its joint is drawn (lAnkle, colour 13).
    expect(at(image, ankle.x, ankle.y)).toEqual([85, 0, 255]);
  });

  it('scales coordinates to a requested size', async () => {
    const image = await pixels(await drawPoseControl(poseBlueprint, { width: 1024, height: 1536 }));
    expect([image.width, image.height]).toEqual([1024, 1536]);
    const leftShoulder = part('leftShoulder');
    expect(at(image, leftShoulder.x * 2, leftShoulder.y * 2)).toEqual([85, 255, 0]);
    // Joints scale with the size: radius 8 at a 1024 px short side.
    expect(at(image, leftShoulder.x * 2 + 6, leftShoulder.y * 2)).toEqual([85, 255, 0]);
    const onlyWidth = await sharp(await drawPoseControl(poseBlueprint, { width: 256 })).metadata();
    expect([onlyWidth.width, onlyWidth.height]).toEqual([256, 384]);
  });

  it('is plain black without any keypoints', async () => {
    const image = await pixels(await drawPoseControl(blueprint({ width: 64, height: 48 })));
    expect([image.width, image.height]).toEqual([64, 48]);
    expect(image.data.every((value) => value === 0)).toBe(true);
  });
});
