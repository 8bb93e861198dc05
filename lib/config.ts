/**
 * Configuration: every environment variable is read and validated once, at cold start, into one
 * frozen, typed object. A missing or invalid value throws a {@link ConfigError} naming the
 * variable, which stops the Lambda before it serves a request.
 *
 * Names are kept from the Django service where they exist (SECRET_KEY, DB_*, REDIS_URL, ...).
 */
import * as z from 'zod/mini';
import packageJson from '../package.json' with { type: 'json' };

export type AppEnv = 'development' | 'test' | 'production';

/** A parsed `RATE_LIMIT_*` value: `count` requests per `windowS` seconds, or `null` for `off`. */
export type RateLimitRule = { limit: number; windowS: number } | null;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const WINDOW_UNITS_S = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Parses `5/15m` into `{ limit: 5, windowS: 900 }`, and `off` into `null`. */
export function parseRateLimit(value: string): RateLimitRule | undefined {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === 'off') return null;
  const match = /^(\d{1,9})\/(\d{0,9})([smhd])$/.exec(trimmed);
  if (!match) return undefined;
  const limit = Number(match[1]);
  const windowS = Number(match[2] || '1') * WINDOW_UNITS_S[match[3] as keyof typeof WINDOW_UNITS_S];
  if (limit < 1 || windowS < 1) return undefined;
  return { limit, windowS };
}

const int = (min: number, max: number) =>
  z.pipe(
    z.string().check(z.regex(/^\d+$/, 'must be a whole number')),
    z.pipe(z.transform(Number), z.number().check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`))),
  );

const bool = z.pipe(
  z.string().check(z.regex(/^(true|false|1|0|yes|no|on|off)$/i, 'must be true or false')),
  z.transform((v) => /^(true|1|yes|on)$/i.test(v)),
);

const url = z.string().check(z.url('must be a URL (e.g. https://example.com)'));

const rateLimit = z.pipe(
  z.string(),
  z.transform((value, ctx) => {
    const rule = parseRateLimit(value);
    if (rule === undefined) {
      ctx.issues.push({ code: 'custom', input: value, message: 'must be <count>/<window> (window in s, m, h or d, e.g. 5/15m) or off' });
      return z.NEVER;
    }
    return rule;
  }),
);

const csv = z.pipe(
  z.string(),
  z.transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
);

const schema = z.object({
  SECRET_KEY: z.string().check(z.minLength(32, 'must be at least 32 characters (generate one with `openssl rand -base64 48`)')),
  DEBUG: bool,
  ALLOWED_HOSTS: csv,
  ACCESS_TOKEN_LIFETIME_MIN: int(1, 24 * 60),
  REFRESH_TOKEN_LIFETIME_DAYS: int(1, 365),
  REFRESH_REUSE_GRACE_S: int(0, 300),
  JWT_ISSUER: z.string().check(z.minLength(1)),
  JWT_AUDIENCE: z.string().check(z.minLength(1)),
  BCRYPT_ROUNDS: int(4, 15),
  PASSWORD_HASHER: z.enum(['bcrypt', 'insecure-fast'], 'must be bcrypt or insecure-fast'),
  DATABASE_URL: z.string().check(z.regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  DB_POOL_MAX: int(1, 100),
  DB_CONNECT_TIMEOUT_S: int(1, 30),
  DB_PREPARE: bool,
  REDIS_URL: z.optional(z.string().check(z.regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'))),
  UPSTASH_REDIS_REST_URL: z.optional(url),
  UPSTASH_REDIS_REST_TOKEN: z.optional(z.string().check(z.minLength(1))),
  REDIS_KEY_PREFIX: z.string(),
  REDIS_TIMEOUT_MS: int(10, 10_000),
  RATE_LIMIT_TIMEOUT_MS: int(10, 5_000),
  FRONTEND_URL: url,
  DEFAULT_FROM_EMAIL: z.string().check(z.minLength(3)),
  SES_REGION: z.string().check(z.minLength(1)),
  SES_ENDPOINT: z.optional(url),
  PASSWORD_RESET_TOKEN_TTL_MIN: int(1, 7 * 24 * 60),
  FORGOT_PASSWORD_MIN_RESPONSE_MS: int(0, 10_000),
  SES_TIMEOUT_MS: int(100, 30_000),
  RATE_LIMIT_LOGIN: rateLimit,
  RATE_LIMIT_LOGIN_IP: rateLimit,
  RATE_LIMIT_REGISTER: rateLimit,
  RATE_LIMIT_FORGOT_PASSWORD: rateLimit,
  RATE_LIMIT_RESET_PASSWORD: rateLimit,
  RATE_LIMIT_REFRESH: rateLimit,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']),
});

/** Every variable the service reads (besides APP_ENV and the DB_* fallback). */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/** Defaults that hold in every environment (the contract's defaults). */
const DEFAULTS: Record<string, string> = {
  DEBUG: 'false',
  ALLOWED_HOSTS: '',
  ACCESS_TOKEN_LIFETIME_MIN: '30',
  REFRESH_TOKEN_LIFETIME_DAYS: '7',
  REFRESH_REUSE_GRACE_S: '10',
  JWT_ISSUER: 'auth-service',
  JWT_AUDIENCE: 'auth-service-clients',
  BCRYPT_ROUNDS: '12',
  PASSWORD_HASHER: 'bcrypt',
  DB_POOL_MAX: '1',
  DB_CONNECT_TIMEOUT_S: '2',
  DB_PREPARE: 'true',
  REDIS_KEY_PREFIX: 'auth:',
  REDIS_TIMEOUT_MS: '1000',
  RATE_LIMIT_TIMEOUT_MS: '200',
  SES_REGION: 'us-east-1',
  PASSWORD_RESET_TOKEN_TTL_MIN: '60',
  FORGOT_PASSWORD_MIN_RESPONSE_MS: '400',
  SES_TIMEOUT_MS: '2000',
  RATE_LIMIT_LOGIN: '5/15m',
  RATE_LIMIT_LOGIN_IP: '100/1m',
  RATE_LIMIT_REGISTER: '10/1h',
  RATE_LIMIT_FORGOT_PASSWORD: '3/1h',
  RATE_LIMIT_RESET_PASSWORD: '10/1h',
  RATE_LIMIT_REFRESH: '60/1m',
  LOG_LEVEL: 'info',
};

/**
 * Defaults only for a developer's machine and tests: they point at the local services so a fresh
 * clone runs with no `.env`. They never apply in production, where a forgotten variable must stop
 * the function instead of silently signing tokens with a public key.
 */
const DEVELOPMENT_DEFAULTS: Record<string, string> = {
  SECRET_KEY: 'development-only-secret-key-change-me-0123456789',
  DEBUG: 'true',
  ALLOWED_HOSTS: 'localhost,127.0.0.1',
  DB_HOST: '127.0.0.1',
  DB_PORT: '5432',
  DB_NAME: 'auth_service',
  DB_USER: 'postgres',
  DB_PASSWORD: '',
  REDIS_URL: 'redis://127.0.0.1:6379',
  FRONTEND_URL: 'http://localhost:3000',
  DEFAULT_FROM_EMAIL: 'Auth Service <no-reply@auth.example.com>',
  SES_ENDPOINT: 'http://127.0.0.1:8005',
};

/**
 * Which environment this is: `APP_ENV` when set; otherwise production inside a deployed Lambda
 * (serverless-offline sets IS_OFFLINE), development everywhere else.
 */
function detectAppEnv(env: NodeJS.ProcessEnv): AppEnv {
  const explicit = env.APP_ENV?.trim();
  if (explicit === 'development' || explicit === 'test' || explicit === 'production') return explicit;
  if (explicit) throw new ConfigError(`Invalid configuration: APP_ENV must be development, test or production (got "${explicit}")`);
  return env.AWS_LAMBDA_FUNCTION_NAME && env.IS_OFFLINE !== 'true' ? 'production' : 'development';
}

/** Builds a postgres URL from the Django-style DB_* variables (used when DATABASE_URL is unset). */
function databaseUrlFromParts(v: Record<string, string | undefined>): string | undefined {
  if (!v.DB_HOST) return undefined;
  const auth = v.DB_USER
    ? `${encodeURIComponent(v.DB_USER)}${v.DB_PASSWORD ? `:${encodeURIComponent(v.DB_PASSWORD)}` : ''}@`
    : '';
  return `postgres://${auth}${v.DB_HOST}:${v.DB_PORT || '5432'}/${encodeURIComponent(v.DB_NAME || 'postgres')}`;
}

/** Parses an environment into the typed configuration. Pure: tests call it with their own env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const appEnv = detectAppEnv(env);
  const set: Record<string, string> = {};
  // Empty strings count as unset, so `${env:X, ''}` in serverless.yml means "not configured".
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') set[key] = value;
  const raw: Record<string, string | undefined> = {
    ...DEFAULTS,
    ...(appEnv === 'production' ? {} : DEVELOPMENT_DEFAULTS),
    ...set,
  };
  // Upstash over REST wins over REDIS_URL; a REDIS_URL that came only from a default is dropped then.
  if (set.UPSTASH_REDIS_REST_URL && !set.REDIS_URL) delete raw.REDIS_URL;
  raw.DATABASE_URL = set.DATABASE_URL ?? databaseUrlFromParts(raw);

  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'configuration');
      const message = raw[name] === undefined ? 'is required' : issue.message;
      return `${name} ${message}`;
    });
    throw new ConfigError(`Invalid configuration (${appEnv}): ${problems.join('; ')}`);
  }
  const v = parsed.data;
  if (v.UPSTASH_REDIS_REST_URL && !v.UPSTASH_REDIS_REST_TOKEN) {
    throw new ConfigError(`Invalid configuration (${appEnv}): UPSTASH_REDIS_REST_TOKEN is required when UPSTASH_REDIS_REST_URL is set`);
  }
  if (appEnv === 'production' && v.PASSWORD_HASHER !== 'bcrypt') {
    throw new ConfigError(`Invalid configuration (${appEnv}): PASSWORD_HASHER=insecure-fast is for benchmarks only and refused in production`);
  }
  if (!v.UPSTASH_REDIS_REST_URL && !v.REDIS_URL) {
    throw new ConfigError(`Invalid configuration (${appEnv}): REDIS_URL or UPSTASH_REDIS_REST_URL is required`);
  }

  return Object.freeze({
    appEnv,
    isDevelopment: appEnv !== 'production',
    version: packageJson.version,
    debug: v.DEBUG,
    logLevel: v.LOG_LEVEL,
    secretKey: v.SECRET_KEY,
    allowedHosts: Object.freeze(v.ALLOWED_HOSTS),
    jwt: Object.freeze({
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      accessTtlS: v.ACCESS_TOKEN_LIFETIME_MIN * 60,
      refreshTtlS: v.REFRESH_TOKEN_LIFETIME_DAYS * 86400,
      refreshReuseGraceS: v.REFRESH_REUSE_GRACE_S,
    }),
    bcryptRounds: v.BCRYPT_ROUNDS,
    /** `insecure-fast` swaps bcrypt for one SHA-256, so `npm run bench` can measure what our own code costs. */
    passwordHasher: v.PASSWORD_HASHER,
    database: Object.freeze({
      url: v.DATABASE_URL,
      poolMax: v.DB_POOL_MAX,
      connectTimeoutS: v.DB_CONNECT_TIMEOUT_S,
      /** Named prepared statements; `false` behind a transaction-mode pooler (PgBouncer, RDS Proxy…). */
      prepare: v.DB_PREPARE,
    }),
    redis: Object.freeze({
      rest: v.UPSTASH_REDIS_REST_URL ? { url: v.UPSTASH_REDIS_REST_URL, token: v.UPSTASH_REDIS_REST_TOKEN! } : undefined,
      url: v.REDIS_URL,
      keyPrefix: v.REDIS_KEY_PREFIX,
      timeoutMs: v.REDIS_TIMEOUT_MS,
    }),
    email: Object.freeze({ from: v.DEFAULT_FROM_EMAIL, sesRegion: v.SES_REGION, sesEndpoint: v.SES_ENDPOINT, timeoutMs: v.SES_TIMEOUT_MS }),
    frontendUrl: v.FRONTEND_URL.replace(/\/+$/, ''),
    passwordResetTtlS: v.PASSWORD_RESET_TOKEN_TTL_MIN * 60,
    /** forgot-password answers no sooner than this, so timing does not tell whether an email was sent. */
    forgotPasswordMinResponseMs: v.FORGOT_PASSWORD_MIN_RESPONSE_MS,
    rateLimits: Object.freeze({
      timeoutMs: v.RATE_LIMIT_TIMEOUT_MS,
      login: v.RATE_LIMIT_LOGIN,
      loginIp: v.RATE_LIMIT_LOGIN_IP,
      register: v.RATE_LIMIT_REGISTER,
      forgotPassword: v.RATE_LIMIT_FORGOT_PASSWORD,
      resetPassword: v.RATE_LIMIT_RESET_PASSWORD,
      refresh: v.RATE_LIMIT_REFRESH,
    }),
  });
}

export type Config = ReturnType<typeof loadConfig>;

/** The configuration of this process, parsed once at cold start. */
export const config: Config = loadConfig();
