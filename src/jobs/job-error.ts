// A job's failure as JSON: the typed error (code, one line, the offending field) survives the trip
// through Redis or any other process boundary and becomes a PortraitistError again on the far side.
import { z } from 'zod';
import { PortraitistError, isPortraitistError, type ErrorCode } from '../errors/index.js';

/** A typed error, JSON-safe. */
export interface JobError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly source?: string;
  readonly issues: ReadonlyArray<{ path: string; message: string; line?: number; column?: number }>;
}

/** The wire shape of a JobError (re-checked whenever one is read back). */
export const jobErrorSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  source: z.string().optional(),
  issues: z.array(
    z.object({
      path: z.string(),
      message: z.string(),
      line: z.number().int().optional(),
      column: z.number().int().optional(),
    }),
  ),
});

/** Any thrown value as a JobError (an untyped throw becomes `INTERNAL` with its message). */
export function toJobError(error: unknown): JobError {
  if (isPortraitistError(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.source === undefined ? {} : { source: error.source }),
      issues: error.issues.map((i) => ({ ...i })),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message, issues: [] };
}

/** A JobError as the PortraitistError a caller can throw or match on. */
export function fromJobError(error: JobError): PortraitistError {
  return new PortraitistError(error.code, error.message, {
    issues: error.issues,
    ...(error.source === undefined ? {} : { source: error.source }),
  });
}

/** Encodes a JobError into one string (BullMQ carries a failure as its reason text). */
export function encodeJobError(error: JobError): string {
  return JSON.stringify({ portraitistJobError: error });
}

/** Decodes `encodeJobError` output; any other text (a BullMQ reason) becomes `INTERNAL`. */
export function decodeJobError(text: string): JobError {
  try {
    const parsed = z
      .object({ portraitistJobError: jobErrorSchema })
      .safeParse(JSON.parse(text) as unknown);
    if (parsed.success) return parsed.data.portraitistJobError as JobError;
  } catch {
    // not JSON: a reason written by BullMQ itself (a stalled job given up on, say)
  }
  return { code: 'INTERNAL', message: text, issues: [] };
}

/** The error a cancelled job's signal is aborted with, and its handle rejects with. */
export function cancelledError(jobId: string): PortraitistError {
  return new PortraitistError('ABORTED', `job ${jobId} was cancelled`, {
    issues: [{ path: 'jobId', message: `job \`jobId\` ${jobId} was cancelled` }],
  });
}

/** The abort reason of a worker shutting down: the job goes back to the queue. */
export function shutdownError(jobId: string): PortraitistError {
  return new PortraitistError('ABORTED', `worker shut down; job ${jobId} handed back to the queue`);
}

/** Checks enqueue options and the payload; a bad one is a USAGE error naming the field. */
export function checkPayload<P>(schema: z.ZodType<P>, payload: unknown, what: string): P {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = ['payload', ...issue.path.map(String)].join('.');
    return { path, message: `${path}: ${issue.message}` };
  });
  throw new PortraitistError('USAGE', `${what}: ${issues[0]?.message ?? 'invalid payload'}`, {
    issues,
  });
}

const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Throws USAGE unless `value` is a valid job id (no `:`, not all digits: BullMQ reserves those). */
export function checkJobId(value: string): string {
  if (!jobIdPattern.test(value) || /^\d+$/.test(value)) {
    throw new PortraitistError(
      'USAGE',
      `expected \`jobId\` of letters, digits, '.', '_' or '-' (not only digits), but received ${JSON.stringify(value)}`,
      { issues: [{ path: 'jobId', message: 'letters, digits, . _ - (not only digits)' }] },
    );
  }
  return value;
}

/** Throws USAGE unless `value` is a valid queue name. */
export function checkQueueName(value: string): string {
  if (!namePattern.test(value)) {
    throw new PortraitistError(
      'USAGE',
      `expected queue \`name\` of letters, digits, '_' or '-', but received ${JSON.stringify(value)}`,
      { issues: [{ path: 'name', message: 'letters, digits, _ -' }] },
    );
  }
  return value;
}

/** Checks numeric enqueue options. */
export function checkEnqueueNumbers(options: {
  delayMs?: number;
  attempts?: number;
  backoffMs?: number;
}): void {
  const bad = (path: string, expected: string, value: unknown) =>
    new PortraitistError(
      'USAGE',
      `expected \`${path}\` to be ${expected}, but received ${String(value)}`,
      {
        issues: [{ path, message: expected }],
      },
    );
  const { delayMs, attempts, backoffMs } = options;
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0))
    throw bad('delayMs', 'a number ≥ 0', delayMs);
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1 && attempts <= 100))
    throw bad('attempts', 'an integer from 1 to 100', attempts);
  if (backoffMs !== undefined && !(Number.isFinite(backoffMs) && backoffMs >= 0))
    throw bad('backoffMs', 'a number ≥ 0', backoffMs);
}

/** A JSON round trip: what would come back from Redis (throws USAGE on a non-JSON value). */
export function jsonSafe(value: unknown, path: string): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch (error) {
    throw new PortraitistError('USAGE', `expected \`${path}\` to be JSON-safe`, {
      issues: [{ path, message: 'a JSON value' }],
      cause: error,
    });
  }
}
