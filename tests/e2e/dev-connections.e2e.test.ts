/**
 * `npm run dev` keeps Postgres connections bounded. serverless offline started one worker, each with
 * a pool of its own, per in-flight request; the patched cap (`maxInstances`, default 10,
 * docs/local-development.md) makes requests beyond it wait. 50 concurrent requests over six
 * functions must never hold 20 connections, and must all succeed. (`OFFLINE_MAX_INSTANCES=1000`
 * lifts the cap: the same burst then fails, on Lambda timeouts of the cold workers and 18-21
 * connections on a loaded 2-core machine.)
 *
 * Offline runs as `npm run dev` runs it: the same serverless.yml, APP_ENV=development and the
 * development pool settings (DB_POOL_MAX 1, DB_IDLE_TIMEOUT_S 2), on a database of its own so that
 * every connection to it counts and no other test's does.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { migrateDatabase } from '../../tools/db/migrate.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';
import { type OfflineServer, startOffline } from '../helpers/offline.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

const CONCURRENT_REQUESTS = 50;
const CONNECTION_LIMIT = 20;

const databaseUrl = uniqueDatabaseUrl(inject('databaseUrl'), 'dev_connections');
let server: OfflineServer;
let monitor: postgres.Sql;

beforeAll(async () => {
  await migrateDatabase(databaseUrl);
  server = await startOffline({
    APP_ENV: 'development',
    DATABASE_URL: databaseUrl,
    // Empty is unset: the development defaults apply, as under `npm run dev` (tests/helpers/setup-env.ts raises the pool).
    DB_POOL_MAX: '',
    DB_IDLE_TIMEOUT_S: '',
    // Rate-limit counters of this server only.
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}dev-connections:`,
  });
  monitor = postgres(databaseUrl, { max: 1, onnotice: () => {} });
}, 150_000);
afterAll(async () => {
  await server?.stop();
  await monitor?.end({ timeout: 1 });
  await dropDatabase(databaseUrl);
});

interface Sent {
  label: string;
  expected: number;
  response: Promise<Response>;
}

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const get = (path: string, access: string) =>
  fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${access}` } });

/** Every connection to the test database but the monitor's own: offline's workers are its only other clients. */
async function connectionCount(): Promise<number> {
  const [row] = await monitor<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  return row!.n;
}

it(`holds fewer than ${CONNECTION_LIMIT} Postgres connections under ${CONCURRENT_REQUESTS} concurrent requests, all answered`, async () => {
  const accounts = [];
  for (let i = 0; i < 5; i++) {
    const email = uniqueEmail('dev-connections');
    const res = await post('/api/auth/register', { email, password: STRONG_PASSWORD, full_name: 'Dev Connections' });
    expect(res.status).toBe(201);
    const { access, refresh } = (await res.json()) as { access: string; refresh: string };
    accounts.push({ email, access, refresh });
  }

  // Six functions, every one querying Postgres. Not /health: its per-dependency budget of about a
  // second measures the machine's load here, not the connections.
  const sent: Sent[] = [];
  for (let i = 0; sent.length < CONCURRENT_REQUESTS; i++) {
    const account = accounts[i % accounts.length]!;
    const round: Sent[] = [
      { label: 'security-events', expected: 200, response: get('/api/auth/security-events', account.access) },
      { label: 'me', expected: 200, response: get('/api/auth/me', account.access) },
      {
        label: 'login',
        expected: 200,
        response: post('/api/auth/login', { email: account.email, password: STRONG_PASSWORD }),
      },
      { label: 'sessions', expected: 200, response: get('/api/auth/sessions', account.access) },
      i < accounts.length
        ? { label: 'refresh', expected: 200, response: post('/api/auth/refresh', { refresh: account.refresh }) }
        : {
            label: 'register',
            expected: 201,
            response: post('/api/auth/register', {
              email: uniqueEmail('dev-burst'),
              password: STRONG_PASSWORD,
              full_name: 'Dev Burst',
            }),
          },
    ];
    sent.push(...round);
  }

  let done = false;
  const settled = Promise.all(
    sent.map(async ({ label, expected, response }) => {
      const res = await response;
      return { label, expected, status: res.status, body: await res.text() };
    }),
  ).finally(() => (done = true));
  let peak = 0;
  let samples = 0;
  while (!done) {
    peak = Math.max(peak, await connectionCount());
    samples++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const results = await settled;

  const summary = `peak of ${peak} connections over ${samples} samples`;
  expect(
    results.filter(({ status, expected }) => status !== expected),
    summary,
  ).toEqual([]);
  // Non-zero: the sampler saw the workers' connections at all (a wrong filter would pass at 0).
  expect(samples).toBeGreaterThan(1);
  expect(peak).toBeGreaterThan(0);
  expect(peak, summary).toBeLessThan(CONNECTION_LIMIT);
}, 180_000);
