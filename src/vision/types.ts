// The Blueprint: what a photo shows, in the brief's own terms, plus the raw measurements behind it.
// Coordinates are image pixels (x right, y down) of the oriented image; angles are degrees.

/** An axis-aligned box in image pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A 3D mesh point: image x, y in pixels and a relative depth z (pixels, toward the camera negative). */
export type MeshPoint = readonly [x: number, y: number, z: number];

/**
 * Head pose. Conventions match the brief: yaw positive when the face turns toward the subject's
 * left (camera right); pitch positive when the chin goes up; roll positive when the head tilts
 * toward the subject's right shoulder (the image's left: counter-clockwise in the image).
 */
export interface HeadPose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

/** Where the eyes look, from the iris position inside each eye, and its brief label. */
export interface Gaze {
  /** −1 (toward the subject's right / image left) .. 1 (subject's left / image right). */
  readonly horizontal: number;
  /** −1 (down) .. 1 (up). */
  readonly vertical: number;
  /** `off-camera-left` is toward camera left (the image's left), as photographers say it. */
  readonly label: 'camera' | 'off-camera-left' | 'off-camera-right' | 'down' | 'up';
}

/**
 * Expression geometry measured from the mesh, on the brief's normalised scale (0 = relaxed
 * neutral face, ±1 = strongest on a real face), plus the raw ratios it was computed from.
 */
export interface ExpressionMetrics {
  readonly lipCornerLift: number;
  readonly lipsParted: number;
  readonly browRaise: number;
  readonly browFurrow: number;
  readonly eyeAperture: number;
  readonly eyeApertureLeft: number;
  readonly eyeApertureRight: number;
  readonly asymmetry: number;
  /** Size-normalised ratios before calibration (face-height or eye-width units). */
  readonly raw: Readonly<Record<string, number>>;
}

/** Emotion classifier scores (0..1, summing to about 1). */
export type Emotions = Readonly<
  Record<'neutral' | 'happy' | 'sad' | 'surprise' | 'angry' | 'fear' | 'disgust', number>
>;

/** One face as read off the photo. */
export interface FaceReading {
  readonly box: Box;
  readonly score: number;
  /** 478 points: the 468-point face mesh and 10 iris points. */
  readonly mesh: readonly MeshPoint[];
  readonly headPose: HeadPose;
  readonly gaze: Gaze;
  readonly expression: ExpressionMetrics;
  readonly emotions: Emotions;
  /** Face descriptor for identity comparisons (unit length). */
  readonly descriptor: readonly number[];
  /** Face height (forehead to chin) as a fraction of the image height. */
  readonly heightFraction: number;
  /** The face box touches or crosses the frame edge. */
  readonly cut: boolean;
}

/** A body keypoint (MoveNet order and names). */
export interface Keypoint {
  readonly part: string;
  readonly x: number;
  readonly y: number;
  readonly score: number;
}

/** Posture as the brief describes it, measured from keypoints and the head pose. */
export interface PostureReading {
  /** Shoulder line turned away from square-on, degrees (0 = square), or null if shoulders are not seen. */
  readonly shoulderAngle: number | null;
  /** Shoulder line slope in the image, degrees (positive = subject's left shoulder higher). */
  readonly shoulderTilt: number | null;
  readonly headTilt: number;
  readonly headTurn: number;
  /** Torso lean from vertical, degrees (positive toward the subject's left), or null without hips. */
  readonly lean: number | null;
  readonly handsVisible: number;
  readonly handsRaised: number;
  readonly handNearFace: boolean;
  readonly stance: 'standing' | 'seated' | 'unknown';
}

export interface BodyReading {
  readonly score: number;
  readonly box: Box;
  readonly keypoints: readonly Keypoint[];
  readonly posture: PostureReading;
}

/** The light on the face, fitted from shading against the mesh's surface normals. */
export interface LightReading {
  /** Key azimuth relative to the face, degrees, positive toward the subject's left (camera right). */
  readonly azimuth: number;
  readonly elevation: number;
  /** Key:fill estimated from the lit and shadow sides of the face. */
  readonly fillRatio: number;
  /** 0 hard .. 1 soft, from the width of the light-to-shadow transition. */
  readonly softness: number;
  /** How much of the shading the directional fit explains (0..1); low means flat or mixed light. */
  readonly confidence: number;
  /** Colour temperature estimate of the light on the scene, kelvin. */
  readonly colorTemperature: number;
  /** Mean face luminance (0..1) and the frame's exposure and contrast. */
  readonly faceLuminance: number;
  readonly exposure: number;
  readonly contrast: number;
  /**
   * The fitted shading model on the face, in linear luminance: ambient + gain·max(0, n·l), with l
   * the key direction above. The darkroom divides it out to relight.
   */
  readonly model: { readonly ambient: number; readonly gain: number };
  /** Low-order spherical-harmonic coefficients [ambient, x, y, z] in the face's frame. */
  readonly coefficients: readonly number[];
}

/** A dominant colour. */
export interface Swatch {
  readonly hex: string;
  readonly lab: readonly [number, number, number];
  readonly weight: number;
}

export interface PaletteReading {
  readonly frame: readonly Swatch[];
  readonly background: readonly Swatch[];
}

/** Composition measured against the frame. */
export interface CompositionReading {
  /** Face centre (between the eyes) as fractions of width and height. */
  readonly eyeCentre: { readonly x: number; readonly y: number };
  /** The nearest thirds intersection and the distance to it (fractions of the frame diagonal). */
  readonly nearestThird: { readonly x: number; readonly y: number; readonly distance: number };
  /** Space above the head as a fraction of the image height (negative when the head is cut). */
  readonly headroom: number;
  /** Face area as a fraction of the frame. */
  readonly subjectSize: number;
  /** The shot type of the vocabulary whose face-height range fits best. */
  readonly shot: string;
  /** Width:height, simplified to a common ratio when close. */
  readonly aspectRatio: string;
}

export interface QualityReading {
  /** Variance of the Laplacian in the eye regions, normalised for face size (higher = sharper), or null without a face. */
  readonly eyeSharpness: number | null;
  /** The same for the whole frame, for comparison. */
  readonly frameSharpness: number;
  /**
   * Skin texture energy on the forehead and cheeks: band-pass detail at a fixed scale of the face
   * (face height = 256 px), with the image noise's share removed. Real skin has pores and fine
   * texture; airbrushed or "plastic" skin has little. Null without a face.
   */
  readonly skinTexture: number | null;
  /** Sharpness of the background against the face at the same scale (0..1+, low = blurred background). */
  readonly backgroundBlurRatio: number | null;
  /** Estimated noise sigma in 8-bit levels. */
  readonly noise: number;
  /** Fractions of pixels clipped to black and to white. */
  readonly clippedShadows: number;
  readonly clippedHighlights: number;
}

/** Something about the photo that limits what could be read. */
export interface VisionWarning {
  readonly code:
    | 'no-face'
    | 'several-faces'
    | 'face-cut'
    | 'tiny-face'
    | 'profile'
    | 'blank-frame'
    | 'lips-unsure'
    | 'gaze-unsure'
    | 'body-unsure'
    | 'light-unsure'
    | 'monochrome'
    | 'rotated';
  readonly message: string;
}

/** The readings whose confidence the blueprint reports. */
export type ReadingName =
  | 'headPose'
  | 'lips'
  | 'brows'
  | 'gaze'
  | 'body'
  | 'lightDirection'
  | 'colorTemperature'
  | 'warmth'
  | 'skinTexture';

/**
 * How sure one reading is. `unsure` readings are reported as "could not measure" and never
 * scored or nudged on; `not-applicable` ones do not exist for this photo (a black-and-white
 * photo has no colour temperature).
 */
export interface Reading {
  readonly status: 'measured' | 'unsure' | 'not-applicable';
  /** 0..1, from the reading's own evidence. */
  readonly confidence: number;
  /** Why it is unsure or not applicable; null when measured. */
  readonly reason: string | null;
}

export type Readings = Readonly<Record<ReadingName, Reading>>;

/** What a photo shows, pillar by pillar. */
export interface Blueprint {
  readonly version: 1;
  readonly source: string;
  readonly image: { readonly width: number; readonly height: number; readonly format: string };
  /**
   * Clockwise quarter turns of the photo under which its faces were read (0 = as given; 1 when
   * a photo lying on its side was read turned upright), and every turn tried. Every coordinate
   * in the blueprint is in the photo's own pixels whatever the turn.
   */
  readonly orientation: { readonly quarterTurns: 0 | 1 | 2 | 3; readonly tried: readonly number[] };
  /** Every face found, largest first. */
  readonly faces: readonly FaceReading[];
  /** Index into `faces` of the face the pillars are read from, or null when there is none. */
  readonly faceIndex: number | null;
  readonly body: BodyReading | null;
  readonly light: LightReading | null;
  readonly palette: PaletteReading;
  readonly composition: CompositionReading | null;
  readonly quality: QualityReading;
  readonly warnings: readonly VisionWarning[];
  /** How sure each reading is (see `Reading`). */
  readonly readings: Readings;
  /** Milliseconds per stage. */
  readonly timings: Readonly<Record<string, number>>;
}
