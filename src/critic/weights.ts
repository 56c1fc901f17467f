// The critic's default pillar weights and flag penalties, shared by critique() and the taste
// re-weighting so a scorecard's overall can be recomputed with other weights.
import type { CriticFlag, CriticPillar } from './types.js';

/** How much each pillar counts in a scorecard's overall, before any artist's taste. */
export const defaultPillarWeights: Readonly<Record<CriticPillar, number>> = {
  expression: 1.2,
  authenticity: 1.2,
  identity: 1.2,
  light: 1,
  posture: 0.8,
  camera: 0.8,
  aesthetic: 0.6,
};

/** The factor each flag multiplies the weighted mean by (`no-face` zeroes it). */
export const flagPenalties: Readonly<Record<CriticFlag, number>> = {
  'no-face': 0,
  'identity-mismatch': 0.5,
  'extra-faces': 0.6,
  'plastic-skin': 0.7,
  'face-too-small': 0.7,
  'soft-eyes': 0.85,
  'colour-mismatch': 0.6,
};
