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
import type { SessionLibrary } from './session.js';

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
  /**
   * Also keep the run in this library: a session (titled by the brief) with one round, each
   * candidate stored as it arrives and each remote job recorded before it is waited on. The
   * candidates are not scored (generate does not critique).
   */
  readonly library?: SessionLibrary;
  /** The brief's file name: the session's title when the brief has none. */
  readonly briefSource?: string;
}

/** One written candidate. */
export interface GeneratedCandidate {
  /** Absolute path of the PNG. */
  readonly file: string;
  /** The library's candidate id, when the run was kept in a library. */
  readonly candidateId?: string;
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
  const library = options.library;
  const round =
    library === undefined
      ? undefined
      : await (async () => {
          const session = await library.store.createSession({
            title: brief.title ?? options.briefSource ?? 'generate',
            brief,
          });
          for (const ref of options.references)
            await library.store.addReference(session.id, {
              role: ref.role,
              name: ref.source,
              blob: await library.blobs.put(ref.image),
            });
          return library.store.startRound(session.id, {
            briefVersion: 1,
            engine: engine.id,
            count,
            seed,
            nudges: [],
          });
        })();
  const written: GeneratedCandidate[] = [];
  // Each candidate is written (and stored) as it arrives, so an interrupted run keeps what it paid for.
  const deliver = async (candidate: Candidate, index: number): Promise<void> => {
    const file = fileFor(candidate.seed);
    const bytes = candidateFileBytes(candidate, {
      stripMetadata: options.stripMetadata === true,
      provenance: options.provenance ?? 'hashed',
    });
    await writeOutputFile(file, bytes, writeOptions);
    let candidateId: string | undefined;
    if (library !== undefined && round !== undefined) {
      const stored = await library.store.addCandidate(round.id, {
        index,
        engine: candidate.engine,
        seed: candidate.seed,
        parameters: candidate.parameters,
        provenance: candidate.provenance,
        image: await library.blobs.put(bytes),
      });
      candidateId = stored.id;
    }
    written.push({
      file,
      seed: candidate.seed,
      engine: candidate.engine,
      ms: candidate.timings.totalMs,
      candidate,
      ...(candidateId === undefined ? {} : { candidateId }),
    });
  };
  try {
    await engine.generate(
      { brief, compiled, references: options.references, count, seed },
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        onCandidate: deliver,
        ...(library === undefined || round === undefined
          ? {}
          : { onRemoteJob: (job) => library.store.recordRemoteJob(round.id, job) }),
      },
    );
  } catch (error) {
    if (library !== undefined && round !== undefined)
      await library.store.finishRound(
        round.id,
        options.signal?.aborted === true ? 'cancelled' : 'failed',
      );
    throw error;
  }
  if (library !== undefined && round !== undefined)
    await library.store.finishRound(round.id, 'done');
  return written;
}
