// The one place where the project's typed errors become HTTP statuses and JSON bodies.
import {
  isPortraitistError,
  type PortraitistError,
  type ErrorCode,
  type Issue,
} from '../errors/index.js';

/** HTTP status of every error code; a new code fails the typecheck until it is placed here. */
export const httpStatuses: Readonly<Record<ErrorCode, number>> = {
  USAGE: 400,
  TARGET_UNKNOWN: 400,
  ENGINE_URL_REFUSED: 400,
  UNAUTHORIZED: 401,
  HOST_FORBIDDEN: 403,
  NOT_FOUND: 404,
  LIBRARY_NOT_FOUND: 404,
  BLOB_NOT_FOUND: 404,
  LIBRARY_INVALID: 400,
  LIBRARY_VERSION: 500,
  LIBRARY_CORRUPT: 500,
  BLOB_CORRUPT: 500,
  FILE_NOT_FOUND: 404,
  OUTPUT_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  // A decompression bomb is refused from its header: the pixels are too many to accept.
  IMAGE_TOO_LARGE: 413,
  IMAGE_UNSUPPORTED: 415,
  BRIEF_INVALID: 422,
  BRIEF_PARSE: 422,
  BRIEF_VERSION: 422,
  IMAGE_CORRUPT: 422,
  IMAGE_TRUNCATED: 422,
  IMAGE_EMPTY: 422,
  NO_FACE: 422,
  ENGINE_CAPABILITY: 422,
  ENGINE_REJECTED: 422,
  ABORTED: 499,
  FILE_READ: 500,
  OUTPUT_FAILED: 500,
  DISK_FULL: 507,
  TOKENIZER_LOAD: 500,
  VISION_LOAD: 500,
  VISION_FAILED: 500,
  INTERNAL: 500,
  ENGINE_FAILED: 502,
  ENGINE_UNREACHABLE: 502,
  ENGINE_TIMEOUT: 504,
};

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly source?: string;
    readonly issues: Issue[];
  };
}

/** Turns anything thrown into a status and body; unknown errors become INTERNAL without details. */
export function errorAnswer(error: unknown): { status: number; body: ErrorBody } {
  if (isPortraitistError(error)) {
    const json = (error as PortraitistError).toJSON();
    const status = httpStatuses[json.code] ?? 500;
    return { status, body: { error: json } };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'internal error', issues: [] } },
  };
}

/** Zod-style issues (path arrays) as the project's issues with dotted paths. */
export function issuesFromZod(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix = '',
): Issue[] {
  return issues.map((issue) => {
    const path = issue.path
      .map((part, i) =>
        typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
      )
      .join('');
    const full = prefix === '' ? path : path === '' ? prefix : `${prefix}.${path}`;
    return { path: full, message: issue.message };
  });
}
