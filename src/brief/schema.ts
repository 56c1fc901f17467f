// The Brief: what a portrait should be, pillar by pillar. Validated once at the boundary; every
// field documents itself (the descriptions end up in the JSON Schema for editor autocomplete).
import { z } from 'zod';
import {
  cameraAngleIds,
  compositionIds,
  expressionIds,
  filmStockIds,
  gradeIds,
  imperfectionIds,
  lightRigIds,
  paletteIds,
  poseIds,
  shotTypeIds,
  textureIds,
} from './vocab/index.js';

/** The brief format version this build reads and writes. */
export const CURRENT_BRIEF_VERSION = 1;

/** Model families the compiler writes for. */
export const targetIds = ['sd15', 'sdxl', 'flux', 'gpt-image', 'midjourney'] as const;
export type Target = (typeof targetIds)[number];

export const referenceRoles = [
  'identity',
  'pose',
  'expression',
  'lighting',
  'palette',
  'style',
] as const;
export type ReferenceRole = (typeof referenceRoles)[number];

export const retouchLevels = ['none', 'natural', 'editorial', 'beauty'] as const;
export type RetouchLevel = (typeof retouchLevels)[number];

export const gazeIds = [
  'camera',
  'off-camera-left',
  'off-camera-right',
  'down',
  'up',
  'distance',
] as const;

export const stanceIds = [
  'standing',
  'seated',
  'leaning',
  'reclining',
  'walking',
  'crouching',
] as const;
export const leanIds = ['toward', 'neutral', 'away'] as const;
export const handsIds = [
  'not-visible',
  'relaxed',
  'touching-face',
  'chin-on-hand',
  'in-pockets',
  'arms-crossed',
  'holding-object',
  'on-hips',
  'clasped',
  'in-hair',
] as const;
export const sideIds = ['left', 'right'] as const;
export const backgroundIds = ['black', 'dark', 'mid', 'light', 'white', 'environment'] as const;
export const timeOfDayIds = [
  'dawn',
  'morning',
  'midday',
  'afternoon',
  'golden-hour',
  'blue-hour',
  'night',
] as const;
export const weatherIds = ['clear', 'hazy', 'overcast', 'fog', 'rain', 'snow', 'indoor'] as const;
export const sensorIds = [
  'full-frame',
  'medium-format',
  'large-format',
  'aps-c',
  'phone',
  'film-35mm',
] as const;
export const depthOfFieldIds = ['shallow', 'moderate', 'everything-sharp'] as const;

/** A number in [min, max]; the message says both bounds so one issue tells the whole story. */
function between(min: number, max: number, what = 'a number') {
  const expected = `expected ${what} from ${min} to ${max}`;
  return z
    .number({ error: `expected ${what}` })
    .min(min, { error: expected })
    .max(max, { error: expected });
}

function integerBetween(min: number, max: number, what = 'an integer') {
  return between(min, max, what).int({ error: `expected ${what}` });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, { error: `expected ${what}` });
}

const text = (max: number) =>
  z
    .string({ error: 'expected text' })
    .trim()
    .min(1, { error: 'expected non-empty text' })
    .max(max, { error: `expected text of at most ${max} characters` });

const hexColor = z
  .string({ error: 'expected a hex colour' })
  .regex(/^#[0-9a-fA-F]{6}$/, { error: 'expected a hex colour like #a0522d' });

export const subjectSchema = z
  .strictObject({
    description: text(400).describe(
      'Who is in the picture, specifically: age, features, hair, distinguishing marks. Specific beats generic (avoids the model’s default face).',
    ),
    age: integerBetween(0, 120, 'an age in years').optional(),
    gender: text(40).optional(),
    ethnicity: text(80).optional(),
    features: z
      .array(text(80), { error: 'expected a list of features' })
      .max(12, { error: 'expected at most 12 features' })
      .default([])
      .describe('Distinguishing features, e.g. "gap between front teeth", "silver hoop earring".'),
    wardrobe: text(200).optional(),
    setting: text(200)
      .optional()
      .describe('Where the portrait is made: the environment/background.'),
  })
  .describe('The person.');

export const expressionSchema = z
  .strictObject({
    name: oneOf(expressionIds, 'a named expression')
      .default('neutral')
      .describe(
        'A named micro-expression from the vocabulary (see `portraitist brief vocab expressions`).',
      ),
    intensity: between(0, 1).default(0.5).describe('0 = barely there, 1 = full strength.'),
    lipCornerLift: between(-1, 1).optional().describe('AU12 (+) / AU15 (−) override, −1..1.'),
    lipsParted: between(0, 1).optional().describe('AU25/26 override, 0..1.'),
    browRaise: between(0, 1).optional().describe('AU1+AU2 override, 0..1.'),
    browFurrow: between(0, 1).optional().describe('AU4 override, 0..1.'),
    eyeAperture: between(-1, 1)
      .optional()
      .describe('Widened (+, AU5) or narrowed (−, AU6/AU43), −1..1.'),
    asymmetry: between(0, 1)
      .optional()
      .describe('Left/right difference, 0..1 (real smiles are rarely symmetric).'),
    gaze: oneOf(gazeIds, 'a gaze direction').optional(),
  })
  .describe('Expression: a named micro-expression, its intensity and fine facial controls.');

export const postureSchema = z
  .strictObject({
    pose: oneOf(poseIds, 'a named pose').optional(),
    stance: oneOf(stanceIds, 'a stance').optional(),
    shoulderAngle: between(0, 90, 'an angle in degrees')
      .optional()
      .describe(
        'Shoulder line turned away from square-on, degrees (30–45 reads slimmer and more dynamic).',
      ),
    headTilt: between(-30, 30, 'an angle in degrees')
      .optional()
      .describe('Head roll, degrees, positive toward the subject’s right shoulder.'),
    headTurn: between(-90, 90, 'an angle in degrees')
      .optional()
      .describe(
        'Head yaw relative to the camera axis, degrees, positive toward the subject’s left.',
      ),
    lean: oneOf(leanIds, 'a lean').optional(),
    hands: oneOf(handsIds, 'a hands position').optional(),
    handsDetail: text(200).optional().describe('What the hands do or hold, in words.'),
  })
  .describe('Posture and gesture.');

export const lightSchema = z
  .strictObject({
    rig: oneOf(lightRigIds, 'a light rig').optional(),
    side: oneOf(sideIds, 'the subject’s side of the key')
      .default('left')
      .describe(
        'Which side of the subject’s face the key comes from (subject’s left = camera right).',
      ),
    key: z
      .strictObject({
        azimuth: between(-180, 180, 'an angle in degrees').describe(
          'Key azimuth relative to the face, positive toward the subject’s left.',
        ),
        elevation: between(-90, 90, 'an angle in degrees'),
      })
      .optional()
      .describe('Explicit key position; overrides the rig’s angles.'),
    fillRatio: between(1, 32, 'a key:fill ratio').optional().describe('Key:fill, e.g. 4 for 4:1.'),
    softness: between(0, 1)
      .optional()
      .describe('0 = hard point source, 1 = very soft wrapping source.'),
    colorTemperature: between(1500, 12000, 'a colour temperature in kelvin').optional(),
    rim: z.boolean({ error: 'expected true or false' }).optional(),
    background: oneOf(backgroundIds, 'a background brightness').optional(),
  })
  .describe('Light: a named rig or explicit key, fill, softness, colour and background.');

export const atmosphereSchema = z
  .strictObject({
    haze: between(0, 1).default(0),
    timeOfDay: oneOf(timeOfDayIds, 'a time of day').optional(),
    weather: oneOf(weatherIds, 'a weather').optional(),
  })
  .describe('Atmosphere: haze, time of day, weather.');

export const cameraSchema = z
  .strictObject({
    focalLength: between(8, 800, 'a focal length in mm (full-frame equivalent)').default(85),
    aperture: between(0.7, 64, 'an f-number').default(2.8),
    shutter: z
      .string({ error: 'expected a shutter speed' })
      .regex(/^(1\/\d{1,5}|\d{1,3}(\.\d+)?s?)$/, {
        error: 'expected a shutter speed like 1/125 or 2s',
      })
      .optional(),
    iso: integerBetween(25, 409600, 'an ISO value').optional(),
    film: oneOf(filmStockIds, 'a film stock or look').optional(),
    sensor: oneOf(sensorIds, 'a sensor format').default('full-frame'),
    shot: oneOf(shotTypeIds, 'a shot type').default('headshot'),
    angle: oneOf(cameraAngleIds, 'a camera angle').default('eye-level'),
    aspectRatio: z
      .string({ error: 'expected an aspect ratio' })
      .regex(/^[1-9]\d{0,2}:[1-9]\d{0,2}$/, { error: 'expected an aspect ratio like 4:5' })
      .default('4:5'),
    depthOfField: oneOf(depthOfFieldIds, 'a depth of field').optional(),
  })
  .describe('Camera: lens, exposure, film, shot type, angle, aspect ratio.');

export const aestheticSchema = z
  .strictObject({
    palette: oneOf(paletteIds, 'a palette').optional(),
    colors: z
      .array(hexColor, { error: 'expected a list of hex colours' })
      .max(8, { error: 'expected at most 8 colours' })
      .optional()
      .describe('A custom palette, most dominant first; combines with or replaces `palette`.'),
    grade: oneOf(gradeIds, 'a colour grade').optional(),
    composition: oneOf(compositionIds, 'a composition rule').default('rule-of-thirds'),
    texture: oneOf(textureIds, 'a texture').optional(),
    mood: text(160).optional(),
  })
  .describe('Aesthetic: palette, grade, composition, texture, mood.');

export const authenticitySchema = z
  .strictObject({
    imperfections: z
      .array(oneOf(imperfectionIds, 'an imperfection'), {
        error: 'expected a list of imperfections',
      })
      .default([]),
    retouch: oneOf(retouchLevels, 'a retouch level').default('natural'),
    notes: text(300).optional().describe('Specific marks that make this person real, in words.'),
  })
  .describe('Authenticity: the imperfections that make a person real, and the retouch level.');

export const referenceSchema = z.strictObject({
  image: text(1024).describe('A file path (relative to the brief) or a library image id.'),
  role: oneOf(referenceRoles, 'a reference role'),
  weight: between(0, 2).default(1),
  note: text(200).optional(),
});

export const outputSchema = z
  .strictObject({
    target: oneOf(targetIds, 'a target model family').default('sdxl'),
    count: integerBetween(1, 64, 'a count').default(4),
    width: integerBetween(64, 4096, 'a width in pixels').optional(),
    height: integerBetween(64, 4096, 'a height in pixels').optional(),
    seed: integerBetween(0, Number.MAX_SAFE_INTEGER, 'a seed').optional(),
    steps: integerBetween(1, 200, 'a step count').optional(),
    guidance: between(0, 30, 'a guidance scale').optional(),
  })
  .describe('Output: target model family, count, size, seed and engine overrides.');

export const briefSchema = z
  .strictObject({
    version: z.literal(CURRENT_BRIEF_VERSION, {
      error: `expected version ${CURRENT_BRIEF_VERSION}`,
    }),
    title: text(120).optional(),
    notes: text(2000).optional(),
    subject: subjectSchema,
    expression: expressionSchema.optional(),
    posture: postureSchema.optional(),
    light: lightSchema.optional(),
    atmosphere: atmosphereSchema.optional(),
    camera: cameraSchema.optional(),
    aesthetic: aestheticSchema.optional(),
    authenticity: authenticitySchema.optional(),
    references: z
      .array(referenceSchema, { error: 'expected a list of references' })
      .max(16)
      .default([]),
    output: outputSchema.default({ target: 'sdxl', count: 4 }),
  })
  .describe('A Portraitist brief: one portrait, stated pillar by pillar.');

/** A validated brief with defaults filled in. */
export type Brief = z.output<typeof briefSchema>;
/** What a brief file may contain before defaults are filled in. */
export type BriefInput = z.input<typeof briefSchema>;
export type BriefSubject = Brief['subject'];
export type BriefExpression = NonNullable<Brief['expression']>;
export type BriefPosture = NonNullable<Brief['posture']>;
export type BriefLight = NonNullable<Brief['light']>;
export type BriefAtmosphere = NonNullable<Brief['atmosphere']>;
export type BriefCamera = NonNullable<Brief['camera']>;
export type BriefAesthetic = NonNullable<Brief['aesthetic']>;
export type BriefAuthenticity = NonNullable<Brief['authenticity']>;
export type BriefReference = Brief['references'][number];
export type BriefOutput = Brief['output'];
