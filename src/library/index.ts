// The library's public face: the Store (SQLite by default, PostgreSQL at scale), the
// content-addressed BlobStore, the library folder, and the brief diff.
export type {
  Pillar,
  ScoreName,
  Scores,
  BlobId,
  BlobStore,
  SessionRecord,
  SessionDetail,
  BriefVersionRecord,
  ReferenceRecord,
  RoundRecord,
  RoundStatus,
  RemoteJobRecord,
  CandidateRecord,
  CandidateInput,
  CandidateQuery,
  PickRecord,
  PickInput,
  Verdict,
  Stars,
  Store,
} from './types.js';
export { pillars, scoreNames } from './types.js';
export { openSqliteStore, sqliteIntegrity, type SqliteStoreOptions } from './sqlite.js';
export { openPostgresStore, type PostgresStoreOptions } from './postgres.js';
export { openFileBlobStore, blobIdOf, blobPath, type FileBlobStoreOptions } from './blobs.js';
export { openLibrary, defaultLibraryFolder, type Library } from './library.js';
export { diffBriefs, type BriefChange } from './diff.js';
export { migrations, schemaVersion, type Migration } from './migrations.js';
