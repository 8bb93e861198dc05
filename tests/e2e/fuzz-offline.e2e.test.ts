/**
 * The fuzz of tests/integration/fuzz.test.ts, smaller (≥ 500 requests), over real HTTP through `serverless
 * offline`: the gateway emulation, the built bundles and hapi's HTTP parsing are in the path.
 * Same generator and invariants (tests/helpers/fuzz.ts), same `FUZZ_SEED` replay.
 *
 * What HTTP cannot carry is adapted, not dropped: header values go out as their UTF-8 bytes minus
 * the control characters HTTP forbids; GET bodies are left out; HEAD and TRACE (which fetch will
 * not send) and OPTIONS (answered by offline's own CORS layer, not the function) become GET; lone
 * surrogates in a path become U+FFFD (a path's percent-encoding must be UTF-8, or hapi answers its
 * own 400). One local-only quirk is avoided rather than tested: hapi answers a `Content-Type` it
 * cannot parse with its own plain 400 before any function runs (API Gateway passes it through),
 * so such a header is sent as `application/x-unparsed`.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../lib/config.js';
import { createAccount } from '../helpers/admin.js';
import { anyRequest, assertSeeded, bodyOf, checkResponse, type FuzzPool, type FuzzRequest } from '../helpers/fuzz.js';
import { useOfflineStack } from '../helpers/offline.js';
import { fillPath } from '../helpers/route-catalogue.js';
import { registerAccount } from '../helpers/users.js';

const RUNS = Number(process.env.FUZZ_OFFLINE_RUNS ?? 500);
const BATCH = 4;
const RATE_LIMITS_OFF = Object.fromEntries(
  CONFIG_VARIABLES.filter((name) => name.startsWith('RATE_LIMIT_') && name !== 'RATE_LIMIT_TIMEOUT_MS').map((name) => [
    name,
    'off',
  ]),
);

/** A header value as a raw HTTP client can put it on the wire: its UTF-8 bytes, minus control characters HTTP forbids. */
const wireHeader = (value: string) =>
  Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[\0-\x08\x0a-\x1f\x7f]/g, '')
    .trim();

/** Lone surrogates as U+FFFD. */
const wellFormed = (value: string) =>
  value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** The generated request as it can travel over HTTP (what the gateway will see). */
function overHttp(request: FuzzRequest): FuzzRequest {
  const pathParameters = Object.fromEntries(
    Object.entries(request.pathParameters).map(([name, value]) => [name, wellFormed(value)]),
  );
  const rawPath = fillPath(request.op.path, pathParameters) + (request.rawPath.endsWith('/') ? '/' : '');
  const method = ['HEAD', 'TRACE', 'OPTIONS'].includes(request.method) ? 'GET' : request.method;
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, wireHeader(value)]));
  if (headers['content-type'] !== undefined && !/^[\w.+-]+\/[\w.+-]+\s*(;.*)?$/.test(headers['content-type']))
    headers['content-type'] = 'application/x-unparsed';
  return {
    ...request,
    method,
    rawPath,
    pathParameters,
    headers,
    isBase64Encoded: false,
    body: method === 'GET' ? undefined : request.body,
  };
}

const stack = useOfflineStack({ env: RATE_LIMITS_OFF });
let pool: FuzzPool;
beforeAll(async () => {
  const actors = await Promise.all((['user', 'staff', 'superuser'] as const).map((role) => createAccount(role)));
  const password = 'Fuzzing-Victim-Pass-6204';
  const victims = await Promise.all(Array.from({ length: 8 }, () => registerAccount({ password })));
  pool = {
    access: [...actors, ...victims.slice(0, 2)].map((a) => a.access),
    refresh: victims.map((a) => a.refresh),
    userIds: victims.map((a) => a.id),
    emails: [...actors, ...victims].map((a) => a.email),
    password,
  };
});

async function send(request: FuzzRequest) {
  const search = new URLSearchParams(request.query).toString();
  const res = await fetch(`${stack.server.url}${request.rawPath}${search ? `?${search}` : ''}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: 'manual',
  });
  const headers = Object.fromEntries([...res.headers].map(([name, value]) => [name.toLowerCase(), value]));
  return bodyOf(res.status, headers, await res.text());
}

describe('fuzz: every route over HTTP through serverless offline', () => {
  it(`any request (${RUNS} runs) gets a documented answer, never a 500`, async () => {
    let sent = 0;
    const batch = fc.array(anyRequest(pool).map(overHttp), { minLength: BATCH, maxLength: BATCH });
    await assertSeeded(
      'any request over HTTP',
      batch,
      async (requests) => {
        const responses = await Promise.all(requests.map(send));
        sent += requests.length;
        requests.forEach((request, i) => {
          checkResponse(request, responses[i]!);
        });
      },
      Math.ceil(RUNS / BATCH),
    );
    expect(sent).toBeGreaterThanOrEqual(Math.min(RUNS, 500));
  }, 300_000);
});
