// Public face of vision/: read a photo into a Blueprint of the five pillars, draw it, and turn it
// into a brief. Owns the ML runtime.
export {
  createVisionRuntime,
  type VisionRuntime,
  type VisionRuntimeOptions,
  type RawDetection,
} from './runtime.js';
export {
  analyzeImage,
  analyzePhoto,
  createVision,
  WORKING_PIXELS,
  type AnalyzeOptions,
  type Vision,
} from './analyze.js';
export { briefFromBlueprint, nearestExpression, nearestPose } from './brief-from-blueprint.js';
export { expressionCalibration } from './expression.js';
export { aspectRatioOf, shotForFaceHeight } from './composition.js';
export { dominantColours } from './palette.js';
export { measureEyeSharpness, measureSkinTexture } from './quality.js';
export {
  landmarks,
  meshContours,
  skinRegions,
  vertexNormals,
  faceHeight,
  uprightMesh,
} from './mesh.js';
export { faceFrame, headPose, type FaceFrame } from './pose.js';
export type * from './types.js';
export {
  createVisionPool,
  type VisionPool,
  type VisionPoolOptions,
  type PoolJob,
  type BatchProgress,
} from './pool.js';
export { drawOverlay, drawPoseControl, openPoseKeypoints } from './draw.js';
export {
  assessReadings,
  frameChroma,
  readingThresholds,
  smileVerdict,
  turnVerdict,
} from './readings.js';
export { trustedKeypoints } from './analyze.js';
export { rotateQuarterTurns, unrotatePoint, type QuarterTurns } from './orient.js';
export { gazeCalibration } from './pose.js';
