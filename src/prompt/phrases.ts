// What each pillar of a brief says, as ranked phrases (for tag-style prompts) and as a sentence
// (for prose prompts). Both read the same resolved numbers, so every target says the same thing.
import {
  cameraAngles,
  compositions,
  filmStocks,
  findEntry,
  grades,
  imperfections,
  nearestRig,
  palettes,
  resolveExpression,
  resolveLight,
  resolvePosture,
  shotTypes,
  textures,
  type Brief,
  type Pillar,
  type CameraAngle,
  type CompositionRule,
  type FilmStock,
  type Grade,
  type Imperfection,
  type LightRig,
  type Palette,
  type Pose,
  type ResolvedLight,
  type ShotType,
  type Texture,
} from '../brief/index.js';
import type { SectionId } from './types.js';

/** One phrase of a section; priority 0 is the section's head, higher numbers matter less. */
export interface Phrase {
  readonly text: string;
  readonly priority: number;
  /** Emphasis for SD-family weights; 1 = none. */
  readonly emphasis: number;
  /** Essential to this shot: moves to a later window when it must, and is dropped last. */
  readonly keep?: boolean;
}

/** A section as the compiler drafts it, before fitting it into a target's budget. */
export interface SectionDraft {
  readonly id: SectionId;
  readonly pillar: Pillar;
  readonly essential: boolean;
  readonly phrases: readonly Phrase[];
  /** The same content as one or more sentences, for prose targets. */
  readonly sentence: string;
}

const phrase = (text: string, priority: number, emphasis = 1, keep = false): Phrase => ({
  text: clean(text),
  priority,
  emphasis,
  ...(keep ? { keep } : {}),
});

/** Strips characters that prompt parsers read as syntax (weights, BREAK, Midjourney flags). */
export function clean(text: string): string {
  // Most phrases are already clean: one test instead of six replaces (compile speed).
  if (!/[()[\]{}:|\\]|--|\bBREAK\b|[^\S ]| {2}|^[\s,.;]|[\s,.;]$/.test(text)) return text;
  return text
    .replace(/[()[\]{}:|\\]/g, ' ')
    .replace(/--+/g, '-')
    .replace(/\bBREAK\b/g, 'break')
    .replace(/\s+/g, ' ')
    .replace(/^[\s,.;]+|[\s,.;]+$/g, '')
    .trim();
}

function sentence(text: string): string {
  let trimmed = text.trim();
  // Most texts have single spaces only: one test instead of a replace (compile speed).
  if (/\s{2}|[^\S ]/.test(trimmed)) trimmed = trimmed.replace(/\s+/g, ' ');
  if (trimmed === '') return '';
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  const last = capital.charAt(capital.length - 1);
  return last === '.' || last === '!' || last === '?' ? capital : `${capital}.`;
}

const joinClauses = (parts: readonly (string | undefined | false)[]): string =>
  parts.filter((part): part is string => typeof part === 'string' && part.trim() !== '').join(', ');

function get<T extends { id: string; aliases: readonly string[] }>(
  list: readonly T[],
  id: string | undefined,
): T | undefined {
  return id === undefined ? undefined : findEntry(list, id);
}

// ---------------------------------------------------------------------------------------------
// Shot and subject

export function shotOf(brief: Brief): ShotType {
  return (get(shotTypes as readonly ShotType[], brief.camera?.shot ?? 'headshot') ??
    shotTypes[0]) as ShotType;
}

export function shotSection(brief: Brief): SectionDraft {
  const shot = shotOf(brief);
  const head = /photo/.test(shot.tags[0] ?? '')
    ? (shot.tags[0] ?? shot.name)
    : `${shot.tags[0] ?? shot.name} photograph`;
  return {
    id: 'shot',
    pillar: 'camera',
    essential: true,
    phrases: [phrase(head, 0, 1.1), ...shot.tags.slice(1, 2).map((tag) => phrase(tag, 3))],
    sentence: '',
  };
}

/** Whether the frame is wider than head and shoulders, so clothes and place are in the picture. */
export function showsSurroundings(shot: ShotType): boolean {
  const order = shotTypes.map((entry) => entry.id as string);
  return order.indexOf(shot.id) > order.indexOf('headshot');
}

export function subjectSection(brief: Brief): SectionDraft {
  const s = brief.subject;
  // Wider than a headshot, wardrobe and setting are the picture: essentials, not extras.
  const wide = showsSurroundings(shotOf(brief));
  const mentionsAge =
    /\d|\b(teen|twenties|thirties|forties|fifties|sixties|seventies|eighties|old|young|child|baby)\b/i.test(
      s.description,
    );
  const age = s.age !== undefined && !mentionsAge ? `${s.age}-year-old` : undefined;
  const identity = joinClauses([age, s.ethnicity, s.gender]);
  const phrases = [
    phrase(s.description, 0, 1.1),
    ...(identity === '' ? [] : [phrase(identity, 1)]),
    ...s.features.map((feature) => phrase(feature, 2)),
    ...(s.wardrobe === undefined ? [] : [phrase(`wearing ${s.wardrobe}`, wide ? 1 : 2, 1, wide)]),
    ...(s.setting === undefined ? [] : [phrase(s.setting, wide ? 1 : 2, 1, wide)]),
  ];
  const shot = shotOf(brief);
  const article = /^[aeiou]/i.test(shot.name) ? 'An' : 'A';
  // Prose says identity once, as a noun phrase ("…, a woman"), leaving out what the description says.
  const said = s.description.toLowerCase();
  const unsaid = [age, s.ethnicity, s.gender].filter(
    (part): part is string =>
      part !== undefined && part !== '' && !said.includes(part.toLowerCase()),
  );
  const noun = unsaid.join(' ');
  const who =
    noun === ''
      ? s.description
      : `${s.description}, ${/^[aeiou8]/i.test(noun) ? 'an' : 'a'} ${noun}`;
  return {
    id: 'subject',
    pillar: 'subject',
    essential: true,
    phrases,
    sentence:
      sentence(`${article} ${shot.name.toLowerCase()} portrait photograph of ${who}`) +
      (s.features.length === 0
        ? ''
        : ` ${sentence(`Distinguishing details: ${listWords(s.features)}`)}`) +
      (s.wardrobe === undefined ? '' : ` ${sentence(`Wearing ${s.wardrobe}`)}`) +
      (s.setting === undefined ? '' : ` ${sentence(`The setting: ${s.setting}`)}`),
  };
}

function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

// ---------------------------------------------------------------------------------------------
// Expression

const gazePhrases: Record<string, string> = {
  camera: 'looking into the camera',
  'off-camera-left': 'looking off-camera to the left',
  'off-camera-right': 'looking off-camera to the right',
  down: 'eyes lowered, looking down',
  up: 'looking up',
  distance: 'gazing into the distance',
};

/** Intensity said in words; subtle expressions read better understated than named loudly. */
function withIntensity(tag: string, intensity: number): string {
  if (/^(subtle|slight|soft|faint|hint|small|gentle|strong|broad)\b/i.test(tag)) return tag;
  if (intensity < 0.25) return `hint of a ${tag}`;
  if (intensity < 0.5) return `subtle ${tag}`;
  if (intensity >= 0.8) return `strong ${tag}`;
  return tag;
}

export function expressionSection(brief: Brief): SectionDraft | undefined {
  const resolved = resolveExpression(brief);
  if (resolved === undefined) return undefined;
  const { entry, intensity, geometry, gaze } = resolved;
  const head =
    entry.id === 'neutral' ? 'neutral relaxed expression' : (entry.tags[0] ?? entry.name);
  const fine: string[] = [];
  const overridden = new Set(resolved.overrides);
  if (overridden.has('lipCornerLift')) {
    if (geometry.lipCornerLift > 0.05)
      fine.push(
        geometry.lipCornerLift < 0.35 ? 'lip corners lifted slightly' : 'lip corners lifted',
      );
    else if (geometry.lipCornerLift < -0.05) fine.push('lip corners turned down');
  }
  if (overridden.has('lipsParted') && geometry.lipsParted > 0.1)
    fine.push(geometry.lipsParted < 0.4 ? 'lips slightly parted' : 'lips parted');
  if (overridden.has('browRaise') && geometry.browRaise > 0.1)
    fine.push(geometry.browRaise < 0.4 ? 'brows raised slightly' : 'brows raised');
  if (overridden.has('browFurrow') && geometry.browFurrow > 0.1)
    fine.push(geometry.browFurrow < 0.4 ? 'slight furrow between the brows' : 'furrowed brow');
  if (overridden.has('eyeAperture')) {
    if (geometry.eyeAperture > 0.1) fine.push('eyes wide open');
    else if (geometry.eyeAperture < -0.1) fine.push('eyes slightly narrowed');
  }
  if (geometry.asymmetry > 0.25) fine.push('slightly uneven, natural expression');
  const headText = entry.id === 'neutral' ? head : withIntensity(head, intensity);
  return {
    id: 'expression',
    pillar: 'expression',
    essential: true,
    phrases: [
      // Emphasis carries intensity on SD families: 1.0 at nothing, 1.3 at full strength.
      phrase(headText, 0, entry.id === 'neutral' ? 1 : 1 + 0.3 * intensity),
      ...fine.map((text) => phrase(text, 1)),
      phrase(gazePhrases[gaze] ?? gaze, 1),
      // A stated gaze wins over the gaze words in the expression's own tags.
      ...entry.tags
        .slice(1, 3)
        .filter(
          (tag) =>
            brief.expression?.gaze === undefined ||
            !/\b(looking|gaz\w*|eyes? (down|up|lowered))\b/.test(tag),
        )
        .map((tag) => phrase(tag, 3)),
    ],
    sentence: sentence(
      `The expression: ${headText} — ${entry.effect.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase())}` +
        (fine.length > 0 ? `; ${fine.join(', ')}` : '') +
        `; ${gazePhrases[gaze] ?? gaze}`,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Light

/** "Rembrandt lighting", "Window light": the rig named as a photographer says it. */
export function rigPhrase(rig: LightRig): string {
  return /light/i.test(rig.name) ? rig.name : `${rig.name} lighting`;
}

/** The rig's visible effect on this face, with sides and catchlight filled in. */
export function faceEffect(rig: LightRig, light: ResolvedLight): string {
  const shadow = light.side === 'left' ? 'right' : 'left';
  return rig.faceEffect
    .replaceAll('{lit}', light.side)
    .replaceAll('{shadow}', shadow)
    .replaceAll('{clock}', String(light.catchlightClock));
}

function softnessWords(softness: number): string {
  if (softness >= 0.75) return 'very soft diffused light';
  if (softness >= 0.5) return 'soft light';
  if (softness >= 0.3) return 'crisp directional light';
  return 'hard light with crisp shadow edges';
}

function temperatureWords(kelvin: number): string | undefined {
  if (kelvin <= 3600)
    return `warm tungsten-coloured light around ${Math.round(kelvin / 100) * 100}K`;
  if (kelvin <= 4800) return 'warm light';
  if (kelvin >= 6500) return 'cool bluish daylight';
  return undefined;
}

const backgroundWords: Record<string, string> = {
  black: 'black background',
  dark: 'dark background',
  mid: 'mid-grey background',
  light: 'light background',
  white: 'bright white background',
  environment: 'background of the real location',
};

export function lightSection(brief: Brief): SectionDraft | undefined {
  const light = resolveLight(brief);
  if (light === undefined) return undefined;
  // Describe explicit angles through the nearest rig, judged on what the brief actually stated.
  const rig =
    light.rig ??
    (light.explicitKey
      ? nearestRig({
          azimuth: light.azimuth,
          elevation: light.elevation,
          fillRatio: brief.light?.fillRatio ?? null,
          ...(brief.light?.softness === undefined ? {} : { softness: brief.light.softness }),
        })
      : undefined);
  const effect = rig === undefined ? undefined : faceEffect(rig, light);
  const clauses = effect === undefined ? [] : effect.split(/;\s*/);
  const ratio =
    light.fillRatio === null ? undefined : `${formatRatio(light.fillRatio)}:1 key-to-fill ratio`;
  const phrases: Phrase[] = [];
  if (rig !== undefined) {
    const name =
      light.rig === undefined ? `light like ${rig.tags[0] ?? rig.name}` : (rig.tags[0] ?? rig.name);
    phrases.push(phrase(name, 0, 1.2));
    clauses.forEach((clause, index) =>
      phrases.push(phrase(clause, index === 0 ? 0 : index + 1, index === 0 ? 1.1 : 1)),
    );
  } else {
    phrases.push(phrase(softnessWords(light.softness), 0, 1.1));
  }
  if (rig !== undefined) phrases.push(phrase(softnessWords(light.softness), 3));
  const temperature = temperatureWords(light.colorTemperature);
  if (temperature !== undefined) phrases.push(phrase(temperature, 3));
  if (light.rim && rig?.id !== 'rim')
    phrases.push(phrase('rim light outlining the hair and shoulders', 4));
  if (light.background !== undefined)
    phrases.push(phrase(backgroundWords[light.background] ?? light.background, 4));
  for (const tag of rig?.tags.slice(1, 3) ?? []) phrases.push(phrase(tag, 5));

  const sideWords = `the subject's ${light.side} (camera ${light.side === 'left' ? 'right' : 'left'})`;
  const where =
    rig?.symmetric === true || Math.abs(light.azimuth) < 5
      ? `from ${light.elevation > 25 ? 'high ' : ''}in front of the face`
      : light.elevation > 25
        ? `from high on ${sideWords}`
        : `from ${sideWords}`;
  const lead =
    rig === undefined ? `${softnessWords(light.softness)}` : `${rigPhrase(rig)} ${where}`;
  return {
    id: 'light',
    pillar: 'light',
    essential: true,
    phrases,
    sentence: [
      sentence(`${lead}${effect === undefined ? '' : `: ${effect.replaceAll(';', ',')}`}`),
      sentence(
        joinClauses([
          rig === undefined ? undefined : softnessWords(light.softness),
          ratio,
          `${Math.round(light.colorTemperature)}K`,
          light.rim && rig?.id !== 'rim'
            ? 'a rim light outlining the hair and shoulders'
            : undefined,
          light.background === undefined ? undefined : backgroundWords[light.background],
        ]),
      ),
    ]
      .filter((s) => s !== '')
      .join(' '),
  };
}

function formatRatio(ratio: number): string {
  return Number.isInteger(ratio) ? String(ratio) : ratio.toFixed(1);
}

// ---------------------------------------------------------------------------------------------
// Posture

const handsWords: Record<string, string> = {
  'not-visible': 'hands out of frame',
  relaxed: 'hands relaxed',
  'touching-face': 'fingertips lightly touching the face',
  'chin-on-hand': 'chin resting lightly on one hand',
  'in-pockets': 'hands in pockets',
  'arms-crossed': 'arms crossed',
  'holding-object': 'holding an object',
  'on-hips': 'hand on hip',
  clasped: 'hands loosely clasped',
  'in-hair': 'one hand in the hair',
};

export function postureSection(brief: Brief): SectionDraft | undefined {
  const posture = resolvePosture(brief);
  if (posture === undefined) return undefined;
  const pose = posture.pose as Pose | undefined;
  const phrases: Phrase[] = [];
  if (pose !== undefined) phrases.push(phrase(pose.tags[0] ?? pose.name, 0, 1.1));
  if (posture.stance !== undefined && posture.stance !== pose?.stance)
    phrases.push(phrase(posture.stance, 1));
  const shoulders =
    posture.shoulderAngle === undefined
      ? undefined
      : posture.shoulderAngle < 10
        ? 'shoulders square to the camera'
        : posture.shoulderAngle > 70
          ? 'body in profile'
          : `shoulders angled about ${Math.round(posture.shoulderAngle)} degrees to the camera`;
  if (shoulders !== undefined && pose === undefined) phrases.push(phrase(shoulders, 1));
  const tilt =
    posture.headTilt === undefined || Math.abs(posture.headTilt) < 2
      ? undefined
      : `head tilted ${Math.abs(posture.headTilt) < 8 ? 'slightly ' : ''}toward the ${posture.headTilt > 0 ? 'right' : 'left'} shoulder`;
  if (tilt !== undefined) phrases.push(phrase(tilt, 2));
  const hands =
    posture.handsDetail ?? (posture.hands === undefined ? undefined : handsWords[posture.hands]);
  if (hands !== undefined) phrases.push(phrase(hands, posture.handsDetail === undefined ? 2 : 1));
  const lean =
    posture.lean === 'toward'
      ? 'leaning slightly toward the camera'
      : posture.lean === 'away'
        ? 'leaning back, slightly away'
        : undefined;
  if (lean !== undefined) phrases.push(phrase(lean, 3));
  if (phrases.length === 0) phrases.push(phrase('natural relaxed posture', 0));
  return {
    id: 'posture',
    pillar: 'posture',
    essential: false,
    phrases,
    sentence: sentence(
      joinClauses([
        pose === undefined
          ? undefined
          : `Pose: ${pose.effect.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase())}`,
        pose === undefined ? shoulders : undefined,
        tilt,
        hands,
        lean,
      ]),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Camera and atmosphere

function depthWords(aperture: number): string {
  if (aperture <= 2) return 'shallow depth of field, background melted into soft bokeh';
  if (aperture <= 4) return 'background softly out of focus';
  if (aperture < 8) return 'moderate depth of field';
  return 'deep focus, background sharp';
}

export function cameraSection(brief: Brief): SectionDraft | undefined {
  const camera = brief.camera;
  if (camera === undefined) return undefined;
  const film = get(filmStocks as readonly FilmStock[], camera.film);
  const angle = get(cameraAngles as readonly CameraAngle[], camera.angle);
  const focal = `${Math.round(camera.focalLength)}mm lens`;
  const stop = `f/${formatRatio(camera.aperture)}`;
  const depth =
    camera.depthOfField === 'everything-sharp'
      ? 'everything in sharp focus'
      : camera.depthOfField === 'shallow'
        ? depthWords(Math.min(camera.aperture, 2))
        : camera.depthOfField === 'moderate'
          ? 'moderate depth of field, background recognisable but soft'
          : depthWords(camera.aperture);
  const phrases: Phrase[] = [
    phrase(`${focal}, ${stop}`.replace(', ', ' '), 0),
    phrase(depth, 1),
    ...(film === undefined
      ? []
      : [
          phrase(film.kind === 'digital' ? (film.tags[0] ?? film.name) : `shot on ${film.name}`, 1),
          ...film.tags
            .slice(1, 3)
            .filter((tag) => !tag.toLowerCase().includes(film.name.toLowerCase()))
            .map((tag) => phrase(tag, 3)),
        ]),
    ...(angle === undefined || angle.id === 'eye-level'
      ? []
      : [phrase(angle.tags[0] ?? angle.name, 1)]),
    ...(camera.sensor === 'medium-format' || camera.sensor === 'large-format'
      ? [phrase(`${camera.sensor.replace('-', ' ')} camera`, 3)]
      : []),
    ...(camera.iso !== undefined && camera.iso >= 1600 ? [phrase('high ISO grain', 4)] : []),
  ];
  return {
    id: 'camera',
    pillar: 'camera',
    essential: false,
    phrases,
    sentence: sentence(
      `Shot on ${/^(8|11|18)/.test(focal) ? 'an' : 'a'} ${focal} at ${stop}` +
        (camera.shutter === undefined
          ? ''
          : `, ${camera.shutter}${camera.shutter.endsWith('s') ? '' : 's'}`) +
        (camera.iso === undefined ? '' : `, ISO ${camera.iso}`) +
        (film === undefined
          ? ''
          : film.kind === 'digital'
            ? `, ${film.name}`
            : ` on ${film.name} (${film.effect.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase())})`) +
        `; ${depth}` +
        (angle === undefined
          ? ''
          : `; ${/angle|tilt/i.test(angle.name) ? angle.name.toLowerCase() : `${angle.name.toLowerCase()} angle`}`),
    ),
  };
}

export function atmosphereSection(brief: Brief): SectionDraft | undefined {
  const atmosphere = brief.atmosphere;
  if (atmosphere === undefined) return undefined;
  const words: string[] = [];
  if (atmosphere.haze >= 0.6) words.push('thick atmospheric haze');
  else if (atmosphere.haze >= 0.2) words.push('light atmospheric haze');
  if (atmosphere.timeOfDay !== undefined) words.push(atmosphere.timeOfDay.replace('-', ' '));
  if (
    atmosphere.weather !== undefined &&
    atmosphere.weather !== 'clear' &&
    atmosphere.weather !== 'indoor'
  ) {
    words.push(`${atmosphere.weather} weather`);
  }
  if (words.length === 0) return undefined;
  return {
    id: 'atmosphere',
    pillar: 'light',
    essential: false,
    // Haze changes the whole picture; the hour and weather mostly restate the light.
    phrases: words.map((w) => phrase(w, /haze/.test(w) ? 0 : 2)),
    sentence: sentence(`Atmosphere: ${words.join(', ')}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Aesthetic

/** A small named-colour table so custom hex palettes can be said in words. */
const colourNames: ReadonlyArray<readonly [name: string, r: number, g: number, b: number]> = [
  ['black', 20, 20, 20],
  ['charcoal', 54, 69, 79],
  ['slate grey', 112, 128, 144],
  ['grey', 128, 128, 128],
  ['silver', 192, 192, 192],
  ['white', 245, 245, 245],
  ['cream', 255, 253, 208],
  ['beige', 222, 203, 164],
  ['sand', 194, 178, 128],
  ['tan', 210, 180, 140],
  ['ochre', 204, 119, 34],
  ['mustard', 225, 173, 1],
  ['gold', 212, 175, 55],
  ['amber', 255, 191, 0],
  ['orange', 245, 130, 32],
  ['rust', 183, 65, 14],
  ['terracotta', 204, 78, 92],
  ['brick red', 140, 40, 30],
  ['crimson', 220, 20, 60],
  ['burgundy', 128, 0, 32],
  ['dusty rose', 220, 174, 150],
  ['blush pink', 254, 200, 216],
  ['magenta', 202, 31, 123],
  ['plum', 142, 69, 133],
  ['lavender', 181, 126, 220],
  ['violet', 127, 0, 255],
  ['navy', 0, 0, 128],
  ['cobalt', 0, 71, 171],
  ['sky blue', 135, 206, 235],
  ['teal', 0, 128, 128],
  ['turquoise', 64, 224, 208],
  ['sage green', 178, 172, 136],
  ['olive', 128, 128, 0],
  ['forest green', 34, 85, 34],
  ['emerald', 0, 155, 119],
  ['mint', 170, 240, 209],
  ['chocolate brown', 90, 55, 30],
  ['walnut brown', 120, 80, 50],
  ['warm brown', 150, 100, 60],
  ['peach', 255, 203, 164],
];

/** The nearest colour name for an sRGB hex colour. */
export function colourName(hex: string): string {
  const value = Number.parseInt(hex.slice(1), 16);
  const r = (value >> 16) & 255;
  const g = (value >> 8) & 255;
  const b = value & 255;
  let best = 'grey';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [name, cr, cg, cb] of colourNames) {
    // Weighted RGB distance ("redmean"): cheap and close enough to perceptual for naming.
    const mean = (r + cr) / 2;
    const distance =
      (2 + mean / 256) * (r - cr) ** 2 +
      4 * (g - cg) ** 2 +
      (2 + (255 - mean) / 256) * (b - cb) ** 2;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = name;
    }
  }
  return best;
}

export function aestheticSection(brief: Brief): SectionDraft | undefined {
  const aesthetic = brief.aesthetic;
  if (aesthetic === undefined) return undefined;
  const palette = get(palettes as readonly Palette[], aesthetic.palette);
  const grade = get(grades as readonly Grade[], aesthetic.grade);
  const composition = get(compositions as readonly CompositionRule[], aesthetic.composition);
  const texture = get(textures as readonly Texture[], aesthetic.texture);
  const customColours = [...new Set((aesthetic.colors ?? []).map(colourName))];
  const phrases: Phrase[] = [];
  if (palette !== undefined) phrases.push(phrase(palette.tags[0] ?? palette.name, 0));
  if (customColours.length > 0)
    phrases.push(
      phrase(`colour palette of ${customColours.join(', ')}`, palette === undefined ? 0 : 1),
    );
  if (grade !== undefined) phrases.push(phrase(grade.tags[0] ?? grade.name, 1));
  if (composition !== undefined) phrases.push(phrase(composition.tags[0] ?? composition.name, 2));
  if (texture !== undefined) phrases.push(phrase(texture.tags[0] ?? texture.name, 2));
  if (aesthetic.mood !== undefined) phrases.push(phrase(`${aesthetic.mood} mood`, 1));
  for (const tag of palette?.tags.slice(1, 2) ?? []) phrases.push(phrase(tag, 4));
  if (phrases.length === 0) return undefined;
  const lower = (s: string) => s.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase());
  return {
    id: 'aesthetic',
    pillar: 'aesthetic',
    essential: false,
    phrases,
    sentence: [
      palette === undefined && customColours.length === 0
        ? ''
        : sentence(
            `Palette: ${joinClauses([palette === undefined ? undefined : lower(palette.effect), customColours.length > 0 ? customColours.join(', ') : undefined])}`,
          ),
      grade === undefined ? '' : sentence(`Grade: ${lower(grade.effect)}`),
      composition === undefined ? '' : sentence(`Composition: ${lower(composition.effect)}`),
      texture === undefined ? '' : sentence(`Texture: ${lower(texture.effect)}`),
      aesthetic.mood === undefined ? '' : sentence(`Mood: ${aesthetic.mood}`),
    ]
      .filter((s) => s !== '')
      .join(' '),
  };
}

// ---------------------------------------------------------------------------------------------
// Authenticity

const retouchWords: Record<string, string> = {
  none: 'unretouched, as shot',
  natural: 'natural retouching that keeps the skin texture',
  editorial: 'editorial retouching, blemishes removed, pores kept',
  beauty: 'polished beauty retouching',
};

/** Whether the brief asks the model to keep a real person's texture. */
export function wantsAuthenticSkin(brief: Brief): boolean {
  const authenticity = brief.authenticity;
  if (authenticity === undefined) return true; // Realism is the product's default.
  return (
    authenticity.imperfections.length > 0 ||
    authenticity.retouch === 'none' ||
    authenticity.retouch === 'natural'
  );
}

export function authenticitySection(brief: Brief): SectionDraft | undefined {
  const authenticity = brief.authenticity;
  if (authenticity === undefined) return undefined;
  const wanted = authenticity.imperfections
    .map((id) => get(imperfections as readonly Imperfection[], id))
    .filter((entry): entry is Imperfection => entry !== undefined);
  const phrases: Phrase[] = wanted.map((entry, index) =>
    phrase(entry.tags[0] ?? entry.name, index < 2 ? 0 : 2, index < 2 ? 1.1 : 1),
  );
  if (authenticity.notes !== undefined) phrases.push(phrase(authenticity.notes, 1));
  if (wantsAuthenticSkin(brief)) phrases.push(phrase('natural skin texture', 1));
  phrases.push(phrase(retouchWords[authenticity.retouch] ?? authenticity.retouch, 3));
  return {
    id: 'authenticity',
    pillar: 'authenticity',
    essential: false,
    phrases,
    sentence: sentence(
      joinClauses([
        wanted.length > 0
          ? `Real skin and a real person: ${listWords(wanted.map((entry) => entry.tags[0] ?? entry.name))}`
          : undefined,
        authenticity.notes,
        retouchWords[authenticity.retouch],
      ]),
    ),
  };
}

/** Every section of a brief, essential ones first. */
export function draftSections(brief: Brief): SectionDraft[] {
  const drafts = [
    shotSection(brief),
    subjectSection(brief),
    expressionSection(brief),
    lightSection(brief),
    postureSection(brief),
    cameraSection(brief),
    atmosphereSection(brief),
    aestheticSection(brief),
    authenticitySection(brief),
  ];
  // Vocabularies overlap (a film's grain and a texture's grain): say each phrase once, first wins.
  const seen = new Set<string>();
  return drafts
    .filter((d): d is SectionDraft => d !== undefined)
    .map((d) => {
      const phrases = d.phrases.filter((p) => {
        const key = p.text.toLowerCase();
        if (p.text === '' || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      // Most sections lose nothing: keep the object instead of copying it (compile speed).
      return phrases.length === d.phrases.length ? d : { ...d, phrases };
    })
    .filter((d) => d.phrases.length > 0);
}
