import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  cameraAngleIds,
  cameraAngles,
  compositionIds,
  compositions,
  expressionIds,
  expressions,
  filmStockIds,
  filmStocks,
  findEntry,
  gradeIds,
  grades,
  imperfectionIds,
  imperfections,
  lightRigIds,
  lightRigs,
  normaliseVocabKey,
  paletteIds,
  palettes,
  poseIds,
  poses,
  shotTypeIds,
  shotTypes,
  textureIds,
  textures,
} from './index.js';
import type { FacialGeometry, LightRigId, Range } from './index.js';

const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const HEX_COLOUR = /^#[0-9a-f]{6}$/i;
// Commas separate SD tags and brackets/colons are its weight syntax: either inside a tag corrupts it.
const TAG_BREAKERS = /[,()[\]:{}<>]/;
const PLACEHOLDER = /\{[^}]*\}/g;
const FACE_PLACEHOLDERS = new Set(['{lit}', '{shadow}', '{clock}']);

interface DescribedEntry {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly effect: string;
  readonly tags: readonly string[];
}

interface Vocabulary {
  readonly label: string;
  readonly entries: readonly DescribedEntry[];
  readonly ids: readonly string[];
  readonly minimum: number;
}

const vocabularies: readonly Vocabulary[] = [
  { label: 'light rigs', entries: lightRigs, ids: lightRigIds, minimum: 14 },
  { label: 'expressions', entries: expressions, ids: expressionIds, minimum: 17 },
  { label: 'poses', entries: poses, ids: poseIds, minimum: 12 },
  { label: 'film stocks', entries: filmStocks, ids: filmStockIds, minimum: 10 },
  { label: 'shot types', entries: shotTypes, ids: shotTypeIds, minimum: 7 },
  { label: 'camera angles', entries: cameraAngles, ids: cameraAngleIds, minimum: 5 },
  { label: 'palettes', entries: palettes, ids: paletteIds, minimum: 8 },
  { label: 'grades', entries: grades, ids: gradeIds, minimum: 8 },
  { label: 'compositions', entries: compositions, ids: compositionIds, minimum: 5 },
  { label: 'textures', entries: textures, ids: textureIds, minimum: 5 },
  { label: 'imperfections', entries: imperfections, ids: imperfectionIds, minimum: 14 },
];

function expectRangeWithin(range: Range, low: number, high: number, what: string): void {
  const [min, max] = range;
  expect(min, `${what}: min <= max`).toBeLessThanOrEqual(max);
  expect(min, `${what}: min within [${low}, ${high}]`).toBeGreaterThanOrEqual(low);
  expect(max, `${what}: max within [${low}, ${high}]`).toBeLessThanOrEqual(high);
}

function expectWithin(value: number, low: number, high: number, what: string): void {
  expect(value, `${what} >= ${low}`).toBeGreaterThanOrEqual(low);
  expect(value, `${what} <= ${high}`).toBeLessThanOrEqual(high);
}

function idsOf(entries: readonly { readonly id: string }[]): string[] {
  return entries.map((entry) => entry.id);
}

function byId<Entry extends { readonly id: string }>(entries: readonly Entry[], id: string): Entry {
  const entry = entries.find((candidate) => candidate.id === id);
  if (entry === undefined) throw new Error(`no entry with id ${id}`);
  return entry;
}

describe.each(vocabularies)('$label', ({ entries, ids, minimum }) => {
  it(`has at least ${minimum} entries`, () => {
    expect(entries.length).toBeGreaterThanOrEqual(minimum);
  });

  it('uses kebab-case ids and aliases', () => {
    for (const entry of entries) {
      expect(entry.id).toMatch(KEBAB_CASE);
      for (const alias of entry.aliases) expect(alias, entry.id).toMatch(KEBAB_CASE);
    }
  });

  it('never reuses an id or alias within the list', () => {
    const keys = entries.flatMap((entry) => [entry.id, ...entry.aliases].map(normaliseVocabKey));
    const repeated = keys.filter((key, index) => keys.indexOf(key) !== index);
    expect(repeated).toEqual([]);
  });

  it('exports an id tuple matching the entries, in order', () => {
    expect([...ids]).toEqual(idsOf(entries));
  });

  it('names and describes every entry in one line', () => {
    for (const entry of entries) {
      expect(entry.name.trim(), entry.id).not.toBe('');
      expect(entry.effect.trim().length, entry.id).toBeGreaterThan(10);
      expect(entry.effect, entry.id).not.toMatch(/\n/);
    }
  });

  it('gives 2-4 distinct, clean prompt tags per entry', () => {
    for (const entry of entries) {
      expect(entry.tags.length, entry.id).toBeGreaterThanOrEqual(2);
      expect(entry.tags.length, entry.id).toBeLessThanOrEqual(4);
      expect(new Set(entry.tags).size, entry.id).toBe(entry.tags.length);
      for (const tag of entry.tags) {
        expect(tag, entry.id).toBe(tag.trim());
        expect(tag, entry.id).not.toBe('');
        expect(tag, entry.id).not.toMatch(TAG_BREAKERS);
      }
    }
  });

  it('finds every entry by id and alias, ignoring case', () => {
    for (const entry of entries) {
      expect(findEntry(entries, entry.id)).toBe(entry);
      expect(findEntry(entries, entry.id.toUpperCase())).toBe(entry);
      for (const alias of entry.aliases) expect(findEntry(entries, alias)).toBe(entry);
    }
  });
});

describe('findEntry', () => {
  it('resolves aliases and human spellings to the canonical entry', () => {
    expect(findEntry(lightRigs, 'Paramount')?.id).toBe('butterfly');
    expect(findEntry(lightRigs, 'KICKER')?.id).toBe('rim');
    expect(findEntry(lightRigs, ' Golden Hour ')?.id).toBe('golden-hour');
    expect(findEntry(expressions, 'duchenne_smile')?.id).toBe('duchenne-smile');
  });

  it('returns undefined for names it does not know', () => {
    expect(findEntry(lightRigs, 'disco-ball')).toBeUndefined();
    expect(findEntry(expressions, '')).toBeUndefined();
  });

  it('types ids as literal unions, not plain strings', () => {
    expectTypeOf<'rembrandt'>().toExtend<LightRigId>();
    expectTypeOf<'disco-ball'>().not.toExtend<LightRigId>();
    expectTypeOf(lightRigIds).toEqualTypeOf<readonly [LightRigId, ...LightRigId[]]>();
  });
});

describe('light rigs', () => {
  const fillRatioOf = (id: string): Range => {
    const ratio = byId(lightRigs, id).fillRatio;
    if (ratio === null) throw new Error(`${id} has no fill ratio`);
    return ratio;
  };

  it('includes the rigs every portrait photographer names', () => {
    expect(idsOf(lightRigs)).toEqual(
      expect.arrayContaining([
        'rembrandt',
        'loop',
        'butterfly',
        'split',
        'broad',
        'short',
        'clamshell',
        'rim',
        'high-key',
        'low-key',
        'window',
        'golden-hour',
        'overcast',
        'practical-neon',
      ]),
    );
  });

  it('keeps key geometry, ratios, softness and colour temperature in physical bounds', () => {
    for (const rig of lightRigs) {
      expectRangeWithin(rig.key.azimuth, 0, 180, `${rig.id} azimuth`);
      expectRangeWithin(rig.key.elevation, -90, 90, `${rig.id} elevation`);
      if (rig.fillRatio !== null) expectRangeWithin(rig.fillRatio, 1, 32, `${rig.id} fill`);
      expectRangeWithin(rig.softness, 0, 1, `${rig.id} softness`);
      expectWithin(rig.colorTemperature, 1800, 10000, `${rig.id} kelvin`);
    }
  });

  it('marks exactly the frontal rigs symmetric', () => {
    for (const id of ['butterfly', 'clamshell', 'high-key', 'overcast']) {
      expect(byId(lightRigs, id).symmetric, id).toBe(true);
    }
    for (const rig of lightRigs.filter((candidate) => candidate.symmetric)) {
      expect(rig.key.azimuth[1], rig.id).toBeLessThanOrEqual(20);
    }
  });

  it('writes asymmetric face effects with {lit} and {shadow}, symmetric ones without placeholders', () => {
    for (const rig of lightRigs) {
      const placeholders = rig.faceEffect.match(PLACEHOLDER) ?? [];
      if (rig.symmetric) {
        expect(placeholders, rig.id).toEqual([]);
      } else {
        expect(rig.faceEffect, rig.id).toContain('{lit}');
        expect(rig.faceEffect, rig.id).toContain('{shadow}');
        for (const placeholder of placeholders) {
          expect(FACE_PLACEHOLDERS.has(placeholder), `${rig.id}: ${placeholder}`).toBe(true);
        }
      }
    }
  });

  it('describes broad and short by the side turned toward or away from the camera', () => {
    expect(byId(lightRigs, 'broad').faceEffect).toMatch(
      /^the \{lit\} side of the face, turned toward the camera, is lit/,
    );
    expect(byId(lightRigs, 'short').faceEffect).toMatch(
      /^the \{lit\} side of the face, turned away from the camera, is lit/,
    );
  });

  it('carries the signatures from the craft table', () => {
    expect(byId(lightRigs, 'rembrandt').faceEffect).toContain('triangle of light');
    // Clauses are "; "-separated so tag prompts never cut one in half.
    for (const rig of lightRigs) {
      const clauses = rig.faceEffect.split('; ');
      expect(clauses.length, rig.id).toBeGreaterThanOrEqual(2);
      for (const clause of clauses) expect(clause.trim().length, rig.id).toBeGreaterThan(8);
    }
    expect(byId(lightRigs, 'split').key.azimuth[1]).toBe(90);
    expect(byId(lightRigs, 'rim').rim).toBe(true);
    expect(byId(lightRigs, 'rim').fillRatio).toBeNull();
    expect(byId(lightRigs, 'high-key').tonalKey).toBe('high');
    expect(byId(lightRigs, 'low-key').background).toBe('black');
    expectWithin(byId(lightRigs, 'golden-hour').colorTemperature, 3000, 3600, 'golden hour K');
    expectWithin(byId(lightRigs, 'overcast').colorTemperature, 6500, 7500, 'overcast K');
    // A higher ratio is a darker shadow side: Rembrandt is moodier than loop, clamshell flattest.
    expect(fillRatioOf('rembrandt')[0]).toBeGreaterThanOrEqual(fillRatioOf('loop')[1]);
    expect(fillRatioOf('clamshell')[1]).toBeLessThanOrEqual(fillRatioOf('loop')[0]);
  });
});

describe('expressions', () => {
  const geometryIntervals: Record<keyof FacialGeometry, Range> = {
    lipCornerLift: [-1, 1],
    lipsParted: [0, 1],
    browRaise: [0, 1],
    browFurrow: [0, 1],
    eyeAperture: [-1, 1],
    asymmetry: [0, 1],
  };
  const geometryKeys = Object.keys(geometryIntervals) as (keyof FacialGeometry)[];
  const neutral = byId(expressions, 'neutral');

  it('includes neutral and the directed micro-expressions', () => {
    expect(idsOf(expressions)).toEqual(
      expect.arrayContaining([
        'neutral',
        'closed-lip-half-smile',
        'duchenne-smile',
        'wistful',
        'pensive',
        'skeptical-raised-brow',
        'concerned-furrow',
        'determined',
        'amused-smirk',
        'soft-surprise',
        'serene',
        'melancholy',
        'tired',
        'proud',
        'shy',
        'defiant',
        'tender',
      ]),
    );
  });

  it('keeps geometry inside its documented intervals', () => {
    for (const expression of expressions) {
      for (const key of geometryKeys) {
        const [low, high] = geometryIntervals[key];
        expectWithin(expression.geometry[key], low, high, `${expression.id}.${key}`);
      }
    }
  });

  it('has an all-zero neutral face with no action units', () => {
    for (const key of geometryKeys) expect(neutral.geometry[key], key).toBe(0);
    expect(neutral.actionUnits).toEqual([]);
    expect(neutral.emotion).toBe('neutral');
  });

  it('moves every other expression visibly away from neutral, and no two alike', () => {
    const fingerprints = expressions.map((expression) =>
      geometryKeys.map((key) => expression.geometry[key]).join('/'),
    );
    expect(new Set(fingerprints).size).toBe(expressions.length);
    for (const expression of expressions.filter((candidate) => candidate.id !== 'neutral')) {
      const largest = Math.max(
        ...geometryKeys.map((key) => Math.abs(expression.geometry[key] - neutral.geometry[key])),
      );
      expect(largest, expression.id).toBeGreaterThanOrEqual(0.15);
    }
  });

  it('names action units in FACS form, once each', () => {
    for (const expression of expressions) {
      for (const unit of expression.actionUnits) expect(unit, expression.id).toMatch(/^AU\d+$/);
      expect(new Set(expression.actionUnits).size, expression.id).toBe(
        expression.actionUnits.length,
      );
    }
  });

  it('agrees with its action units: each unit moves the geometry it drives', () => {
    for (const { id, actionUnits, geometry } of expressions) {
      const has = (unit: string): boolean => (actionUnits as readonly string[]).includes(unit);
      if (has('AU12')) expect(geometry.lipCornerLift, `${id} AU12`).toBeGreaterThan(0);
      if (has('AU15')) expect(geometry.lipCornerLift, `${id} AU15`).toBeLessThan(0);
      if (has('AU1') || has('AU2')) expect(geometry.browRaise, `${id} AU1/2`).toBeGreaterThan(0);
      if (has('AU4')) expect(geometry.browFurrow, `${id} AU4`).toBeGreaterThan(0);
      if (has('AU5')) expect(geometry.eyeAperture, `${id} AU5`).toBeGreaterThan(0);
      if (has('AU6') || has('AU43')) expect(geometry.eyeAperture, `${id} AU6/43`).toBeLessThan(0);
      if (has('AU25') || has('AU26'))
        expect(geometry.lipsParted, `${id} AU25/26`).toBeGreaterThan(0);
      if (has('AU14')) expect(geometry.asymmetry, `${id} AU14`).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('explains every clear movement by an action unit', () => {
    const clear = 0.15;
    for (const { id, actionUnits, geometry } of expressions) {
      const hasAny = (...units: string[]): boolean =>
        units.some((unit) => (actionUnits as readonly string[]).includes(unit));
      if (geometry.lipCornerLift >= clear) expect(hasAny('AU12', 'AU14'), id).toBe(true);
      if (geometry.lipCornerLift <= -clear) expect(hasAny('AU15'), id).toBe(true);
      if (geometry.lipsParted >= clear) expect(hasAny('AU25', 'AU26'), id).toBe(true);
      if (geometry.browRaise >= clear) expect(hasAny('AU1', 'AU2'), id).toBe(true);
      if (geometry.browFurrow >= clear) expect(hasAny('AU4'), id).toBe(true);
      if (geometry.eyeAperture >= clear) expect(hasAny('AU5'), id).toBe(true);
      if (geometry.eyeAperture <= -clear) expect(hasAny('AU6', 'AU43'), id).toBe(true);
    }
  });

  it('keeps subtle expressions small (asymmetry aside, which smirks need)', () => {
    for (const expression of expressions.filter((candidate) => candidate.subtle)) {
      for (const key of geometryKeys.filter((candidate) => candidate !== 'asymmetry')) {
        expect(Math.abs(expression.geometry[key]), `${expression.id}.${key}`).toBeLessThanOrEqual(
          0.5,
        );
      }
    }
    for (const id of ['closed-lip-half-smile', 'wistful', 'pensive', 'serene', 'amused-smirk']) {
      expect(byId(expressions, id).subtle, id).toBe(true);
    }
    expect(byId(expressions, 'duchenne-smile').subtle).toBe(false);
  });

  it('matches the expected emotion to the geometry', () => {
    for (const { id, emotion, geometry } of expressions) {
      if (emotion === 'happy') expect(geometry.lipCornerLift, id).toBeGreaterThan(0);
      if (emotion === 'sad') expect(geometry.lipCornerLift, id).toBeLessThan(0);
      if (emotion === 'surprise') {
        expect(geometry.browRaise, id).toBeGreaterThan(0);
        expect(geometry.eyeAperture, id).toBeGreaterThan(0);
      }
    }
  });

  it('separates a Duchenne smile from a polite one by the eyes, and a laugh by the mouth', () => {
    const duchenne = byId(expressions, 'duchenne-smile').geometry;
    const polite = byId(expressions, 'polite-smile').geometry;
    const laughing = byId(expressions, 'laughing').geometry;
    expect(duchenne.eyeAperture).toBeLessThan(polite.eyeAperture);
    expect(laughing.lipsParted).toBeGreaterThan(duchenne.lipsParted);
    expect(byId(expressions, 'amused-smirk').geometry.asymmetry).toBeGreaterThanOrEqual(0.5);
    expect(byId(expressions, 'melancholy').geometry.lipCornerLift).toBeLessThan(0);
    expect(byId(expressions, 'wistful').defaultGaze).not.toBe('camera');
  });
});

describe('poses', () => {
  it('includes the core poses and gestures', () => {
    expect(idsOf(poses)).toEqual(
      expect.arrayContaining([
        'classic-three-quarter',
        'square-on',
        'profile',
        'over-the-shoulder',
        'chin-on-hand',
        'hand-touching-face',
        'arms-crossed',
        'hands-in-pockets',
        'leaning-on-wall',
        'seated-forward-lean',
        'seated-relaxed',
        'walking-candid',
      ]),
    );
  });

  it('keeps body angles in measurable bounds', () => {
    for (const pose of poses) {
      expectWithin(pose.shoulderAngle, 0, 180, `${pose.id} shoulders`);
      expectWithin(pose.headTilt, -30, 30, `${pose.id} tilt`);
      expectWithin(pose.headTurn, -90, 120, `${pose.id} turn`);
      // The head never turns back past the lens.
      expect(pose.headTurn, pose.id).toBeLessThanOrEqual(pose.shoulderAngle);
    }
  });

  it('sets the reference geometries right', () => {
    const classic = byId(poses, 'classic-three-quarter');
    expectWithin(classic.shoulderAngle, 30, 45, 'classic shoulders');
    expect(classic.headTurn).toBeGreaterThan(0);
    expect(byId(poses, 'square-on').shoulderAngle).toBe(0);
    expect(byId(poses, 'profile').shoulderAngle).toBe(90);
    expect(byId(poses, 'over-the-shoulder').shoulderAngle).toBeGreaterThan(90);
    expect(byId(poses, 'hand-touching-face').effect).toMatch(/lightly.*never pressing/);
  });
});

describe('film stocks', () => {
  it('includes the classic portrait films and a clean digital look', () => {
    expect(idsOf(filmStocks)).toEqual(
      expect.arrayContaining([
        'portra-160',
        'portra-400',
        'kodak-gold-200',
        'ektar-100',
        'fuji-pro-400h',
        'velvia-50',
        'cinestill-800t',
        'tri-x-400',
        'ilford-hp5',
        'ilford-delta-3200',
        'instant',
        'digital-clean',
      ]),
    );
  });

  it('keeps rendering parameters in bounds', () => {
    for (const film of filmStocks) {
      expect(film.iso, film.id).toBeGreaterThan(0);
      expectWithin(film.grain, 0, 1, `${film.id} grain`);
      expectWithin(film.contrast, -1, 1, `${film.id} contrast`);
      expectWithin(film.saturation, -1, 1, `${film.id} saturation`);
      expectWithin(film.warmth, -1, 1, `${film.id} warmth`);
      expectWithin(film.halation, 0, 1, `${film.id} halation`);
      expectWithin(film.fade, 0, 1, `${film.id} fade`);
    }
  });

  it('renders black-and-white stocks without colour and digital without grain', () => {
    for (const film of filmStocks) {
      if (film.kind === 'black-and-white') expect(film.saturation, film.id).toBe(-1);
      if (film.kind === 'digital') {
        expect(film.grain, film.id).toBe(0);
        expect(film.halation, film.id).toBe(0);
      }
    }
  });

  it('ranks the signature traits the way the films are known for', () => {
    const most = (key: 'halation' | 'fade' | 'grain'): string | undefined =>
      [...filmStocks].sort((a, b) => b[key] - a[key])[0]?.id;
    expect(most('halation')).toBe('cinestill-800t');
    expect(most('fade')).toBe('instant');
    expect(most('grain')).toBe('ilford-delta-3200');
    expect(byId(filmStocks, 'ektar-100').saturation).toBeGreaterThan(
      byId(filmStocks, 'portra-400').saturation,
    );
    expect(byId(filmStocks, 'portra-400').contrast).toBeLessThan(0);
    expect(byId(filmStocks, 'fuji-pro-400h').warmth).toBeLessThan(0);
  });
});

describe('shot types', () => {
  it('lists the framings from tightest to widest', () => {
    expect(idsOf(shotTypes)).toEqual([
      'extreme-close-up',
      'close-up',
      'headshot',
      'medium-close-up',
      'medium',
      'three-quarter',
      'full-length',
    ]);
  });

  it('keeps face heights and focal lengths in bounds, without overlaps between framings', () => {
    shotTypes.forEach((shot, index) => {
      expectRangeWithin(shot.faceHeight, 0.01, 1.5, `${shot.id} faceHeight`);
      expectRangeWithin(shot.flatteringFocal, 14, 200, `${shot.id} focal`);
      expect(shot.bottomEdge.trim(), shot.id).not.toBe('');
      const wider = shotTypes[index + 1];
      if (wider !== undefined) {
        expect(shot.faceHeight[0], `${shot.id} vs ${wider.id}`).toBeGreaterThanOrEqual(
          wider.faceHeight[1],
        );
      }
    });
  });

  it('recommends long lenses for tight framings and wide ones for full length', () => {
    for (const id of ['close-up', 'headshot']) {
      expect(byId(shotTypes, id).flatteringFocal[0], id).toBeGreaterThanOrEqual(85);
    }
    expect(byId(shotTypes, 'full-length').flatteringFocal[1]).toBeLessThanOrEqual(50);
  });
});

describe('camera angles', () => {
  it('keeps pitch and roll in bounds, with signs matching the names', () => {
    for (const angle of cameraAngles) {
      expectWithin(angle.pitch, -90, 90, `${angle.id} pitch`);
      expectWithin(angle.roll, -45, 45, `${angle.id} roll`);
    }
    expect(byId(cameraAngles, 'eye-level')).toMatchObject({ pitch: 0, roll: 0 });
    expect(byId(cameraAngles, 'high-angle').pitch).toBeGreaterThan(0);
    expect(byId(cameraAngles, 'low-angle').pitch).toBeLessThan(0);
    expect(byId(cameraAngles, 'overhead').pitch).toBeGreaterThan(
      byId(cameraAngles, 'high-angle').pitch,
    );
    expect(byId(cameraAngles, 'worms-eye').pitch).toBeLessThan(
      byId(cameraAngles, 'low-angle').pitch,
    );
    expect(byId(cameraAngles, 'dutch-tilt').roll).not.toBe(0);
  });
});

describe('palettes', () => {
  it('holds 4-6 distinct valid hex colours each', () => {
    for (const palette of palettes) {
      expect(palette.colors.length, palette.id).toBeGreaterThanOrEqual(4);
      expect(palette.colors.length, palette.id).toBeLessThanOrEqual(6);
      for (const color of palette.colors) expect(color, palette.id).toMatch(HEX_COLOUR);
      const distinct = new Set(palette.colors.map((color) => color.toLowerCase()));
      expect(distinct.size, palette.id).toBe(palette.colors.length);
    }
  });
});

describe('grades', () => {
  it('keeps grade parameters in bounds and split tones valid', () => {
    for (const grade of grades) {
      for (const key of ['contrast', 'saturation', 'warmth', 'tint'] as const) {
        expectWithin(grade[key], -1, 1, `${grade.id}.${key}`);
      }
      expectWithin(grade.fade, 0, 1, `${grade.id}.fade`);
      for (const tone of [grade.shadowsTone, grade.highlightsTone]) {
        if (tone !== null) expect(tone, grade.id).toMatch(HEX_COLOUR);
      }
    }
  });

  it('drains colour exactly in the monochrome grades', () => {
    for (const grade of grades) {
      expect(grade.saturation === -1, grade.id).toBe(grade.monochrome);
    }
  });

  it('leaves the natural grade untouched', () => {
    expect(byId(grades, 'natural')).toMatchObject({
      contrast: 0,
      saturation: 0,
      warmth: 0,
      tint: 0,
      fade: 0,
      shadowsTone: null,
      highlightsTone: null,
      monochrome: false,
    });
  });
});

describe('compositions', () => {
  it('anchors the eyes inside the frame, where the rule says', () => {
    for (const rule of compositions) {
      if (rule.eyeAnchor === null) continue;
      expectWithin(rule.eyeAnchor.x, 0, 1, `${rule.id}.x`);
      expectWithin(rule.eyeAnchor.y, 0, 1, `${rule.id}.y`);
    }
    expect(byId(compositions, 'rule-of-thirds').eyeAnchor).toEqual({ x: 0.333, y: 0.333 });
    expect(byId(compositions, 'centered-symmetric').eyeAnchor?.x).toBe(0.5);
    expect(byId(compositions, 'golden-ratio').eyeAnchor).toEqual({ x: 0.382, y: 0.382 });
    expect(byId(compositions, 'leading-lines').eyeAnchor).toBeNull();
    expect(byId(compositions, 'frame-within-frame').eyeAnchor).toBeNull();
  });
});

describe('textures', () => {
  it('keeps grain and micro-contrast in bounds, ordered as named', () => {
    for (const texture of textures) {
      expectWithin(texture.grain, 0, 1, `${texture.id} grain`);
      expectWithin(texture.microContrast, -1, 1, `${texture.id} microContrast`);
    }
    expect(byId(textures, 'clean-digital').grain).toBe(0);
    expect(byId(textures, 'gritty-grain').grain).toBeGreaterThan(
      byId(textures, 'fine-film-grain').grain,
    );
    expect(byId(textures, 'soft-diffusion').microContrast).toBeLessThan(0);
    expect(byId(textures, 'crisp-detail').microContrast).toBeGreaterThan(0);
  });
});

describe('imperfections', () => {
  it('includes what makes a face read as a real person', () => {
    expect(idsOf(imperfections)).toEqual(
      expect.arrayContaining([
        'visible-pores',
        'freckles',
        'moles',
        'fine-lines',
        'crows-feet',
        'laugh-lines',
        'forehead-lines',
        'under-eye-shadows',
        'uneven-skin-tone',
        'blemish',
        'scar',
        'vellus-hair',
        'flyaway-hair',
        'natural-skin-sheen',
        'facial-asymmetry',
      ]),
    );
  });

  it('protects lower-case, trimmed, distinct terms', () => {
    for (const imperfection of imperfections) {
      expect(imperfection.protectedTerms.length, imperfection.id).toBeGreaterThan(0);
      for (const term of imperfection.protectedTerms) {
        expect(term, imperfection.id).toBe(term.trim().toLowerCase());
        expect(term, imperfection.id).not.toBe('');
      }
      expect(new Set(imperfection.protectedTerms).size, imperfection.id).toBe(
        imperfection.protectedTerms.length,
      );
    }
  });

  it('protects the words the classic negative prompts use against them', () => {
    const protectedBy = (id: string): readonly string[] => byId(imperfections, id).protectedTerms;
    expect(protectedBy('freckles')).toEqual(expect.arrayContaining(['freckles', 'spots']));
    expect(protectedBy('facial-asymmetry')).toEqual(
      expect.arrayContaining(['asymmetry', 'asymmetrical', 'asymmetric']),
    );
    expect(protectedBy('visible-pores')).toEqual(
      expect.arrayContaining(['pores', 'skin texture', 'textured skin']),
    );
    expect(protectedBy('fine-lines')).toEqual(expect.arrayContaining(['wrinkles', 'lines']));
    expect(protectedBy('blemish')).toEqual(expect.arrayContaining(['blemish', 'acne', 'pimple']));
  });

  it('protects a term that its own positive tags use, so a negative cannot cancel them', () => {
    for (const imperfection of imperfections) {
      const tagText = imperfection.tags.join(' | ').toLowerCase();
      const covered = imperfection.protectedTerms.some((term) => tagText.includes(term));
      expect(covered, imperfection.id).toBe(true);
    }
  });
});
