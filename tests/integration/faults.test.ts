/**
 * Faults between the functions and their dependencies, through a TCP fault proxy
 * (tests/helpers/fault-proxy.ts) in front of Postgres, Redis and SES: each down, hung, slow, or
 * cut mid-statement. The contract: 503 `service_unavailable` within 3 s where the dependency is
 * required, fail-open rate limits, 202 from forgot-password whatever SES does, nothing
 * half-written, recovery without a restart, and nothing secret in the logs meanwhile.
 */
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { captureLogs, expectNoSecrets } from '../helpers/log-capture.js';

const databaseUrl = inject('databaseUrl');
const sesEndpoint = inject('sesEndpoint');
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const hostPort = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });

// The proxies must be in place before lib/config.ts reads the environment (at first import).
const pg = await startFaultProxy(hostPort(databaseUrl.replace(/^postgres(ql)?:/, 'http:')));
const redis = await startFaultProxy(hostPort(redisUrl.replace(/^rediss?:/, 'http:')));
const ses = await startFaultProxy(hostPort(sesEndpoint));
process.env.DATABASE_URL = pg.urlFor(databaseUrl);
process.env.REDIS_URL = redis.urlFor(redisUrl);
process.env.SES_ENDPOINT = ses.urlFor(sesEndpoint);
process.env.LOG_LEVEL = 'debug';
process.env.FORGOT_PASSWORD_MIN_RESPONSE_MS = '300';
// The service's own default budget (tests/helpers/setup-env.ts relaxes it for the other files).
delete process.env.REQUEST_DEADLINE_MS;

const logs = captureLogs();
const { call, expectProblem } = await import('../helpers/http.js');
const { registerAccount, login, uniqueEmail, STRONG_PASSWORD } = await import('../helpers/users.js');
const { createAccount } = await import('../helpers/admin.js');
const { config } = await import('../../lib/config.js');
const { closeSql } = await import('../../lib/db/sql.js');
const { closeRedis } = await import('../../lib/redis.js');
const route = {
  register: (await import('../../functions/auth-register.js')).handler,
  login: (await import('../../functions/auth-login.js')).handler,
  refresh: (await import('../../functions/auth-refresh.js')).handler,
  me: (await import('../../functions/auth-me.js')).handler,
  changePassword: (await import('../../functions/auth-change-password.js')).handler,
  forgotPassword: (await import('../../functions/auth-forgot-password.js')).handler,
  adminUsers: (await import('../../functions/admin-users-list.js')).handler,
  health: (await import('../../functions/health.js')).handler,
};

/** Straight to Postgres, around the proxy: what really got written. */
const direct = postgres(databaseUrl, { max: 2, onnotice: () => {} });

let account: Awaited<ReturnType<typeof registerAccount>>;
let admin: Awaited<ReturnType<typeof createAccount>>;
beforeAll(async () => {
  // The first request of a cold process on a loaded machine can pass the 2 s budget by itself.
  for (let attempt = 1; ; attempt++) {
    try {
      account = await registerAccount();
      break;
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
  admin = await createAccount('staff');
});
afterEach(async () => {
  await Promise.all([pg.set('pass'), redis.set('pass'), ses.set('pass')]);
});
afterAll(async () => {
  logs.restore();
  await closeSql();
  await closeRedis();
  await direct.end({ timeout: 1 });
  await Promise.all([pg.close(), redis.close(), ses.close()]);
});

/** Every route that needs Postgres, as a signed-in client would call it. */
const postgresRoutes = () =>
  [
    ['login', () => login(account.email, account.password)],
    [
      'register',
      () =>
        call(route.register, 'POST', '/api/auth/register', {
          body: { email: uniqueEmail('fault'), password: STRONG_PASSWORD, full_name: 'F' },
        }),
    ],
    ['refresh', () => call(route.refresh, 'POST', '/api/auth/refresh', { body: { refresh: account.refresh } })],
    ['me', () => call(route.me, 'GET', '/api/auth/me', { token: account.access })],
    [
      'change-password',
      () =>
        call(route.changePassword, 'POST', '/api/auth/change-password', {
          token: account.access,
          body: { current_password: account.password, new_password: 'another-Strong-phrase-7' },
        }),
    ],
    [
      'forgot-password',
      () => call(route.forgotPassword, 'POST', '/api/auth/forgot-password', { body: { email: account.email } }),
    ],
    ['admin users', () => call(route.adminUsers, 'GET', '/api/admin/users', { token: admin.access })],
    ['health', () => call(route.health, 'GET', '/health')],
  ] as const;

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

/** Waits until `check` holds (a dependency recovering), failing after `withinMs`. */
async function eventually(check: () => Promise<boolean>, withinMs = 5000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`did not recover within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Postgres down, hung or slow', () => {
  it.each([
    ['refused', () => pg.set('refuse')],
    ['hung (blackholed)', () => pg.set('blackhole')],
    ['slow (+2 s each way)', () => pg.set('latency', { latencyMs: 2000 })],
  ])(
    '%s: every route answers 503 service_unavailable within 3 s, then works again without a restart',
    async (_, fault) => {
      await fault();
      const outcomes = await Promise.all(
        postgresRoutes().map(async ([name, request]) => ({ name, ...(await timed(request)) })),
      );
      for (const { name, result, ms } of outcomes) {
        expect(result.status, `${name}: ${result.rawBody}`).toBe(503);
        if (name !== 'health') expect(result.body.code, name).toBe('service_unavailable');
        expect(ms, name).toBeLessThan(3000);
      }
      await pg.set('pass');
      expect((await login(account.email, account.password)).status).toBe(200);
      expect((await call(route.me, 'GET', '/api/auth/me', { token: account.access })).status).toBe(200);
    },
  );

  it('a statement stuck on a lock is cancelled by the statement timeout: 503 within 3 s', async () => {
    const victim = await registerAccount();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = direct.begin(async (tx) => {
      await tx`select 1 from users where id = ${victim.id} for update`;
      locked();
      await released;
    });
    await isLocked;
    try {
      const { result, ms } = await timed(() =>
        call(route.changePassword, 'POST', '/api/auth/change-password', {
          token: victim.access,
          body: { current_password: victim.password, new_password: 'another-Strong-phrase-7' },
        }),
      );
      expectProblem(result, 503, 'service_unavailable');
      expect(ms).toBeLessThan(3000);
      expect(config.database.statementTimeoutMs).toBeLessThan(3000);
    } finally {
      release();
      await holder;
    }
  });
});

describe('Postgres cut mid-statement', () => {
  it('a registration cut at any point leaves either nothing or the user with its session', async () => {
    await pg.set('latency', { latencyMs: 150 });
    const emails: string[] = [];
    for (const cutAfterMs of [50, 350, 650, 950]) {
      const email = uniqueEmail('cut');
      emails.push(email);
      const pending = call(route.register, 'POST', '/api/auth/register', {
        body: { email, password: STRONG_PASSWORD, full_name: 'Cut' },
      });
      await new Promise((resolve) => setTimeout(resolve, cutAfterMs));
      pg.cut();
      expect([201, 503]).toContain((await pending).status);
    }
    await pg.set('pass');
    const rows = await direct<{ email: string; sessions: number }[]>`
      select u.email, (select count(*)::int from refresh_tokens t where t.user_id = u.id) as sessions
      from users u where u.email = any(${emails})`;
    for (const row of rows) expect(row.sessions, `${row.email} has no session row`).toBeGreaterThanOrEqual(1);
    // Sessions belong to users by foreign key: no session without its user can exist.
  });

  it('a refresh cut mid-rotation leaves the presented refresh token usable', async () => {
    const user = await registerAccount();
    await pg.set('latency', { latencyMs: 150 });
    const pending = call(route.refresh, 'POST', '/api/auth/refresh', { body: { refresh: user.refresh } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    pg.cut();
    expect([200, 503]).toContain((await pending).status);
    await pg.set('pass');
    // Committed or not, the client that never saw the answer can still use its token (rotated
    // within the grace window, or not rotated at all).
    const retry = await call(route.refresh, 'POST', '/api/auth/refresh', { body: { refresh: user.refresh } });
    expect(retry.status, retry.rawBody).toBe(200);
  });
});

describe('Redis down or slow', () => {
  it.each([
    ['refused', () => redis.set('refuse')],
    ['slow (+2 s each way)', () => redis.set('latency', { latencyMs: 2000 })],
  ])(
    '%s: rate limits fail open (login and refresh work), password reset answers 503, all within 3 s',
    async (_, fault) => {
      const user = await registerAccount();
      await fault();
      const [signIn, refreshed, forgot] = await Promise.all([
        timed(() => login(user.email, user.password)),
        timed(() => call(route.refresh, 'POST', '/api/auth/refresh', { body: { refresh: user.refresh } })),
        timed(() => call(route.forgotPassword, 'POST', '/api/auth/forgot-password', { body: { email: user.email } })),
      ]);
      expect(signIn.result.status).toBe(200);
      expect(refreshed.result.status).toBe(200);
      expectProblem(forgot.result, 503, 'service_unavailable');
      for (const { ms } of [signIn, refreshed, forgot]) expect(ms).toBeLessThan(3000);
      await redis.set('pass');
      // Replies already on their way arrive late (one TCP stream, in order); then it works again.
      await eventually(
        async () =>
          (await call(route.forgotPassword, 'POST', '/api/auth/forgot-password', { body: { email: user.email } }))
            .status === 202,
      );
    },
  );
});

describe('SES down or hung', () => {
  it.each([
    ['refused', () => ses.set('refuse')],
    ['hung (blackholed)', () => ses.set('blackhole')],
  ])('%s: forgot-password answers 202 at the floor, for a known email as for an unknown one', async (_, fault) => {
    const user = await registerAccount();
    await fault();
    const known = await timed(() =>
      call(route.forgotPassword, 'POST', '/api/auth/forgot-password', { body: { email: user.email } }),
    );
    const unknown = await timed(() =>
      call(route.forgotPassword, 'POST', '/api/auth/forgot-password', { body: { email: uniqueEmail('ghost') } }),
    );
    for (const { result } of [known, unknown]) {
      expect(result.status).toBe(202);
      expect(result.body).toEqual(unknown.result.body);
    }
    // Before: a hung SES held the known email's answer for SES_TIMEOUT_MS (2 s), the unknown's 0.3 s.
    expect(known.ms).toBeLessThan(config.email.timeoutMs - 500);
    expect(known.ms).toBeGreaterThanOrEqual(config.forgotPasswordMinResponseMs - 5);
  });
});

describe('the logs, after every fault above', () => {
  it('hold no email, password, hash, token, query parameter or SECRET_KEY, and name failures by class and code', async () => {
    const [row] = await direct<{ password: string }[]>`select password from users where id = ${account.id}`;
    const text = logs.text();
    expectNoSecrets(text, {
      password: account.password,
      'the new password': 'another-Strong-phrase-7',
      'the email': account.email,
      'the bcrypt hash': row!.password,
      'the access token': account.access,
      'the refresh token': account.refresh,
      SECRET_KEY: config.secretKey,
    });
    const failures = logs.lines().filter((line) => line.message === 'dependency unavailable');
    expect(failures.length).toBeGreaterThan(0);
    for (const line of failures) {
      const error = line.error as { name?: unknown; message?: unknown };
      expect(typeof error.name).toBe('string');
      expect(typeof error.message).toBe('string');
    }
  });
});
