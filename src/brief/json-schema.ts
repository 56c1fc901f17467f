// JSON Schema of the brief file, generated from the same zod schema that validates it, so editors
// (YAML language server, VS Code) autocomplete and check briefs as they are typed.
import { z } from 'zod';
import { briefSchema } from './schema.js';

/** The JSON Schema (draft 2020-12) of a brief file as written by a person (defaults optional). */
export function briefJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(briefSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: 'https://portraitist.dev/schema/brief-v1.json',
    title: 'Portraitist brief (version 1)',
  };
}
