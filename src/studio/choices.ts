// The choice lists the edges show in flag help and check flags against. Kept apart from the use
// cases so that listing them loads no engine, model or library driver (see light.ts).
import type { ProvenanceMode } from '../engines/index.js';

/** The engines the CLI can drive. */
export const engineIds = ['local', 'comfyui', 'a1111', 'openai'] as const;
/** One of {@link engineIds}. */
export type EngineId = (typeof engineIds)[number];

/** Engine kinds a worker can drive over a list of server URLs. */
export const workerEngineKinds = ['comfyui', 'a1111'] as const;
/** One of {@link workerEngineKinds}. */
export type WorkerEngineKind = (typeof workerEngineKinds)[number];

/**
 * How much of the user's file system provenance may name: the engines' modes, listed here so that
 * a flag's help does not load the engines (choices.test.ts keeps both lists the same).
 */
export const provenanceModes = ['hashed', 'full'] as const satisfies readonly ProvenanceMode[];
