// How many candidates a run makes: the caller's count (the CLI's --count) when given, else the
// brief's `output.count`; either way within what the engine makes in one run (its `maxCount`).
import type { Brief } from '../brief/index.js';
import type { EngineCapabilities } from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';

/**
 * The candidate count of a run. A requested count outside 1..maxCount is a USAGE error naming
 * `field` (default `count`); a brief asking for more than the engine makes is ENGINE_CAPABILITY
 * naming `output.count`.
 */
export function candidateCount(
  capabilities: Pick<EngineCapabilities, 'id' | 'maxCount'>,
  brief: Brief,
  requested?: { readonly value: unknown; readonly field?: string },
): number {
  const max = capabilities.maxCount;
  if (requested !== undefined) {
    const n = typeof requested.value === 'string' ? Number(requested.value) : requested.value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max) return n;
    const field = requested.field ?? 'count';
    const message = `expected a whole number from 1 to ${max} for \`${field}\` but received ${JSON.stringify(requested.value)}`;
    throw new PortraitistError('USAGE', message, { issues: [{ path: field, message }] });
  }
  const count = brief.output.count;
  if (count <= max) return count;
  const message = `expected a whole number from 1 to ${max} (what ${capabilities.id} makes in one run) for \`output.count\` but received ${count}`;
  throw new PortraitistError('ENGINE_CAPABILITY', message, {
    issues: [{ path: 'output.count', message }],
  });
}
