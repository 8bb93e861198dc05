/**
 * Each function as deployed: its packaged handler alone in a plain `node` process
 * (bench/rss-child.mjs) with the environment its Lambda gets (AWS_LAMBDA_FUNCTION_NAME, its
 * V8_TURBOFAN), 300 warm-up requests and 3,000 timed ones; then its resident set and the run's
 * peak. Lambda bills and limits memory per function and runs one function per process, so the
 * latency here is the one a deployed instance has: no other bundle's JIT work or garbage in the
 * process. Functions that run without TurboFan (lib/jit.ts) are also measured with it, in
 * alternating rounds, to show what it changes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import routes from '../lib/http/routes.json' with { type: 'json' };
import { httpEvent } from '../tests/helpers/http.js';
import { BUILD_DIR, ROOT } from './bundles.js';
import { type Summary, summarize } from './stats.js';

export const RSS_REQUESTS = 3000;
/** Untimed requests first: connections opened, code compiled at least by the baseline tiers. */
export const RSS_WARMUP = 300;
/** A/B rounds (TurboFan as deployed, then on) for the functions that run without it. */
const TURBOFAN_ROUNDS = 2;

/**
 * The heap limits Lambda's Node.js bootstrap gives V8 for a function of `memoryMB` (a tenth of
 * the memory for the young generation, two semi-spaces; the rest for the old one). They are on
 * its command line, which wins over NODE_OPTIONS. V8 grows the heap as far as these allow, so a
 * function's peak depends on the memory it is given: the run with node's defaults matches no
 * Lambda size.
 */
export const SMALLEST_LAMBDA_MB = 128;
export function lambdaHeapFlags(memoryMB: number): string[] {
  const newSpace = Math.floor(memoryMB / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMB - newSpace}`];
}

/** Whether the function runs with V8's optimizing compiler when deployed (lib/http/routes.json). */
export const deployedTurbofan = (name: string): boolean =>
  (routes as Record<string, { turbofan?: boolean }>)[name]?.turbofan !== false;
export const RSS_GOAL_MB = 100;

export interface RssRow {
  function: string;
  request: string;
  requests: number;
  /** Resident set once the bundle is imported, before any request. */
  afterImportMB: number;
  rssMB: number;
  maxRssMB: number;
  heapUsedMB: number;
  /** Heap still in use after a full garbage collection: what the requests left alive. */
  liveHeapMB: number;
  /** V8's optimizing compiler on in this run (`V8_TURBOFAN`). */
  turbofan: boolean;
  /** Whether that is how the function is deployed. */
  asDeployed: boolean;
  /** Wall time of each timed request, and the process' CPU time during it (all threads). */
  latency: Summary;
  cpu: Summary;
  /** Peak RSS of the same requests with V8's heap sized as Lambda sizes it at 128 MB (as-deployed rows). */
  maxRssSmallestMB?: number;
}

interface Plan {
  function: string;
  label: string;
  event: string;
  expect: number;
  chain?: boolean;
}

const PASSWORD = 'Tangerine-Voyage-5821';
const HEADERS = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', accept: 'application/json' };
const template = (method: string, path: string, options: { body?: unknown; token?: string } = {}) => {
  const event = httpEvent(method, path, { ...options, headers: HEADERS, sourceIp: '10.0.0.1' });
  event.requestContext.requestId = 'rss-%i%';
  return JSON.stringify(event);
};

/**
 * Runs every plan in its own process; register goes first, and the account its last request
 * created is the one the authenticated plans use (the functions share nothing else).
 */
export function measureRss(
  bundles: Record<string, string>,
  env: NodeJS.ProcessEnv,
  tag: string,
  timed = RSS_REQUESTS,
  warmup = RSS_WARMUP,
): { baselineMB: number; rows: RssRow[] } {
  let index = 0;
  const requests = warmup + timed;
  const run = (
    bundle: string,
    plan: { function?: string; event?: string; expect?: number; chain?: boolean; refresh?: string },
    n: number,
    turbofan = true,
    nodeArgs: string[] = [],
    runTag = '',
  ) => {
    const out = join(BUILD_DIR, `rss-${tag}-${index++}.json`);
    const result = spawnSync(process.execPath, ['--expose-gc', ...nodeArgs, join(ROOT, 'bench', 'rss-child.mjs')], {
      cwd: ROOT,
      env: {
        ...env,
        // `%run%` in an event: runs of one function that must not collide (register's emails).
        BENCH_RSS_RUN: runTag,
        // What the Lambda runtime sets: lib/jit.ts applies V8_TURBOFAN only where it is present.
        ...(plan.function ? { AWS_LAMBDA_FUNCTION_NAME: plan.function } : {}),
        V8_TURBOFAN: String(turbofan),
        BENCH_RSS_BUNDLE: bundle,
        BENCH_RSS_PLAN: JSON.stringify({ ...plan, requests: n, warmup }),
        BENCH_OUT: out,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (result.status !== 0 || !existsSync(out))
      throw new Error(
        `bench/rss-child.mjs (${bundle || 'baseline'}) failed (exit ${result.status}): ${result.stderr.slice(-2000)}`,
      );
    const value = JSON.parse(readFileSync(out, 'utf8')) as Omit<
      RssRow,
      'function' | 'request' | 'requests' | 'turbofan' | 'asDeployed' | 'latency' | 'cpu'
    > & { wallMs: number[]; cpuMs: number[]; last?: string };
    rmSync(out);
    return value;
  };
  const rows: RssRow[] = [];
  /** A refresh chain continues from the token the previous run's last response returned. */
  const nextRefresh = (plan: Plan, last: string | undefined, refresh?: string) =>
    plan.chain && last ? (JSON.parse(last) as { refresh: string }).refresh : refresh;
  const measureOnce = (plan: Plan, turbofan: boolean, refresh?: string) => {
    const bundle = bundles[plan.function];
    if (!bundle) throw new Error(`no built bundle for ${plan.function}`);
    process.stderr.write(`  ${plan.function.padEnd(22)} ${plan.label}${turbofan ? '' : ' (TurboFan off)'}\n`);
    const { wallMs, cpuMs, last, ...memory } = run(bundle, { ...plan, refresh }, requests, turbofan);
    const asDeployed = turbofan === deployedTurbofan(plan.function);
    // The same requests again, in a process whose heap Lambda would size for its smallest memory.
    const small = asDeployed
      ? run(
          bundle,
          { ...plan, refresh: nextRefresh(plan, last, refresh) },
          requests,
          turbofan,
          lambdaHeapFlags(SMALLEST_LAMBDA_MB),
          'small',
        )
      : undefined;
    rows.push({
      function: plan.function,
      request: plan.label,
      requests,
      ...memory,
      turbofan,
      asDeployed,
      latency: summarize(wallMs),
      cpu: summarize(cpuMs),
      ...(small ? { maxRssSmallestMB: small.maxRssMB } : {}),
    });
    return plan.chain && small ? small.last : last;
  };
  /** As deployed; a function deployed without TurboFan alternates with runs that have it. */
  const measure = (plan: Plan, refresh?: string) => {
    if (deployedTurbofan(plan.function)) return measureOnce(plan, true, refresh);
    let last: string | undefined;
    for (let round = 0; round < TURBOFAN_ROUNDS; round++)
      for (const turbofan of [false, true]) {
        last = measureOnce(plan, turbofan, refresh);
        refresh = nextRefresh(plan, last, refresh);
      }
    return last;
  };

  const email = (i: string) => `rss${i}.${tag}@bench.example.com`;
  const last = measure({
    function: 'authRegister',
    label: 'register a new account each time',
    event: template('POST', '/api/auth/register', {
      body: { email: email('%run%%i%'), password: PASSWORD, full_name: 'Bench Runner' },
    }),
    expect: 201,
  });
  const account = JSON.parse(last!) as { access: string; refresh: string };
  const plans: Plan[] = [
    {
      function: 'authMe',
      label: 'GET /me',
      event: template('GET', '/api/auth/me', { token: account.access }),
      expect: 200,
    },
    {
      function: 'authSessionsList',
      label: 'list sessions',
      event: template('GET', '/api/auth/sessions', { token: account.access }),
      expect: 200,
    },
    { function: 'jwks', label: 'GET jwks.json', event: template('GET', '/.well-known/jwks.json'), expect: 200 },
    { function: 'health', label: 'GET /health (Postgres + Redis)', event: template('GET', '/health'), expect: 200 },
    { function: 'healthLive', label: 'GET /health/live', event: template('GET', '/health/live'), expect: 200 },
    {
      function: 'authForgotPassword',
      label: 'unknown email (no mail sent)',
      event: template('POST', '/api/auth/forgot-password', { body: { email: `nobody%i%.${tag}@bench.example.com` } }),
      expect: 202,
    },
    {
      function: 'authResetPassword',
      label: 'unknown token (400)',
      event: template('POST', '/api/auth/reset-password', {
        body: { token: `unknown-token-%i%-${'x'.repeat(32)}`, new_password: 'Marble-Orchid-4821' },
      }),
      expect: 400,
    },
    {
      function: 'authChangePassword',
      label: 'wrong current password (400)',
      event: template('POST', '/api/auth/change-password', {
        token: account.access,
        body: { current_password: 'Wrong-Password-%i%', new_password: 'Copper-Lantern-9047' },
      }),
      expect: 400,
    },
    // Last: each login starts a session, which would lengthen the session list above.
    {
      function: 'authLogin',
      label: 'sign in',
      event: template('POST', '/api/auth/login', { body: { email: email(String(requests - 1)), password: PASSWORD } }),
      expect: 200,
    },
  ];
  // Each refresh presents the token the previous one returned, so the chain starts from register's.
  measure(
    {
      function: 'authRefresh',
      label: 'rotate (a chain)',
      event: template('POST', '/api/auth/refresh', { body: { refresh: '%refresh%' } }),
      expect: 200,
      chain: true,
    },
    account.refresh,
  );
  for (const plan of plans) measure(plan);
  const baseline = run('', {}, 0);
  return { baselineMB: baseline.rssMB, rows };
}
