/**
 * The contract's rate limits (`RATE_LIMIT_*`), as one middy guard a route adds after validation:
 *
 * ```ts
 * export const handler = api({ body: LoginBody })
 *   .use(rateLimit('loginIp', 'login'))
 *   .handler(...);
 * ```
 *
 * Each limit is a sliding window in Redis (`@upstash/ratelimit`), keyed by the client IP that API
 * Gateway saw and, for the per-account limits, a keyed hash of the normalised email. A request over
 * any limit is answered 429 before the handler runs, so it costs one Redis round trip, never a
 * bcrypt comparison or a database query. Allowed requests, and the errors their handlers raise,
 * carry `RateLimit-*` headers of the most restrictive limit.
 *
 * When Redis is down or slower than `RATE_LIMIT_TIMEOUT_MS`, limits fail open (logins keep working,
 * an error is logged); a route that cannot work without Redis anyway passes `failClosed` for a 503.
 */
import { createHmac } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { Ratelimit } from '@upstash/ratelimit';
import { config } from './config.js';
import { clientOf, type ApiMiddleware } from './http/api.js';
import { Problem, problems } from './http/problem.js';
import { log } from './log.js';
import { redis, redisKey, type Redis } from './redis.js';

/** A configured limit: `login` is `RATE_LIMIT_LOGIN`, `loginIp` is `RATE_LIMIT_LOGIN_IP`, and so on. */
export type LimitName = Exclude<keyof typeof config.rateLimits, 'timeoutMs'>;

export interface RateLimitOptions {
  /**
   * Answer 503 `service_unavailable` instead of letting the request through when Redis cannot be
   * asked. For routes that need Redis for their own work (password reset), where failing open
   * would only move the 503 after the limit check.
   */
  failClosed?: boolean;
}

/** Limits counted per client IP and account (the contract's "client IP + email"); the rest per IP. */
const KEYED_BY_EMAIL: ReadonlySet<LimitName> = new Set<LimitName>(['login', 'forgotPassword', 'verifyEmail']);

/** A limit's answer for this request, named for the log. */
type LimitResult = Awaited<ReturnType<Ratelimit['limit']>> & { name: LimitName };

/**
 * A sliding-window limiter with the service's settings, on any client (the guard uses the service's
 * `redis()`; tests and the benchmark pass their own transport).
 */
export function buildLimiter(
  client: Redis,
  prefix: string,
  rule: { limit: number; windowS: number },
  timeoutMs: number = config.rateLimits.timeoutMs,
): Ratelimit {
  return new Ratelimit({
    redis: client,
    limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowS} s` as const),
    prefix,
    // The library's default is 5 s, after which it *allows*: a stalled Redis would add 5 s to
    // every login. We give up sooner and decide ourselves what an unanswered check means.
    timeout: timeoutMs,
    analytics: false,
    enableTelemetry: false,
    // The in-memory block list would keep denying, per Lambda instance, until the end of the
    // current fixed window, while the sliding window in Redis already lets requests through
    // again: one source of truth keeps every instance's answer the same. A 429 still costs only
    // one Redis call.
    ephemeralCache: false,
  });
}

const limiters = new Map<LimitName, Ratelimit>();

/** The limiter of one limit, built at its first use and kept for the warm Lambda's lifetime. */
function limiter(name: LimitName, rule: { limit: number; windowS: number }): Ratelimit {
  let instance = limiters.get(name);
  if (!instance) {
    // Under the service's namespace, so REDIS_KEY_PREFIX separates stages and test runs.
    instance = buildLimiter(redis(), redisKey('rl', name), rule);
    limiters.set(name, instance);
  }
  return instance;
}

/**
 * An email as the limit key: normalised like the contract's account lookup (so case and spaces
 * do not buy extra attempts), then HMAC'd with the service's secret so Redis holds no address,
 * not even one recoverable by hashing a list of known emails.
 */
function emailKey(body: unknown): string {
  const email = (body as { email?: unknown } | null | undefined)?.email;
  if (typeof email !== 'string') {
    // A wiring mistake, not a client error: the route must validate `email` before this guard.
    throw new Error('rateLimit: this limit is keyed by email, but the validated body has no `email` string');
  }
  return createHmac('sha256', config.secretKey)
    .update(`rate-limit:${email.trim().toLowerCase()}`)
    .digest('hex')
    .slice(0, 32);
}

/** Asks Redis; `undefined` means it could not answer in time (down, refused, or too slow). */
async function check(
  name: LimitName,
  rule: { limit: number; windowS: number },
  identifier: string,
): Promise<LimitResult | undefined> {
  try {
    const result = await limiter(name, rule).limit(identifier);
    // On its own timeout the library resolves `success: true` with `reason: 'timeout'`: that is
    // "no answer", not "allowed".
    if (result.reason !== 'timeout') return { ...result, name };
    log.error('rate limiter unavailable', { limit: name, reason: 'timeout' });
  } catch (error) {
    // A refused connection or an error reply (e.g. a script Redis cannot run) rejects instead.
    log.error('rate limiter unavailable', { limit: name, error });
  }
  return undefined;
}

/**
 * The client part of a key. An IPv6 client usually holds a whole /64 (and can pick any address in
 * it per request), so IPv6 is counted per /64, as one IPv4 address is counted per address.
 */
function clientKey(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const groups = (part: string | undefined) =>
    // A trailing dotted IPv4 (`::1.2.3.4`) fills two 16-bit groups.
    part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : [];
  const [head, tail] = ip.split('::');
  const left = groups(head);
  const right = groups(tail);
  const full =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Whole seconds until `reset` (epoch ms), at least 1: a client told "0" would retry at once. */
const secondsUntil = (reset: number, now: number) => Math.max(1, Math.ceil((reset - now) / 1000));

function rateLimitHeaders(result: LimitResult, now: number): Record<string, string> {
  return {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(secondsUntil(result.reset, now)),
  };
}

/** Of several denials, the one that lasts longest: the client may retry only when all have passed. */
const longestWait = (a: LimitResult, b: LimitResult) => (b.reset > a.reset ? b : a);

/** Of several allowances, the one closest to its limit (then the one resetting last). */
const tightest = (a: LimitResult, b: LimitResult) =>
  b.remaining < a.remaining || (b.remaining === a.remaining && b.reset > a.reset) ? b : a;

/**
 * A guard enforcing the named limits (checked in parallel, one Redis round trip of latency). A
 * limit configured `off` is skipped without touching Redis. `login`, `forgotPassword` and `verifyEmail` need a
 * validated `email` in the body.
 *
 * Over a limit: 429 `rate_limited` with `Retry-After` and `RateLimit-Limit/Remaining/Reset` (the
 * longest-lasting denial). Allowed: the `RateLimit-*` headers of the limit with the fewest requests
 * left, on the response and on any problem the handler throws.
 *
 * @example api({ body: LoginBody }).use(rateLimit('loginIp', 'login'))
 * @example api({ body: ResetBody }).use(rateLimit('resetPassword', { failClosed: true }))
 */
export function rateLimit<TBody = unknown, TQuery = unknown>(
  ...names: [LimitName, ...LimitName[]]
): ApiMiddleware<TBody, TQuery>;
export function rateLimit<TBody = unknown, TQuery = unknown>(
  ...args: [LimitName, ...LimitName[], RateLimitOptions]
): ApiMiddleware<TBody, TQuery>;
export function rateLimit<TBody, TQuery>(...args: (LimitName | RateLimitOptions)[]): ApiMiddleware<TBody, TQuery> {
  const options = typeof args.at(-1) === 'object' ? (args.pop() as RateLimitOptions) : {};
  const names = [...new Set(args as LimitName[])];
  for (const name of names) {
    if ((name as string) === 'timeoutMs' || !(name in config.rateLimits))
      throw new Error(`rateLimit: unknown limit "${String(name)}"`);
  }
  // Configuration is fixed for the cold start: limits set to `off` are dropped here, once.
  const active = names.flatMap((name) => {
    const rule = config.rateLimits[name];
    return rule ? [{ name, rule }] : [];
  });
  if (active.length === 0) return { name: 'rateLimit', before: () => undefined };

  // Per invocation, for `after`/`onError`; keyed by the request object because one handler may
  // serve concurrent invocations (tests, local servers), unlike a Lambda instance.
  const allowedHeaders = new WeakMap<object, Record<string, string>>();

  return {
    name: 'rateLimit',
    before: async (request) => {
      // API Gateway's view of the peer; X-Forwarded-For is client-supplied and would let anyone
      // pick a fresh identity per request.
      const ip = clientKey(clientOf(request.event).ip);
      const account = active.some(({ name }) => KEYED_BY_EMAIL.has(name)) ? emailKey(request.event.body) : '';
      const results = await Promise.all(
        active.map(({ name, rule }) => check(name, rule, KEYED_BY_EMAIL.has(name) ? `${ip}:${account}` : ip)),
      );
      const now = Date.now();

      const answered = results.filter((result): result is LimitResult => result !== undefined);
      if (answered.length < results.length && options.failClosed) throw problems.unavailable();

      const denied = answered.filter((result) => !result.success);
      if (denied.length > 0) {
        // A security signal (credential stuffing, reset-mail floods): worth a line, never the email.
        log.warn('rate limited', { limits: denied.map((result) => result.name) });
        const result = denied.reduce(longestWait);
        const retryAfterS = secondsUntil(result.reset, now);
        throw new Problem(
          'rate_limited',
          `Too many requests. Try again in ${retryAfterS} second${retryAfterS === 1 ? '' : 's'}.`,
          {
            headers: { 'Retry-After': String(retryAfterS), ...rateLimitHeaders(result, now) },
          },
        );
      }
      if (answered.length > 0) allowedHeaders.set(request, rateLimitHeaders(answered.reduce(tightest), now));
    },
    after: (request) => {
      const headers = allowedHeaders.get(request);
      if (headers && request.response) request.response.headers = { ...headers, ...request.response.headers };
    },
    onError: (request) => {
      // This guard's onError runs before the chain's problem+json mapper (middy unwinds in reverse
      // order), so a problem thrown by the handler is re-issued carrying the headers; the mapper
      // then sends them like any problem's own headers. Other errors become 5xx, where a quota
      // means nothing to the client; they are left untouched for the error log.
      const headers = allowedHeaders.get(request);
      const error = request.error;
      if (!headers || !(error instanceof Problem)) return;
      const withHeaders = new Problem(error.code, error.detail, {
        ...error.options,
        headers: { ...headers, ...error.options.headers },
      });
      withHeaders.stack = error.stack;
      request.error = withHeaders;
    },
  };
}
