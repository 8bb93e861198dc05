/**
 * The rate-limit guard against the real Redis, over both transports the service supports (TCP at
 * REDIS_URL, Upstash REST through a local bridge). Configuration is read at import, so every test
 * imports the service's modules fresh with its own `RATE_LIMIT_*` values and mounts the guard on a
 * tiny route. Limits that never need to expire use 1-hour windows; timing tests use 1–2 s windows.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import type { ApiMiddleware } from '../../lib/http/api.js';
import { call, expectProblem, type Handler, randomIp, type TestResponse } from '../helpers/http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { closedPort, stallingServer } from '../helpers/ports.js';
import { LOCAL_REDIS_URL as REDIS_URL, useRedisTransports } from '../helpers/redis-transports.js';

const PREFIX = process.env.REDIS_KEY_PREFIX!;
const LIMITS = ['login', 'loginIp', 'register', 'forgotPassword', 'resetPassword', 'refresh', 'verifyEmail'] as const;
const ENV_NAME = {
  login: 'RATE_LIMIT_LOGIN',
  loginIp: 'RATE_LIMIT_LOGIN_IP',
  register: 'RATE_LIMIT_REGISTER',
  forgotPassword: 'RATE_LIMIT_FORGOT_PASSWORD',
  resetPassword: 'RATE_LIMIT_RESET_PASSWORD',
  refresh: 'RATE_LIMIT_REFRESH',
  verifyEmail: 'RATE_LIMIT_VERIFY_EMAIL',
} as const;

type Env = Record<string, string | undefined>;

const local = useRedisTransports();
const envBefore = new Map<string, string | undefined>();
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0)) await cleanup();
  for (const [key, value] of envBefore) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  envBefore.clear();
});

/** The environment of one transport: REST wins when set, so each one unsets the other. */
const TRANSPORTS = {
  tcp: (): Env => ({ REDIS_URL, UPSTASH_REDIS_REST_URL: undefined, UPSTASH_REDIS_REST_TOKEN: undefined }),
  rest: (): Env => ({
    REDIS_URL: undefined,
    UPSTASH_REDIS_REST_URL: local.bridge.url,
    UPSTASH_REDIS_REST_TOKEN: local.bridge.token,
  }),
};

/**
 * The service's modules imported fresh under `env` (restored after the test), with `route()`
 * mounting a guard on `POST /test` (body `{ email }`) whose handler counts its runs.
 */
async function service(env: Env = {}) {
  // A fresh client's first check connects and loads the script (3 round trips); on a busy 2-core
  // machine that can exceed the production 200 ms and fail open. Only the outage tests, which
  // measure the timeout itself, set it short.
  env = { RATE_LIMIT_TIMEOUT_MS: '5000', REDIS_TIMEOUT_MS: '5000', ...env };
  for (const [key, value] of Object.entries(env)) {
    if (!envBefore.has(key)) envBefore.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  vi.resetModules();
  const [{ api, json }, { rateLimit }, { problems }, { closeRedis }] = await Promise.all([
    import('../../lib/http/api.js'),
    import('../../lib/rate-limit.js'),
    import('../../lib/http/problem.js'),
    import('../../lib/redis.js'),
  ]);
  cleanups.push(closeRedis);
  const handled = { count: 0 };
  const route = (
    guard: ApiMiddleware<{ email: string }>,
    work: () => unknown = () => json(200, { ok: true }),
  ): Handler =>
    api({ body: z.object({ email: z.string() }) })
      .use(guard)
      .handler(async () => {
        handled.count++;
        return work() as never;
      });
  return { rateLimit, problems, route, handled };
}

interface Send {
  ip: string;
  email?: string;
  headers?: Record<string, string>;
}
const post = (handler: Handler, { ip, email = 'ann@example.com', headers }: Send) =>
  call(handler, 'POST', '/test', { body: { email }, sourceIp: ip, headers });

/** Sends `n` requests one after the other. */
async function sequence(handler: Handler, n: number, send: Send): Promise<TestResponse[]> {
  const responses: TestResponse[] = [];
  for (let i = 0; i < n; i++) responses.push(await post(handler, send));
  return responses;
}

const statuses = (responses: TestResponse[]) => responses.map((r) => r.status);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the clock is `fromMs`–`toMs` into a fixed window of `windowMs` (the buckets the
 * sliding window weighs), so a burst of requests does not straddle a boundary by accident.
 */
async function alignInWindow(windowMs: number, fromMs: number, toMs: number): Promise<void> {
  const offset = Date.now() % windowMs;
  if (offset >= fromMs && offset < toMs) return;
  await sleep((fromMs - offset + windowMs) % windowMs);
}

/** Redis keys this run's limiter wrote for one client IP, with their values. */
async function limiterKeys(ip: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  let cursor = '0';
  do {
    const [next, keys] = await local.direct.scan(cursor, 'MATCH', `${PREFIX}rl:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) if (key.includes(ip)) found[key] = (await local.direct.get(key)) ?? '';
  } while (cursor !== '0');
  return found;
}

describe.each(Object.keys(TRANSPORTS) as (keyof typeof TRANSPORTS)[])('over %s', (transport) => {
  it('counts in Redis: 3 requests pass, the 4th is 429, and the counter holds 3', async () => {
    const log = captureLogs();
    const requestsBefore = local.bridge.requests;
    const svc = await service({ ...TRANSPORTS[transport](), RATE_LIMIT_REFRESH: '3/1h' });
    const handler = svc.route(svc.rateLimit('refresh'));
    const ip = randomIp();

    expect(statuses(await sequence(handler, 4, { ip }))).toEqual([200, 200, 200, 429]);
    expect(svc.handled.count).toBe(3);
    // The shebang failure mode fails open without a 429: the counter in Redis is the real proof.
    expect(Object.values(await limiterKeys(ip))).toEqual(['3']);
    expect(log.text()).not.toContain('rate limiter unavailable');
    if (transport === 'rest') expect(local.bridge.requests - requestsBefore).toBeGreaterThanOrEqual(4);
    else expect(local.bridge.requests).toBe(requestsBefore);
  });

  it('lets exactly the limit through out of 30 parallel requests', async () => {
    // 30 requests and (on REST) the bridge share this one process; the generous test timeout keeps
    // this about atomic counting, not latency (one Lambda serves one request at a time).
    const svc = await service({ ...TRANSPORTS[transport](), RATE_LIMIT_REGISTER: '5/1h' });
    const handler = svc.route(svc.rateLimit('register'));
    const ip = randomIp();

    const responses = await Promise.all(Array.from({ length: 30 }, () => post(handler, { ip })));

    expect(responses.filter((r) => r.status === 200)).toHaveLength(5);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(25);
    expect(svc.handled.count).toBe(5);
  });
});

describe('each limit', () => {
  const env = Object.fromEntries(LIMITS.map((name) => [ENV_NAME[name], '3/1s']));

  it.each(LIMITS)(
    '%s trips at request 4 within its 1 s window, before the handler, and recovers after it',
    async (name) => {
      const svc = await service(env);
      const handler = svc.route(svc.rateLimit(name));
      const ip = randomIp();

      await alignInWindow(1000, 20, 500);
      const burst = await sequence(handler, 5, { ip });
      expect(statuses(burst)).toEqual([200, 200, 200, 429, 429]);
      expect(burst.map((r) => r.headers['ratelimit-remaining'])).toEqual(['2', '1', '0', '0', '0']);
      expect(svc.handled.count).toBe(3);

      const retryAfterS = Number(burst[3]!.headers['retry-after']);
      expect(retryAfterS).toBe(1);
      await sleep(retryAfterS * 1000);
      expect((await post(handler, { ip })).status).toBe(200);
      expect(svc.handled.count).toBe(4);
    },
  );
});

describe('sliding window', () => {
  it('still limits just after a fixed-window boundary, weighing the previous window', async () => {
    const svc = await service({ RATE_LIMIT_REFRESH: '3/2s' });
    const handler = svc.route(svc.rateLimit('refresh'));
    const ip = randomIp();

    // Fill the limit late in one 2 s bucket...
    await alignInWindow(2000, 1300, 1600);
    expect(statuses(await sequence(handler, 3, { ip }))).toEqual([200, 200, 200]);
    // ...then cross into the next bucket. A fixed window would start from zero and allow 3;
    // the sliding window still counts ~90% of the previous 3 (floor → 2), so only 1 more passes.
    await alignInWindow(2000, 100, 300);
    const after = await sequence(handler, 3, { ip });

    expect(statuses(after)).toEqual([200, 429, 429]);
    expect(after[0]!.headers['ratelimit-remaining']).toBe('0');
  });
});

describe('keys', () => {
  it('counts login per IP and email: another email, or the same email from another IP, is not blocked', async () => {
    const svc = await service({ RATE_LIMIT_LOGIN: '2/1h' });
    const handler = svc.route(svc.rateLimit('login'));
    const ip = randomIp();

    expect(statuses(await sequence(handler, 3, { ip, email: 'ann@example.com' }))).toEqual([200, 200, 429]);
    expect((await post(handler, { ip, email: 'bob@example.com' })).status).toBe(200);
    expect((await post(handler, { ip: randomIp(), email: 'ann@example.com' })).status).toBe(200);
  });

  it('treats an email in another case or with spaces as the same account', async () => {
    const svc = await service({ RATE_LIMIT_FORGOT_PASSWORD: '2/1h' });
    const handler = svc.route(svc.rateLimit('forgotPassword'));
    const ip = randomIp();

    const responses = [
      await post(handler, { ip, email: 'ann@example.com' }),
      await post(handler, { ip, email: ' Ann@Example.COM ' }),
      await post(handler, { ip, email: 'ANN@EXAMPLE.COM' }),
    ];
    expect(statuses(responses)).toEqual([200, 200, 429]);
  });

  it('ignores a spoofed X-Forwarded-For: only the gateway source IP counts', async () => {
    const svc = await service({ RATE_LIMIT_LOGIN_IP: '3/1h' });
    const handler = svc.route(svc.rateLimit('loginIp'));
    const ip = randomIp();
    const spoofed = (i: number) => ({
      'X-Forwarded-For': `203.0.113.${i}`,
      'X-Real-IP': `203.0.113.${i}`,
      Forwarded: `for=203.0.113.${i}`,
    });

    const responses = [];
    for (let i = 1; i <= 4; i++) responses.push(await post(handler, { ip, headers: spoofed(i) }));
    expect(statuses(responses)).toEqual([200, 200, 200, 429]);
    // And the same forged header from a different source IP is a different client.
    expect((await post(handler, { ip: randomIp(), headers: spoofed(4) })).status).toBe(200);
  });

  it('counts IPv6 clients per /64, which one client can rotate through at will', async () => {
    const svc = await service({ RATE_LIMIT_REFRESH: '2/1h' });
    const handler = svc.route(svc.rateLimit('refresh'));
    const net = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;

    const responses = [
      await post(handler, { ip: `${net}::1` }),
      await post(handler, { ip: `${net}:aaaa:bbbb:cccc:dddd` }),
      await post(handler, { ip: `${net.toUpperCase()}:0:0:0:2` }),
    ];
    expect(statuses(responses)).toEqual([200, 200, 429]);
    expect((await post(handler, { ip: `${net.slice(0, -1)}2::1` })).status).toBe(200); // the next /64
  });

  it('stores no plain email in Redis, nor its unkeyed SHA-256', async () => {
    const svc = await service({ RATE_LIMIT_LOGIN: '5/1h', RATE_LIMIT_FORGOT_PASSWORD: '5/1h' });
    const handler = svc.route(svc.rateLimit('login', 'forgotPassword'));
    const ip = randomIp();
    const email = 'Plain.Person+rl@Example.com';
    const normalised = email.toLowerCase();

    expect(statuses(await sequence(handler, 2, { ip, email }))).toEqual([200, 200]);

    const stored = Object.entries(await limiterKeys(ip))
      .flat()
      .join('\n')
      .toLowerCase();
    expect(Object.keys(await limiterKeys(ip))).toHaveLength(2); // one counter per limit: there is something to inspect
    expect(stored).not.toContain('plain.person');
    expect(stored).not.toContain('example.com');
    expect(stored).not.toContain(createHash('sha256').update(normalised).digest('hex').slice(0, 16));
  });

  it('fails loudly (500) when a per-email limit is mounted on a route without an email', async () => {
    const svc = await service({ RATE_LIMIT_LOGIN: '5/1h' });
    const { api, json } = await import('../../lib/http/api.js');
    const handler = api({ body: z.object({ refresh: z.string() }) })
      .use(svc.rateLimit('login'))
      .handler(async () => json(200, {}));
    captureLogs();

    const response = await call(handler, 'POST', '/test', { body: { refresh: 'x' }, sourceIp: randomIp() });
    expectProblem(response, 500, 'internal_error');
  });
});

describe('off', () => {
  it('disables a limit without touching Redis (fail-closed on a dead Redis still answers 200)', async () => {
    const log = captureLogs();
    const svc = await service({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, RATE_LIMIT_LOGIN_IP: 'off' });
    const handler = svc.route(svc.rateLimit('loginIp', { failClosed: true }));
    const ip = randomIp();

    const responses = await sequence(handler, 20, { ip });
    expect(new Set(statuses(responses))).toEqual(new Set([200]));
    expect(responses[0]!.headers).not.toHaveProperty('ratelimit-limit');
    expect(log.text()).not.toContain('rate limiter unavailable');
  });

  it('leaves the other limits of a route in force', async () => {
    const svc = await service({ RATE_LIMIT_LOGIN_IP: 'off', RATE_LIMIT_LOGIN: '2/1h' });
    const handler = svc.route(svc.rateLimit('loginIp', 'login'));
    const responses = await sequence(handler, 3, { ip: randomIp() });

    expect(statuses(responses)).toEqual([200, 200, 429]);
    expect(responses[0]!.headers['ratelimit-limit']).toBe('2');
  });
});

describe('headers', () => {
  it('carries RateLimit-* on an allowed response', async () => {
    const svc = await service({ RATE_LIMIT_REGISTER: '3/1h' });
    const response = await post(svc.route(svc.rateLimit('register')), { ip: randomIp() });

    expect(response.status).toBe(200);
    expect(response.headers['ratelimit-limit']).toBe('3');
    expect(response.headers['ratelimit-remaining']).toBe('2');
    const resetS = Number(response.headers['ratelimit-reset']);
    expect(Number.isInteger(resetS) && resetS >= 1 && resetS <= 3600).toBe(true);
    expect(response.headers).not.toHaveProperty('retry-after');
  });

  it('carries RateLimit-* on a problem the handler throws, keeping the problem’s own headers', async () => {
    const svc = await service({ RATE_LIMIT_LOGIN: '3/1h' });
    const handler = svc.route(svc.rateLimit('login'), () => {
      throw svc.problems.notAuthenticated();
    });
    const ip = randomIp();

    await post(handler, { ip });
    const response = await post(handler, { ip });
    expectProblem(response, 401, 'not_authenticated');
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.headers['ratelimit-limit']).toBe('3');
    expect(response.headers['ratelimit-remaining']).toBe('1');
    expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
  });

  it('leaves an unexpected handler error a plain 500', async () => {
    captureLogs();
    const svc = await service({ RATE_LIMIT_LOGIN: '3/1h' });
    const handler = svc.route(svc.rateLimit('login'), () => {
      throw new Error('boom');
    });
    const response = await post(handler, { ip: randomIp() });
    expectProblem(response, 500, 'internal_error');
  });

  it('answers 429 rate_limited with Retry-After and RateLimit-* (remaining 0)', async () => {
    const svc = await service({ RATE_LIMIT_RESET_PASSWORD: '2/1h' });
    const handler = svc.route(svc.rateLimit('resetPassword'));
    const responses = await sequence(handler, 3, { ip: randomIp() });
    const limited = responses[2]!;

    expectProblem(limited, 429, 'rate_limited');
    expect(limited.body.title).toBe('Too Many Requests');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600).toBe(true);
    expect(limited.headers['ratelimit-limit']).toBe('2');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(limited.headers['ratelimit-reset']).toBe(String(retryAfter));
    // The shared HTTP layer still applies (request id, no-store).
    expect(limited.headers['x-request-id']).toBeTruthy();
    expect(limited.headers['cache-control']).toBe('no-store');
  });

  it('reports the most restrictive of several limits, allowed or denied', async () => {
    const svc = await service({ RATE_LIMIT_LOGIN_IP: '3/1h', RATE_LIMIT_LOGIN: '2/1h' });
    const handler = svc.route(svc.rateLimit('loginIp', 'login'));
    const ip = randomIp();

    // Per-email (2) is tighter than per-IP (3) for one email...
    const first = await post(handler, { ip, email: 'a@example.com' });
    expect([first.headers['ratelimit-limit'], first.headers['ratelimit-remaining']]).toEqual(['2', '1']);
    // ...then a new email: per-email and per-IP both have 1 left.
    const second = await post(handler, { ip, email: 'b@example.com' });
    expect(second.headers['ratelimit-remaining']).toBe('1');
    // Per-IP is now used up (3 of 3) while b's per-email limit still has room: the 429 is per-IP's.
    await post(handler, { ip, email: 'c@example.com' });
    const limited = await post(handler, { ip, email: 'b@example.com' });
    expect(limited.status).toBe(429);
    expect(limited.headers['ratelimit-limit']).toBe('3');
  });
});

describe('when Redis is unavailable', () => {
  const timing = { RATE_LIMIT_TIMEOUT_MS: '150', REDIS_TIMEOUT_MS: '2000' };

  /** Dead Redis setups: refused connections and silent ones, on each transport. */
  const outages: Record<string, () => Promise<{ env: Env; close?: () => Promise<void> }>> = {
    'TCP, connection refused': async () => ({
      env: { ...TRANSPORTS.tcp(), REDIS_URL: `redis://127.0.0.1:${await closedPort()}` },
    }),
    'TCP, server stalls': async () => {
      const server = await stallingServer();
      return { env: { ...TRANSPORTS.tcp(), REDIS_URL: `redis://127.0.0.1:${server.port}` }, close: server.close };
    },
    'REST, connection refused': async () => ({
      env: { ...TRANSPORTS.rest(), UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await closedPort()}` },
    }),
    'REST, server stalls': async () => {
      const server = await stallingServer();
      return {
        env: { ...TRANSPORTS.rest(), UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${server.port}` },
        close: server.close,
      };
    },
  };

  async function outage(kind: string) {
    const { env, close } = await outages[kind]!();
    if (close) cleanups.push(close);
    return service({
      ...env,
      ...timing,
      RATE_LIMIT_LOGIN: '1/1h',
      RATE_LIMIT_LOGIN_IP: '1/1h',
      RATE_LIMIT_RESET_PASSWORD: '1/1h',
    });
  }

  /** Runs `send` and returns its response and how long it took. */
  async function timed(send: () => Promise<TestResponse>) {
    const started = performance.now();
    const response = await send();
    return { response, ms: performance.now() - started };
  }

  it.each(Object.keys(outages))('%s: fails open within the timeout, and logs without the email', async (kind) => {
    const log = captureLogs();
    const svc = await outage(kind);
    const handler = svc.route(svc.rateLimit('loginIp', 'login'));
    const ip = randomIp();

    // Limits of 1: had Redis answered, the second request would be a 429.
    for (let i = 0; i < 2; i++) {
      const { response, ms } = await timed(() => post(handler, { ip, email: 'secret.person@example.com' }));
      expect(response.status).toBe(200);
      expect(response.headers).not.toHaveProperty('ratelimit-limit');
      expect(ms).toBeLessThan(150 + 250);
    }
    expect(svc.handled.count).toBe(2);
    const logged = log.text();
    expect(logged).toContain('"message":"rate limiter unavailable"');
    expect(logged).toContain('"limit":"login"');
    expect(logged).toContain('"limit":"loginIp"');
    expect(logged).not.toContain('secret.person');
  });

  it.each(Object.keys(outages))('%s: fails closed with 503 service_unavailable when asked to', async (kind) => {
    captureLogs();
    const svc = await outage(kind);
    const handler = svc.route(svc.rateLimit('resetPassword', { failClosed: true }));

    const { response, ms } = await timed(() => post(handler, { ip: randomIp() }));
    expectProblem(response, 503, 'service_unavailable');
    expect(ms).toBeLessThan(150 + 250);
    expect(svc.handled.count).toBe(0);
  });

  it('a fail-closed route limits normally while Redis is up', async () => {
    const svc = await service({ RATE_LIMIT_RESET_PASSWORD: '2/1h' });
    const handler = svc.route(svc.rateLimit('resetPassword', { failClosed: true }));

    expect(statuses(await sequence(handler, 3, { ip: randomIp() }))).toEqual([200, 200, 429]);
  });

  it('gives up on a stalled Redis at RATE_LIMIT_TIMEOUT_MS, not at the Redis client’s timeout', async () => {
    captureLogs();
    const svc = await outage('TCP, server stalls');
    const handler = svc.route(svc.rateLimit('loginIp'));

    const { response, ms } = await timed(() => post(handler, { ip: randomIp() }));
    expect(response.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(100); // it did wait for the limiter's timeout (150 ms)...
    expect(ms).toBeLessThan(150 + 250); // ...and not for the Redis client's (2000 ms)
  });
});
