// Versioned briefs: a brief of an older version is migrated step by step (N -> N+1) before it is
// validated; a newer version than this build knows is refused with a clear error.
import { PortraitistError } from '../errors/index.js';
import { CURRENT_BRIEF_VERSION } from './schema.js';

/** One step that turns a raw brief of version N into version N + 1. */
export type BriefMigration = (raw: Record<string, unknown>) => Record<string, unknown>;

/** Migration steps keyed by the version they migrate *from*. Version 1 is the first format. */
export type BriefMigrations = ReadonlyMap<number, BriefMigration>;

/** The migrations this build ships. Empty while version 1 is the only format ever written. */
export const builtInMigrations: BriefMigrations = new Map();

/**
 * Brings a raw brief up to `target` through the migration chain. Raw briefs without a numeric
 * version are returned unchanged so that validation can report the missing field with its path.
 */
export function migrateBrief(
  raw: Record<string, unknown>,
  options: { migrations?: BriefMigrations; target?: number; source?: string } = {},
): Record<string, unknown> {
  const migrations = options.migrations ?? builtInMigrations;
  const target = options.target ?? CURRENT_BRIEF_VERSION;
  const version = raw['version'];
  if (typeof version !== 'number' || !Number.isInteger(version)) return raw;
  if (version > target) {
    throw new PortraitistError(
      'BRIEF_VERSION',
      `this brief is version ${version}; this Portraitist reads versions up to ${target} — upgrade Portraitist`,
      {
        source: options.source,
        issues: [
          {
            path: 'version',
            message: `expected a version up to ${target} for \`version\` but received ${version}`,
          },
        ],
      },
    );
  }
  let current = raw;
  for (let v = version; v < target; v++) {
    const step = migrations.get(v);
    if (step === undefined) {
      throw new PortraitistError(
        'BRIEF_VERSION',
        `no migration from brief version ${v} to ${v + 1}`,
        {
          source: options.source,
          issues: [
            {
              path: 'version',
              message: `expected a version from which a migration exists for \`version\` but received ${version}`,
            },
          ],
        },
      );
    }
    current = { ...step(current), version: v + 1 };
  }
  return current;
}
