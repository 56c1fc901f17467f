// Shapes of the brief's vocabularies. Every entry carries its physical parameters (what vision can
// measure and the darkroom can render) and a one-line description of the visible effect.
// Conventions (from reference/portrait-craft.md): azimuth 0° is the camera axis, positive toward
// the subject's left (camera right); elevation 0° is eye level; fill ratio is key:fill (2 = one stop).

/** A closed numeric interval [min, max]. */
export type Range = readonly [min: number, max: number];

/** A named light rig with its geometry and its visible signature on a face. */
export interface LightRig {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** Key light position relative to the face; azimuth magnitude (the side is chosen by the brief). */
  readonly key: { readonly azimuth: Range; readonly elevation: Range };
  /** Key:fill ratio range; null where a ratio does not apply (rim accent, mixed practicals). */
  readonly fillRatio: Range | null;
  /** 0 = hard point source, 1 = very soft wrapping source. */
  readonly softness: Range;
  /** Colour temperature in kelvin of the key. */
  readonly colorTemperature: number;
  /** Whether the rig includes a rim/kicker light from behind. */
  readonly rim: boolean;
  /** Typical background brightness. */
  readonly background: 'black' | 'dark' | 'mid' | 'light' | 'white' | 'environment';
  /** Overall tonal key of the frame. */
  readonly tonalKey: 'high' | 'mid' | 'low';
  /** One line: the visible effect of the rig. */
  readonly effect: string;
  /**
   * The effect on this face, written for a prompt. Placeholders: {lit} and {shadow} are the
   * subject's lit and shadow side ("left"/"right"), {clock} the catchlight clock position.
   * For symmetric rigs the placeholders may be absent. Clauses are separated by "; " so tag-style
   * prompts can take them one at a time without cutting a clause in half.
   */
  readonly faceEffect: string;
  /** Short weighted-tag phrases for SD-family prompts (most important first). */
  readonly tags: readonly string[];
  /** Whether the rig is left/right symmetric (butterfly, clamshell, high-key, overcast). */
  readonly symmetric: boolean;
}

/**
 * Facial geometry targets on a normalised scale that vision measures from the face mesh:
 * 0 is a relaxed neutral face; ±1 is the strongest the action gets on a real face.
 */
export interface FacialGeometry {
  /** AU12 (+) / AU15 (−): lip corners up and out vs down. −1..1 */
  readonly lipCornerLift: number;
  /** AU25/26: inner-lip gap. 0..1 */
  readonly lipsParted: number;
  /** AU1+AU2: brows up. 0..1 */
  readonly browRaise: number;
  /** AU4: brows down and together. 0..1 */
  readonly browFurrow: number;
  /** AU5 (+) widened vs AU6/AU43 (−) narrowed. −1..1 */
  readonly eyeAperture: number;
  /** Left/right difference of the above (smirk, one brow). 0..1 */
  readonly asymmetry: number;
}

/** Where the eyes look. */
export type Gaze = 'camera' | 'off-camera-left' | 'off-camera-right' | 'down' | 'up' | 'distance';

/** A named micro-expression as a combination of facial action units. */
export interface Expression {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** FACS action units, e.g. ['AU6', 'AU12']. */
  readonly actionUnits: readonly string[];
  /** Target geometry at intensity 1; vision compares measured geometry with intensity × this. */
  readonly geometry: FacialGeometry;
  /** A subtle expression: past ~0.8 intensity it stops reading as itself. */
  readonly subtle: boolean;
  readonly defaultGaze: Gaze;
  /** Expected dominant emotion of an emotion classifier (neutral, happy, sad, surprise, angry, fear, disgust). */
  readonly emotion: 'neutral' | 'happy' | 'sad' | 'surprise' | 'angry' | 'fear' | 'disgust';
  /** One line: what the face visibly does. */
  readonly effect: string;
  /** Short SD-family tags, most important first. */
  readonly tags: readonly string[];
}

export type Stance = 'standing' | 'seated' | 'leaning' | 'reclining' | 'walking' | 'crouching';
export type Lean = 'toward' | 'neutral' | 'away';
export type Hands =
  | 'not-visible'
  | 'relaxed'
  | 'touching-face'
  | 'chin-on-hand'
  | 'in-pockets'
  | 'arms-crossed'
  | 'holding-object'
  | 'on-hips'
  | 'clasped'
  | 'in-hair';

/** A named pose / gesture with body geometry that body keypoints can measure. */
export interface Pose {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly stance: Stance;
  /** Shoulder line rotation away from square-on, degrees (0 = square, 90 = profile). */
  readonly shoulderAngle: number;
  /** Head roll, degrees, positive toward the subject's right shoulder. */
  readonly headTilt: number;
  /** Head yaw back toward camera relative to the shoulders, degrees. */
  readonly headTurn: number;
  readonly lean: Lean;
  readonly hands: Hands;
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A film stock, sensor look or instant film. */
export interface FilmStock {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly kind: 'colour-negative' | 'colour-slide' | 'black-and-white' | 'instant' | 'digital';
  readonly iso: number;
  /** 0 = grainless, 1 = very heavy grain. */
  readonly grain: number;
  /** −1..1 relative to a neutral rendering. */
  readonly contrast: number;
  readonly saturation: number;
  /** −1 cool .. 1 warm. */
  readonly warmth: number;
  /** Red glow around highlights (CineStill). 0..1 */
  readonly halation: number;
  /** Lifted blacks / faded look. 0..1 */
  readonly fade: number;
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A shot type: how much of the person the frame holds. */
export interface ShotType {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** Face height (chin to hairline) as a fraction of the frame height. */
  readonly faceHeight: Range;
  /** Where the bottom edge of the frame falls on the body. */
  readonly bottomEdge: string;
  /** Focal lengths (full-frame mm) that flatter this framing. */
  readonly flatteringFocal: Range;
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A camera angle. */
export interface CameraAngle {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** Camera height relative to the eyes as a pitch, degrees (positive = looking down on the subject). */
  readonly pitch: number;
  /** Camera roll, degrees (Dutch tilt). */
  readonly roll: number;
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A colour palette: dominant colours the frame should hold. */
export interface Palette {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** sRGB hex colours, most dominant first. */
  readonly colors: readonly string[];
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A colour grade, as parameters the darkroom can apply. */
export interface Grade {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** −1..1 each. */
  readonly contrast: number;
  readonly saturation: number;
  readonly warmth: number;
  readonly tint: number;
  /** Lifted blacks 0..1. */
  readonly fade: number;
  /** Split toning as hex colours, or null. */
  readonly shadowsTone: string | null;
  readonly highlightsTone: string | null;
  readonly monochrome: boolean;
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A composition rule, with where it puts the eyes (fractions of the frame from top-left). */
export interface CompositionRule {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** Target point for the eye line's centre, or null where the rule sets none. */
  readonly eyeAnchor: { readonly x: number; readonly y: number } | null;
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A surface texture look. */
export interface Texture {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** 0..1 grain amount and −1..1 micro-contrast. */
  readonly grain: number;
  readonly microContrast: number;
  readonly effect: string;
  readonly tags: readonly string[];
}

/** A real-person imperfection that authenticity asks for. */
export interface Imperfection {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** Where on the face/body it shows. */
  readonly region: 'skin' | 'eyes' | 'mouth' | 'hair' | 'face-shape' | 'hands';
  /** Words that must never appear in a negative prompt when this is wanted. */
  readonly protectedTerms: readonly string[];
  readonly effect: string;
  readonly tags: readonly string[];
}
