// Provenance embedded in every image Portraitist writes: an A1111-compatible `parameters` text
// (what PNG-info readers show) and the brief, prompt and parameters as JSON. By default nothing
// about the user's file system goes into an image: reference photos are named by content hash.
import { readPngText, stripPngMetadata, withPngText } from '../image/index.js';
import type { Brief } from '../brief/index.js';
import type { Candidate } from './types.js';

/** `hashed` (default): references as sha-256 of their bytes; `full`: their names and brief paths too. */
export const provenanceModes = ['hashed', 'full'] as const;
export type ProvenanceMode = (typeof provenanceModes)[number];

/** What stands in for a brief reference whose bytes were not sent (a library id, a missing file). */
const withheld = 'withheld';

function lastSegment(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * The brief with each reference's `image` path replaced by `sha256:<hex>` of the photo that was
 * sent for it (same role and file name), or by `withheld` when no bytes were sent.
 */
function hashedBrief(brief: Brief, references: Candidate['provenance']['references']): Brief {
  return {
    ...brief,
    references: brief.references.map((reference) => {
      const sent = references.find(
        (r) => r.role === reference.role && r.source === lastSegment(reference.image),
      );
      return { ...reference, image: sent === undefined ? withheld : `sha256:${sent.sha256}` };
    }),
  };
}

/** The JSON provenance record of a candidate, in the given mode. */
export function provenanceRecord(candidate: Candidate, mode: ProvenanceMode = 'hashed'): unknown {
  const { provenance } = candidate;
  const full = mode === 'full';
  return {
    engine: candidate.engine,
    seed: candidate.seed,
    parameters: candidate.parameters,
    brief: full ? provenance.brief : hashedBrief(provenance.brief, provenance.references),
    references: full
      ? provenance.references
      : provenance.references.map((r) => ({ role: r.role, sha256: r.sha256 })),
    createdAt: provenance.createdAt,
    prompt: {
      target: candidate.prompt.target,
      positive: candidate.prompt.positive,
      negative: candidate.prompt.negative,
      params: candidate.prompt.params,
    },
  };
}

/** The A1111 `parameters` text: prompt, negative prompt, then "Key: value" settings on one line. */
export function a1111Parameters(candidate: Candidate): string {
  const { prompt, seed, engine, parameters } = candidate;
  const settings: string[] = [];
  if (prompt.params.steps !== null) settings.push(`Steps: ${prompt.params.steps}`);
  if (prompt.params.sampler !== null) settings.push(`Sampler: ${prompt.params.sampler}`);
  if (prompt.params.guidance !== null) settings.push(`CFG scale: ${prompt.params.guidance}`);
  settings.push(`Seed: ${seed}`);
  if (prompt.params.width !== null && prompt.params.height !== null)
    settings.push(`Size: ${prompt.params.width}x${prompt.params.height}`);
  settings.push(`Model: portraitist-${engine}`);
  for (const [key, value] of Object.entries(parameters))
    settings.push(`${key}: ${String(value).replaceAll(',', ';')}`);
  return [
    prompt.positive,
    ...(prompt.negative === null ? [] : [`Negative prompt: ${prompt.negative}`]),
    settings.join(', '),
  ].join('\n');
}

/** The candidate's PNG with its provenance embedded (reference names hashed unless `full`). */
export function embedProvenance(candidate: Candidate, mode: ProvenanceMode = 'hashed'): Uint8Array {
  return withPngText(candidate.image, {
    parameters: a1111Parameters(candidate),
    portraitist: JSON.stringify(provenanceRecord(candidate, mode)),
  });
}

/** The provenance a Portraitist PNG carries, or null. */
export function readProvenance(
  png: Uint8Array,
): { parameters: string; portraitist: unknown } | null {
  const text = readPngText(png);
  if (text['portraitist'] === undefined) return null;
  return {
    parameters: text['parameters'] ?? '',
    portraitist: JSON.parse(text['portraitist']) as unknown,
  };
}

/**
 * The bytes to write for a candidate: with its provenance embedded, or, for export, with every
 * metadata chunk removed — ours and any the server embedded (ComfyUI's graph, A1111's parameters).
 */
export function candidateFileBytes(
  candidate: Candidate,
  options: { readonly stripMetadata?: boolean; readonly provenance?: ProvenanceMode } = {},
): Uint8Array {
  return options.stripMetadata === true
    ? stripPngMetadata(candidate.image)
    : embedProvenance(candidate, options.provenance ?? 'hashed');
}
