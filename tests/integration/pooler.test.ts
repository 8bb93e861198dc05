/**
 * Behind a transaction-mode pooler (PgBouncer, RDS Proxy, Supabase's and Neon's poolers) each
 * transaction may run on another server connection, so named prepared statements break.
 * `DB_PREPARE=false` makes every query an unnamed statement: the auth flows must pass through a
 * real PgBouncer in transaction mode with it, as the docs promise.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, type Handler } from '../helpers/http.js';
import { hasPgBouncer, type PgBouncer, startPgBouncer } from '../helpers/pgbouncer.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

const ROUTES = {
  register: 'functions/auth-register.ts',
  login: 'functions/auth-login.ts',
  me: 'functions/auth-me.ts',
  refresh: 'functions/auth-refresh.ts',
  changePassword: 'functions/auth-change-password.ts',
  logout: 'functions/auth-logout.ts',
} as const;
type Handlers = Record<keyof typeof ROUTES, Handler> & { close: () => Promise<void> };

/** Modules imported as one cold start under `env` (one config, one connection pool). */
async function coldStart<T extends unknown[]>(paths: string[], env: Record<string, string>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  vi.resetModules();
  try {
    return (await Promise.all(
      paths.map((path) => import(/* @vite-ignore */ new URL(`../../${path}`, import.meta.url).href)),
    )) as T;
  } finally {
    process.env = saved;
  }
}

async function handlersUnder(env: Record<string, string>): Promise<Handlers> {
  const names = Object.keys(ROUTES) as (keyof typeof ROUTES)[];
  const modules = await coldStart<{ handler: Handler }[]>([...names.map((name) => ROUTES[name]), 'lib/db/sql.ts'], env);
  const { closeSql } = modules.pop() as unknown as typeof import('../../lib/db/sql.js');
  return { ...Object.fromEntries(names.map((name, i) => [name, modules[i]!.handler])), close: closeSql } as Handlers;
}

/** Register → login → /me → refresh → change password → login with the new one → logout. */
async function authFlow(h: Handlers): Promise<number[]> {
  const email = uniqueEmail('pooled');
  const statuses: number[] = [];
  const registered = await call(h.register, 'POST', '/api/auth/register', {
    body: { email, password: STRONG_PASSWORD, full_name: 'Pooled Person' },
  });
  statuses.push(registered.status);
  const loggedIn = await call(h.login, 'POST', '/api/auth/login', { body: { email, password: STRONG_PASSWORD } });
  statuses.push(loggedIn.status);
  statuses.push((await call(h.me, 'GET', '/api/auth/me', { token: loggedIn.body.access })).status);
  const refreshed = await call(h.refresh, 'POST', '/api/auth/refresh', { body: { refresh: loggedIn.body.refresh } });
  statuses.push(refreshed.status);
  const newPassword = `${STRONG_PASSWORD}-new`;
  statuses.push(
    (
      await call(h.changePassword, 'POST', '/api/auth/change-password', {
        token: refreshed.body.access,
        body: { current_password: STRONG_PASSWORD, new_password: newPassword },
      })
    ).status,
  );
  const again = await call(h.login, 'POST', '/api/auth/login', { body: { email, password: newPassword } });
  statuses.push(again.status);
  statuses.push((await call(h.logout, 'POST', '/api/auth/logout', { body: { refresh: again.body.refresh } })).status);
  return statuses;
}

const FLOW_OK = [201, 200, 200, 200, 204, 200, 204];

describe.skipIf(!hasPgBouncer() && !process.env.CI)('through PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  beforeAll(async () => {
    bouncer = await startPgBouncer(process.env.DATABASE_URL!, { poolMode: 'transaction', serverConnections: 3 });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  it('runs every auth flow, concurrently, with DB_PREPARE=false', async () => {
    // Several client connections share three server connections, transaction by transaction.
    const h = await handlersUnder({
      DATABASE_URL: bouncer.urlFor(process.env.DATABASE_URL!),
      DB_PREPARE: 'false',
      DB_POOL_MAX: '6',
    });
    try {
      const runs = await Promise.all(Array.from({ length: 6 }, () => authFlow(h)));
      for (const statuses of runs) expect(statuses).toEqual(FLOW_OK);
    } finally {
      await h.close();
    }
  });

  it('refuses the session timeouts as startup parameters with DB_PREPARE=true, as the docs warn', async () => {
    const [{ sql, closeSql }] = await coldStart<[typeof import('../../lib/db/sql.js')]>(['lib/db/sql.ts'], {
      DATABASE_URL: bouncer.urlFor(process.env.DATABASE_URL!),
      DB_PREPARE: 'true',
      DB_POOL_MAX: '1',
    });
    try {
      await expect(sql()`select 1`).rejects.toMatchObject({
        code: '08P01',
        message: expect.stringMatching(/unsupported startup parameter/),
      });
    } finally {
      await closeSql();
    }
  });

  it('breaks named prepared statements in transactions with DB_PREPARE=true, as the docs warn', async () => {
    // A PgBouncer told to ignore the timeouts (the other way round the first failure).
    const lenient = await startPgBouncer(process.env.DATABASE_URL!, {
      poolMode: 'transaction',
      serverConnections: 3,
      ignoreStartupParameters: ['statement_timeout', 'idle_in_transaction_session_timeout'],
    });
    const pooled = lenient.urlFor(process.env.DATABASE_URL!);
    const [{ sql, closeSql }] = await coldStart<[typeof import('../../lib/db/sql.js')]>(['lib/db/sql.ts'], {
      DATABASE_URL: pooled,
      DB_PREPARE: 'true',
      DB_POOL_MAX: '1',
    });
    const other = postgres(pooled, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const lookup = (q: postgres.Sql | postgres.TransactionSql) => q`select id from users where id = ${randomUUID()}`;
      // Prepared on the server connection this transaction-mode pooler lent for that query...
      await lookup(sql());
      // ...which another client now holds (PgBouncer lends the most recently used one first)...
      const holding = other.begin((tx) => tx`select pg_sleep(0.5)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // ...so our next transaction runs on a server connection that never saw the statement.
      await expect(sql().begin((tx) => lookup(tx))).rejects.toMatchObject({
        code: expect.stringMatching(/^(26000|25P02)$/),
      });
      await holding;
    } finally {
      await other.end({ timeout: 1 });
      await closeSql();
      await lenient.stop();
    }
  });
});

if (!hasPgBouncer() && !process.env.CI) {
  console.warn('pooler tests skipped: PgBouncer is not installed (apt-get install pgbouncer; CI installs it).');
}
