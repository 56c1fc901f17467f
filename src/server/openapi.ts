// The OpenAPI 3.1 document, generated from the route table's zod schemas (never written by hand).
import { z } from 'zod';
import { httpStatuses } from './errors.js';
import type { RouteDefinition } from './routes.js';
import { errorBodySchema } from './schemas.js';

type JsonSchema = Record<string, unknown>;

const statusText: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'The request does not match its schema (issues name the fields)',
  401: 'A token is required and was missing or wrong',
  403: 'Host or Origin outside the allowlist',
  404: 'Not found',
  413: 'Over the byte or pixel cap',
  415: 'Not an accepted image format',
  422: 'Understood but invalid (issues name the fields)',
  500: 'Internal error',
  502: 'The engine failed or could not be reached',
};

/** Removes the per-schema `$schema`/`$id` zod adds; the document is one JSON Schema 2020-12 dialect. */
function tidy(schemas: Record<string, JsonSchema>): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const rest = { ...schema };
      delete rest.$schema;
      delete rest.$id;
      return [id, rest];
    }),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function parameterSchema(schema: z.ZodType): JsonSchema {
  const rest: JsonSchema = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  delete rest.$schema;
  return rest;
}

function parameters(route: RouteDefinition): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [where, object] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (object === undefined) continue;
    for (const [name, schema] of Object.entries(object.shape)) {
      const field = schema as z.ZodType;
      list.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        schema: parameterSchema(field),
        ...(field.description === undefined ? {} : { description: field.description }),
      });
    }
  }
  return list;
}

/** Builds the OpenAPI 3.1 document of `routes`. */
export function openApiDocument(
  routes: readonly RouteDefinition[],
  info: { version: string; tokenRequired: boolean },
): JsonSchema {
  // Requests are described as a client writes them (defaults optional), answers as the server
  // sends them (defaults filled in): two registries, one per direction.
  const requests = z.registry<{ id: string }>();
  const answers = z.registry<{ id: string }>();
  answers.add(errorBodySchema, { id: 'Error' });
  for (const route of routes) {
    if (route.body?.kind === 'json') requests.add(route.body.schema, { id: route.body.id });
    if (route.answer.kind === 'json') answers.add(route.answer.schema, { id: route.answer.id });
  }
  const uri = (id: string) => `#/components/schemas/${id}`;
  const requestSchemas = z.toJSONSchema(requests, { io: 'input', uri, target: 'draft-2020-12' });
  const answerSchemas = z.toJSONSchema(answers, { io: 'output', uri, target: 'draft-2020-12' });

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const responses: Record<string, JsonSchema> = {};
    const ok = route.answer;
    responses[String(ok.status)] =
      ok.kind === 'json'
        ? {
            description: statusText[ok.status],
            content: { 'application/json': { schema: ref(ok.id) } },
          }
        : {
            description: statusText[ok.status],
            content: Object.fromEntries(
              ok.mediaTypes.map((type) => [
                type,
                { schema: { type: 'string', contentMediaType: type } },
              ]),
            ),
          };
    for (const status of [...new Set([...route.errors, 401, 403, 500])].sort()) {
      responses[String(status)] = {
        description: statusText[status] ?? 'Error',
        content: { 'application/json': { schema: ref('Error') } },
      };
    }
    const body = route.body;
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(parameters(route).length === 0 ? {} : { parameters: parameters(route) }),
      ...(body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content:
                body.kind === 'json'
                  ? { 'application/json': { schema: ref(body.id) } }
                  : Object.fromEntries(
                      body.mediaTypes.map((type) => [
                        type,
                        { schema: { type: 'string', contentMediaType: type } },
                      ]),
                    ),
            },
          }),
      responses,
    };
    (paths[route.path] ??= {})[route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Portraitist studio API',
      version: info.version,
      description: `Errors carry a stable code (statuses: ${Object.entries(httpStatuses)
        .map(([code, status]) => `${code} ${status}`)
        .join(', ')}) and issues with field paths.`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(info.tokenRequired ? { security: [{ token: [] }] } : {}),
    paths,
    components: {
      schemas: { ...tidy(requestSchemas.schemas), ...tidy(answerSchemas.schemas) },
      securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
    },
  };
}
