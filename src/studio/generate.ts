// generateCandidates: compile a brief for an engine, generate N candidates and write each as a
// PNG carrying its provenance (or stripped of all metadata for export). Files that are there
// already are refused before the engine is paid.
import { join } from 'node:path';
import type { Brief, Target } from '../brief/index.js';
import {
  candidateFileBytes,
  type Candidate,
  type Engine,
  type EngineProgress,
  type ProvenanceMode,
  type ReferenceImage,
} from '../engines/index.js';
import {
  refuseExisting,
  writeOutputFile,
  type OutputFileSystem,
  type WriteOutputOptions,
} from '../files/index.js';
import { createPromptCompiler, type PromptCompiler } from '../prompt/index.js';

export interface GenerateCandidatesOptions {
  readonly engine: Engine;
  /** The brief as the compiler should see it (with the run's references, see resolveReferences). */
  readonly brief: Brief;
  readonly target: Target;
  readonly references: readonly ReferenceImage[];
  readonly count: number;
  readonly seed: number;
  /** Folder the candidates are written to, as `<engine>-<seed>.png`. */
  readonly outDir: string;
  readonly stripMetadata?: boolean;
  readonly provenance?: ProvenanceMode;
  /** Replace candidate files that are there (default: refuse with OUTPUT_EXISTS, naming `out`). */
  readonly force?: boolean;
  readonly files?: OutputFileSystem;
  readonly compiler?: PromptCompiler;
  readonly signal?: AbortSignal;
  /** Called once the files were checked, right before the engine is asked. */
  readonly onStart?: () => void;
  readonly onProgress?: (progress: EngineProgress) => void;
}

/** One written candidate. */
export interface GeneratedCandidate {
  /** Absolute path of the PNG. */
  readonly file: string;
  readonly seed: number;
  readonly engine: string;
  readonly ms: number;
  readonly candidate: Candidate;
}

/** Generates and writes the candidates; returns them in the engine's order. */
export async function generateCandidates(
  options: GenerateCandidatesOptions,
): Promise<GeneratedCandidate[]> {
  const { engine, brief, count, seed } = options;
  const compiled = (options.compiler ?? createPromptCompiler()).compile(brief, options.target);
  const writeOptions: WriteOutputOptions = {
    force: options.force === true,
    field: 'out',
    ...(options.files === undefined ? {} : { fs: options.files }),
  };
  const fileFor = (candidateSeed: number) =>
    join(options.outDir, `${engine.id}-${candidateSeed}.png`);
  for (let k = 0; k < count; k++) await refuseExisting(fileFor(seed + k), writeOptions);
  options.onStart?.();
  const candidates = await engine.generate(
    { brief, compiled, references: options.references, count, seed },
    {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    },
  );
  const written: GeneratedCandidate[] = [];
  for (const candidate of candidates) {
    const file = fileFor(candidate.seed);
    await writeOutputFile(
      file,
      candidateFileBytes(candidate, {
        stripMetadata: options.stripMetadata === true,
        provenance: options.provenance ?? 'hashed',
      }),
      writeOptions,
    );
    written.push({
      file,
      seed: candidate.seed,
      engine: candidate.engine,
      ms: candidate.timings.totalMs,
      candidate,
    });
  }
  return written;
}
