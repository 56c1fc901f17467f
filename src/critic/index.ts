// Public face of critic/: score candidates against the brief, rank them, explain, and nudge.
export {
  critique,
  realismScore,
  descriptorSimilarity,
  type CritiqueReferences,
} from './critique.js';
export { candidateLabel, ordinal, rank } from './rank.js';
export { poseSimilarity } from './pose-similarity.js';
export {
  realismCalibration,
  identityCalibration,
  expressionCalibration,
  lightCalibration,
  warmthCalibration,
} from './calibration.js';
export type {
  CriticPillar,
  CriticFlag,
  PillarScore,
  Scorecard,
  RankedCandidate,
  Ranking,
} from './types.js';
export {
  drawContactSheet,
  contactSheetLayout,
  type ContactSheetEntry,
  type ContactSheetOptions,
} from './sheet.js';
export { defaultPillarWeights, flagPenalties } from './weights.js';
export {
  learnTaste,
  rankByTaste,
  reweigh,
  tasteReadings,
  preferenceOf,
  parseTastePicks,
  parseTasteProfile,
  emptyTasteProfile,
  mergeIntoProfile,
  tastePickSchema,
  tastePicksSchema,
  tasteProfileSchema,
  tastePillars,
  TASTE_PROFILE_VERSION,
  type Taste,
  type TasteCandidate,
  type TasteInput,
  type TasteOptions,
  type TastePick,
  type TasteProfile,
  type TasteReadings,
  type TasteTarget,
} from './taste.js';
