// Public face of studio/: the use cases the CLI, the HTTP server and workers share — engine
// settings, references, generate, critique, direct in rounds, the darkroom, analyze, briefs.
export {
  direct,
  markdownReport,
  type DirectOptions,
  type DirectProgress,
  type DirectReport,
  type DirectRound,
  type DirectCandidate,
} from './direct.js';
export { exampleReferencePhoto } from './example.js';
export {
  createConfiguredEngine,
  engineIds,
  engineNeedsVision,
  engineTarget,
  openEngine,
  provenanceModes,
  resolveEngineConfig,
  targetFor,
  type EngineConfig,
  type EngineFlags,
  type EngineId,
  type EngineSession,
} from './engine-config.js';
export { candidateCount } from './count.js';
export {
  resolveReferences,
  type ExtraReference,
  type ResolveReferencesOptions,
  type ResolvedReferences,
} from './references.js';
export {
  generateCandidates,
  type GenerateCandidatesOptions,
  type GeneratedCandidate,
} from './generate.js';
export {
  critiqueCandidates,
  type CritiqueCandidatesOptions,
  type CritiqueInput,
  type CritiqueResult,
} from './critique.js';
export {
  darkroomSession,
  keyPhrase,
  type DarkroomOperation,
  type DarkroomResult,
  type DarkroomSessionOptions,
} from './darkroom.js';
export {
  analyzePhotos,
  describeBlueprint,
  type AnalyzeInput,
  type AnalyzePhotosOptions,
  type AnalyzeResult,
  type TextStyle,
} from './analyze.js';
export { readPhotos, type PhotoProgress } from './photos.js';
export { briefSchemaText, compileBrief, initBrief, writeBriefSchema } from './briefs.js';
export {
  candidateJobDefaults,
  candidateJobId,
  candidateJobResultSchema,
  candidateJobSchema,
  candidateQueueName,
  cancelCandidates,
  enqueueCandidates,
  openCandidateWorker,
  startCandidateWorker,
  workerEngineKinds,
  type CandidateJob,
  type CandidateJobResult,
  type CandidateWorker,
  type CandidateWorkerOptions,
  type EngineServer,
  type OpenWorkerOptions,
  type OpenedWorker,
  type ServerHealth,
  type WorkerEngineKind,
} from './worker.js';
