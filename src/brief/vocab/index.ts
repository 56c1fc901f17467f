// The brief's vocabularies: typed data, their id unions, id tuples for zod enums, and lookup.
import { cameraAngles } from './camera-angles.js';
import { compositions } from './compositions.js';
import { expressions } from './expressions.js';
import { filmStocks } from './film-stocks.js';
import { grades } from './grades.js';
import { familyGuidance, guidanceOf, type FamilyGuidance } from './guidance.js';
import { imperfections } from './imperfections.js';
import { lightRigs } from './light-rigs.js';
import { palettes } from './palettes.js';
import { poses } from './poses.js';
import { shotTypes } from './shot-types.js';
import { textures } from './textures.js';

export type {
  CameraAngle,
  CompositionRule,
  Expression,
  FacialGeometry,
  FilmStock,
  Gaze,
  Grade,
  Hands,
  Imperfection,
  Lean,
  LightRig,
  Palette,
  Pose,
  Range,
  ShotType,
  Stance,
  Texture,
} from './types.js';

export { familyGuidance, guidanceOf, type FamilyGuidance };

export {
  cameraAngles,
  compositions,
  expressions,
  filmStocks,
  grades,
  imperfections,
  lightRigs,
  palettes,
  poses,
  shotTypes,
  textures,
};

/** What every vocabulary entry has: a canonical id and alternative names. */
export interface VocabEntry {
  readonly id: string;
  readonly aliases: readonly string[];
}

/** Ids of the light rigs. */
export type LightRigId = (typeof lightRigs)[number]['id'];
/** Ids of the expressions. */
export type ExpressionId = (typeof expressions)[number]['id'];
/** Ids of the poses. */
export type PoseId = (typeof poses)[number]['id'];
/** Ids of the film stocks. */
export type FilmStockId = (typeof filmStocks)[number]['id'];
/** Ids of the shot types. */
export type ShotTypeId = (typeof shotTypes)[number]['id'];
/** Ids of the camera angles. */
export type CameraAngleId = (typeof cameraAngles)[number]['id'];
/** Ids of the palettes. */
export type PaletteId = (typeof palettes)[number]['id'];
/** Ids of the grades. */
export type GradeId = (typeof grades)[number]['id'];
/** Ids of the composition rules. */
export type CompositionRuleId = (typeof compositions)[number]['id'];
/** Ids of the textures. */
export type TextureId = (typeof textures)[number]['id'];
/** Ids of the imperfections. */
export type ImperfectionId = (typeof imperfections)[number]['id'];

/** A vocabulary's ids as a non-empty tuple, the shape `z.enum` expects. */
function idsOf<List extends readonly [VocabEntry, ...VocabEntry[]]>(
  list: List,
): readonly [List[number]['id'], ...List[number]['id'][]] {
  const [first, ...rest] = list;
  return [first.id, ...rest.map((entry) => entry.id)];
}

/** Light rig ids, for `z.enum`. */
export const lightRigIds = idsOf(lightRigs);
/** Expression ids, for `z.enum`. */
export const expressionIds = idsOf(expressions);
/** Pose ids, for `z.enum`. */
export const poseIds = idsOf(poses);
/** Film stock ids, for `z.enum`. */
export const filmStockIds = idsOf(filmStocks);
/** Shot type ids, for `z.enum`. */
export const shotTypeIds = idsOf(shotTypes);
/** Camera angle ids, for `z.enum`. */
export const cameraAngleIds = idsOf(cameraAngles);
/** Palette ids, for `z.enum`. */
export const paletteIds = idsOf(palettes);
/** Grade ids, for `z.enum`. */
export const gradeIds = idsOf(grades);
/** Composition rule ids, for `z.enum`. */
export const compositionIds = idsOf(compositions);
/** Texture ids, for `z.enum`. */
export const textureIds = idsOf(textures);
/** Imperfection ids, for `z.enum`. */
export const imperfectionIds = idsOf(imperfections);

/**
 * A name as people type it, reduced to the kebab-case ids and aliases use: case, surrounding
 * space and space/underscore separators do not matter ("Golden Hour" finds golden-hour).
 */
export function normaliseVocabKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
}

/** The entry whose id or alias matches `idOrAlias` (case-insensitive), or undefined. */
export function findEntry<Entry extends VocabEntry>(
  list: readonly Entry[],
  idOrAlias: string,
): Entry | undefined {
  // Briefs mostly name canonical ids: the exact match first spares normalising every alias.
  const exact = list.find((entry) => entry.id === idOrAlias);
  if (exact !== undefined) return exact;
  const wanted = normaliseVocabKey(idOrAlias);
  return list.find(
    (entry) =>
      normaliseVocabKey(entry.id) === wanted ||
      entry.aliases.some((alias) => normaliseVocabKey(alias) === wanted),
  );
}
