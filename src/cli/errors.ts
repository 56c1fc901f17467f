// Errors at the edge: one clear line on stderr (or a JSON object with --json) and an exit code.
import { resolve } from 'node:path';
import { formatIssue, isPortraitistError, type ErrorCode } from '../errors/index.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';

/** sysexits-style codes so scripts can tell bad usage, bad input and missing files apart. */
export const exitCodes: Record<ErrorCode, number> = {
  USAGE: 64,
  NO_FACE: 65,
  TARGET_UNKNOWN: 64,
  BRIEF_INVALID: 65,
  BRIEF_PARSE: 65,
  BRIEF_VERSION: 65,
  IMAGE_TOO_LARGE: 65,
  IMAGE_CORRUPT: 65,
  IMAGE_TRUNCATED: 65,
  IMAGE_UNSUPPORTED: 65,
  IMAGE_EMPTY: 65,
  FILE_NOT_FOUND: 66,
  FILE_READ: 74,
  OUTPUT_EXISTS: 73,
  OUTPUT_FAILED: 73,
  DISK_FULL: 74,
  TOKENIZER_LOAD: 70,
  VISION_LOAD: 70,
  VISION_FAILED: 70,
  ABORTED: 130,
  ENGINE_CAPABILITY: 65,
  ENGINE_FAILED: 69,
  ENGINE_UNREACHABLE: 69,
  ENGINE_TIMEOUT: 75,
  ENGINE_REJECTED: 65,
  HOST_FORBIDDEN: 77,
  UNAUTHORIZED: 77,
  NOT_FOUND: 66,
  PAYLOAD_TOO_LARGE: 65,
  ENGINE_URL_REFUSED: 64,
  LIBRARY_INVALID: 65,
  LIBRARY_NOT_FOUND: 66,
  LIBRARY_CORRUPT: 74,
  LIBRARY_VERSION: 65,
  BLOB_CORRUPT: 74,
  BLOB_NOT_FOUND: 66,
  INTERNAL: 70,
};

/** Issues in file order (line, then column); those without a position keep their order, last. */
export function byLine<T extends { line?: number; column?: number }>(issues: readonly T[]): T[] {
  const key = (issue: T) => [issue.line ?? Infinity, issue.column ?? 0] as const;
  return [...issues].sort((a, b) => {
    const [la, ca] = key(a);
    const [lb, cb] = key(b);
    return la === lb ? ca - cb : la - lb;
  });
}

/**
 * Reports an error and returns the exit code. Issues beyond the first line follow, indented, in
 * file order; the file is named once (not again when the message already names it).
 */
export function reportError(io: CliIo, error: unknown, json: boolean): number {
  if (!isPortraitistError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    if (json) writeJson(io, { error: { code: 'INTERNAL', message, issues: [] } });
    else writeLine(io.stderr, `${styleFor(io, 'stderr').error('error')} INTERNAL: ${message}`);
    return exitCodes.INTERNAL;
  }
  if (json) {
    writeJson(io, { error: { ...error.toJSON(), issues: byLine(error.issues) } });
    return exitCodes[error.code];
  }
  const style = styleFor(io, 'stderr');
  const source = error.source;
  const named =
    source === undefined ||
    error.message.includes(source) ||
    error.message.includes(resolve(io.cwd, source));
  const where = named ? '' : `${source}: `;
  writeLine(io.stderr, `${style.error('error')} ${error.code}: ${where}${error.message}`);
  if (error.issues.length > 1) {
    for (const issue of byLine(error.issues)) writeLine(io.stderr, `  - ${formatIssue(issue)}`);
  } else if (error.issues[0]?.line !== undefined) {
    writeLine(io.stderr, `  at ${formatIssue(error.issues[0])}`);
  }
  return exitCodes[error.code];
}
