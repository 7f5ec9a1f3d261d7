/**
 * Checks a value against a schema of an OpenAPI 3.1 document: the subset of JSON Schema our
 * generated document uses ($ref, type incl. null, enum, const, properties, required,
 * additionalProperties: false, items, pattern, format date-time, anyOf/oneOf). Returns the problems
 * found, empty when the value conforms.
 */
type Schema = Record<string, any>;

export function validateAgainstOpenApi(
  document: Schema,
  schema: Schema,
  value: unknown,
  path = '$',
): string[] {
  if (typeof schema.$ref === 'string') {
    const target = (schema.$ref as string).replace(/^#\//, '').split('/').reduce<any>(
      (node, key) => node?.[key],
      document,
    );
    if (!target) return [`${path}: unresolved ${schema.$ref}`];
    return validateAgainstOpenApi(document, target, value, path);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[key])) {
      const passing = schema[key].filter((s: Schema) =>
        validateAgainstOpenApi(document, s, value, path).length === 0
      );
      if (passing.length === 0) return [`${path}: matches none of ${key}`];
    }
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(t, value))) {
      return [`${path}: expected ${types.join('|')}, got ${JSON.stringify(value)}`];
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    problems.push(`${path}: ${JSON.stringify(value)} not in enum`);
  }
  if ('const' in schema && schema.const !== value) {
    problems.push(`${path}: expected const ${JSON.stringify(schema.const)}`);
  }
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
      problems.push(`${path}: does not match ${schema.pattern}`);
    }
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
      problems.push(`${path}: not a date-time`);
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!(name in record)) problems.push(`${path}.${name}: required`);
    }
    for (const [name, child] of Object.entries(record)) {
      const sub = schema.properties?.[name];
      if (sub) problems.push(...validateAgainstOpenApi(document, sub, child, `${path}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${name}: not allowed`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      problems.push(...validateAgainstOpenApi(document, schema.items, item, `${path}[${i}]`))
    );
  }
  return problems;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

/** The schema of a response in the document, e.g. ('/posts', 'post', 201, 'application/json'). */
export function responseSchema(
  document: Schema,
  path: string,
  method: string,
  status: number,
  type: string,
): Schema {
  const schema = document.paths?.[path]?.[method]?.responses?.[status]?.content?.[type]?.schema;
  if (!schema) {
    throw new Error(`the document has no ${type} ${status} response for ${method.toUpperCase()} ${path}`);
  }
  return schema;
}
