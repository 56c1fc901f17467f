// Public face of server/: the HTTP API and web studio (`portraitist serve`).
export { createApp, hostName, studioOpenApi, type AppOptions } from './app.js';
export {
  startServer,
  isLoopback,
  defaultWebRoot,
  type ServerOptions,
  type RunningServer,
} from './serve.js';
export {
  createStudioApi,
  defaultUploadLimits,
  type StudioApi,
  type StudioApiOptions,
  type BriefSource,
  type BriefValidation,
  type BriefTemplate,
  type Vocabulary,
  type VocabularyEntry,
  type ReferenceInfo,
} from './studio-api.js';
export { blobIdOf, blobIdSchema, checkBlobId, type BlobId } from './blobs.js';
export {
  createSessionsApi,
  type SessionsApi,
  type SessionsApiOptions,
  type StartRoundInput,
} from './sessions.js';
export { httpStatuses, errorAnswer, type ErrorBody } from './errors.js';
export { routeTable, type RouteDefinition } from './routes.js';
