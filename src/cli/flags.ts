// Flags are checked with one zod schema per command, through the one issue translator: every
// bad flag is reported at once, named as typed (`brow-raise`, `count`).
import { resolve } from 'node:path';
import { z } from 'zod';
import { referenceRoles, type ReferenceRole } from '../brief/index.js';
import { PortraitistError, fromZodError, type Issue } from '../errors/index.js';

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Checks a command's flags (as commander gives them) against its schema; USAGE naming each bad flag. */
export function parseFlags<S extends z.ZodType>(schema: S, flags: unknown): z.output<S> {
  const parsed = schema.safeParse(flags, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issues: Issue[] = fromZodError(
    {
      issues: parsed.error.issues.map((issue) => ({
        ...issue,
        path: issue.path.map((part, i) =>
          i === 0 && typeof part === 'string' ? kebab(part) : part,
        ),
      })),
    },
    { root: 'the command line' },
  );
  throw new PortraitistError('USAGE', issues[0]?.message ?? 'bad flags', { issues });
}

/** A number flag within min..max (given as text). */
export const numberFlag = (min: number, max: number, what = 'a number') =>
  z
    .string()
    .refine(
      (v) => v.trim() !== '' && Number.isFinite(Number(v)) && Number(v) >= min && Number(v) <= max,
      {
        error: `expected ${what} from ${min} to ${max}`,
      },
    )
    .transform(Number);

/** A whole-number flag within min..max (given as text). */
export const wholeNumberFlag = (min: number, max: number) =>
  z
    .string()
    .refine((v) => /^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max, {
      error: `expected a whole number from ${min} to ${max}`,
    })
    .transform(Number);

/** A whole-number flag whose upper limit is checked later (the engine's maxCount). */
export const countFlag = z.string().refine((v) => /^\d+$/.test(v.trim()), {
  error: 'expected a whole number',
});

/** The engine flags shared by `generate` and `direct`; the settings themselves are checked by studio. */
export const engineFlagsShape = {
  engine: z.string().optional(),
  url: z.string().optional(),
  template: z.string().optional(),
  checkpoint: z.string().optional(),
  model: z.string().optional(),
  config: z.string().optional(),
  target: z.string().optional(),
};

/**
 * A `--reference` value: `role=photo`, or (unless `strict`) a bare photo, which is an identity
 * reference. Each is checked on its own, so the error names `reference` as the user typed it.
 */
export function referenceFlag(
  value: string,
  cwd: string,
  strict: boolean,
): { role: ReferenceRole; path: string } {
  const [maybeRole, ...rest] = value.split('=');
  const hasRole =
    rest.length > 0 && (referenceRoles as readonly string[]).includes(maybeRole ?? '');
  if (hasRole && rest.join('=') !== '')
    return { role: maybeRole as ReferenceRole, path: resolve(cwd, rest.join('=')) };
  if (!strict && value !== '' && !hasRole) return { role: 'identity', path: resolve(cwd, value) };
  const message = `expected ${strict ? 'role=path' : 'role=path or a photo'} with a role of ${referenceRoles.join(', ')} for \`reference\` but received ${JSON.stringify(value)}`;
  throw new PortraitistError('USAGE', message, { issues: [{ path: 'reference', message }] });
}
