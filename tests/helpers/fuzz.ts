/**
 * Property-based fuzzing of every route (fast-check): the request generator, the invariants every
 * answer must keep, and the seeded runner. Used in-process (tests/integration/fuzz.test.ts, through the real
 * middy chain) and over HTTP (tests/e2e/fuzz-offline.e2e.test.ts, through serverless offline).
 *
 * A generated request is an operation of the route table (`route-catalogue.ts`) dressed with any
 * method, path parameters, query string, headers (Authorization included) and body; mostly
 * plausible, so that the deeper code runs (real tokens, known emails, the fields the route
 * documents), often hostile (NUL, lone surrogates, wrong types, broken JSON, odd content types,
 * 17 KiB and thousand-level-deep bodies).
 *
 * Invariants, for every request: the status is one openapi.yaml documents for the operation the
 * gateway would route it to (never 500); the response matches its documented schema; every
 * answer ≥ 400 is problem+json whose `status` is the HTTP status; no stack trace, SQL or driver
 * text in an error body.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { expect } from 'vitest';
import { expectMatchesSpec, type ResponseLike } from './contract.js';
import { catchAll, fillPath, type Operation, operationFor, operations } from './route-catalogue.js';

// A counterexample names its operation as `METHOD /path`, not with everything openapi.yaml says about it.
for (const op of operations) Object.defineProperty(op, fc.toStringMethod, { value: () => `${op.method} ${op.path}` });

/** Credentials and ids of accounts that exist, so that generated requests reach the deep code. */
export interface FuzzPool {
  /** Access tokens of live accounts (regular, staff, superuser, victims). */
  access: string[];
  /** Refresh tokens (of victims: the fuzz may rotate or revoke them). */
  refresh: string[];
  /** Ids of victims: admin routes may deactivate or delete them. */
  userIds: string[];
  /** Emails of existing accounts. */
  emails: string[];
  /** The password of the victims. */
  password: string;
}

export interface FuzzRequest {
  /** The operation whose path was filled in (the method may be another one). */
  op: Operation;
  method: string;
  /** The raw path (percent-encoded), possibly with a trailing slash. */
  rawPath: string;
  pathParameters: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
  isBase64Encoded: boolean;
}

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];

const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\udc00\ud800',
  '😀',
  'é',
  '\u202e',
  '\ufeff',
  '\u2028',
  "' OR 1=1 --",
  "'; drop table users; --",
  '%',
  '_',
  '\\',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'NaN',
  '1e309',
  '-0',
  '9'.repeat(40),
  ' Ann@Example.COM ',
  'a@b',
  '@',
  'x'.repeat(255),
  'y'.repeat(5000),
  '\r\nX-Injected: 1',
];

/** One UTF-16 unit or code point, with NUL and lone surrogates well represented. */
const char = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '"', '\\', '/', '@', '.') },
);

/** Any text, hostile or not. */
export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: fc.string({ unit: char, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

/** Text that Postgres cannot store or that is not Unicode: NUL or a lone surrogate somewhere in it. */
export const unstorableText: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'),
    fc.string({ maxLength: 8 }),
  )
  .map((parts) => parts.join(''));

/** Any JSON value, small. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(text, text, { maxKeys: 3 }) },
);

const base64url = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('base64url'));

/** A JWT-looking string that is not a valid token of ours. */
const fakeJwt = fc.oneof(
  fc.tuple(base64url(24), base64url(60), base64url(32)).map((parts) => parts.join('.')),
  fc.constant('eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwidHlwZSI6ImFjY2VzcyJ9.'),
  text,
);

/** Values that pass a documented body field's rules, often enough to reach the code behind them. */
function goodValue(name: string, schema: Record<string, any>, pool: FuzzPool): fc.Arbitrary<unknown> {
  const good: fc.Arbitrary<unknown>[] = [];
  if (/email/.test(name))
    good.push(
      fc.constantFrom(...pool.emails),
      fc.nat(10_000).map((n) => `fuzz-${n}@example.com`),
    );
  if (/password/.test(name))
    good.push(fc.constantFrom(pool.password, pool.password, 'Fuzzed-Passphrase-8841', 'short', '12345678901'));
  if (/refresh|token/.test(name)) good.push(fc.constantFrom(...pool.refresh), fakeJwt, base64url(32));
  if (/name/.test(name)) good.push(fc.constantFrom('Fuzz Person', 'Ann Lee'));
  if (schema.type === 'boolean') good.push(fc.boolean());
  if (schema.type === 'integer' || schema.type === 'number') good.push(fc.integer({ min: -5, max: 200 }));
  if (Array.isArray(schema.enum)) good.push(fc.constantFrom(...schema.enum));
  if (good.length === 0) good.push(text);
  return fc.oneof(...good);
}

/** A plausible or hostile value for a documented body field. */
const fieldValue = (name: string, schema: Record<string, any>, pool: FuzzPool): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: goodValue(name, schema, pool) }, { weight: 2, arbitrary: anyJson });

/** A documented query parameter's value (always a string on the wire). */
function queryValue(schema: Record<string, any>): fc.Arbitrary<string> {
  const good: fc.Arbitrary<string>[] = [text, unstorableText];
  if (schema.type === 'integer')
    good.push(
      fc.integer({ min: -3, max: 300 }).map(String),
      fc.constantFrom('1', '2147483647', '2147483648', '1.5', '1e3', ' 2 '),
    );
  if (Array.isArray(schema.enum)) good.push(fc.constantFrom(...schema.enum.map(String)));
  return fc.oneof(...good);
}

const SPECIAL_BODIES = [
  '',
  '{',
  '{"a":',
  'null',
  '"text"',
  '[]',
  '0',
  'true',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '\ufeff{}',
  '{"email":"a@b.c"} trailing',
  '{"a":1,"a":2}',
  `{"a":"${'x'.repeat(17 * 1024)}"}`,
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
  '{"email":"\\ud800","password":"\\u0000"}',
];

/** Every documented field, mostly with values that pass: the request reaches the route's own code. */
function plausibleBody(op: Operation, pool: FuzzPool): fc.Arbitrary<string | undefined> {
  if (!op.bodyFields) return fc.constant(undefined);
  const fields = Object.entries(op.bodyFields).map(
    ([name, schema]) =>
      [
        name,
        fc.oneof(
          { weight: 12, arbitrary: goodValue(name, schema, pool) },
          { weight: 1, arbitrary: unstorableText },
          { weight: 1, arbitrary: anyJson },
        ),
      ] as const,
  );
  return fc.record(Object.fromEntries(fields), { requiredKeys: [] }).map((body) => JSON.stringify(body));
}

function bodyFor(op: Operation, pool: FuzzPool): fc.Arbitrary<string | undefined> {
  const fields = op.bodyFields ?? {};
  const known = fc.record(
    Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, fieldValue(name, schema, pool)])),
    { requiredKeys: [] },
  );
  const object = fc
    .tuple(known, fc.option(fc.dictionary(text, anyJson, { maxKeys: 2 }), { freq: 4 }))
    .map(([k, extra]) => JSON.stringify({ ...extra, ...k }));
  return fc.oneof(
    { weight: op.bodyFields ? 8 : 1, arbitrary: object },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_BODIES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=UTF-8',
  'application/problem+json',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
  'application/jsonx',
  ';;;',
  '*/*',
];

function authorization(op: Operation, pool: FuzzPool): fc.Arbitrary<string | undefined> {
  const access = fc.constantFrom(...pool.access);
  return fc.oneof(
    { weight: op.bearer ? 2 : 4, arbitrary: fc.constant(undefined) },
    { weight: op.bearer ? 6 : 1, arbitrary: access.map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: fc.constantFrom(...pool.refresh).map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: access.map((t) => tamper(t)).map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: fakeJwt.map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: access.map((t) => `bearer  ${t}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'Bearer',
        'Bearer ',
        'Basic Zm9vOmJhcg==',
        `Bearer ${'x'.repeat(8192)}`,
        'Bearer a.b.c',
        'Token abc',
      ),
    },
    { weight: 1, arbitrary: text },
  );
}

/** Flips one character in a token's signature part. */
const tamper = (token: string) => {
  const i = token.length - 5;
  return `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
};

function pathValue(name: string, pool: FuzzPool): fc.Arbitrary<string> {
  const good: fc.Arbitrary<string>[] = [
    fc.uuid(),
    text,
    unstorableText,
    fc.constantFrom('...', '.hidden', 'not-a-uuid', '00000000-0000-0000-0000-000000000000'),
  ];
  if (name === 'id' && pool.userIds.length)
    good.push(fc.constantFrom(...pool.userIds), fc.constantFrom(...pool.userIds));
  if (name === 'file')
    good.push(fc.constantFrom('swagger-ui.css', 'swagger-ui-bundle.js', 'redoc.standalone.js', 'index.html'));
  // Never empty, `.` or `..`: `/api/admin/users/` (and what a client normalizes `/users/.` to) is
  // another route, the list, not this one with an odd id.
  return fc.oneof(...good).filter((value) => value !== '' && value !== '.' && value !== '..');
}

/** One request to `op`'s path: half plausible (its method, JSON, a live token), half anything. */
export const requestFor = (op: Operation, pool: FuzzPool): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(plausibleRequest(op, pool), hostileRequest(op, pool));

/** The route's own method, a JSON body with its fields, a live token where it takes one. */
function plausibleRequest(op: Operation, pool: FuzzPool): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      pathParameters: fc.record(Object.fromEntries(op.pathParams.map((name) => [name, pathValue(name, pool)]))),
      query: fc.record(
        Object.fromEntries(Object.entries(op.queryParams).map(([name, schema]) => [name, queryValue(schema)])),
        { requiredKeys: [] },
      ),
      authorization: op.bearer ? fc.constantFrom(...pool.access).map((t) => `Bearer ${t}`) : fc.constant(undefined),
      body: plausibleBody(op, pool),
      userAgent: fc.oneof(fc.constant('fuzz'), text, unstorableText),
    })
    .map(({ pathParameters, query, authorization, body, userAgent }) => {
      const headers: Record<string, string> = { 'user-agent': userAgent };
      if (authorization) headers.authorization = authorization;
      if (body !== undefined) headers['content-type'] = 'application/json';
      return {
        op,
        method: op.method,
        rawPath: fillPath(op.path, pathParameters),
        pathParameters,
        query: query as Record<string, string>,
        headers,
        body,
        isBase64Encoded: false,
      };
    });
}

/** Any method, headers, query and body on `op`'s path. */
function hostileRequest(op: Operation, pool: FuzzPool): fc.Arbitrary<FuzzRequest> {
  const pathParameters = fc.record(Object.fromEntries(op.pathParams.map((name) => [name, pathValue(name, pool)])));
  const query = fc
    .tuple(
      fc.record(
        Object.fromEntries(Object.entries(op.queryParams).map(([name, schema]) => [name, queryValue(schema)])),
        { requiredKeys: [] },
      ),
      fc.option(fc.dictionary(text, text, { maxKeys: 2 }), { freq: 4 }),
    )
    .map(([documented, extra]) => ({ ...extra, ...documented }) as Record<string, string>);
  const optionalHeader = (arbitrary: fc.Arbitrary<string>, freq = 3) => fc.option(arbitrary, { freq, nil: undefined });
  const headers = fc.record({
    authorization: authorization(op, pool),
    'content-type': fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
      { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      { weight: 1, arbitrary: text },
      { weight: 2, arbitrary: fc.constant(undefined) },
    ),
    'user-agent': fc.oneof(fc.constant('fuzz'), text, fc.constant(undefined)),
    origin: optionalHeader(fc.oneof(fc.constantFrom('http://localhost:3000', 'https://evil.example', 'null'), text)),
    'if-none-match': optionalHeader(fc.oneof(fc.constantFrom('*', '"abc"', 'W/"x"'), text)),
    'accept-encoding': optionalHeader(
      fc.oneof(fc.constantFrom('gzip', 'br', 'gzip, deflate, br', 'identity;q=0', '*'), text),
    ),
    'x-forwarded-for': optionalHeader(fc.oneof(fc.ipV4(), text), 5),
  });
  return fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      slash: fc.boolean(),
      pathParameters,
      query,
      headers,
      body: bodyFor(op, pool),
      encoding: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'plain', 'plain', 'base64', 'broken-base64'),
    })
    .map(({ method, slash, pathParameters, query, headers, body, encoding }) => {
      const path = fillPath(op.path, pathParameters);
      const cleanHeaders = Object.fromEntries(
        Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const base64 = encoding !== 'plain' && body !== undefined;
      return {
        op,
        method,
        rawPath: slash ? `${path}/` : path,
        pathParameters,
        query,
        headers: cleanHeaders,
        body: base64 && encoding === 'base64' ? Buffer.from(body!).toString('base64') : body,
        isBase64Encoded: base64,
      };
    });
}

/** A request to any route of the table, routes weighted equally. */
export const anyRequest = (pool: FuzzPool, ops: Operation[] = operations): fc.Arbitrary<FuzzRequest> =>
  fc.constantFrom(...ops).chain((op) => requestFor(op, pool));

/** Where API Gateway sends a request: the function of its method and path, or the catch-all. */
export function routeOf(request: FuzzRequest): { functionName: string; op?: Operation } {
  const op = operationFor(request.method, request.op.path);
  return op ? { functionName: op.functionName, op } : { functionName: catchAll.functionName };
}

/** The statuses a request may get: its operation's documented ones (never 500), or the catch-all's. */
export function allowedStatuses(request: FuzzRequest): Set<number> {
  const { op } = routeOf(request);
  if (!op) return new Set(request.method === 'OPTIONS' ? [204] : [405]);
  return new Set([...op.documented].filter((status) => status !== 500));
}

// Driver, SQL and runtime text that must never reach a client.
const LEAK = new RegExp(
  [
    String.raw`\n\s+at `,
    String.raw`\bat [\w.$<>]+ \(`,
    'node_modules',
    String.raw`\.[cm]?[jt]s:\d+`,
    String.raw`\bselect\b[^"]*\bfrom\b`,
    String.raw`\binsert into\b`,
    String.raw`\bdelete from\b`,
    'syntax error',
    'violates',
    'duplicate key',
    'invalid byte sequence',
    'invalid input syntax',
    'PostgresError',
    'ECONN',
    'ETIMEDOUT',
    'relation "',
    'column "',
    'ZodError',
    'TypeError',
    'ReferenceError',
    'RangeError',
    'SyntaxError',
    'is not a function',
    'cannot read propert',
    'undefined is not',
    'ReplyError',
    'ERR ',
  ].join('|'),
  'i',
);

/** Every string a request carries, so that an error message echoing the input is not taken for a leak. */
function echoes(request: FuzzRequest): string[] {
  const strings = [
    ...Object.entries(request.query).flat(),
    ...Object.values(request.pathParameters),
    ...Object.values(request.headers),
  ];
  const walk = (value: unknown) => {
    if (typeof value === 'string') strings.push(value);
    else if (value && typeof value === 'object')
      for (const [key, child] of Object.entries(value)) {
        strings.push(key);
        walk(child);
      }
  };
  try {
    walk(
      JSON.parse(request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString() : (request.body ?? '')),
    );
  } catch {
    if (request.body) strings.push(request.body);
  }
  return strings.filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
}

export interface FuzzResponse extends ResponseLike {
  status: number;
  headers: Record<string, string>;
  rawBody: string;
}

/**
 * A Lambda result as a client sees it: base64 decoded, `Content-Encoding` undone, header names
 * lower-cased, a JSON body parsed (a JSON content type whose body does not parse fails the run).
 */
export function readResult(result: {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}): FuzzResponse {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  let bytes = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  if (headers['content-encoding'] === 'gzip') bytes = gunzipSync(bytes);
  if (headers['content-encoding'] === 'br') bytes = brotliDecompressSync(bytes);
  return bodyOf(result.statusCode, headers, bytes.toString('utf8'));
}

/** Parses a JSON body (by content type); an unparseable one throws, failing the property. */
export function bodyOf(status: number, headers: Record<string, string>, rawBody: string): FuzzResponse {
  const json = /json/.test(headers['content-type'] ?? '') && rawBody !== '';
  return { status, headers, rawBody, body: json ? JSON.parse(rawBody) : rawBody };
}

/** Fails (throws) unless `response` keeps every invariant for `request`. */
export function checkResponse(request: FuzzRequest, response: FuzzResponse): void {
  const { op } = routeOf(request);
  const where = `${request.method} ${request.rawPath} (${op ? `${op.method} ${op.path}` : 'catch-all'}) → ${response.status}`;
  expect([...allowedStatuses(request)], `${where}: undocumented status\n${response.rawBody.slice(0, 2000)}`).toContain(
    response.status,
  );
  if (request.method === 'OPTIONS' && !op) {
    expect(response.rawBody, `${where}: a preflight has no body`).toBe('');
    return;
  }
  expectMatchesSpec(op?.method ?? request.method, request.op.path, response);
  if (response.status < 400) return;
  expect(response.headers['content-type'], where).toBe('application/problem+json');
  const body = response.body as Record<string, unknown>;
  // The contract's health report replaces `status` with a string; the spec check above allowed it only there.
  if (typeof body.status !== 'string') expect(body.status, `${where}: problem status`).toBe(response.status);
  let scrubbed = response.rawBody;
  for (const echo of echoes(request)) scrubbed = scrubbed.split(JSON.stringify(echo).slice(1, -1)).join('');
  expect(scrubbed, `${where}: internal detail in the body`).not.toMatch(LEAK);
}

/** How a fuzz run is seeded: `FUZZ_SEED` replays one; otherwise a new seed each run. */
export const fuzzSeed = (): number =>
  process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

/** Runs a property with a seed, and names the seed and the replay command when it fails. */
export async function assertSeeded<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  numRuns: number,
  seed = fuzzSeed(),
): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(arbitrary, predicate), {
      seed,
      numRuns,
      endOnFailure: process.env.FUZZ_SHRINK !== 'true',
    });
  } catch (error) {
    const message = `Fuzz property "${name}" failed with seed ${seed}. Replay: FUZZ_SEED=${seed} npx vitest run <this file>`;
    console.error(message);
    throw new Error(`${message}\n${(error as Error).message}`, { cause: error });
  }
}
