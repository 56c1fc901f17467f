// Public face of engines/: one Engine interface, the engines, and provenance for their images.
export type {
  Engine,
  EngineCapabilities,
  EngineProgress,
  EnginePreview,
  GenerateOptions,
  RemoteJobRef,
  GenerationRequest,
  Candidate,
  ReferenceImage,
} from './types.js';
export { engineProgressSchema, remoteJobRefSchema } from './types.js';
export { createLocalEngine, type LocalEngineOptions } from './local/engine.js';
export {
  a1111Parameters,
  candidateFileBytes,
  embedProvenance,
  provenanceModes,
  provenanceRecord,
  readProvenance,
  type ProvenanceMode,
} from './provenance.js';
export {
  buildGraph,
  bindTemplate,
  modelsFromObjectInfo,
  comfySamplerName,
  templatePlaceholders,
  type ComfyGraph,
  type ServerModels,
  type BuildGraphOptions,
  type TemplateValues,
} from './comfyui/graph.js';
export { createComfyEngine, type ComfyEngineOptions } from './comfyui/engine.js';
export { poseSkeletonFromVision, type PoseSkeletonSource } from './controls.js';
export { createOpenAiEngine, type OpenAiEngineOptions } from './openai/engine.js';
export { createA1111Engine, type A1111EngineOptions } from './a1111/engine.js';
