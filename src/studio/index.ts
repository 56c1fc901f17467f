// Public face of studio/: the use cases the CLI, the HTTP server and workers share — engine
// settings, references, generate, critique, direct in rounds, the darkroom, analyze, briefs.
export {
  direct,
  loadDirectSession,
  requireSession,
  type DirectOptions,
  type DirectProgress,
  type StoredRun,
} from './direct.js';
export {
  runSessionRound,
  candidateFileName,
  sessionProgressSchema,
  sessionStages,
  type SessionLibrary,
  type SessionProgress,
  type SessionRoundOptions,
  type SessionRoundResult,
} from './session.js';
export {
  describeChange,
  exportSession,
  importSession,
  markdownReport,
  sessionReport,
  sessionSettings,
  directSettingsSchema,
  type DirectSettings,
  type DirectReport,
  type DirectRound,
  type DirectCandidate,
  type ExportSessionOptions,
} from './session-export.js';
export {
  halfStep,
  planNextRound,
  roundOutcome,
  roundStandings,
  type NextRound,
  type RoundOutcome,
  type RoundStanding,
} from './session-plan.js';
export {
  catchUpArtistProfile,
  learnArtistProfile,
  loadArtistProfile,
  type ArtistProfile,
  type ProfileFold,
} from './profile.js';
export {
  candidateName,
  findCandidate,
  libraryFolder,
  listSessions,
  openStudioLibrary,
  pickCandidate,
  searchLibrary,
  showSession,
  type OpenedLibrary,
} from './library-access.js';
export { exampleReferencePhoto } from './example.js';
export {
  createConfiguredEngine,
  engineConfigSchema,
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
  parseLibrarySearch,
  type LibrarySearch,
  type LibrarySearchWords,
} from './library-query.js';
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
  gradeSettingsFor,
  keyPhrase,
  type DarkroomOperation,
  type DarkroomResult,
  type DarkroomSessionOptions,
} from './darkroom.js';
export {
  SMALL_OUTPUT_PX,
  createDarkroomModels,
  darkroomChain,
  darkroomJobs,
  darkroomRecipeSchema,
  parseDarkroomRecipe,
  readDarkroomRecipe,
  relightTargetOf,
  type DarkroomChainOptions,
  type DarkroomJob,
  type DarkroomModelLoaders,
  type DarkroomModels,
  type DarkroomPhotoResult,
  type DarkroomRecipe,
} from './darkroom-chain.js';
export {
  createDarkroomStudio,
  maxPreviewSize,
  type DarkroomPreview,
  type DarkroomSettings,
  type DarkroomStudio,
  type DarkroomStudioOptions,
} from './darkroom-preview.js';
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
// The library the studio keeps sessions in, for the edges that open it (serve, the CLI).
export {
  openLibrary,
  defaultLibraryFolder,
  diffBriefs,
  type Library,
  type BriefChange,
  type Store,
  type BlobStore,
  type CandidateRecord,
  type RoundRecord,
  type SessionRecord,
  type SessionDetail,
  type PickRecord,
  type PickInput,
} from '../library/index.js';
export { engineNotice } from './notices.js';
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
export {
  openRoundQueue,
  queueKindOf,
  renderRoundOnQueue,
  type OpenRoundQueueOptions,
  type OpenedRoundQueue,
  type QueuedRenderOptions,
  type RoundQueue,
} from './queued-round.js';
export { isPostgresUrl, openQueueLibrary, openSharedStore } from './shared-library.js';
