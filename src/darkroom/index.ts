// Public face of darkroom/: re-direct a real photo at full resolution — light, expression, lens,
// grade, grain, vignette, framing — and the person segmentation they need.
export type { PersonMask, DarkroomOptions, DarkroomProgress } from './types.js';
export {
  createSegmenter,
  segmentationResolution,
  SEGMENTATION_RESOLUTION,
  REDUCED_SEGMENTATION_RESOLUTION,
  type Segmenter,
} from './segment.js';
export {
  relight,
  rigTarget,
  kelvinGains,
  keyColour,
  type RelightTarget,
  type RelightOptions,
} from './relight.js';
export { cheekLuminance, skinLab, onPerson, type CheekLuminance } from './measure.js';
export { warpExpression, type ExpressionDeltas } from './expression.js';
export { lensBlur, blurRadiusFor } from './lens.js';
export { grade, gradeFromVocabulary, type GradeSettings } from './grade.js';
export { parseCubeLut, applyLut, type Lut3d } from './lut.js';
export { addGrain, grainForStock } from './grain.js';
export { vignette } from './vignette.js';
export { reframe, planReframe, checkReframeTarget, type ReframeTarget } from './reframe.js';
