/**
 * Fuzz (fast-check) over every route of lib/http/routes.json, in-process through the real middy
 * chain, against real Postgres, Redis and the SES emulator: any method, path parameter, query
 * string, header, Authorization and body → a documented status (never 500), a response that
 * matches openapi.yaml, problem+json for every error with `status` equal to the HTTP status, and
 * no internal detail. The invariants and the generator live in tests/helpers/fuzz.ts.
 *
 * Seeded: a failure prints its seed; `FUZZ_SEED=<seed>` replays it (`FUZZ_SHRINK=true` also
 * shrinks the counterexample). `FUZZ_RUNS` scales the main property (default 9,500 requests).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../lib/config.js';
import { importFresh } from '../helpers/fresh.js';
import {
  allowedStatuses,
  anyRequest,
  assertSeeded,
  checkResponse,
  type FuzzPool,
  type FuzzRequest,
  readResult,
  routeOf,
} from '../helpers/fuzz.js';
import { httpEvent, lambdaContext } from '../helpers/http.js';
import { operations } from '../helpers/route-catalogue.js';

type World = typeof import('../helpers/fuzz-world.js');

const MAIN_RUNS = Number(process.env.FUZZ_RUNS ?? 9_500);
const LIMITED_RUNS = Math.max(100, Math.round(MAIN_RUNS / 19));
/** Requests in flight at once (one property run): Postgres, Redis and SES waits overlap, as under real traffic. */
const BATCH = 4;
let sent = 0;

/** Every `RATE_LIMIT_*` rule the configuration knows (now and as routes are added), turned off. */
const rateLimits = (value: string) =>
  Object.fromEntries(
    CONFIG_VARIABLES.filter((name) => name.startsWith('RATE_LIMIT_') && name !== 'RATE_LIMIT_TIMEOUT_MS').map(
      (name) => [name, value],
    ),
  );

/** Sends a generated request the way API Gateway would: to its route's function, or the catch-all. */
async function send(world: World, request: FuzzRequest, sourceIp?: string) {
  const { functionName } = routeOf(request);
  const event = httpEvent(request.method, request.rawPath, {
    headers: request.headers,
    query: request.query,
    pathParameters: request.pathParameters,
    sourceIp,
  });
  // httpEvent adds defaults (a user agent, a JSON body's content type): the generated request decides.
  event.headers = request.headers;
  event.body = request.body;
  event.isBase64Encoded = request.isBase64Encoded;
  if (Object.keys(request.query).length === 0) event.queryStringParameters = undefined;
  // The catch-all (`$default`) has no path parameters.
  if (functionName !== routeOf(request).op?.functionName || Object.keys(request.pathParameters).length === 0)
    event.pathParameters = undefined;
  event.routeKey =
    functionName === routeOf(request).op?.functionName ? `${request.method} ${request.op.path}` : '$default';
  sent++;
  return readResult(await world.handlers[functionName]!(event, lambdaContext()));
}

describe('fuzz: every route, in-process', () => {
  let world: World;
  let pool: FuzzPool;
  beforeAll(async () => {
    world = await importFresh<World>('tests/helpers/fuzz-world.ts', rateLimits('off'));
    pool = await world.createPool();
  }, 120_000);

  it('reads the routes from routes.json and their answers from openapi.yaml', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const op of operations) expect(op.documented.size, `${op.method} ${op.path}`).toBeGreaterThan(0);
  });

  it(`any request (${MAIN_RUNS} runs, rate limits off) gets a documented answer, never a 500`, async () => {
    const batch = fc.array(anyRequest(pool), { minLength: BATCH, maxLength: BATCH });
    await assertSeeded(
      'any request, rate limits off',
      batch,
      async (requests) => {
        const responses = await Promise.all(requests.map((request) => send(world, request)));
        requests.forEach((request, i) => {
          checkResponse(request, responses[i]!);
        });
      },
      Math.ceil(MAIN_RUNS / BATCH),
    );
  }, 600_000);

  it(`with the rate limits on (${LIMITED_RUNS} runs on the rate-limited routes), 429 is the only new answer`, async () => {
    // Tight limits (3 an hour each), so that they trip within a few hundred requests.
    const limited = await importFresh<World>('tests/helpers/fuzz-world.ts', rateLimits('3/1h'));
    const limitedPool = await limited.createPool(4);
    const rateLimited = operations.filter((op) => op.documented.has(429));
    expect(rateLimited.length).toBeGreaterThan(0);
    let tooMany = 0;
    await assertSeeded(
      'rate-limited routes, limits on',
      anyRequest(limitedPool, rateLimited),
      async (request) => {
        // One client address: the limits trip within the run.
        const response = await send(limited, request, '10.99.0.1');
        if (response.status === 429) {
          tooMany++;
          expect(allowedStatuses(request).has(429)).toBe(true);
          expect(response.headers['retry-after'], 'Retry-After').toMatch(/^\d+$/);
        }
        checkResponse(request, response);
      },
      LIMITED_RUNS,
    );
    expect(tooMany, 'the limits tripped during the run').toBeGreaterThan(0);
  }, 300_000);
});

afterAll(() => {
  if (!process.env.FUZZ_RUNS) expect(sent, 'requests generated in this run').toBeGreaterThanOrEqual(10_000);
});
