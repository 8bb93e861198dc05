/**
 * One benchmark pass, in a process of its own (the service parses its configuration once, at
 * import, so each configuration needs a fresh process). Imports the BUILT Lambda bundles and calls
 * `handler(event, context)` with API Gateway HTTP API v2 events, sequentially, after warm-up; only
 * the handler call is timed. Started by bench/run.ts, which sets the environment:
 *
 * - `BENCH_BUNDLES`: JSON `{ functionName: absolute path of its .mjs }`
 * - `BENCH_OUT`: where to write the result JSON
 * - `BENCH_SES`: the local SES emulator (reset tokens are read from its `/store`)
 * - `BENCH_TAG`: unique per run, so emails never collide; `BENCH_SCALE`: iteration multiplier
 * - `BENCH_PROFILE_DIR` (optional): write a `.cpuprofile` of each route's timed loop there
 *
 * Scenarios: `latency` (every route, and the bcrypt work of the hashing routes timed alone
 * between their iterations), `enumeration` (timing differences that could reveal whether an
 * account exists) and `tail` (where the p99 of /me and refresh goes).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadConfig } from '../lib/config.js';
import { httpEvent, lambdaContext } from '../tests/helpers/http.js';
import { OVERHEAD_ROUNDS } from './overhead.js';
import { ENUMERATION_SAMPLES, functionServing, RESEND_VERIFICATION_ROUTE } from './enumeration.js';
import { summarize, type Summary } from './stats.js';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string }>;

export interface LatencyResult {
  scenario: 'latency';
  bcryptRounds: number;
  forgotPasswordMinResponseMs: number;
  routes: Record<string, Summary>;
  /** bcryptjs on its own at `bcryptRounds`. */
  hashing: { hash: Summary; compare: Summary };
  /** The hashing each hashing route does (compare, hash or both), timed between that route's iterations. */
  hashingByRoute: Record<string, Summary>;
  /** Single round trips to the dependencies, for scale (the full-cost pass only). */
  roundTrips?: Record<string, Summary>;
}

export interface Comparison {
  a: Summary & { label: string; samples: number[] };
  b: Summary & { label: string; samples: number[] };
  /** Median of b minus median of a. */
  differenceMs: number;
}

export interface EnumerationResult {
  scenario: 'enumeration';
  bcryptRounds: number;
  forgotPasswordMinResponseMs: number;
  login: Comparison;
  forgotPassword: Comparison;
  verifyEmailResendMinResponseMs: number;
  /** Only once the route exists in lib/http/routes.json (bench/enumeration.ts). */
  resendVerification?: Comparison;
}

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`bench/routes.ts: ${name} is not set (run it through \`npm run bench\`)`);
  return value;
};

const config = loadConfig();
const bundles = JSON.parse(env('BENCH_BUNDLES')) as Record<string, string>;
const tag = env('BENCH_TAG');
const scale = Number(process.env.BENCH_SCALE ?? '1');
const profileDir = process.env.BENCH_PROFILE_DIR;

/** Iterations scaled by BENCH_SCALE (a quick smoke run uses 0.1). */
const count = (n: number) => Math.max(3, Math.round(n * scale));

async function load(name: string): Promise<Handler> {
  const path = bundles[name];
  if (!path) throw new Error(`no built bundle for function ${name}`);
  return ((await import(pathToFileURL(path).href)) as { handler: Handler }).handler;
}

const HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  accept: 'application/json',
};
const request = (method: string, path: string, options: { body?: unknown; token?: string } = {}) =>
  httpEvent(method, path, { ...options, headers: HEADERS });

// Passwords that pass the policy (and are not similar to the bench emails or name).
const PASSWORD_A = 'Tangerine-Voyage-5821';
const PASSWORD_B = 'Copper-Lantern-9047';
const FULL_NAME = 'Bench Runner';

interface Step {
  event: APIGatewayProxyEventV2;
  expect: number;
  /** Runs after the timed call with the parsed response body (chaining tokens); untimed. */
  after?: (body: any) => unknown;
}

const log = (message: string) => process.stderr.write(`  ${message}\n`);

let profiler: Session | undefined;
async function startProfile(): Promise<void> {
  if (!profileDir) return;
  if (!profiler) {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  }
  await profiler.post('Profiler.start');
}
async function stopProfile(label: string, iterations: number): Promise<void> {
  if (!profileDir || !profiler) return;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(
    join(profileDir, `${label.replace(/[^\w-]+/g, '-')}.cpuprofile`),
    JSON.stringify({ ...profile, iterations }),
  );
}

/**
 * Runs `warmup + iterations` calls of `step(i)`; only `await handler(event, context)` is timed.
 * Every response's status is checked, so a benchmark never silently times an error path.
 */
async function measure(
  label: string,
  handler: Handler,
  warmup: number,
  iterations: number,
  step: (i: number) => Step,
  between?: () => Promise<void>,
): Promise<Summary & { samples: number[] }> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    if (i === warmup) await startProfile();
    const { event, expect, after } = step(i);
    const context = lambdaContext();
    const started = performance.now();
    const response = await handler(event, context);
    const elapsed = performance.now() - started;
    if (response.statusCode !== expect) {
      throw new Error(`${label}: expected HTTP ${expect}, got ${response.statusCode}: ${response.body?.slice(0, 500)}`);
    }
    await after?.(response.body ? JSON.parse(response.body) : undefined);
    if (i >= warmup) {
      samples.push(elapsed);
      await between?.();
    }
  }
  await stopProfile(label, iterations);
  const summary = summarize(samples);
  log(`${label.padEnd(28)} n=${String(summary.n).padStart(5)}  p50 ${summary.p50.toFixed(3)} ms`);
  return { ...summary, samples };
}

const withoutSamples = ({ samples: _, ...summary }: Summary & { samples: number[] }): Summary => summary;

interface Account {
  email: string;
  password: string;
  access: string;
  refresh: string;
}

/** The newest reset token emailed to each address, read from the SES emulator. */
async function resetTokensByEmail(): Promise<Map<string, string>> {
  const response = await fetch(`${env('BENCH_SES')}/store`);
  const { emails } = (await response.json()) as {
    emails: { destination: { to: string[] }; subject: string; body: { text: string } }[];
  };
  const tokens = new Map<string, string>();
  for (const email of emails) {
    if (email.subject !== 'Reset your password') continue;
    const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(email.body.text)?.[1];
    for (const to of email.destination.to) if (token) tokens.set(to, token);
  }
  return tokens;
}

async function latency(): Promise<LatencyResult> {
  // At the production cost a hashing route takes ~0.3 s a call: fewer iterations.
  const slow = config.bcryptRounds > OVERHEAD_ROUNDS;
  const h = {
    register: await load('authRegister'),
    login: await load('authLogin'),
    me: await load('authMe'),
    refresh: await load('authRefresh'),
    changePassword: await load('authChangePassword'),
    forgotPassword: await load('authForgotPassword'),
    resetPassword: await load('authResetPassword'),
    health: await load('health'),
    healthLive: await load('healthLive'),
    sessions: await load('authSessionsList'),
    jwks: await load('jwks'),
  };
  const routes: Record<string, Summary> = {};

  // bcryptjs on its own: the same library the bundles contain, at the configured cost, through its
  // async API like the service. The hashing a route does is timed between that route's iterations,
  // so both are measured under the same conditions (this machine's speed drifts by 10% or more
  // within a minute; measured apart, the difference would be mostly that drift).
  const reference = {
    login: [] as number[],
    register: [] as number[],
    changePassword: [] as number[],
    resetPassword: [] as number[],
  };
  const { default: bcrypt } = await import('bcryptjs');
  const rounds = config.bcryptRounds;
  const stored = await bcrypt.hash(PASSWORD_A, rounds);
  const compare = () => bcrypt.compare(PASSWORD_A, stored);
  const hash = () => bcrypt.hash(PASSWORD_A, rounds);
  const time = async (samples: number[], fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  };
  const between = {
    login: () => time(reference.login, compare),
    register: () => time(reference.register, hash),
    changePassword: () =>
      time(reference.changePassword, async () => {
        await compare();
        await hash();
      }),
    resetPassword: () => time(reference.resetPassword, hash),
  };

  const roundTrips = slow ? await measureRoundTrips() : undefined;

  const accounts: Account[] = [];
  routes['POST /api/auth/register'] = withoutSamples(
    await measure(
      'register',
      h.register,
      slow ? 2 : 20,
      count(slow ? 16 : 300),
      (i) => {
        const email = `r${i}.${tag}@bench.example.com`;
        return {
          event: request('POST', '/api/auth/register', { body: { email, password: PASSWORD_A, full_name: FULL_NAME } }),
          expect: 201,
          after: (body) => accounts.push({ email, password: PASSWORD_A, access: body.access, refresh: body.refresh }),
        };
      },
      between.register,
    ),
  );

  const [loginUser, changeUser] = accounts as [Account, Account];
  const session = { access: '', refresh: '' };
  routes['POST /api/auth/login'] = withoutSamples(
    await measure(
      'login',
      h.login,
      slow ? 2 : 20,
      count(slow ? 16 : 300),
      () => ({
        event: request('POST', '/api/auth/login', { body: { email: loginUser.email, password: loginUser.password } }),
        expect: 200,
        after: (body) => Object.assign(session, { access: body.access, refresh: body.refresh }),
      }),
      between.login,
    ),
  );

  // A user with TOTP on: the right password answers a challenge (one Redis write) instead of
  // starting a session; it should cost what a plain login costs. Users without TOTP take the
  // branch above, whose cost `POST /api/auth/login` shows.
  const mfaUser = accounts[2];
  if (mfaUser) {
    const { default: postgres } = await import('postgres');
    const sql = postgres(config.database.url, { max: 1, onnotice: () => {} });
    await sql`update users set mfa_enabled = true where email = ${mfaUser.email}`;
    await sql.end();
    routes['POST /api/auth/login (TOTP user: mfa_required)'] = withoutSamples(
      await measure('login (TOTP user)', h.login, slow ? 2 : 20, count(slow ? 16 : 300), () => ({
        event: request('POST', '/api/auth/login', { body: { email: mfaUser.email, password: mfaUser.password } }),
        expect: 200,
      })),
    );
  }

  routes['GET /api/auth/me'] = withoutSamples(
    await measure('me', h.me, 100, count(2000), () => ({
      event: request('GET', '/api/auth/me', { token: session.access }),
      expect: 200,
    })),
  );

  // A warm instance rarely gets requests back to back: after a pause the same call is slower (caches,
  // the database backend's wake-up), which back-to-back figures hide.
  routes['GET /api/auth/me (each after 100 ms idle)'] = withoutSamples(
    await measure(
      'me (after 100 ms idle)',
      h.me,
      5,
      count(50),
      () => ({ event: request('GET', '/api/auth/me', { token: session.access }), expect: 200 }),
      () => new Promise((resolve) => setTimeout(resolve, 100)),
    ),
  );

  routes['GET /api/auth/sessions'] = withoutSamples(
    await measure('sessions', h.sessions, 50, count(1000), () => ({
      event: request('GET', '/api/auth/sessions', { token: session.access }),
      expect: 200,
    })),
  );
  routes['GET /.well-known/jwks.json'] = withoutSamples(
    await measure('jwks', h.jwks, 100, count(3000), () => ({
      event: request('GET', '/.well-known/jwks.json'),
      expect: 200,
    })),
  );

  // Each refresh presents the token the previous one returned (a client's real chain of rotations).
  const freshAccess: string[] = [];
  routes['POST /api/auth/refresh'] = withoutSamples(
    await measure('refresh', h.refresh, 30, count(500), () => ({
      event: request('POST', '/api/auth/refresh', { body: { refresh: session.refresh } }),
      expect: 200,
      after: (body) => {
        session.refresh = body.refresh;
        freshAccess.push(body.access);
      },
    })),
  );

  // The rows above present one token over and over, which the guard verifies once per instance
  // (lib/auth/authenticate.ts); a token's first request pays the signature check as well.
  routes['GET /api/auth/me (first use of each token)'] = withoutSamples(
    await measure('me (first use of a token)', h.me, 20, freshAccess.length - 20, (i) => ({
      event: request('GET', '/api/auth/me', { token: freshAccess[i]! }),
      expect: 200,
    })),
  );

  // Alternates between two passwords. A change ends every session, the caller's too: an untimed
  // login with the new password gives the next iteration its access token.
  const signInAgain = async (password: string) => {
    const response = await h.login(
      request('POST', '/api/auth/login', { body: { email: changeUser.email, password } }),
      lambdaContext(),
    );
    changeUser.access = JSON.parse(response.body!).access;
  };
  routes['POST /api/auth/change-password'] = withoutSamples(
    await measure(
      'change-password',
      h.changePassword,
      slow ? 1 : 20,
      count(slow ? 10 : 300),
      (i) => ({
        event: request('POST', '/api/auth/change-password', {
          token: changeUser.access,
          body:
            i % 2 === 0
              ? { current_password: PASSWORD_A, new_password: PASSWORD_B }
              : { current_password: PASSWORD_B, new_password: PASSWORD_A },
        }),
        expect: 204,
        after: () => signInAgain(i % 2 === 0 ? PASSWORD_B : PASSWORD_A),
      }),
      between.changePassword,
    ),
  );

  // Existing accounts: a token is stored and the email sent (to the local emulator). The newest
  // token of each account is what reset-password uses below.
  routes['POST /api/auth/forgot-password'] = withoutSamples(
    await measure('forgot-password', h.forgotPassword, 20, count(300), (i) => ({
      event: request('POST', '/api/auth/forgot-password', { body: { email: accounts[i % accounts.length]!.email } }),
      expect: 202,
    })),
  );
  routes['POST /api/auth/forgot-password (unknown email)'] = withoutSamples(
    await measure('forgot-password (unknown)', h.forgotPassword, 20, count(300), (i) => ({
      event: request('POST', '/api/auth/forgot-password', { body: { email: `nobody${i}.${tag}@bench.example.com` } }),
      expect: 202,
    })),
  );

  // Tokens prepared beforehand (above): one fresh token per account, so one reset per account.
  const tokens = await resetTokensByEmail();
  const resettable = accounts.filter((account) => tokens.has(account.email));
  const resetWarmup = slow ? 1 : 10;
  const resetIterations = Math.min(count(slow ? 12 : 200), resettable.length - resetWarmup);
  routes['POST /api/auth/reset-password'] = withoutSamples(
    await measure(
      'reset-password',
      h.resetPassword,
      resetWarmup,
      resetIterations,
      (i) => ({
        event: request('POST', '/api/auth/reset-password', {
          body: { token: tokens.get(resettable[i]!.email), new_password: `Marble-Orchid-${4000 + i}` },
        }),
        expect: 200,
      }),
      between.resetPassword,
    ),
  );

  routes['GET /health'] = withoutSamples(
    await measure('health', h.health, 50, count(1000), () => ({ event: request('GET', '/health'), expect: 200 })),
  );
  routes['GET /health/live'] = withoutSamples(
    await measure('health/live', h.healthLive, 200, count(3000), () => ({
      event: request('GET', '/health/live'),
      expect: 200,
    })),
  );

  const hashing = { hash: summarize(reference.register), compare: summarize(reference.login) };
  const hashingByRoute = {
    'POST /api/auth/login': summarize(reference.login),
    'POST /api/auth/register': summarize(reference.register),
    'POST /api/auth/change-password': summarize(reference.changePassword),
    'POST /api/auth/reset-password': summarize(reference.resetPassword),
  };
  log(
    `bcrypt hash (cost ${config.bcryptRounds})`.padEnd(28) +
      ` n=${String(hashing.hash.n).padStart(5)}  p50 ${hashing.hash.p50.toFixed(3)} ms`,
  );
  log(
    `bcrypt compare (cost ${config.bcryptRounds})`.padEnd(28) +
      ` n=${String(hashing.compare.n).padStart(5)}  p50 ${hashing.compare.p50.toFixed(3)} ms`,
  );

  return {
    scenario: 'latency',
    bcryptRounds: config.bcryptRounds,
    forgotPasswordMinResponseMs: config.forgotPasswordMinResponseMs,
    routes,
    hashing,
    hashingByRoute,
    roundTrips,
  };
}

/** One round trip to each dependency, with the clients the service uses, so route figures can be read against them. */
async function measureRoundTrips(): Promise<Record<string, Summary>> {
  const { default: postgres } = await import('postgres');
  const { Redis } = await import('ioredis');
  const { SESClient, SendEmailCommand } = await import('@aws-sdk/client-ses');
  const sql = postgres(config.database.url, { max: 1, onnotice: () => {} });
  const redis = new Redis(config.redis.url ?? 'redis://127.0.0.1:6379');
  const ses = new SESClient({
    region: config.email.sesRegion,
    endpoint: env('BENCH_SES'),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const time = async (label: string, n: number, fn: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < n + Math.ceil(n / 10); i++) {
      const started = performance.now();
      await fn();
      if (i >= Math.ceil(n / 10)) samples.push(performance.now() - started);
    }
    return [label, summarize(samples)] as const;
  };
  try {
    return Object.fromEntries([
      await time('Postgres SELECT 1 (postgres.js)', count(500), () => sql`select 1`),
      await time('Redis GET (ioredis)', count(500), () => redis.get(`${config.redis.keyPrefix}missing`)),
      await time('SES SendEmail → local emulator', count(50), () =>
        ses.send(
          new SendEmailCommand({
            Source: config.email.from,
            Destination: { ToAddresses: [`probe.${tag}@bench.example.com`] },
            Message: { Subject: { Data: 'probe' }, Body: { Text: { Data: 'probe' } } },
          }),
        ),
      ),
    ]);
  } finally {
    await sql.end({ timeout: 1 });
    redis.disconnect();
    ses.destroy();
  }
}

/**
 * Two kinds of request, interleaved (ABBA order, so drift affects both alike), each timed like
 * any route: what an attacker measuring response times would compare.
 */
async function compare(
  label: string,
  handler: Handler,
  n: number,
  a: { label: string; step: (i: number) => Step },
  b: { label: string; step: (i: number) => Step },
): Promise<Comparison> {
  const samples = { a: [] as number[], b: [] as number[] };
  const warmup = 2;
  for (let i = 0; i < warmup + n; i++) {
    const order = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    for (const which of order) {
      const { event, expect } = (which === 'a' ? a : b).step(i);
      const started = performance.now();
      const response = await handler(event, lambdaContext());
      const elapsed = performance.now() - started;
      if (response.statusCode !== expect)
        throw new Error(`${label} (${which}): expected HTTP ${expect}, got ${response.statusCode}: ${response.body}`);
      if (i >= warmup) samples[which].push(elapsed);
    }
  }
  const summaryA = { label: a.label, ...summarize(samples.a), samples: samples.a };
  const summaryB = { label: b.label, ...summarize(samples.b), samples: samples.b };
  log(`${label.padEnd(28)} n=${n}+${n}  ${summaryA.p50.toFixed(2)} ms vs ${summaryB.p50.toFixed(2)} ms`);
  return { a: summaryA, b: summaryB, differenceMs: summaryB.p50 - summaryA.p50 };
}

async function enumeration(): Promise<EnumerationResult> {
  const register = await load('authRegister');
  const login = await load('authLogin');
  const forgotPassword = await load('authForgotPassword');
  const email = `enum.${tag}@bench.example.com`;
  const created = await register(
    request('POST', '/api/auth/register', { body: { email, password: PASSWORD_A, full_name: FULL_NAME } }),
    lambdaContext(),
  );
  if (created.statusCode !== 201) throw new Error(`register: ${created.statusCode} ${created.body}`);
  const n = count(ENUMERATION_SAMPLES);

  const loginComparison = await compare(
    'login: unknown vs wrong pw',
    login,
    n,
    {
      label: 'unknown email',
      step: (i) => ({
        event: request('POST', '/api/auth/login', {
          body: { email: `ghost${i}.${tag}@bench.example.com`, password: PASSWORD_B },
        }),
        expect: 401,
      }),
    },
    {
      label: 'existing email, wrong password',
      step: () => ({
        event: request('POST', '/api/auth/login', { body: { email, password: PASSWORD_B } }),
        expect: 401,
      }),
    },
  );
  const forgotComparison = await compare(
    'forgot: unknown vs existing',
    forgotPassword,
    n,
    {
      label: 'unknown email',
      step: (i) => ({
        event: request('POST', '/api/auth/forgot-password', {
          body: { email: `ghost-f${i}.${tag}@bench.example.com` },
        }),
        expect: 202,
      }),
    },
    {
      label: 'existing email',
      step: () => ({ event: request('POST', '/api/auth/forgot-password', { body: { email } }), expect: 202 }),
    },
  );
  // The registered account is unverified: the route sends it a new link, and a ghost gets nothing.
  const resendFunction = functionServing(RESEND_VERIFICATION_ROUTE);
  const resendPath = RESEND_VERIFICATION_ROUTE.split(' ')[1]!;
  const resendComparison =
    resendFunction && bundles[resendFunction]
      ? await compare(
          'resend: unknown vs existing',
          await load(resendFunction),
          n,
          {
            label: 'unknown email',
            step: (i) => ({
              event: request('POST', resendPath, { body: { email: `ghost-v${i}.${tag}@bench.example.com` } }),
              expect: 202,
            }),
          },
          {
            label: 'existing unverified email',
            step: () => ({ event: request('POST', resendPath, { body: { email } }), expect: 202 }),
          },
        )
      : undefined;
  return {
    scenario: 'enumeration',
    bcryptRounds: config.bcryptRounds,
    forgotPasswordMinResponseMs: config.forgotPasswordMinResponseMs,
    login: loginComparison,
    forgotPassword: forgotComparison,
    verifyEmailResendMinResponseMs: config.emailVerification.resendMinResponseMs,
    ...(resendComparison ? { resendVerification: resendComparison } : {}),
  };
}

export interface TailSeries extends Summary {
  /** The same samples without those a garbage collection overlapped. */
  withoutGc: Summary;
  /** Samples a GC pause overlapped. */
  gcHit: number;
  /** Samples during which the kernel took the CPU from this process (an involuntary context switch). */
  preempted: number;
  /** The samples neither a GC pause nor a preemption of this process touched. */
  undisturbed: Summary;
  /** This process' CPU time (user + system) per call: what the call itself costs us, waits excluded. */
  cpu: Summary;
}

export interface TailResult {
  scenario: 'tail';
  nodeOptions: string;
  series: Record<string, TailSeries>;
  gc: { count: number; totalMs: number; p99Ms: number; maxMs: number };
}

/**
 * Where the tail of /me and refresh goes: `select 1` (the floor of any round trip), the guard's own
 * statement through a plain client, /me and refresh, interleaved call by call so drift and other
 * tenants' load hit all four alike; each sample is flagged when a GC pause overlapped it.
 */
async function tail(): Promise<TailResult> {
  const { PerformanceObserver } = await import('node:perf_hooks');
  const { default: postgres } = await import('postgres');
  const register = await load('authRegister');
  const me = await load('authMe');
  const refresh = await load('authRefresh');
  const created = await register(
    request('POST', '/api/auth/register', {
      body: { email: `tail.${tag}@bench.example.com`, password: PASSWORD_A, full_name: FULL_NAME },
    }),
    lambdaContext(),
  );
  if (created.statusCode !== 201) throw new Error(`register: ${created.statusCode} ${created.body}`);
  const session = JSON.parse(created.body!) as { access: string; refresh: string };
  const claims = JSON.parse(Buffer.from(session.access.split('.')[1]!, 'base64url').toString()) as {
    sub: string;
    sid: string;
  };

  const pauses: [number, number][] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push([entry.startTime, entry.startTime + entry.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
  const sql = postgres(config.database.url, { max: 1, onnotice: () => {}, fetch_types: false });
  const steps: Record<string, () => Promise<unknown>> = {
    'select 1 (postgres.js, own client)': () => sql`select 1`,
    "the guard's statement (postgres.js, own client)": () =>
      sql`select u.*, s.id is not null from users u left join sessions s on s.id = ${claims.sid} and s.user_id = u.id and s.revoked_at is null and s.expires_at > now() where u.id = ${claims.sub} limit 1`,
    'GET /api/auth/me': async () => {
      const response = await me(request('GET', '/api/auth/me', { token: session.access }), lambdaContext());
      if (response.statusCode !== 200) throw new Error(`me: ${response.statusCode}`);
    },
    'POST /api/auth/refresh': async () => {
      const response = await refresh(
        request('POST', '/api/auth/refresh', { body: { refresh: session.refresh } }),
        lambdaContext(),
      );
      if (response.statusCode !== 200) throw new Error(`refresh: ${response.statusCode} ${response.body}`);
      session.refresh = (JSON.parse(response.body!) as { refresh: string }).refresh;
    },
  };
  // The main thread's own count: the process-wide one also counts libuv's pool threads (WebCrypto
  // runs jose's signatures there), which are switched out without delaying this thread.
  const statusFile = `/proc/${process.pid}/task/${process.pid}/status`;
  const involuntarySwitches = existsSync(statusFile)
    ? () => Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync(statusFile, 'utf8'))?.[1])
    : () => process.resourceUsage().involuntaryContextSwitches;
  type Sample = { span: [number, number]; cpuMs: number; preempted: boolean };
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  const warmup = 200;
  const n = count(3000);
  for (let i = 0; i < warmup + n; i++) {
    for (const [label, run] of Object.entries(steps)) {
      const switches = involuntarySwitches();
      const cpu = process.cpuUsage();
      const started = performance.now();
      await run();
      const ended = performance.now();
      const used = process.cpuUsage(cpu);
      const preempted = involuntarySwitches() !== switches;
      if (i >= warmup)
        samples[label]!.push({ span: [started, ended], cpuMs: (used.user + used.system) / 1000, preempted });
    }
  }
  // GC entries arrive asynchronously, after the pause they describe.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  await sql.end({ timeout: 1 });
  const measuredFrom = Object.values(samples)[0]![0]!.span[0];
  const gcPauses = pauses.filter(([, end]) => end >= measuredFrom);
  const overlapsGc = ({ span: [start, end] }: Sample) => gcPauses.some(([a, b]) => a < end && b > start);
  const wall = (list: Sample[]) => summarize(list.map(({ span: [a, b] }) => b - a));
  const series = Object.fromEntries(
    Object.entries(samples).map(([label, list]) => {
      const summary = wall(list);
      const gcHit = list.filter(overlapsGc).length;
      const preempted = list.filter((sample) => sample.preempted).length;
      const undisturbed = wall(list.filter((sample) => !sample.preempted && !overlapsGc(sample)));
      log(
        `${label.padEnd(48)} p50 ${summary.p50.toFixed(3)} p99 ${summary.p99.toFixed(3)} ms (undisturbed ${undisturbed.p99.toFixed(3)}), GC in ${gcHit}, preempted ${preempted}`,
      );
      const series: TailSeries = {
        ...summary,
        withoutGc: wall(list.filter((sample) => !overlapsGc(sample))),
        gcHit,
        preempted,
        undisturbed,
        cpu: summarize(list.map((sample) => sample.cpuMs)),
      };
      return [label, series];
    }),
  );
  const durations = summarize(gcPauses.map(([a, b]) => b - a));
  return {
    scenario: 'tail',
    nodeOptions: process.execArgv.filter((a) => a !== '--import' && a !== 'tsx').join(' ') || '(defaults)',
    series,
    gc: {
      count: gcPauses.length,
      totalMs: gcPauses.reduce((sum, [a, b]) => sum + b - a, 0),
      p99Ms: durations.p99,
      maxMs: durations.max,
    },
  };
}

const scenario = process.argv[2];
const result =
  scenario === 'latency'
    ? await latency()
    : scenario === 'enumeration'
      ? await enumeration()
      : scenario === 'tail'
        ? await tail()
        : undefined;
if (!result) throw new Error(`unknown scenario "${scenario}" (latency | enumeration | tail)`);
writeFileSync(env('BENCH_OUT'), JSON.stringify(result));
// The bundles keep their Postgres and Redis connections open, as a warm Lambda does.
process.exit(0);
