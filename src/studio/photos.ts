// Reading photos for a use case: a batch goes to worker threads (both cores), a single photo to
// one in-process runtime (no worker start-up). Bad photos come back as errors, in place.
import { isPortraitistError, type PortraitistError } from '../errors/index.js';
import {
  createVision,
  createVisionPool,
  createVisionRuntime,
  type Blueprint,
  type PoolJob,
} from '../vision/index.js';

/** How far a batch of photos has been read. */
export interface PhotoProgress {
  readonly done: number;
  readonly total: number;
  readonly source?: string;
}

/** Reads the blueprint of each photo, in order; a photo that cannot be read is its error. */
export async function readPhotos(
  jobs: readonly PoolJob[],
  onProgress: (progress: PhotoProgress) => void = () => undefined,
): Promise<Array<Blueprint | PortraitistError>> {
  if (jobs.length > 1) {
    const pool = createVisionPool({ workers: Math.min(2, jobs.length) });
    try {
      return await pool.analyzeMany(jobs, {
        onProgress: (p) => onProgress({ done: p.done, total: jobs.length, source: p.source }),
      });
    } finally {
      await pool.dispose();
    }
  }
  const job = jobs[0];
  if (job === undefined) return [];
  const vision = createVision(await createVisionRuntime());
  try {
    const result = await vision
      .analyze(job.input, {
        ...(job.faceIndex === undefined ? {} : { faceIndex: job.faceIndex }),
        ...(job.source === undefined ? {} : { source: job.source }),
      })
      .catch((error: unknown) => {
        if (isPortraitistError(error)) return error as PortraitistError;
        throw error;
      });
    onProgress({ done: 1, total: 1 });
    return [result];
  } finally {
    vision.dispose();
  }
}
