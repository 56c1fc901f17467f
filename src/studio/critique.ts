// critiqueCandidates: score candidate photos against a brief and its references, rank them, and
// draw the ranked contact sheet. Reference photos are measured first; a reference that cannot
// be read fails the run (the scores would be against nothing), a candidate that cannot be read
// is reported in place and the others are still ranked.
import { readFile } from 'node:fs/promises';
import type { Brief, ReferenceRole } from '../brief/index.js';
import {
  critique,
  drawContactSheet,
  rank,
  type CritiqueReferences,
  type Ranking,
  type Scorecard,
} from '../critic/index.js';
import type { ReferenceImage } from '../engines/index.js';
import type { PortraitistError } from '../errors/index.js';
import { refuseExisting, writeOutputFile, type OutputFileSystem } from '../files/index.js';
import type { Blueprint } from '../vision/index.js';
import { readPhotos, type PhotoProgress } from './photos.js';

/** A candidate to critique: a file path or its bytes, and the name it is reported under. */
export interface CritiqueInput {
  readonly input: string | Uint8Array;
  readonly source: string;
}

export interface CritiqueCandidatesOptions {
  readonly brief: Brief;
  readonly references: readonly ReferenceImage[];
  readonly candidates: readonly CritiqueInput[];
  /**
   * Draw a contact sheet of the ranking and write it to `path` (absolute), titled `title` with the
   * ranking's summary below. An existing file is refused before any work unless `force`.
   */
  readonly sheet?: {
    readonly path: string;
    readonly title: string;
    readonly force?: boolean;
    readonly files?: OutputFileSystem;
  };
  readonly onProgress?: (progress: PhotoProgress) => void;
}

export interface CritiqueResult {
  readonly ranking: Ranking;
  /** Candidates that could not be read, with their errors (each names its photo as `source`). */
  readonly failures: readonly PortraitistError[];
  /** Where the contact sheet was written, when asked for. */
  readonly sheet?: string;
}

/** Scores, ranks and (optionally) draws the candidates. */
export async function critiqueCandidates(
  options: CritiqueCandidatesOptions,
): Promise<CritiqueResult> {
  const { references, candidates } = options;
  const sheetOptions =
    options.sheet === undefined
      ? undefined
      : {
          force: options.sheet.force === true,
          field: 'sheet',
          ...(options.sheet.files === undefined ? {} : { fs: options.sheet.files }),
        };
  if (options.sheet !== undefined) await refuseExisting(options.sheet.path, sheetOptions);
  const results = await readPhotos(
    [
      ...references.map((r) => ({ input: r.image, source: r.source })),
      ...candidates.map((c) => ({ input: c.input, source: c.source })),
    ],
    options.onProgress,
  );
  const referenceBlueprints: Partial<Record<ReferenceRole, Blueprint>> = {};
  references.forEach((reference, i) => {
    const result = results[i];
    if (result instanceof Error) throw result;
    if (result !== undefined) referenceBlueprints[reference.role] = result;
  });
  const failures: PortraitistError[] = [];
  const measured: Array<{ index: number; scorecard: Scorecard }> = [];
  results.slice(references.length).forEach((result, index) => {
    if (result instanceof Error) failures.push(result);
    else
      measured.push({
        index,
        scorecard: critique(result, options.brief, referenceBlueprints as CritiqueReferences),
      });
  });
  const ranking = rank(measured.map((m) => m.scorecard));
  if (options.sheet === undefined) return { ranking, failures };
  // Ranked scorecards are matched to their photos by identity, never by name.
  const indexOf = new Map(measured.map((m) => [m.scorecard, m.index]));
  const sheet = await drawContactSheet(
    await Promise.all(
      ranking.candidates.map(async (ranked) => {
        const candidate = candidates[indexOf.get(ranked.scorecard) ?? -1];
        if (candidate === undefined)
          throw new Error(`ranked scorecard ${ranked.scorecard.source} has no candidate`);
        const image =
          typeof candidate.input === 'string'
            ? new Uint8Array(await readFile(candidate.input))
            : candidate.input;
        return { image, ranked };
      }),
    ),
    { title: `${options.sheet.title}\n${ranking.summary}` },
  );
  await writeOutputFile(options.sheet.path, sheet, sheetOptions);
  return { ranking, failures, sheet: options.sheet.path };
}
