import type { Issue } from './issues.js';

export {
  closest,
  describeValue,
  editDistance,
  formatPath,
  fromZodError,
  fromZodIssue,
  valueAt,
  type Issue,
  type ZodIssueOptions,
} from './issues.js';

/** Stable error codes; the CLI and HTTP layers map them to exit codes and statuses. */
export type ErrorCode =
  | 'BRIEF_INVALID'
  | 'BRIEF_PARSE'
  | 'BRIEF_VERSION'
  | 'FILE_NOT_FOUND'
  | 'FILE_READ'
  /** An output file is already there and --force was not given. */
  | 'OUTPUT_EXISTS'
  /** An output file could not be written (read-only, permissions, not a folder…); nothing was left. */
  | 'OUTPUT_FAILED'
  /** The disk (or quota) filled up while writing an output file; nothing was left. */
  | 'DISK_FULL'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_TRUNCATED'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_EMPTY'
  | 'TARGET_UNKNOWN'
  | 'TOKENIZER_LOAD'
  /** A photo that must show a face (to relight, warp or direct) shows none. */
  | 'NO_FACE'
  | 'USAGE'
  | 'VISION_LOAD'
  | 'VISION_FAILED'
  | 'ABORTED'
  | 'ENGINE_CAPABILITY'
  | 'ENGINE_FAILED'
  /** The engine's server could not be reached (refused, reset, DNS) after the retries. */
  | 'ENGINE_UNREACHABLE'
  /** The engine's server did not answer in time. */
  | 'ENGINE_TIMEOUT'
  /** The engine's server refused the request as invalid (a validation error; never retried). */
  | 'ENGINE_REJECTED'
  /** An HTTP request named a Host (or Origin) outside the server's allowlist (DNS rebinding). */
  | 'HOST_FORBIDDEN'
  /** An HTTP request lacked the server's token, or carried a wrong one. */
  | 'UNAUTHORIZED'
  /** A route, blob or record that does not exist. */
  | 'NOT_FOUND'
  /** A request body over the server's byte cap. */
  | 'PAYLOAD_TOO_LARGE'
  /** A request body tried to set an engine URL; only the operator configures engines (SSRF). */
  | 'ENGINE_URL_REFUSED'
  /** A value handed to the library is not what it accepts (stars outside 1..5, a bad blob id…). */
  | 'LIBRARY_INVALID'
  /** A session, round or candidate named by id is not in the library. */
  | 'LIBRARY_NOT_FOUND'
  /** A row read back from the library does not have the shape it was written with. */
  | 'LIBRARY_CORRUPT'
  /** The library was written by a newer Portraitist (its schema has migrations this one lacks). */
  | 'LIBRARY_VERSION'
  /** A stored blob's bytes no longer match its sha-256 id (changed or truncated on disk). */
  | 'BLOB_CORRUPT'
  /** No blob is stored under that id. */
  | 'BLOB_NOT_FOUND'
  | 'INTERNAL';

/** Base class of every error Portraitist lets reach a user: a code, one line, the offending field. */
export class PortraitistError extends Error {
  override readonly name: string = 'PortraitistError';
  readonly code: ErrorCode;
  readonly issues: readonly Issue[];
  /** The file or input the error is about, when there is one. */
  readonly source: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { issues?: readonly Issue[]; source?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
    this.source = options.source;
  }

  /** A JSON-safe view for `--json` output and HTTP bodies. */
  toJSON(): { code: ErrorCode; message: string; source?: string; issues: Issue[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.source === undefined ? {} : { source: this.source }),
      issues: [...this.issues],
    };
  }
}

/** True when `value` is a Portraitist error (also across realms/duplicate copies). */
export function isPortraitistError(value: unknown): value is PortraitistError {
  return (
    value instanceof PortraitistError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      Array.isArray((value as { issues?: unknown }).issues))
  );
}

/** Formats an issue as one line: `path: message (line:col)`. */
export function formatIssue(issue: Issue): string {
  const where = issue.line === undefined ? '' : ` (line ${issue.line}:${issue.column ?? 1})`;
  const named = issue.path === '' || issue.message.includes(`\`${issue.path}\``);
  return named ? `${issue.message}${where}` : `${issue.path}: ${issue.message}${where}`;
}
