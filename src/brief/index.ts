// Public face of brief/: the Brief schema, its vocabularies, loading, patches and resolved views.
export {
  CURRENT_BRIEF_VERSION,
  briefSchema,
  targetIds,
  referenceRoles,
  retouchLevels,
  gazeIds,
  type Target,
  type ReferenceRole,
  type RetouchLevel,
  type Brief,
  type BriefInput,
  type BriefSubject,
  type BriefExpression,
  type BriefPosture,
  type BriefLight,
  type BriefAtmosphere,
  type BriefCamera,
  type BriefAesthetic,
  type BriefAuthenticity,
  type BriefReference,
  type BriefOutput,
} from './schema.js';
export {
  parseBrief,
  validateBrief,
  readBriefFile,
  type LoadBriefOptions,
  type BriefFileSystem,
} from './load.js';
export {
  migrateBrief,
  builtInMigrations,
  type BriefMigration,
  type BriefMigrations,
} from './migrate.js';
export {
  applyPatch,
  formatPatch,
  applyNudges,
  parseBriefPatch,
  briefPatchSchema,
  patchOperationSchema,
  type BriefPatch,
  type PatchOperation,
  type Nudge,
  type Pillar,
} from './patch.js';
export { briefJsonSchema } from './json-schema.js';
export { stringifyBrief, starterBrief } from './serialize.js';
export {
  resolveLight,
  resolveExpression,
  resolvePosture,
  nearestRig,
  catchlightClock,
  facialGeometryKeys,
  type ResolvedLight,
  type ResolvedExpression,
  type ResolvedPosture,
} from './resolve.js';
export { closest, formatPath, fromZodIssue } from './issues.js';
export * from './vocab/index.js';
export { exampleBriefsDirectory, readExampleBriefs, type ExampleBrief } from './examples.js';
