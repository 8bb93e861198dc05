/**
 * Configuration: every environment variable is read and validated once, at cold start, into one
 * frozen, typed object. A missing or invalid value throws a {@link ConfigError} naming the
 * variable, which stops the Lambda before it serves a request.
 *
 * Names are kept from the Django service where they exist (SECRET_KEY, DB_*, REDIS_URL, ...).
 */
import * as z from 'zod/mini';
import packageJson from '../package.json' with { type: 'json' };
import { developmentKey } from './auth/keys/development.js';
import { parsePrivateJwks, type PrivateSigningKey, type SigningAlgorithm, type SigningKeys } from './auth/keys/jwk.js';

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
    z.pipe(
      z.transform(Number),
      z.number().check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
    ),
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
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: 'must be <count>/<window> (window in s, m, h or d, e.g. 5/15m) or off',
      });
      return z.NEVER;
    }
    return rule;
  }),
);

const csv = z.pipe(
  z.string(),
  z.transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
);

/** A 32-byte key as base64 or base64url (`openssl rand -base64 32`). */
const MFA_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** `MFA_ENCRYPTION_KEY`: one key, or a comma-separated list whose first key encrypts (rotation). */
const mfaKeys = z.pipe(
  csv,
  z.transform((keys, ctx) => {
    const decoded = keys.map((key) =>
      MFA_KEY.test(key) ? Buffer.from(key.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : undefined,
    );
    if (keys.length === 0 || decoded.some((key) => key?.length !== 32)) {
      ctx.issues.push({
        code: 'custom',
        input: keys.join(','),
        message: 'must be base64 keys of 32 bytes, comma-separated (generate one with `openssl rand -base64 32`)',
      });
      return z.NEVER;
    }
    return decoded as Buffer[];
  }),
);

const schema = z.object({
  SECRET_KEY: z
    .string()
    .check(z.minLength(32, 'must be at least 32 characters (generate one with `openssl rand -base64 48`)')),
  DEBUG: bool,
  ALLOWED_HOSTS: csv,
  ACCESS_TOKEN_LIFETIME_MIN: int(1, 24 * 60),
  REFRESH_TOKEN_LIFETIME_DAYS: int(1, 365),
  REFRESH_REUSE_GRACE_S: int(0, 300),
  JWT_ISSUER: z.string().check(z.minLength(1)),
  JWT_AUDIENCE: z.string().check(z.minLength(1)),
  BCRYPT_ROUNDS: int(4, 15),
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
  OIDC_PROVIDERS: csv,
  OIDC_REDIRECT_URIS: csv,
  OIDC_CALLBACK_BASE_URL: z.optional(url),
  RATE_LIMIT_OIDC: rateLimit,
  // Email verification
  EMAIL_VERIFICATION_TOKEN_TTL_H: int(1, 30 * 24),
  REQUIRE_EMAIL_VERIFICATION: bool,
  VERIFY_EMAIL_RESEND_MIN_RESPONSE_MS: int(0, 10_000),
  RATE_LIMIT_VERIFY_EMAIL: rateLimit,
  // Signing keys and sessions
  JWT_ALGORITHM: z.enum(['EdDSA', 'ES256', 'HS256'], 'must be EdDSA, ES256 or HS256'),
  JWT_PRIVATE_KEYS: z.optional(z.string()),
  JWT_ACTIVE_KID: z.optional(z.string().check(z.minLength(1))),
  JWT_ACCEPT_HS256: bool,
  RATE_LIMIT_SESSIONS: rateLimit,
  AUDIT_RETENTION_DAYS: int(1, 3650),
  REQUEST_DEADLINE_MS: int(500, 60_000),
  DB_STATEMENT_TIMEOUT_MS: int(100, 60_000),
  DB_IDLE_TIMEOUT_S: int(1, 3600),
  MFA_ISSUER: z.string().check(z.trim(), z.minLength(1), z.maxLength(100, 'must be at most 100 characters')),
  MFA_ENCRYPTION_KEY: z.optional(mfaKeys),
  RATE_LIMIT_MFA: rateLimit,
  // Per function (lib/http/routes.json, lib/jit.ts), not an operator setting.
  V8_TURBOFAN: bool,
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
  DB_POOL_MAX: '1',
  DB_CONNECT_TIMEOUT_S: '2',
  DB_PREPARE: 'true',
  V8_TURBOFAN: 'true',
  REDIS_KEY_PREFIX: 'auth:',
  REDIS_TIMEOUT_MS: '1000',
  RATE_LIMIT_TIMEOUT_MS: '200',
  SES_REGION: 'us-east-1',
  PASSWORD_RESET_TOKEN_TTL_MIN: '60',
  FORGOT_PASSWORD_MIN_RESPONSE_MS: '1000',
  SES_TIMEOUT_MS: '2000',
  RATE_LIMIT_LOGIN: '5/15m',
  RATE_LIMIT_LOGIN_IP: '100/1m',
  RATE_LIMIT_REGISTER: '10/1h',
  RATE_LIMIT_FORGOT_PASSWORD: '3/1h',
  RATE_LIMIT_RESET_PASSWORD: '10/1h',
  RATE_LIMIT_REFRESH: '60/1m',
  LOG_LEVEL: 'info',
  OIDC_PROVIDERS: '',
  OIDC_REDIRECT_URIS: '',
  RATE_LIMIT_OIDC: '60/1m',
  EMAIL_VERIFICATION_TOKEN_TTL_H: '48',
  REQUIRE_EMAIL_VERIFICATION: 'false',
  VERIFY_EMAIL_RESEND_MIN_RESPONSE_MS: '1000',
  RATE_LIMIT_VERIFY_EMAIL: '3/1h',
  JWT_ALGORITHM: 'EdDSA',
  JWT_ACCEPT_HS256: 'true',
  RATE_LIMIT_SESSIONS: '30/1m',
  AUDIT_RETENTION_DAYS: '365',
  REQUEST_DEADLINE_MS: '2000',
  DB_STATEMENT_TIMEOUT_MS: '1500',
  DB_IDLE_TIMEOUT_S: '60',
  MFA_ISSUER: 'auth-service',
  RATE_LIMIT_MFA: '20/15m',
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
  OIDC_CALLBACK_BASE_URL: 'http://localhost:3000',
  // serverless-offline keeps up to OFFLINE_MAX_INSTANCES workers (10) alive, each with its own pool:
  // a worker idle between requests should not hold a connection for a minute.
  DB_IDLE_TIMEOUT_S: '2',
};

/**
 * Which environment this is: `APP_ENV` when set; otherwise production inside a deployed Lambda
 * (serverless-offline sets IS_OFFLINE), development everywhere else.
 */
function detectAppEnv(env: NodeJS.ProcessEnv): AppEnv {
  const explicit = env.APP_ENV?.trim();
  if (explicit === 'development' || explicit === 'test' || explicit === 'production') return explicit;
  if (explicit)
    throw new ConfigError(`Invalid configuration: APP_ENV must be development, test or production (got "${explicit}")`);
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
    throw new ConfigError(
      `Invalid configuration (${appEnv}): UPSTASH_REDIS_REST_TOKEN is required when UPSTASH_REDIS_REST_URL is set`,
    );
  }
  const signingKeys = parseSigningKeys(v, appEnv);
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
      /** The signing algorithm, the asymmetric key set and whether kid-less HS256 tokens still verify. */
      keys: signingKeys,
    }),
    bcryptRounds: v.BCRYPT_ROUNDS,
    /** V8's optimizing compiler in a Lambda runtime; off only for functions that hash nothing (lib/jit.ts). */
    v8Turbofan: v.V8_TURBOFAN,
    database: Object.freeze({
      url: v.DATABASE_URL,
      poolMax: v.DB_POOL_MAX,
      connectTimeoutS: v.DB_CONNECT_TIMEOUT_S,
      statementTimeoutMs: v.DB_STATEMENT_TIMEOUT_MS,
      idleTimeoutS: v.DB_IDLE_TIMEOUT_S,
      /** Named prepared statements; `false` behind a transaction-mode pooler (PgBouncer, RDS Proxy…). */
      prepare: v.DB_PREPARE,
    }),
    /** A request still waiting on a dependency after this answers 503 (lib/deadline.ts). */
    requestDeadlineMs: v.REQUEST_DEADLINE_MS,
    redis: Object.freeze({
      rest: v.UPSTASH_REDIS_REST_URL
        ? { url: v.UPSTASH_REDIS_REST_URL, token: v.UPSTASH_REDIS_REST_TOKEN! }
        : undefined,
      url: v.REDIS_URL,
      keyPrefix: v.REDIS_KEY_PREFIX,
      timeoutMs: v.REDIS_TIMEOUT_MS,
    }),
    email: Object.freeze({
      from: v.DEFAULT_FROM_EMAIL,
      sesRegion: v.SES_REGION,
      sesEndpoint: v.SES_ENDPOINT,
      timeoutMs: v.SES_TIMEOUT_MS,
    }),
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
      oidc: v.RATE_LIMIT_OIDC,
      verifyEmail: v.RATE_LIMIT_VERIFY_EMAIL,
      sessions: v.RATE_LIMIT_SESSIONS,
      mfa: v.RATE_LIMIT_MFA,
    }),
    mfa: Object.freeze({
      /** The `issuer` of the `otpauth://` URL: the name authenticator apps show. */
      issuer: v.MFA_ISSUER,
      /** AES-256-GCM keys for TOTP secrets, the first encrypts; unset: derived from SECRET_KEY (HKDF). */
      encryptionKeys: v.MFA_ENCRYPTION_KEY ? Object.freeze(v.MFA_ENCRYPTION_KEY) : undefined,
    }),
    emailVerification: Object.freeze({
      tokenTtlS: v.EMAIL_VERIFICATION_TOKEN_TTL_H * 3600,
      /** When true, the right password of an unverified account answers 403 `email_not_verified`. */
      required: v.REQUIRE_EMAIL_VERIFICATION,
      /** The verification resend answers no sooner than this, so timing does not tell whether an email was sent. */
      resendMinResponseMs: v.VERIFY_EMAIL_RESEND_MIN_RESPONSE_MS,
    }),
    /** Security events older than this are deleted by the retention job (lib/retention/). */
    auditRetentionS: v.AUDIT_RETENTION_DAYS * 86400,
    oidc: loadOidcConfig(v, set, appEnv),
  });
}

// ---------------------------------------------------------------------------------------------
// Social sign-in (OpenID Connect): per-provider variables whose names depend on OIDC_PROVIDERS,
// so they are read here rather than declared in the schema above.

/** One configured OpenID provider (`OIDC_<NAME>_*`). */
export interface OidcProviderConfig {
  /** The name in the routes (`/api/auth/oidc/{name}/...`), lower-case. */
  name: string;
  /** The issuer: discovery is `${issuer}/.well-known/openid-configuration`; ID tokens' `iss` must equal it. */
  issuer: string;
  /** Accepted `aud` values; the first is the web client, which the web flow signs in with. */
  clientIds: readonly string[];
  /** The web client's secret (`client_secret_post`/`_basic`); absent for a public client. */
  clientSecret?: string;
  /** Apple-style: `client_secret` is a short ES256 JWT signed with this key, made per request. */
  clientSecretJwt?: { teamId: string; keyId: string; privateKeyPem: string };
  /** Scopes the web flow asks for. */
  scopes: string;
  /** `form_post` (Apple, when it asks for the name or email) or `query`. */
  responseMode: 'query' | 'form_post';
}

/** What `google` and `apple` need by default; any other provider names its issuer. */
const OIDC_PROVIDER_DEFAULTS: Record<string, { issuer: string; scopes: string; responseMode: 'query' | 'form_post' }> =
  {
    google: { issuer: 'https://accounts.google.com', scopes: 'openid email profile', responseMode: 'query' },
    // Apple sends the name only with response_mode=form_post, and only on the first authorization.
    apple: { issuer: 'https://appleid.apple.com', scopes: 'openid email name', responseMode: 'form_post' },
  };

const OIDC_NAME = /^[a-z][a-z0-9]{0,31}$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a provider URL may be used: https always; http only on the loopback interface and only
 * outside production (the tests' local provider), so no deployed function trusts keys or tokens
 * fetched in clear.
 */
export function isAcceptableProviderUrl(value: string, appEnv: AppEnv): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && appEnv !== 'production' && LOOPBACK_HOSTS.has(url.hostname);
}

function loadOidcConfig(
  v: { OIDC_PROVIDERS: string[]; OIDC_REDIRECT_URIS: string[]; OIDC_CALLBACK_BASE_URL?: string },
  set: Record<string, string>,
  appEnv: AppEnv,
) {
  const fail = (message: string): never => {
    throw new ConfigError(`Invalid configuration (${appEnv}): ${message}`);
  };
  const providers = new Map<string, OidcProviderConfig>();
  for (const listed of v.OIDC_PROVIDERS) {
    const name = listed.toLowerCase();
    if (!OIDC_NAME.test(name)) fail(`OIDC_PROVIDERS: "${listed}" must be letters and digits, starting with a letter`);
    if (providers.has(name)) fail(`OIDC_PROVIDERS lists "${name}" twice`);
    const prefix = `OIDC_${name.toUpperCase()}_`;
    const defaults = OIDC_PROVIDER_DEFAULTS[name];
    // Kept exactly as given: ID tokens' `iss` must equal it character for character.
    const issuer = set[`${prefix}ISSUER`] ?? defaults?.issuer ?? fail(`${prefix}ISSUER is required`);
    if (!isAcceptableProviderUrl(issuer, appEnv)) {
      fail(`${prefix}ISSUER must be an https:// URL (http:// only on localhost outside production)`);
    }
    const clientIds = (set[`${prefix}CLIENT_IDS`] ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    if (clientIds.length === 0) fail(`${prefix}CLIENT_IDS is required (the accepted audiences, comma-separated)`);
    const jwtParts = [set[`${prefix}TEAM_ID`], set[`${prefix}KEY_ID`], set[`${prefix}PRIVATE_KEY`]];
    if (jwtParts.some(Boolean) && !jwtParts.every(Boolean)) {
      fail(
        `${prefix}TEAM_ID, ${prefix}KEY_ID and ${prefix}PRIVATE_KEY go together (the client secret is a JWT signed with that key)`,
      );
    }
    const [teamId, keyId, privateKey] = jwtParts;
    const responseMode = set[`${prefix}RESPONSE_MODE`] ?? defaults?.responseMode ?? 'query';
    if (responseMode !== 'query' && responseMode !== 'form_post')
      fail(`${prefix}RESPONSE_MODE must be query or form_post`);
    providers.set(
      name,
      Object.freeze({
        name,
        issuer,
        clientIds: Object.freeze(clientIds),
        clientSecret: set[`${prefix}CLIENT_SECRET`],
        // A PEM pasted into one environment variable usually has its newlines escaped.
        clientSecretJwt:
          teamId && keyId && privateKey
            ? { teamId, keyId, privateKeyPem: privateKey.replace(/\\n/g, '\n') }
            : undefined,
        scopes: set[`${prefix}SCOPES`] ?? defaults?.scopes ?? 'openid email profile',
        responseMode: responseMode as 'query' | 'form_post',
      }),
    );
  }
  for (const uri of v.OIDC_REDIRECT_URIS) {
    if (!URL.canParse(uri) || new URL(uri).hash)
      fail(`OIDC_REDIRECT_URIS: "${uri}" must be an absolute URL without a fragment`);
  }
  if (v.OIDC_REDIRECT_URIS.length > 0 && providers.size > 0 && !v.OIDC_CALLBACK_BASE_URL) {
    fail('OIDC_CALLBACK_BASE_URL is required for the web flow (the public base URL of this API)');
  }
  return Object.freeze({
    providers: providers as ReadonlyMap<string, OidcProviderConfig>,
    /** Where the web flow may send the browser back to (exact matches). */
    redirectUris: Object.freeze(v.OIDC_REDIRECT_URIS),
    /** The provider redirects to `${callbackBaseUrl}/api/auth/oidc/{name}/callback`. */
    callbackBaseUrl: (v.OIDC_CALLBACK_BASE_URL ?? '').replace(/\/+$/, ''),
  });
}

/**
 * The signing keys: `JWT_PRIVATE_KEYS` (a JSON array of private JWKs, each with a `kid`) and
 * `JWT_ACTIVE_KID`, checked here so that a malformed key stops cold start naming the variable.
 * In development and tests, with no keys configured, a key pair derived from SECRET_KEY stands in
 * (see lib/auth/keys/development.ts): every process of the local stack derives the same one.
 */
function parseSigningKeys(
  v: {
    JWT_ALGORITHM: SigningAlgorithm;
    JWT_PRIVATE_KEYS?: string;
    JWT_ACTIVE_KID?: string;
    JWT_ACCEPT_HS256: boolean;
    SECRET_KEY: string;
  },
  appEnv: AppEnv,
): SigningKeys {
  const fail = (message: string) => new ConfigError(`Invalid configuration (${appEnv}): ${message}`);
  if (v.JWT_ALGORITHM === 'HS256' && !v.JWT_ACCEPT_HS256)
    throw fail('JWT_ACCEPT_HS256 cannot be false while JWT_ALGORITHM is HS256');
  let keys: PrivateSigningKey[] = [];
  if (v.JWT_PRIVATE_KEYS) {
    try {
      keys = parsePrivateJwks(v.JWT_PRIVATE_KEYS);
    } catch (error) {
      throw fail(`JWT_PRIVATE_KEYS ${(error as Error).message}`);
    }
  } else if (v.JWT_ALGORITHM !== 'HS256') {
    if (appEnv === 'production')
      throw fail(
        `JWT_PRIVATE_KEYS is required when JWT_ALGORITHM is ${v.JWT_ALGORITHM} (make one with \`npm run keys:generate\`)`,
      );
    keys = [developmentKey(v.JWT_ALGORITHM, v.SECRET_KEY)];
  }
  let activeKid: string | undefined;
  if (v.JWT_ALGORITHM !== 'HS256') {
    activeKid = v.JWT_ACTIVE_KID ?? (keys.length === 1 ? keys[0]!.kid : undefined);
    if (!activeKid) throw fail('JWT_ACTIVE_KID is required when JWT_PRIVATE_KEYS holds more than one key');
    const active = keys.find((k) => k.kid === activeKid);
    if (!active) throw fail(`JWT_ACTIVE_KID names no key of JWT_PRIVATE_KEYS (got "${activeKid}")`);
    if (active.alg !== v.JWT_ALGORITHM)
      throw fail(`JWT_ACTIVE_KID names a ${active.alg} key but JWT_ALGORITHM is ${v.JWT_ALGORITHM}`);
  }
  return Object.freeze({
    algorithm: v.JWT_ALGORITHM,
    keys: Object.freeze(keys),
    activeKid,
    acceptHs256: v.JWT_ACCEPT_HS256,
  });
}

export type Config = ReturnType<typeof loadConfig>;

/** The configuration of this process, parsed once at cold start. */
export const config: Config = loadConfig();
