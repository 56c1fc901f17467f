// Checks and building blocks every engine shares, so each refuses bad requests the same way.
import { createHash } from 'node:crypto';
import { PortraitistError } from '../errors/index.js';
import {
  remoteJobRefSchema,
  type Candidate,
  type GenerateOptions,
  type GenerationRequest,
  type ReferenceImage,
  type RemoteJobRef,
} from './types.js';

/** Throws the typed cancellation error when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'generation'): void {
  if (signal?.aborted === true) throw new PortraitistError('ABORTED', `${what} was cancelled`);
}

/** Refuses a candidate count outside 1..max, naming `count`. */
export function checkCount(count: number, max: number): void {
  if (Number.isInteger(count) && count >= 1 && count <= max) return;
  const message = `expected a whole number from 1 to ${max} for \`count\` but received ${count}`;
  throw new PortraitistError('USAGE', 'bad candidate count', {
    issues: [{ path: 'count', message }],
  });
}

/** Refuses a seed a JS number cannot hold exactly (ComfyUI takes up to 2^64−1; we stop at 2^53−1). */
export function checkSeedRange(seed: number, count: number): void {
  // Compared as seed ≤ max − (count − 1): `seed + count - 1` adds first, and past 2^53 the sum
  // rounds (2^53 − 1 + 2 gives 2^53), so the last seed would look safe when it is not.
  const highest = Number.MAX_SAFE_INTEGER - (count - 1);
  if (Number.isSafeInteger(seed) && seed >= 0 && seed <= highest) return;
  const message = `expected a whole number from 0 to ${highest} for \`seed\` (the last of ${count} candidates uses seed + ${count - 1}) but received ${seed}`;
  throw new PortraitistError('USAGE', 'bad seed', { issues: [{ path: 'seed', message }] });
}

/** The references as provenance records them: role, name and a content hash, never the bytes. */
export function referenceProvenance(
  references: readonly ReferenceImage[],
): Candidate['provenance']['references'] {
  return references.map((r) => ({
    role: r.role,
    source: r.source,
    sha256: createHash('sha256').update(r.image).digest('hex'),
  }));
}

/** A candidate with the provenance every engine records. */
export function makeCandidate(
  request: GenerationRequest,
  fields: {
    readonly engine: string;
    readonly image: Uint8Array;
    readonly seed: number;
    readonly parameters: Candidate['parameters'];
    readonly totalMs: number;
    readonly createdAt: Date;
  },
): Candidate {
  return {
    image: fields.image,
    seed: fields.seed,
    engine: fields.engine,
    prompt: request.compiled,
    parameters: fields.parameters,
    timings: { totalMs: Math.max(0, Math.round(fields.totalMs)) },
    provenance: {
      brief: request.brief,
      references: referenceProvenance(request.references),
      createdAt: fields.createdAt.toISOString(),
    },
  };
}

/** What a resumable run was asked for, checked: the indices to make and the recorded jobs by index. */
export interface RunPlan {
  /** Indices to produce in this call, ascending (skipped ones left out). */
  readonly indices: readonly number[];
  /** Recorded remote jobs of an earlier run, by candidate index (this engine's kind only). */
  readonly resumed: ReadonlyMap<number, RemoteJobRef>;
  /** Awaits `onRemoteJob` for a job about to be sent or waited on. */
  record(job: RemoteJobRef): Promise<void>;
  /** Awaits `onCandidate`; the engine collects the next candidate only after it resolves. */
  deliver(candidate: Candidate, index: number): Promise<void>;
}

/**
 * Checks `skipIndices` and `resume` against the request (typed USAGE errors naming the field) and
 * returns the run's plan. Refs of another engine or kind are refused, not ignored: collecting a job
 * the engine cannot read would silently pay for it again.
 */
export function planRun(
  request: GenerationRequest,
  options: GenerateOptions,
  engine: string,
  kind: RemoteJobRef['kind'],
): RunPlan {
  const skip = options.skipIndices ?? new Set<number>();
  for (const index of skip)
    if (!Number.isInteger(index) || index < 0 || index >= request.count)
      throw usage(
        'skipIndices',
        `expected candidate indices from 0 to ${request.count - 1} for \`skipIndices\` but received ${index}`,
      );
  const resumed = new Map<number, RemoteJobRef>();
  for (const [i, raw] of (options.resume ?? []).entries()) {
    const parsed = remoteJobRefSchema.safeParse(raw);
    if (!parsed.success)
      throw usage(
        `resume[${i}]`,
        `expected a remote job {index, engine, kind, id} for \`resume[${i}]\``,
      );
    const job = parsed.data;
    if (job.engine !== engine || job.kind !== kind)
      throw usage(
        `resume[${i}].kind`,
        `expected a ${kind} job of engine ${engine} for \`resume[${i}]\` but received ${job.kind} of ${job.engine}`,
      );
    if (job.index >= request.count)
      throw usage(
        `resume[${i}].index`,
        `expected an index from 0 to ${request.count - 1} for \`resume[${i}].index\` but received ${job.index}`,
      );
    resumed.set(job.index, job);
  }
  const indices = Array.from({ length: request.count }, (_, k) => k).filter((k) => !skip.has(k));
  return {
    indices,
    resumed,
    record: async (job) => {
      await options.onRemoteJob?.(job);
    },
    deliver: async (candidate, index) => {
      await options.onCandidate?.(candidate, index);
    },
  };
}

function usage(path: string, message: string): PortraitistError {
  return new PortraitistError('USAGE', message, { issues: [{ path, message }] });
}
