/**
 * Every route the service has, read at run time from the two files that define it: the route
 * table (`lib/http/routes.json`, through `serverless/functions.cjs`, which adds the catch-all)
 * and `openapi.yaml` (what each operation may answer and what it accepts). Tests that sweep "every
 * route" (the fuzz, the unstorable-text test) start here, so a route added later is covered with
 * no test edits.
 *
 * Imports nothing from `lib/`: a test may load the handlers under its own configuration.
 */
import { createRequire } from 'node:module';
import { spec } from './contract.js';

type Json = Record<string, any>;

export interface Operation {
  /** The serverless function name (`authLogin`). */
  functionName: string;
  /** The function's module, from the project root (`functions/auth-login.ts`). */
  module: string;
  method: string;
  /** The path template, as in routes.json and openapi.yaml (`/api/admin/users/{id}`). */
  path: string;
  /** The statuses openapi.yaml documents for this operation. */
  documented: Set<number>;
  /** Top-level fields of the JSON request body (name → JSON Schema), or undefined without one. */
  bodyFields?: Record<string, Json>;
  /** Query parameters (name → JSON Schema). */
  queryParams: Record<string, Json>;
  /** Path parameter names, in order. */
  pathParams: string[];
  /** Whether openapi.yaml says the operation takes a bearer token. */
  bearer: boolean;
}

const require = createRequire(import.meta.url);
const { functions } = require('../../serverless/functions.cjs') as {
  functions: Record<string, { handler: string; events: { httpApi: { method: string; path: string } | '*' }[] }>;
};

const moduleOf = (handler: string) => `${handler.slice(0, handler.lastIndexOf('.'))}.ts`;

/** Follows `#/components/...` references inside openapi.yaml. */
export function deref(node: Json | undefined): Json | undefined {
  if (!node || typeof node.$ref !== 'string') return node;
  const target = (node.$ref as string)
    .slice(2)
    .split('/')
    .reduce<Json>((n, part) => n?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  return deref(target);
}

/** The properties of a schema, merging `allOf` parts. */
function propertiesOf(schema: Json | undefined): Record<string, Json> {
  const resolved = deref(schema);
  if (!resolved) return {};
  const own = Object.fromEntries(
    Object.entries<Json>(resolved.properties ?? {}).map(([name, s]) => [name, deref(s) ?? {}]),
  );
  return Object.assign({}, ...(resolved.allOf ?? []).map(propertiesOf), own);
}

function describe(functionName: string, handler: string, method: string, path: string): Operation {
  const operation: Json | undefined = spec.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${path} (routes.json) is not in openapi.yaml`);
  const parameters: Json[] = [...(spec.paths[path].parameters ?? []), ...(operation.parameters ?? [])].map(
    (p) => deref(p)!,
  );
  const body = deref(operation.requestBody)?.content?.['application/json']?.schema;
  return {
    functionName,
    module: moduleOf(handler),
    method,
    path,
    documented: new Set(Object.keys(operation.responses).map(Number)),
    bodyFields: body ? propertiesOf(body) : undefined,
    queryParams: Object.fromEntries(
      parameters.filter((p) => p.in === 'query').map((p) => [p.name, deref(p.schema) ?? {}]),
    ),
    pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
    bearer: (operation.security ?? spec.security ?? []).some((s: Json) => 'bearerAuth' in s),
  };
}

/** Every operation of the route table, with what openapi.yaml says about it. */
export const operations: Operation[] = Object.entries(functions).flatMap(([name, fn]) =>
  // Only HTTP routes: the catch-all is below, and scheduled functions (the retention job) have none.
  fn.events.flatMap((event) =>
    !event.httpApi || event.httpApi === '*'
      ? []
      : [describe(name, fn.handler, event.httpApi.method, event.httpApi.path)],
  ),
);

/** The catch-all function (`httpApi: '*'`): unknown paths, wrong methods, CORS preflights. */
export const catchAll: { functionName: string; module: string } = (() => {
  const entry = Object.entries(functions).find(([, fn]) => fn.events.some((event) => event.httpApi === '*'));
  if (!entry) throw new Error('serverless/functions.cjs declares no catch-all function');
  return { functionName: entry[0], module: moduleOf(entry[1].handler) };
})();

/** Every function module (the routes' and the catch-all's), each once. */
export const functionModules: Record<string, string> = Object.fromEntries(
  Object.entries(functions).map(([name, fn]) => [name, moduleOf(fn.handler)]),
);

/** The operation API Gateway would route `method` + path template to, if any. */
export const operationFor = (method: string, path: string): Operation | undefined =>
  operations.find((op) => op.method === method && op.path === path);

/**
 * Percent-encodes a path segment. A lone surrogate, which `encodeURIComponent` refuses, is sent
 * as its WTF-8 bytes: what a client that does not check its strings would put on the wire.
 */
export function encodeSegment(value: string): string {
  return [...value]
    .map((char) => {
      try {
        return encodeURIComponent(char);
      } catch {
        const code = char.charCodeAt(0);
        return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
          .map((b) => `%${b.toString(16).toUpperCase()}`)
          .join('');
      }
    })
    .join('');
}

/** Fills a path template: `{id}` → the encoded value (API Gateway decodes it into pathParameters). */
export const fillPath = (template: string, values: Record<string, string>): string =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeSegment(values[name] ?? ''));

type Handler = (event: unknown, context: unknown) => Promise<any>;

/** Imports every function's handler (in the caller's module graph, under its configuration). */
export async function loadHandlers(): Promise<Record<string, Handler>> {
  const entries = await Promise.all(
    Object.entries(functionModules).map(async ([name, module]) => {
      const url = new URL(`../../${module}`, import.meta.url).href;
      return [name, ((await import(/* @vite-ignore */ url)) as { handler: Handler }).handler] as const;
    }),
  );
  return Object.fromEntries(entries);
}
