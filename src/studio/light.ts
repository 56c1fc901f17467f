// The light face of studio/: what `--help`, `brief …` and `prompt` need, without the engines, the
// vision runtime, the darkroom or the library drivers that index.ts brings in. The edges import
// this statically and load index.ts (with `import()`) only in the commands that use it.
export { briefSchemaText, compileBrief, initBrief, writeBriefSchema } from './briefs.js';
export {
  engineIds,
  provenanceModes,
  workerEngineKinds,
  type EngineId,
  type WorkerEngineKind,
} from './choices.js';
