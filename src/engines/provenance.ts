// Provenance embedded in every image Portraitist writes: an A1111-compatible `parameters` text
// (what PNG-info readers show) and the full brief, prompt and parameters as JSON.
import { readPngText, stripPngMetadata, withPngText } from '../image/index.js';
import type { Candidate } from './types.js';

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

/** The candidate's PNG with its provenance embedded. */
export function embedProvenance(candidate: Candidate): Uint8Array {
  return withPngText(candidate.image, {
    parameters: a1111Parameters(candidate),
    portraitist: JSON.stringify({
      engine: candidate.engine,
      seed: candidate.seed,
      parameters: candidate.parameters,
      brief: candidate.provenance.brief,
      references: candidate.provenance.references,
      createdAt: candidate.provenance.createdAt,
      prompt: {
        target: candidate.prompt.target,
        positive: candidate.prompt.positive,
        negative: candidate.prompt.negative,
        params: candidate.prompt.params,
      },
    }),
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
  options: { readonly stripMetadata?: boolean } = {},
): Uint8Array {
  return options.stripMetadata === true
    ? stripPngMetadata(candidate.image)
    : embedProvenance(candidate);
}
