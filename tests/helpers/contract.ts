/**
 * Checks a real response against `openapi.yaml`, the spec clients are given:
 *
 * ```ts
 * expectMatchesSpec('POST', '/api/auth/login', await call(handler, 'POST', '/api/auth/login', { body }));
 * ```
 *
 * The status must be documented for the operation, the content type must be one it documents,
 * every header it marks `required` must be there (and documented integer headers must be
 * integers), and the body must match the schema (JSON Schema 2020-12, OpenAPI 3.1's dialect).
 * A path the spec does not have can only be the generic 404, and a documented path with an
 * undocumented method only the generic 405 (`components/responses`).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { parse } from 'yaml';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

type Json = Record<string, any>;

export const spec: Json = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));

const SPEC_ID = 'https://auth-service.invalid/openapi.json';
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema({ ...spec, $id: SPEC_ID });

const validators = new Map<string, ValidateFunction>();
const escapeSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (...segments: string[]) => `/${segments.map(escapeSegment).join('/')}`;

/** Follows a `$ref` inside the spec (`#/components/...`), returning the target and its pointer. */
function resolve(node: Json, at: string): { node: Json; at: string } {
  if (typeof node.$ref !== 'string') return { node, at };
  const target = node.$ref.slice(1);
  const found = target
    .split('/')
    .slice(1)
    .reduce<Json>((n, part) => n?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  expect(found, `unresolvable ${node.$ref}`).toBeDefined();
  return resolve(found, target);
}

function validator(schemaPointer: string): ValidateFunction {
  let validate = validators.get(schemaPointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${SPEC_ID}#${schemaPointer}` });
    validators.set(schemaPointer, validate);
  }
  return validate;
}

export interface ResponseLike {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The body, parsed when it is JSON. */
  body: unknown;
  rawBody?: string;
}

/** The documented response for a status (`404` of an unknown path is the generic one, and so on). */
function documentedResponse(method: string, path: string, status: number): { node: Json; at: string } {
  const item = spec.paths[path];
  if (!item) {
    expect(status, `${path} is not in openapi.yaml: only the generic 404 can answer it`).toBe(404);
    return resolve({ $ref: '#/components/responses/NotFound' }, '');
  }
  const operation = item[method.toLowerCase()];
  if (!operation) {
    expect(status, `${method} ${path} is not in openapi.yaml: only the generic 405 can answer it`).toBe(405);
    return resolve({ $ref: '#/components/responses/MethodNotAllowed' }, '');
  }
  const responses: Json = operation.responses;
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
  expect(
    key,
    `${method} ${path} answered ${status}, which openapi.yaml does not document (it has ${Object.keys(responses).join(', ')})`,
  ).toBeDefined();
  return resolve(responses[key!], pointer('paths', path, method.toLowerCase(), 'responses', key!));
}

const isJsonMediaType = (type: string) => type === 'application/json' || type.endsWith('+json');

/** Fails the test unless `response` is what openapi.yaml documents for `method pathTemplate`. */
export function expectMatchesSpec(method: string, pathTemplate: string, response: ResponseLike): void {
  const where = `${method} ${pathTemplate} → ${response.status}`;
  const { node: documented, at } = documentedResponse(method, pathTemplate, response.status);

  for (const [name, headerOrRef] of Object.entries<Json>(documented.headers ?? {})) {
    const { node: header } = resolve(headerOrRef, '');
    const value = response.headers[name.toLowerCase()];
    if (header.required) expect(value, `${where}: required header ${name} is missing`).toBeDefined();
    if (value !== undefined && header.schema?.type === 'integer') {
      expect(value, `${where}: header ${name} must be an integer`).toMatch(/^\d+$/);
      if (header.schema.minimum !== undefined)
        expect(Number(value), `${where}: header ${name}`).toBeGreaterThanOrEqual(header.schema.minimum);
    }
  }

  const content: Json | undefined = documented.content;
  if (!content) {
    expect(
      response.rawBody ?? (response.body === undefined ? '' : response.body),
      `${where}: documented without a body`,
    ).toBe('');
    return;
  }
  const contentType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  expect(Object.keys(content), `${where}: Content-Type ${contentType || '(none)'} is not documented`).toContain(
    contentType,
  );
  const schema = content[contentType].schema as Json | undefined;
  if (!schema) return;
  let body = response.body;
  if (isJsonMediaType(contentType) && typeof body === 'string') body = JSON.parse(body);
  if (!isJsonMediaType(contentType)) {
    expect(typeof body, `${where}: a ${contentType} body`).toBe('string');
    return;
  }
  const validate = validator(`${at}/content/${escapeSegment(contentType)}/schema`);
  const valid = validate(body);
  expect(
    valid,
    `${where}: body does not match openapi.yaml:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(body, null, 2)}`,
  ).toBe(true);
}

/** Every documented operation, as `METHOD /path`. */
export function documentedRoutes(): string[] {
  const methods = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'];
  return Object.entries<Json>(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => methods.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}
