/**
 * The operations of the API's OpenAPI 3.1 document (GET /openapi.json), in the shape the generator
 * and the oracle need: parameters by location with their schemas, the request body, and the
 * documented responses by status and content type. `resolve` follows local `$ref`s.
 */
export type JsonSchema = Record<string, any>;
export type ParameterLocation = 'path' | 'query' | 'header';

export interface Parameter {
  name: string;
  in: ParameterLocation;
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** `POST /posts/{id}/retry`: how reports name it. */
  id: string;
  /** Upper case. */
  method: string;
  /** The path template, e.g. `/posts/{id}`. */
  path: string;
  /** The first path segment (`posts`, `notification-endpoints`): ids in its answers fill its pool. */
  resource: string;
  parameters: Parameter[];
  body: { required: boolean; contentType: string; schema: JsonSchema } | null;
  /** Status → content type → schema (`null` content: the answer has no body). */
  responses: Map<number, Map<string, JsonSchema> | null>;
  /** Needs a bearer token. */
  secured: boolean;
}

export interface ApiDocument {
  raw: JsonSchema;
  operations: Operation[];
  resolve(schema: JsonSchema): JsonSchema;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'];

export function readOperations(document: JsonSchema): ApiDocument {
  const resolve = (schema: JsonSchema): JsonSchema => {
    let current = schema;
    for (let depth = 0; typeof current?.$ref === 'string'; depth++) {
      if (depth > 20) throw new Error(`$ref cycle at ${schema.$ref}`);
      const target = (current.$ref as string).replace(/^#\//, '').split('/').reduce<any>(
        (node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
        document,
      );
      if (!target) throw new Error(`the document has no ${current.$ref}`);
      current = target;
    }
    return current;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<JsonSchema>(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters: Parameter[] = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .map((p: JsonSchema) => resolve(p))
        .filter((p: JsonSchema) => ['path', 'query', 'header'].includes(p.in))
        .map((p: JsonSchema) => ({
          name: p.name,
          in: p.in,
          required: p.in === 'path' || p.required === true,
          schema: p.schema ?? {},
        }));
      let body: Operation['body'] = null;
      if (op.requestBody) {
        const requestBody = resolve(op.requestBody);
        const [contentType, media] = Object.entries<JsonSchema>(requestBody.content ?? {})[0] ?? [];
        if (contentType) {
          body = { required: requestBody.required === true, contentType, schema: media?.schema ?? {} };
        }
      }
      const responses = new Map<number, Map<string, JsonSchema> | null>();
      for (const [status, response] of Object.entries<JsonSchema>(op.responses ?? {})) {
        const resolved = resolve(response);
        const content = resolved.content
          ? new Map(Object.entries<JsonSchema>(resolved.content).map(([type, m]) => [type, m.schema ?? {}]))
          : null;
        responses.set(Number(status), content);
      }
      const security = op.security ?? document.security ?? [];
      operations.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        resource: path.split('/')[1] ?? '',
        parameters,
        body,
        responses,
        secured: security.length > 0,
      });
    }
  }
  return { raw: document, operations, resolve };
}

/**
 * The string enums of every property called `name` (or its plural, an array of them) anywhere in the
 * document: a path parameter documented only as a string (`{platform}`) gets its valid values from
 * the schemas that do list them (Account.platform, CreatePost.platforms).
 */
export function enumsNamed(document: JsonSchema, name: string): string[] {
  const found = new Set<string>();
  const visit = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as JsonSchema;
    if (record.properties && typeof record.properties === 'object') {
      for (const [key, property] of Object.entries<JsonSchema>(record.properties)) {
        if (key !== name && key !== `${name}s`) continue;
        const values = property?.enum ?? property?.items?.enum ?? [];
        for (const value of values) if (typeof value === 'string') found.add(value);
      }
    }
    for (const child of Object.values(record)) visit(child);
  };
  visit(document);
  return [...found];
}

/** The documented operation a request reaches (the gateway prefix and query string aside), or null. */
export function findOperation(
  doc: ApiDocument,
  method: string,
  pathAndQuery: string,
  basePath = '',
): Operation | null {
  // What the server sees: the URL as the client normalised it (`/a/%2e%2e/b` is `/b`).
  let path = new URL(pathAndQuery, 'http://fuzz.invalid').pathname;
  if (basePath && path.startsWith(`${basePath}/`)) path = path.slice(basePath.length);
  for (const op of doc.operations) {
    if (op.method !== method && !(method === 'HEAD' && op.method === 'GET')) continue;
    const pattern = new RegExp(
      `^${op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`,
    );
    if (pattern.test(path)) return op;
  }
  return null;
}
