/**
 * Judges one answer against the document (the table checksum is judged by the runner):
 *
 * - `no-5xx`: every request gets an answer, and its status is below 500;
 * - `problem-json`: every 4xx is `application/problem+json` with a `code`, whose body matches the
 *   documented problem schema and whose `status` is the HTTP status;
 * - `documented-2xx`: every 2xx is a status the operation documents, with a documented content type,
 *   and a body that validates against that response's schema (ajv, JSON Schema 2020-12 with formats);
 * - `auth`: a request whose token the API must refuse never gets a 2xx;
 * - `foreign`: a request that names another user's object never gets a 2xx.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FuzzRequest } from './fuzz-request.ts';
import type { ApiDocument, JsonSchema, Operation } from './openapi-operations.ts';
import type { Answer } from './send-request.ts';

export const ORACLES = [
  'no-5xx',
  'problem-json',
  'documented-2xx',
  'unchanged-tables',
  'auth',
  'foreign',
] as const;
export type OracleName = typeof ORACLES[number];

export interface Violation {
  oracle: OracleName;
  /** What is wrong, e.g. `/targets/0/status must be equal to one of the allowed values`. */
  detail: string;
}

export interface ResponseOracle {
  /**
   * `reached` is the documented operation the request's path and method arrive at (which may not be
   * the one it was made from: a bent path can land on another route), or null for none.
   */
  judge(request: FuzzRequest, answer: Answer, reached: Operation | null): Violation[];
}

const PROBLEM_TYPE = 'application/problem+json';

export function createResponseOracle(doc: ApiDocument): ResponseOracle {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own keywords next to JSON Schema's: annotations, not assertions.
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  const definitions = rewriteRefs(doc.raw.components?.schemas ?? {});
  const compiled = new Map<JsonSchema, ValidateFunction>();
  const validator = (schema: JsonSchema) => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile({ ...rewriteRefs(schema), $defs: definitions });
      compiled.set(schema, validate);
    }
    return validate;
  };
  const problemSchema: JsonSchema | null = doc.raw.components?.schemas?.Problem ?? null;
  const check = (schema: JsonSchema, value: unknown): string | null => {
    const validate = validator(schema);
    if (validate(value)) return null;
    return (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '(body)'} ${e.message}`).join(
      '; ',
    );
  };

  return {
    judge(request, answer, reached) {
      const violations: Violation[] = [];
      const fail = (oracle: OracleName, detail: string) => violations.push({ oracle, detail });
      const { status } = answer;
      if (status === 0) fail('no-5xx', `no answer: ${answer.error}`);
      else if (status >= 500) fail('no-5xx', `HTTP ${status}`);
      const mediaType = (answer.contentType ?? '').split(';')[0]!.trim().toLowerCase();

      if (status >= 400 && status < 500) {
        const body = answer.json as Record<string, unknown> | undefined;
        if (mediaType !== PROBLEM_TYPE) {
          fail('problem-json', `content-type ${answer.contentType ?? '(none)'}`);
        } else if (request.method === 'HEAD') {
          // A HEAD answer has the GET's headers and no body: the content type is all there is to judge.
        } else if (!body || typeof body !== 'object' || typeof body.code !== 'string') {
          fail('problem-json', `no code in ${answer.text.slice(0, 120)}`);
        } else {
          const documented = reached?.responses.get(status)?.get(PROBLEM_TYPE) ?? problemSchema;
          const problem = documented ? check(documented, body) : null;
          if (problem) fail('problem-json', `body does not match the problem schema: ${problem}`);
          if (body.status !== status) {
            fail('problem-json', `problem status ${String(body.status)} on HTTP ${status}`);
          }
        }
      }

      if (status >= 200 && status < 300) {
        const documented = reached?.responses.get(status);
        if (reached === null || request.method === 'HEAD') {
          // A route outside the document (/openapi.json itself) has no schema to hold it to; the
          // summary counts these. HEAD is a GET without its body.
        } else if (documented === undefined) {
          fail('documented-2xx', `status ${status} is not documented for ${reached.id}`);
        } else if (documented === null || documented.size === 0) {
          if (answer.text !== '') {
            fail('documented-2xx', `documented without a body, got ${answer.text.slice(0, 80)}`);
          }
        } else {
          const schema = documented.get(mediaType);
          if (!schema) {
            fail(
              'documented-2xx',
              `content-type ${answer.contentType ?? '(none)'} is not documented for ${status}`,
            );
          } else {
            const value = mediaType.includes('json') ? answer.json : answer.text;
            if (value === undefined) {
              fail('documented-2xx', `the body is not JSON: ${answer.text.slice(0, 80)}`);
            } else {
              const problem = check(schema, value);
              if (problem) fail('documented-2xx', problem);
            }
          }
        }
        if (request.actor === null && request.tokenKind !== 'none' && request.op.secured) {
          fail('auth', `token ${request.tokenKind} was accepted`);
        } else if (request.actor === null && request.op.secured) {
          fail('auth', 'no token, and the secured route answered');
        }
        if (request.foreignId) fail('foreign', `another user's object: answered ${status}`);
      }
      return violations;
    },
  };
}

/** `#/components/schemas/X` → `#/$defs/X`, so each compiled schema carries the definitions it uses. */
function rewriteRefs<T>(node: T): T {
  if (Array.isArray(node)) return node.map(rewriteRefs) as T;
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string'
        ? value.replace('#/components/schemas/', '#/$defs/')
        : rewriteRefs(value),
    ]),
  ) as T;
}
