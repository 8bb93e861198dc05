/**
 * The OpenAPI 3.1 document of the whole HTTP contract, generated from the zod schemas the routes
 * validate with, so the docs cannot drift from validation.
 * `npm run openapi` writes it to `openapi.yaml` (committed); the service serves that file
 * (`functions/docs-spec.ts`), never this module: zod-openapi stays out of every Lambda bundle.
 *
 * Documentation-only metadata (component ids, descriptions, examples) is attached here through
 * `z.globalRegistry`, never in the runtime schemas, which stay as small as validation needs.
 */
import * as z from 'zod/mini';
import {
  createDocument,
  createSchema,
  type ZodOpenApiOperationObject,
  type ZodOpenApiOverride,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { stringify } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };
import {
  ADMIN_USER_ORDERINGS,
  AdminUserListQuery,
  AdminUserPatchBody,
  MAX_PAGE_SIZE,
} from '../../lib/admin/schemas.js';
import {
  ChangePasswordBody,
  Email,
  ForgotPasswordBody,
  FullName,
  LoginBody,
  LoginEmail,
  LogoutBody,
  Password,
  RefreshBody,
  RegisterBody,
  ResendVerificationBody,
  ResetPasswordBody,
  UpdateMeBody,
  VerifyEmailBody,
} from '../../lib/auth/schemas.js';
import {
  EMAIL_VERIFIED_DETAIL,
  FORGOT_PASSWORD_DETAIL,
  RESET_PASSWORD_DETAIL,
  VERIFICATION_RESENT_DETAIL,
  VERIFICATION_SENT_DETAIL,
} from '../../lib/auth/messages.js';
import { AdminEventsQuery, SecurityEventsQuery } from '../../lib/auth/events/schemas.js';
import { LoginMfaBody, MfaCode, MfaReauthBody, TotpConfirmBody, TotpSetupBody } from '../../lib/auth/mfa/schemas.js';
import { AuthorizeQuery, ExchangeBody, IdTokenBody } from '../../lib/auth/oidc/schemas.js';
import {
  type FieldError,
  Problem as ProblemError,
  PROBLEM_STATUS,
  type ProblemCode,
  problems,
} from '../../lib/http/problem.js';
import { UserList, VerificationSentResponse } from '../../lib/admin/responses.js';
import {
  AuthResponse,
  ForgotPasswordResponse,
  Identity,
  IdentityList,
  Jwks,
  MfaChallenge,
  RecoveryCodesResponse,
  ResendVerificationResponse,
  ResetPasswordResponse,
  SecurityEvent,
  SecurityEventList,
  Session,
  SessionList,
  SessionsRevoked,
  TokenPair,
  TotpSetupResponse,
  User,
  VerifyEmailResponse,
} from '../../lib/auth/responses.js';
import {
  FieldError as FieldErrorSchema,
  HealthCheck,
  HealthReport,
  HealthUnavailable,
  Liveness,
  Problem,
} from '../../lib/http/responses.js';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Responses = ZodOpenApiOperationObject['responses'];
type Ref = { $ref: string };

// ---------------------------------------------------------------------------------------------
// Examples (the values a reader sees; the problem examples use the service's own wording)

const EXAMPLE_USER = {
  id: '7c0e4f0a-3b1d-4c52-9a57-2f6f1c9d8e21',
  email: 'ann@example.com',
  full_name: 'Ann Lee',
  is_active: true,
  is_staff: false,
  is_superuser: false,
  date_joined: '2026-11-24T10:00:00.000Z',
  last_login: '2026-11-24T10:05:00.000Z',
  email_verified: true,
  mfa_enabled: false,
};
const EXAMPLE_PAIR = {
  access: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3YzBlNGYwYSIsInR5cGUiOiJhY2Nlc3MifQ.c2lnbmF0dXJl',
  refresh: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3YzBlNGYwYSIsInR5cGUiOiJyZWZyZXNoIn0.c2lnbmF0dXJl',
  token_type: 'Bearer' as const,
  expires_in: 1800,
};
const EXAMPLE_REQUEST_ID = '5f1b9c2e-8a43-4d7e-b0c1-3e2d9f6a7b80';
const EXAMPLE_PASSWORD = 'correct-Horse-battery-42';

// ---------------------------------------------------------------------------------------------
// Metadata of the schemas (ids make them components; descriptions and examples are for readers)

const describe = (schema: z.ZodMiniType, meta: { id?: string; description?: string; examples?: unknown[] }) => {
  z.globalRegistry.add(schema, meta);
};

function describeSchemas() {
  describe(Email, {
    description:
      'An email address. Surrounding spaces are trimmed and it is lower-cased before use: `Ann@Example.COM ` and `ann@example.com` are one account.',
  });
  describe(LoginEmail, {
    description:
      "The account's email, trimmed and lower-cased. Its format is not checked: a malformed email fails like any wrong credential (401).",
  });
  // One schema for every password field: where a new password is set, the operation states the policy.
  describe(Password, { description: 'A password as typed (never trimmed).' });
  describe(FullName, { description: "The person's name, 1–150 characters after trimming." });

  describe(RegisterBody, {
    id: 'RegisterRequest',
    examples: [{ email: 'ann@example.com', password: EXAMPLE_PASSWORD, full_name: 'Ann Lee' }],
  });
  describe(LoginBody, { id: 'LoginRequest', examples: [{ email: 'ann@example.com', password: EXAMPLE_PASSWORD }] });
  describe(RefreshBody.shape.refresh, { description: 'A refresh token from a token pair.' });
  // Logout takes the same body as refresh (one schema): one component.
  describe(LogoutBody, { id: 'RefreshTokenRequest', examples: [{ refresh: EXAMPLE_PAIR.refresh }] });
  describe(UpdateMeBody, { id: 'UpdateMeRequest', examples: [{ full_name: 'Ann Lee-Smith' }] });
  describe(ChangePasswordBody, {
    id: 'ChangePasswordRequest',
    examples: [{ current_password: EXAMPLE_PASSWORD, new_password: 'another-Stable-horse-77' }],
  });
  describe(ForgotPasswordBody, { id: 'ForgotPasswordRequest', examples: [{ email: 'ann@example.com' }] });
  describe(ResetPasswordBody.shape.token, {
    description:
      'The token from the reset link (`?token=`). A blank or malformed token is `invalid_token`, like an unknown one.',
  });
  describe(ResetPasswordBody, {
    id: 'ResetPasswordRequest',
    examples: [{ token: 'q3Jd0bM1r6X5c2dV8nLkP0sT9wYz4aHf7eUiGj1oKxE', new_password: 'another-Stable-horse-77' }],
  });
  describe(AdminUserPatchBody, {
    id: 'AdminUserUpdateRequest',
    description:
      'At least one of the fields: a body with none of them (`{}`, or only misspelt fields) is a `validation_error` rather than a change that silently did nothing.',
    examples: [{ is_active: false }],
  });
  describe(AdminUserListQuery.shape.search, {
    description: 'A case-insensitive part of the email or full name; empty lists everyone.',
  });
  describe(AdminUserListQuery.shape.page, { description: 'The page to return, from 1.' });
  describe(AdminUserListQuery.shape.page_size, { description: `Users per page, at most ${MAX_PAGE_SIZE}.` });
  describe(AdminUserListQuery.shape.ordering, {
    description: 'Sort field; a leading `-` sorts descending.',
  });

  describe(User.shape.id, { description: "The user's id (UUID)." });
  describe(User.shape.email, { description: 'Trimmed and lower-cased.' });
  describe(User.shape.is_active, { description: 'An inactive user cannot sign in; their tokens stop working.' });
  describe(User.shape.is_staff, { description: 'May use the admin routes and page.' });
  describe(User.shape.is_superuser, { description: 'May also grant staff and manage other superusers.' });
  describe(User.shape.date_joined, { description: 'ISO 8601, UTC.' });
  describe(User.shape.last_login, { description: 'ISO 8601, UTC; `null` until the first login.' });
  describe(User.shape.email_verified, {
    description:
      'Whether the user proved they own `email` (the verification link, a password reset link, or staff marking it). `false` at registration and for imported users.',
  });
  describe(User, {
    id: 'User',
    description: 'A user account. A password hash never appears in any response.',
    examples: [EXAMPLE_USER],
  });

  describe(TokenPair.shape.access, { description: 'Access token (JWT): send it as `Authorization: Bearer <access>`.' });
  describe(TokenPair.shape.refresh, { description: 'Refresh token (JWT): works once, at `POST /api/auth/refresh`.' });
  describe(TokenPair.shape.expires_in, { description: "The access token's lifetime in seconds." });
  describe(TokenPair, { id: 'TokenPair', examples: [EXAMPLE_PAIR] });
  describe(AuthResponse, {
    id: 'AuthResponse',
    description: 'The signed-in user and a new token pair.',
    examples: [{ user: EXAMPLE_USER, ...EXAMPLE_PAIR }],
  });

  describe(FieldErrorSchema, {
    id: 'FieldError',
    description: 'One failed rule; `field` is the dotted path of the input field.',
  });
  describe(Problem.shape.type, { description: 'Always `about:blank`: `code` tells problems apart.' });
  describe(Problem.shape.status, { description: 'The HTTP status of the response.' });
  describe(Problem.shape.code, { description: 'A stable, machine-readable error code.' });
  describe(Problem.shape.detail, { description: 'A sentence for people; do not parse it.' });
  describe(Problem.shape.errors, {
    description: 'On `validation_error`: one entry per failed rule (a field breaking two rules has two entries).',
  });
  describe(Problem.shape.request_id, { description: 'On 5xx: the request id to quote when reporting the problem.' });
  describe(Problem, {
    id: 'Problem',
    description: 'RFC 9457 problem details, sent as `application/problem+json` for every 4xx and 5xx.',
  });

  describe(HealthCheck.shape.latency_ms, { description: 'How long the check took, in milliseconds.' });
  describe(HealthCheck, { id: 'HealthCheck' });
  describe(HealthReport, {
    id: 'HealthReport',
    examples: [
      {
        status: 'ok',
        checks: { database: { status: 'ok', latency_ms: 1.2 }, redis: { status: 'ok', latency_ms: 0.8 } },
        version: packageJson.version,
      },
    ],
  });
  const down = {
    status: 'error',
    checks: { database: { status: 'error', latency_ms: 1000.4 }, redis: { status: 'ok', latency_ms: 0.8 } },
    version: packageJson.version,
  } as const;
  const { type, title, code, detail } = problems.dependencyUnavailable(down).toJSON();
  describe(HealthUnavailable, {
    id: 'HealthUnavailable',
    description:
      "The health report when a dependency is down, with the problem fields `type`, `title`, `code` and `detail` (its `status` is the report's string, not a number).",
    examples: [{ type, title, code, detail, ...down }],
  });
  describe(Liveness, { id: 'Liveness', examples: [{ status: 'ok' }] });
  describe(ForgotPasswordResponse, { id: 'ForgotPasswordResponse', examples: [{ detail: FORGOT_PASSWORD_DETAIL }] });
  describe(ResetPasswordResponse, { id: 'ResetPasswordResponse', examples: [{ detail: RESET_PASSWORD_DETAIL }] });
  describe(UserList.shape.count, { description: 'Users matching `search`, over all pages.' });
  describe(AdminUserId.shape.id, { description: "The user's id (UUID). Anything that names no user answers 404." });
  describe(UserList, { id: 'UserList', examples: [{ count: 1, page: 1, page_size: 20, results: [EXAMPLE_USER] }] });
  describeEmailVerificationSchemas();
  describeMfaSchemas();
}

/**
 * Tidies what zod emits into what a reader and a code generator expect: no ±2^53 bounds on every
 * integer, no zod regex next to a `format` (zod's email regex would reject ` Ann@Example.COM `,
 * which the API accepts and normalises), and `type: [x, "null"]` instead of a nullable `anyOf`.
 */
const override: ZodOpenApiOverride = ({ jsonSchema, zodSchema }) => {
  const schema = jsonSchema as Record<string, unknown>;
  const wholeNumber = queryInteger(zodSchema);
  if (wholeNumber) {
    // A query-string integer is an integer to the client: the regex and string type are how it is parsed.
    delete schema.pattern;
    Object.assign(schema, { type: 'integer', ...wholeNumber });
  }
  if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
  if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
  if (schema.format && schema.pattern) delete schema.pattern;
  const anyOf = schema.anyOf as Record<string, unknown>[] | undefined;
  if (anyOf?.length === 2) {
    const nullIndex = anyOf.findIndex((s) => s.type === 'null' && Object.keys(s).length === 1);
    const other = anyOf[1 - nullIndex];
    if (nullIndex >= 0 && other && typeof other.type === 'string' && !('$ref' in other)) {
      delete schema.anyOf;
      const { pattern: _pattern, ...rest } = other;
      Object.assign(schema, rest.format ? rest : other, { type: [other.type, 'null'] });
    }
  }
};

type AnyZod = { _zod: { def: Record<string, unknown> & { type: string }; bag: Record<string, unknown> } };

/**
 * The bounds (and default) of a query-string integer, `z.pipe(z.string() /^\d+$/, … z.number())`
 * optionally under `z._default()`; `undefined` for any other schema.
 */
function queryInteger(zodSchema: unknown): Record<string, unknown> | undefined {
  let node = zodSchema as AnyZod;
  const defaultValue = node._zod.def.type === 'default' ? node._zod.def.defaultValue : undefined;
  if (node._zod.def.type === 'default') node = node._zod.def.innerType as AnyZod;
  if (node._zod.def.type !== 'pipe' || (node._zod.def.in as AnyZod)._zod.def.type !== 'string') return undefined;
  while (node._zod.def.type === 'pipe') node = node._zod.def.out as AnyZod;
  if (node._zod.def.type !== 'number') return undefined;
  const bounds: Record<string, unknown> = {};
  for (const check of (node._zod.def.checks ?? []) as AnyZod[]) {
    const { check: kind, value, inclusive } = check._zod.def;
    if (kind === 'greater_than') bounds[inclusive ? 'minimum' : 'exclusiveMinimum'] = value;
    if (kind === 'less_than') bounds[inclusive ? 'maximum' : 'exclusiveMaximum'] = value;
  }
  return defaultValue === undefined ? bounds : { ...bounds, default: defaultValue };
}

// ---------------------------------------------------------------------------------------------
// Headers, parameters and shared responses

const header = (name: string): Ref => ({ $ref: `#/components/headers/${name}` });
const response = (name: string): Ref => ({ $ref: `#/components/responses/${name}` });

const HEADERS = {
  'X-Request-Id': {
    description: "The id of this request, also in the service's logs. Quote it when reporting a problem.",
    required: true,
    schema: { type: 'string' },
  },
  'RateLimit-Limit': {
    description:
      'Requests allowed in the window of the most restrictive rate limit of this route. Sent once the request has passed validation, unless the limit is `off` or Redis could not be asked (limits then fail open).',
    schema: { type: 'integer', minimum: 1 },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in that window.',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until that window frees a request.',
    schema: { type: 'integer', minimum: 1 },
  },
  'Retry-After': {
    description: 'Whole seconds to wait before retrying.',
    required: true,
    schema: { type: 'integer', minimum: 1 },
  },
  'WWW-Authenticate': {
    description: 'The authentication scheme to use: `Bearer`.',
    required: true,
    schema: { type: 'string', examples: ['Bearer'] },
  },
  Allow: {
    description: 'The methods the path answers to.',
    required: true,
    schema: { type: 'string', examples: ['GET, PATCH'] },
  },
  ETag: {
    description: "The representation's version: send it back in `If-None-Match` to get a 304.",
    required: true,
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: 'How long the response may be cached.',
    required: true,
    schema: { type: 'string' },
  },
} as const;

/** Rate-limit headers on a response to a rate-limited route (429 makes them required). */
const rateLimitHeaders = (required = false) =>
  Object.fromEntries(
    (['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] as const).map((name) => [
      name,
      required ? { ...HEADERS[name], required: true } : header(name),
    ]),
  );

/** When a route answers each code (the default description of a problem response). */
const CODE_MEANINGS: Record<ProblemCode, string> = {
  validation_error: 'a field is missing, of the wrong type or breaks a rule (`errors` lists each failed rule)',
  invalid_json: 'the body is not valid JSON',
  invalid_token: 'the token (of a reset or verification link) is unknown, expired, already used or malformed',
  not_authenticated:
    'the access token is missing, malformed, expired or tampered with, or its user is inactive or deleted',
  invalid_credentials: 'wrong email or password, or an inactive account (one answer for every case)',
  invalid_refresh_token:
    'the refresh token is unknown, expired, revoked, reused after the grace window, or not a refresh token',
  permission_denied: 'signed in, but not allowed',
  not_found: 'no such route or resource',
  method_not_allowed: 'the path exists, but not with this method',
  email_taken: 'an account with this email already exists',
  email_not_verified: 'the password is right, but the email is not verified yet (`REQUIRE_EMAIL_VERIFICATION=true`)',
  invalid_mfa_code: 'the authentication code is wrong, already used or expired',
  invalid_mfa_token: 'the `mfa_token` is unknown, expired, already used, or spent after 5 wrong codes',
  mfa_already_enabled: 'two-factor authentication is already on',
  mfa_not_enabled: 'two-factor authentication is off',
  account_exists: 'the email belongs to an account this sign-in may not be linked to',
  last_sign_in_method: 'removing it would leave the account with no way to sign in',
  payload_too_large: 'the body is over 16 KiB',
  unsupported_media_type: 'a body sent with a content type other than `application/json`',
  rate_limited: 'a rate limit was hit',
  internal_error: 'something unexpected (logged with `request_id`)',
  service_unavailable: 'a dependency is down or timed out',
};

const PROBLEM_EXAMPLES: Record<ProblemCode, () => Record<string, unknown>> = {
  validation_error: () => problems.validation([{ field: 'email', message: 'Enter a valid email address.' }]).toJSON(),
  invalid_json: () => problems.invalidJson().toJSON(),
  invalid_token: () => problems.invalidResetToken().toJSON(),
  not_authenticated: () => problems.notAuthenticated().toJSON(),
  invalid_credentials: () => problems.invalidCredentials().toJSON(),
  invalid_refresh_token: () => problems.invalidRefreshToken().toJSON(),
  permission_denied: () => problems.permissionDenied().toJSON(),
  not_found: () => problems.notFound().toJSON(),
  method_not_allowed: () => problems.methodNotAllowed(['GET']).toJSON(),
  email_taken: () => problems.emailTaken().toJSON(),
  email_not_verified: () => problems.emailNotVerified().toJSON(),
  invalid_mfa_code: () => problems.invalidMfaCode().toJSON(),
  invalid_mfa_token: () => problems.invalidMfaToken().toJSON(),
  mfa_already_enabled: () => problems.mfaAlreadyEnabled().toJSON(),
  mfa_not_enabled: () => problems.mfaNotEnabled().toJSON(),
  account_exists: () => problems.accountExists().toJSON(),
  last_sign_in_method: () => problems.lastSignInMethod().toJSON(),
  payload_too_large: () => problems.payloadTooLarge(16 * 1024).toJSON(),
  unsupported_media_type: () => problems.unsupportedMediaType().toJSON(),
  rate_limited: () => new ProblemError('rate_limited', 'Too many requests. Try again in 42 seconds.').toJSON(),
  internal_error: () => problems.internal().toJSON(EXAMPLE_REQUEST_ID),
  service_unavailable: () => problems.unavailable().toJSON(EXAMPLE_REQUEST_ID),
};

/**
 * A problem+json response of one status, narrowed to the codes this route can return there.
 * `examples` replaces the generic example of a code (e.g. the route's own field errors).
 */
function problemResponse(
  status: number,
  codes: ProblemCode[],
  options: {
    description?: string;
    headers?: Record<string, unknown>;
    examples?: Partial<Record<ProblemCode, Record<string, unknown>>>;
    requestId?: boolean;
  } = {},
): ZodOpenApiResponseObject {
  for (const code of codes) {
    if (PROBLEM_STATUS[code] !== status) throw new Error(`problem code ${code} is not a ${status}`);
  }
  const narrowed: Record<string, unknown> = {
    type: 'object',
    properties: {
      status: { const: status },
      code: codes.length === 1 ? { const: codes[0] } : { enum: codes },
    },
  };
  if (options.requestId) {
    (narrowed.properties as Record<string, unknown>).request_id = { type: 'string' };
    narrowed.required = ['request_id'];
  }
  return {
    description: options.description ?? codes.map((code) => `\`${code}\`: ${CODE_MEANINGS[code]}`).join('; '),
    headers: { 'X-Request-Id': header('X-Request-Id'), ...options.headers } as ZodOpenApiResponseObject['headers'],
    content: {
      'application/problem+json': {
        schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, narrowed] },
        examples: Object.fromEntries(
          codes.map((code) => [code, { value: options.examples?.[code] ?? PROBLEM_EXAMPLES[code]() }]),
        ),
      },
    },
  };
}

const SHARED_RESPONSES = {
  NotFound: problemResponse(404, ['not_found'], {
    description: '`not_found`: no route matches the path (answered for any method), or the resource does not exist.',
  }),
  MethodNotAllowed: problemResponse(405, ['method_not_allowed'], {
    description:
      '`method_not_allowed`: the path exists but not with this method. `Allow` lists its methods. Answered by every documented path for every method it does not document.',
    headers: { Allow: header('Allow') },
  }),
  NotAuthenticated: problemResponse(401, ['not_authenticated'], {
    description:
      '`not_authenticated`: the access token is missing, malformed, expired or tampered with, signed by a key no longer configured, its session has ended, or its user is inactive or deleted.',
    headers: { 'WWW-Authenticate': header('WWW-Authenticate') },
  }),
  PermissionDenied: problemResponse(403, ['permission_denied'], {
    description:
      '`permission_denied`: signed in, but not allowed (a non-staff user on an admin route; a staff user who is not a superuser changing `is_staff` or another superuser).',
  }),
  PayloadTooLarge: problemResponse(413, ['payload_too_large'], {
    description: '`payload_too_large`: the body is over 16 KiB.',
  }),
  UnsupportedMediaType: problemResponse(415, ['unsupported_media_type'], {
    description: '`unsupported_media_type`: a body sent with a content type other than `application/json`.',
  }),
  RateLimited: problemResponse(429, ['rate_limited'], {
    description: '`rate_limited`: a rate limit of this route was hit. Retry after `Retry-After` seconds.',
    headers: { 'Retry-After': header('Retry-After'), ...rateLimitHeaders(true) },
  }),
  InternalError: problemResponse(500, ['internal_error'], {
    description: '`internal_error`: something unexpected; it is logged with `request_id`.',
    requestId: true,
  }),
  ServiceUnavailable: problemResponse(503, ['service_unavailable'], {
    description: '`service_unavailable`: a dependency (Postgres, Redis, email) is down or timed out. Retry shortly.',
    requestId: true,
  }),
  NotModified: {
    description: 'Not Modified: the `If-None-Match` ETag is current.',
    headers: { 'X-Request-Id': header('X-Request-Id'), ETag: header('ETag') },
  },
} satisfies Record<string, ZodOpenApiResponseObject>;

const IF_NONE_MATCH = {
  name: 'If-None-Match',
  in: 'header' as const,
  required: false,
  description: 'An `ETag` from an earlier response: answered 304 when it is still current.',
  schema: { type: 'string' as const },
};

// ---------------------------------------------------------------------------------------------
// Operations

type Tag =
  | 'Auth'
  | 'Password reset'
  | 'Email verification'
  | 'Two-factor authentication'
  | 'Social sign-in'
  | 'Admin'
  | 'Health'
  | 'Documentation';

interface RateLimitDoc {
  variable: string;
  key: string;
  defaultValue: string;
}

const RATE_LIMITS = {
  login: { variable: 'RATE_LIMIT_LOGIN', key: 'client IP + email', defaultValue: '5/15m' },
  loginIp: { variable: 'RATE_LIMIT_LOGIN_IP', key: 'client IP', defaultValue: '100/1m' },
  register: { variable: 'RATE_LIMIT_REGISTER', key: 'client IP', defaultValue: '10/1h' },
  forgotPassword: { variable: 'RATE_LIMIT_FORGOT_PASSWORD', key: 'client IP + email', defaultValue: '3/1h' },
  resetPassword: { variable: 'RATE_LIMIT_RESET_PASSWORD', key: 'client IP', defaultValue: '10/1h' },
  refresh: { variable: 'RATE_LIMIT_REFRESH', key: 'client IP', defaultValue: '60/1m' },
  verifyEmail: { variable: 'RATE_LIMIT_VERIFY_EMAIL', key: 'client IP + email', defaultValue: '3/1h' },
  mfa: { variable: 'RATE_LIMIT_MFA', key: 'client IP (one window for every two-factor route)', defaultValue: '20/15m' },
} satisfies Record<string, RateLimitDoc>;

interface OperationDoc {
  operationId: string;
  summary: string;
  description: string;
  tag: Tag;
  /** `user`: a valid access token; `staff`: of a staff user. */
  auth?: 'user' | 'staff';
  /** The JSON body the route validates. */
  body?: z.ZodMiniType;
  query?: z.ZodMiniObject;
  path?: z.ZodMiniObject;
  /** Cacheable public resources answer `If-None-Match` with 304. */
  conditional?: boolean;
  rateLimits?: RateLimitDoc[];
  /** Whether the route needs Postgres or Redis (503 when they are down). */
  dependencies?: boolean;
  /** The success responses. */
  responses: Responses;
  /** Problems beyond the ones the chain adds (400 for a body, 401 for auth, 429, 5xx). */
  problems?: Partial<Record<number, ProblemCode[]>>;
  /** The route's own example of `validation_error` field errors. */
  validationExample?: FieldError[];
  /** The route's own wording of other problems (replacing the code's generic example). */
  problemExamples?: Partial<Record<ProblemCode, Record<string, unknown>>>;
  /** Other responses (already complete). */
  extra?: Responses;
  /** A request body that is not JSON (the OIDC callback's form post). */
  requestBody?: ZodOpenApiOperationObject['requestBody'];
}

/** Documents one route: the problems its guards can raise are added here, once for all routes. */
function operation(path: string, doc: OperationDoc): ZodOpenApiOperationObject {
  const limited = (doc.rateLimits?.length ?? 0) > 0;
  const withRateLimitHeaders = (r: ZodOpenApiResponseObject | Ref): ZodOpenApiResponseObject | Ref =>
    limited && !('$ref' in r)
      ? { ...r, headers: { ...(r.headers as object), ...rateLimitHeaders() } as ZodOpenApiResponseObject['headers'] }
      : r;

  const responses: Record<string, ZodOpenApiResponseObject | Ref> = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    const res = r as ZodOpenApiResponseObject;
    responses[status] = withRateLimitHeaders({
      ...res,
      headers: {
        'X-Request-Id': header('X-Request-Id'),
        ...(res.headers as object),
      } as ZodOpenApiResponseObject['headers'],
    });
  }
  if (doc.conditional) responses['304'] = response('NotModified');

  const extraProblems = { ...doc.problems };
  const badRequest: ProblemCode[] = [];
  if (doc.body) badRequest.push('validation_error', 'invalid_json');
  else if (doc.query) badRequest.push('validation_error');
  for (const code of extraProblems[400] ?? []) if (!badRequest.includes(code)) badRequest.push(code);
  delete extraProblems[400];
  if (badRequest.length) {
    const validationExample =
      doc.validationExample &&
      problems.validation(doc.validationExample, doc.body ? undefined : 'Query string is invalid.').toJSON();
    const examples = { ...doc.problemExamples, ...(validationExample ? { validation_error: validationExample } : {}) };
    responses['400'] = withRateLimitHeaders(problemResponse(400, badRequest, { examples }));
  }
  if (doc.auth) responses['401'] = response('NotAuthenticated');
  if (doc.auth === 'staff') responses['403'] = response('PermissionDenied');
  for (const [status, codes] of Object.entries(extraProblems)) {
    if (codes)
      responses[status] = withRateLimitHeaders(
        problemResponse(Number(status), codes, { examples: doc.problemExamples }),
      );
  }
  Object.assign(responses, doc.extra);
  if (doc.body) {
    responses['413'] = response('PayloadTooLarge');
    responses['415'] = response('UnsupportedMediaType');
  }
  if (limited) responses['429'] = response('RateLimited');
  responses['500'] = response('InternalError');
  if (doc.dependencies) responses['503'] ??= response('ServiceUnavailable');

  const notes = [doc.description];
  if (limited) {
    notes.push(
      'Rate limited (sliding windows, checked after validation):\n' +
        doc.rateLimits!.map((l) => `- \`${l.variable}\`: per ${l.key}, default \`${l.defaultValue}\``).join('\n'),
    );
  }
  notes.push(`Also answers at \`${path}/\` (trailing slash).`);

  const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: notes.join('\n\n'),
    tags: [doc.tag],
    security: doc.auth ? [{ bearerAuth: [] }] : [],
    ...(doc.query || doc.path
      ? { requestParams: { ...(doc.query ? { query: doc.query } : {}), ...(doc.path ? { path: doc.path } : {}) } }
      : {}),
    ...(doc.conditional ? { parameters: [{ $ref: '#/components/parameters/IfNoneMatch' }] } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: doc.body } } } } : {}),
    ...(doc.requestBody ? { requestBody: doc.requestBody } : {}),
    responses: sorted as Responses,
  };
}

const json = (schema: z.ZodMiniType, description: string): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/json': { schema } },
});
const empty = (description: string): ZodOpenApiResponseObject => ({ description });
const html = (description: string, { etag = true } = {}): ZodOpenApiResponseObject => ({
  description,
  headers: {
    ...(etag ? { ETag: header('ETag') } : {}),
    'Cache-Control': header('Cache-Control'),
  } as ZodOpenApiResponseObject['headers'],
  content: { 'text/html': { schema: { type: 'string' } } },
});

const PASSWORD_POLICY =
  "Password policy (each failed rule is its own entry in `errors`): at least 8 characters; at most 72 bytes of UTF-8 (longer is refused, never truncated); not entirely numeric; not a common password; not too similar to the email's local part or the full name.";

const AdminUserId = z.object({ id: z.string() });

/** Every route of the contract, keyed by path and method. */
function paths(): Record<string, Partial<Record<Method, OperationDoc>>> {
  const signedIn = (description: string) => json(AuthResponse, description);
  return {
    ...socialSignInPaths(),
    '/api/auth/register': {
      post: {
        operationId: 'register',
        summary: 'Create an account',
        tag: 'Auth',
        description: `Creates an account and signs it in, and emails a verification link (\`\${FRONTEND_URL}/verify-email?token=<token>\`; see \`POST /api/auth/verify-email\`). The new user's \`email_verified\` is \`false\`. An email or Redis failure never fails the registration (it is logged; the user can ask for another link). Two concurrent registrations of one email: exactly one 201, the other 409.\n\n${PASSWORD_POLICY}`,
        body: RegisterBody,
        rateLimits: [RATE_LIMITS.register],
        dependencies: true,
        responses: { '201': signedIn('The new user and a token pair.') },
        problems: { 409: ['email_taken'] },
        validationExample: [
          { field: 'password', message: 'This password is too short. It must contain at least 8 characters.' },
          { field: 'password', message: 'This password is entirely numeric.' },
        ],
      },
    },
    '/api/auth/login': {
      post: {
        operationId: 'login',
        summary: 'Sign in with email and password',
        tag: 'Auth',
        description:
          'Answers the user (with `last_login` already updated) and a new token pair, starting a new session. Every failure (unknown email, wrong password, inactive account) is the same 401 with the same body and timing. With `REQUIRE_EMAIL_VERIFICATION=true`, the right password of an account whose email is not verified answers 403 `email_not_verified` and issues nothing (a wrong password is still 401).\n\nFor a user with two-factor authentication on, the right password answers `{ "mfa_required": true, "mfa_token", "methods" }` instead, with no tokens and no user: finish with `POST /api/auth/login/mfa`.',
        body: LoginBody,
        rateLimits: [RATE_LIMITS.login, RATE_LIMITS.loginIp],
        dependencies: true,
        responses: {
          '200': json(
            z.union([AuthResponse, MfaChallenge]),
            'The user and a token pair; or, with two-factor authentication on, a challenge (`mfa_required`).',
          ),
        },
        problems: { 401: ['invalid_credentials'], 403: ['email_not_verified'] },
        validationExample: [{ field: 'password', message: 'This field is required.' }],
      },
    },
    '/api/auth/refresh': {
      post: {
        operationId: 'refreshTokens',
        summary: 'Exchange a refresh token for a new token pair',
        tag: 'Auth',
        description:
          'Rotation: each refresh token works once. The same token presented again within the grace window (`REFRESH_REUSE_GRACE_S`, default 10 s: concurrent client retries) gets another pair of the same session; later, the whole session is revoked and the answer is 401.',
        body: RefreshBody,
        rateLimits: [RATE_LIMITS.refresh],
        dependencies: true,
        responses: { '200': json(TokenPair, 'A new token pair.') },
        problems: { 401: ['invalid_refresh_token'] },
        validationExample: [{ field: 'refresh', message: 'This field is required.' }],
      },
    },
    '/api/auth/logout': {
      post: {
        operationId: 'logout',
        summary: 'Sign out the session of a refresh token',
        tag: 'Auth',
        description:
          "Revokes the refresh token's session (every token descended from its login). Idempotent: an already revoked or expired token also gets 204; a malformed or forged one gets 401.",
        body: LogoutBody,
        dependencies: true,
        responses: { '204': empty('Signed out.') },
        problems: { 401: ['invalid_refresh_token'] },
        validationExample: [{ field: 'refresh', message: 'This field is required.' }],
      },
    },
    '/api/auth/me': {
      get: {
        operationId: 'getMe',
        summary: 'The signed-in user',
        tag: 'Auth',
        description: 'The user of the access token.',
        auth: 'user',
        dependencies: true,
        responses: { '200': json(User, 'The signed-in user.') },
      },
      patch: {
        operationId: 'updateMe',
        summary: "Edit the signed-in user's profile",
        tag: 'Auth',
        description: "Changes the signed-in user's full name.",
        auth: 'user',
        body: UpdateMeBody,
        dependencies: true,
        responses: { '200': json(User, 'The updated user.') },
        validationExample: [{ field: 'full_name', message: 'This field may not be blank.' }],
      },
    },
    '/api/auth/change-password': {
      post: {
        operationId: 'changePassword',
        summary: "Change the signed-in user's password",
        tag: 'Auth',
        description: `Sets a new password after checking the current one, and signs out every session of the user (the access token in hand keeps working until it expires). A wrong current password is a \`validation_error\` on \`current_password\`.\n\n${PASSWORD_POLICY}`,
        auth: 'user',
        body: ChangePasswordBody,
        dependencies: true,
        responses: { '204': empty('Password changed; every refresh token of the user is revoked.') },
        validationExample: [
          {
            field: 'current_password',
            message: 'Your current password was entered incorrectly. Please enter it again.',
          },
        ],
      },
    },
    '/api/auth/forgot-password': {
      post: {
        operationId: 'forgotPassword',
        summary: 'Email a password reset link',
        tag: 'Password reset',
        description:
          'Always 202 with the same body, whether the email has an active account, an inactive one or none: the answer reveals nothing about accounts. For an active account, a single-use token is created (any earlier one is invalidated) and a link `${FRONTEND_URL}/reset-password?token=<token>` is emailed. The token never appears in a response.',
        body: ForgotPasswordBody,
        rateLimits: [RATE_LIMITS.forgotPassword],
        dependencies: true,
        responses: {
          '202': json(ForgotPasswordResponse, 'Accepted: an email is sent if the account exists and is active.'),
        },
        validationExample: [{ field: 'email', message: 'Enter a valid email address.' }],
      },
    },
    '/api/auth/reset-password': {
      post: {
        operationId: 'resetPassword',
        summary: 'Set a new password with a reset token',
        tag: 'Password reset',
        description: `Consumes the token atomically (of two concurrent uses, one succeeds) and signs out every session of the user. A token that is unknown, expired, already used or malformed is \`invalid_token\`; a missing \`token\` field is \`validation_error\`. A password that fails the policy is \`validation_error\` and the token stays usable. Needs Redis: 503 when it is down.\n\n${PASSWORD_POLICY}`,
        body: ResetPasswordBody,
        rateLimits: [RATE_LIMITS.resetPassword],
        dependencies: true,
        responses: { '200': json(ResetPasswordResponse, 'The password was reset.') },
        problems: { 400: ['invalid_token'] },
        validationExample: [{ field: 'new_password', message: 'This password is too common.' }],
      },
    },
    '/health': {
      get: {
        operationId: 'getHealth',
        summary: 'Readiness: Postgres and Redis checked',
        tag: 'Health',
        description: 'Checks Postgres and Redis, each with a short timeout, in parallel; never takes more than 3 s.',
        responses: { '200': json(HealthReport, 'Every dependency answered.') },
        extra: {
          '503': {
            description:
              'A dependency is down or too slow: the health report with `status: "error"`, sent as problem+json (`code: service_unavailable`).',
            headers: { 'X-Request-Id': header('X-Request-Id') } as ZodOpenApiResponseObject['headers'],
            content: { 'application/problem+json': { schema: HealthUnavailable } },
          },
        },
      },
    },
    '/health/live': {
      get: {
        operationId: 'getLiveness',
        summary: 'Liveness: the function runs',
        tag: 'Health',
        description: 'Answers without touching any dependency.',
        responses: { '200': json(Liveness, 'Alive.') },
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'getOpenApiJson',
        summary: 'This document (JSON)',
        tag: 'Documentation',
        description: 'The OpenAPI 3.1 document of the API, as JSON.',
        conditional: true,
        responses: {
          '200': {
            description: 'The OpenAPI document.',
            headers: {
              ETag: header('ETag'),
              'Cache-Control': header('Cache-Control'),
            } as ZodOpenApiResponseObject['headers'],
            content: { 'application/json': { schema: { type: 'object', description: 'An OpenAPI 3.1 document.' } } },
          },
        },
      },
    },
    '/api/openapi.yaml': {
      get: {
        operationId: 'getOpenApiYaml',
        summary: 'This document (YAML)',
        tag: 'Documentation',
        description: 'The OpenAPI 3.1 document of the API, as YAML (the `openapi.yaml` of the repository).',
        conditional: true,
        responses: {
          '200': {
            description: 'The OpenAPI document.',
            headers: {
              ETag: header('ETag'),
              'Cache-Control': header('Cache-Control'),
            } as ZodOpenApiResponseObject['headers'],
            content: { 'application/yaml': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/api/docs': {
      get: {
        operationId: 'getSwaggerUi',
        summary: 'Swagger UI for this document',
        tag: 'Documentation',
        description:
          'Interactive documentation: sign in with **Authorize** (an access token from login) and try requests out. Served entirely by the service: it works with no internet access.',
        conditional: true,
        responses: { '200': html('The Swagger UI page.') },
      },
    },
    '/api/redoc': {
      get: {
        operationId: 'getRedoc',
        summary: 'ReDoc for this document',
        tag: 'Documentation',
        description:
          'Reference documentation (ReDoc), served entirely by the service: it works with no internet access.',
        conditional: true,
        responses: { '200': html('The ReDoc page.') },
      },
    },
    '/api/docs/assets/{file}': {
      get: {
        operationId: 'getDocsAsset',
        summary: 'A script or stylesheet of the documentation pages',
        tag: 'Documentation',
        description:
          'The files the documentation pages load. Their names carry a content hash, so they are cached for a year. Sent gzip-compressed when the client accepts it.',
        path: z.object({ file: z.string() }),
        conditional: true,
        responses: {
          '200': {
            description: 'The file.',
            headers: {
              ETag: header('ETag'),
              'Cache-Control': header('Cache-Control'),
              'Content-Encoding': {
                description: "`gzip` when the request's `Accept-Encoding` allows it.",
                schema: { type: 'string', enum: ['gzip'] },
              },
            } as ZodOpenApiResponseObject['headers'],
            content: {
              'text/javascript': { schema: { type: 'string' } },
              'text/css': { schema: { type: 'string' } },
            },
          },
        },
        extra: { '404': response('NotFound') },
      },
    },
    '/admin': {
      get: {
        operationId: 'getAdminPage',
        summary: 'The admin web page',
        tag: 'Admin',
        description:
          'A single page for staff: sign in, list, search, filter (verified email or not) and paginate users, view one, activate or deactivate, grant or revoke staff, mark the email verified or resend the verification email, revoke sessions, delete. The page itself is public; everything it shows comes from the staff-only routes below.',
        responses: {
          '200': html('The admin page (never cached: its CSP changes with each release).', { etag: false }),
        },
      },
    },
    '/api/admin/users': {
      get: {
        operationId: 'listUsers',
        summary: 'List and search users',
        tag: 'Admin',
        description: `One page of users. \`ordering\` is one of ${ADMIN_USER_ORDERINGS.map((o) => `\`${o}\``).join(', ')}. \`email_verified=true\` or \`false\` lists only users whose email is (not) verified.`,
        auth: 'staff',
        query: AdminUserListQuery,
        dependencies: true,
        responses: { '200': json(UserList, 'One page of users.') },
        validationExample: [{ field: 'page_size', message: 'Ensure this value is less than or equal to 100.' }],
      },
    },
    '/api/admin/users/{id}': {
      get: {
        operationId: 'getUser',
        summary: 'One user',
        tag: 'Admin',
        description: 'A user by id.',
        auth: 'staff',
        path: AdminUserId,
        dependencies: true,
        responses: { '200': json(User, 'The user.') },
        extra: { '404': response('NotFound') },
      },
      patch: {
        operationId: 'updateUser',
        summary: 'Edit a user',
        tag: 'Admin',
        description:
          'Changes any of `full_name`, `is_active` and `is_staff`, or marks the email verified (`email_verified: true`; `false` is refused: nothing un-proves an address). Deactivating a user stops their access tokens at once. Only a superuser may change `is_staff` or edit another superuser.',
        auth: 'staff',
        path: AdminUserId,
        body: AdminUserPatchBody,
        dependencies: true,
        responses: { '200': json(User, 'The updated user.') },
        validationExample: [{ field: 'is_active', message: 'Must be true or false.' }],
        extra: { '404': response('NotFound') },
      },
      delete: {
        operationId: 'deleteUser',
        summary: 'Delete a user',
        tag: 'Admin',
        description: 'Deletes the user and their sessions. Only a superuser may delete another superuser.',
        auth: 'staff',
        path: AdminUserId,
        dependencies: true,
        responses: { '204': empty('Deleted.') },
        extra: { '404': response('NotFound') },
      },
    },
    '/api/admin/users/{id}/revoke-sessions': {
      post: {
        operationId: 'revokeUserSessions',
        summary: 'Sign a user out everywhere',
        tag: 'Admin',
        description:
          'Ends every session of the user: their refresh and access tokens fail from the next request. Takes no body.',
        auth: 'staff',
        path: AdminUserId,
        dependencies: true,
        responses: { '204': empty('Every session of the user is revoked.') },
        extra: { '404': response('NotFound') },
      },
    },
    ...emailVerificationPaths(),
    ...signingKeyAndSessionPaths(),
    ...securityEventPaths(),
    ...mfaPaths(signedIn),
  };
}

// ---------------------------------------------------------------------------------------------
// Email verification

function describeEmailVerificationSchemas() {
  describe(VerifyEmailBody.shape.token, {
    description:
      'The token from the verification link (`?token=`). A blank or malformed token is `invalid_token`, like an unknown one.',
  });
  describe(VerifyEmailBody, {
    id: 'VerifyEmailRequest',
    examples: [{ token: 'q3Jd0bM1r6X5c2dV8nLkP0sT9wYz4aHf7eUiGj1oKxEq3Jd0bM1r6X5c2dV8nLkP' }],
  });
  describe(ResendVerificationBody, { id: 'ResendVerificationRequest', examples: [{ email: 'ann@example.com' }] });
  describe(AdminUserListQuery.shape.email_verified, {
    description: '`true`: only users whose email is verified; `false`: only those whose email is not; absent: both.',
  });
  describe(AdminUserPatchBody.shape.email_verified, {
    description: 'Only `true`: marks the email verified (recording `admin_user_updated` and `email_verified`).',
  });
  describe(VerifyEmailResponse, { id: 'VerifyEmailResponse', examples: [{ detail: EMAIL_VERIFIED_DETAIL }] });
  describe(ResendVerificationResponse, {
    id: 'ResendVerificationResponse',
    examples: [{ detail: VERIFICATION_RESENT_DETAIL }],
  });
  describe(VerificationSentResponse, {
    id: 'VerificationSentResponse',
    examples: [{ detail: VERIFICATION_SENT_DETAIL }],
  });
}

function emailVerificationPaths(): Record<string, Partial<Record<Method, OperationDoc>>> {
  const invalidLink = { invalid_token: problems.invalidVerificationToken().toJSON() };
  return {
    '/api/auth/verify-email': {
      post: {
        operationId: 'verifyEmail',
        summary: 'Verify an email address with the emailed token',
        tag: 'Email verification',
        description:
          "Consumes the token of the verification link atomically (of two concurrent uses, one succeeds) and sets the user's `email_verified`. A token that is unknown, expired (`EMAIL_VERIFICATION_TOKEN_TTL_H`, default 48), already used, replaced by a newer one, or malformed, or whose account is inactive or deleted, is `invalid_token`; a missing `token` field is `validation_error`. Needs Redis: 503 when it is down.",
        body: VerifyEmailBody,
        dependencies: true,
        responses: { '200': json(VerifyEmailResponse, 'The email is verified (also when it already was).') },
        problems: { 400: ['invalid_token'] },
        problemExamples: invalidLink,
        validationExample: [{ field: 'token', message: 'This field is required.' }],
      },
    },
    '/api/auth/verify-email/resend': {
      post: {
        operationId: 'resendVerificationEmail',
        summary: 'Email a new verification link',
        tag: 'Email verification',
        description:
          'Always 202 with the same body, in the same time (`VERIFY_EMAIL_RESEND_MIN_RESPONSE_MS`, default 400), whether the email has an active unverified account, a verified one, an inactive one or none: the answer reveals nothing about accounts. Only an active account whose email is not verified gets an email; its new link replaces the earlier one. Needs Redis: 503 when it is down.',
        body: ResendVerificationBody,
        rateLimits: [RATE_LIMITS.verifyEmail],
        dependencies: true,
        responses: {
          '202': json(
            ResendVerificationResponse,
            'Accepted: an email is sent if the account exists, is active and awaits verification.',
          ),
        },
        validationExample: [{ field: 'email', message: 'Enter a valid email address.' }],
      },
    },
    '/api/admin/users/{id}/resend-verification': {
      post: {
        operationId: 'resendUserVerification',
        summary: 'Email a user a new verification link',
        tag: 'Admin',
        description:
          'Sends the user a new verification email (their earlier link stops working). Only for an active user whose email is not verified: otherwise 400 `validation_error` on `email_verified` or `is_active`. A failing email service is a 503. Only a superuser may do this for another superuser. Takes no body.',
        auth: 'staff',
        path: AdminUserId,
        dependencies: true,
        responses: { '202': json(VerificationSentResponse, 'The email was sent.') },
        problems: { 400: ['validation_error'] },
        problemExamples: {
          validation_error: problems
            .validation(
              [{ field: 'email_verified', message: 'This email address is already verified.' }],
              'This user needs no verification email.',
            )
            .toJSON(),
        },
        extra: { '404': response('NotFound') },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Signing keys (JWKS) and sessions

const SESSIONS_RATE_LIMIT: RateLimitDoc = { variable: 'RATE_LIMIT_SESSIONS', key: 'client IP', defaultValue: '30/1m' };
const SessionPath = z.object({ id: z.string() });
const AdminSessionPath = z.object({ id: z.string(), session_id: z.string() });
const EXAMPLE_SESSION = {
  id: '0b9f3c1e-6d2a-4f8b-9c47-5e1a2d3b4c5d',
  created_at: '2026-11-24T10:05:00.000Z',
  last_used_at: '2026-11-24T11:35:00.000Z',
  ip: '203.0.113.7',
  user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)',
  current: true,
};

function describeSigningKeyAndSessionSchemas() {
  describe(Session.shape.id, { description: 'The session id: the `sid` claim of its access and refresh tokens.' });
  describe(Session.shape.last_used_at, { description: 'The sign-in, or the latest refresh of its tokens.' });
  describe(Session.shape.ip, { description: 'The client IP API Gateway saw at the sign-in or latest refresh.' });
  describe(Session.shape.user_agent, { description: 'The `User-Agent` of the sign-in or latest refresh.' });
  describe(Session.shape.current, { description: 'Whether this is the session of the access token that asked.' });
  describe(Session, {
    id: 'Session',
    description: 'One sign-in (a refresh-token family).',
    examples: [EXAMPLE_SESSION],
  });
  describe(SessionList, {
    id: 'SessionList',
    description: 'Live sessions only, newest first.',
    examples: [{ results: [EXAMPLE_SESSION] }],
  });
  describe(SessionsRevoked, { id: 'SessionsRevoked', examples: [{ revoked: 2 }] });
  describe(SessionPath.shape.id, {
    description:
      "A session id from `GET /api/auth/sessions`. Anything that names none of the caller's live sessions answers 404.",
  });
  describe(AdminSessionPath.shape.session_id, {
    description: 'A live session id of that user. Anything else answers 404.',
  });
  describe(Jwks, {
    id: 'Jwks',
    description: 'Every configured public signing key. Empty under `JWT_ALGORITHM=HS256`.',
    examples: [
      {
        keys: [
          {
            kty: 'OKP',
            crv: 'Ed25519',
            x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
            kid: '2026-12-01-a1b2c3d4',
            alg: 'EdDSA',
            use: 'sig',
          },
        ],
      },
    ],
  });
}

function signingKeyAndSessionPaths(): Record<string, Partial<Record<Method, OperationDoc>>> {
  describeSigningKeyAndSessionSchemas();
  return {
    '/.well-known/jwks.json': {
      get: {
        operationId: 'getJwks',
        summary: 'Public signing keys (JWKS)',
        tag: 'Auth',
        description:
          'The public keys that verify access tokens, for other services (e.g. jose `createRemoteJWKSet`): check the signature, `iss`, `aud` and `type: "access"`. Cacheable for 5 minutes. A service verifying this way accepts a token until its `exp`, even after its session ended.',
        responses: {
          '200': {
            description: 'The key set.',
            headers: { 'Cache-Control': header('Cache-Control') } as ZodOpenApiResponseObject['headers'],
            content: { 'application/json': { schema: Jwks } },
          },
        },
      },
    },
    '/api/auth/sessions': {
      get: {
        operationId: 'listSessions',
        summary: 'Where you are signed in',
        tag: 'Auth',
        description:
          "The caller's live sessions (one per sign-in), newest first; `current` marks the one of the presented access token.",
        auth: 'user',
        dependencies: true,
        responses: { '200': json(SessionList, 'The live sessions.') },
      },
      delete: {
        operationId: 'endOtherSessions',
        summary: 'Sign out everywhere else',
        tag: 'Auth',
        description:
          'Ends every session of the caller except the current one: their refresh and access tokens fail from the next request.',
        auth: 'user',
        rateLimits: [SESSIONS_RATE_LIMIT],
        dependencies: true,
        responses: { '200': json(SessionsRevoked, 'How many sessions ended.') },
      },
    },
    '/api/auth/sessions/{id}': {
      delete: {
        operationId: 'endSession',
        summary: 'End one session',
        tag: 'Auth',
        description:
          "Ends one of the caller's sessions (the current one too): its refresh and access tokens fail from the next request. Another user's, an unknown or an already ended session is 404.",
        auth: 'user',
        path: SessionPath,
        rateLimits: [SESSIONS_RATE_LIMIT],
        dependencies: true,
        responses: { '204': empty('The session ended.') },
        extra: { '404': response('NotFound') },
      },
    },
    '/api/admin/users/{id}/sessions': {
      get: {
        operationId: 'listUserSessions',
        summary: "A user's sessions",
        tag: 'Admin',
        description: "The user's live sessions, newest first (`current` marks the acting staff member's own session).",
        auth: 'staff',
        path: AdminUserId,
        dependencies: true,
        responses: { '200': json(SessionList, 'The live sessions.') },
        extra: { '404': response('NotFound') },
      },
    },
    '/api/admin/users/{id}/sessions/{session_id}': {
      delete: {
        operationId: 'endUserSession',
        summary: 'End one session of a user',
        tag: 'Admin',
        description:
          "Ends one live session of the user (recorded as `admin_sessions_revoked`). Only a superuser may end a superuser's session.",
        auth: 'staff',
        path: AdminSessionPath,
        rateLimits: [SESSIONS_RATE_LIMIT],
        dependencies: true,
        responses: { '204': empty('The session ended.') },
        extra: { '404': response('NotFound') },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Security events (the audit log)

const EXAMPLE_EVENT = {
  id: '0b9e3a51-2c4d-4f7e-8a16-5d3c2b1a0f98',
  type: 'login_failed',
  created_at: '2026-11-24T10:04:12.000Z',
  user_id: EXAMPLE_USER.id,
  actor_id: null,
  ip: '203.0.113.7',
  user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15',
  details: { method: 'password', reason: 'wrong_password' },
};

const EVENT_FORMAT =
  'Newest first (`created_at`, then `id`). `details` holds facts such as `method`, `reason`, changed `fields`, flag changes (`{ "from": true, "to": false }`) and counts (`sessions_revoked`): never a password, token, hash, secret, email or name.';

function securityEventPaths(): Record<string, Partial<Record<Method, OperationDoc>>> {
  describe(SecurityEvent.shape.type, {
    description: 'What happened. New types may be added: treat an unknown one as informational.',
  });
  describe(SecurityEvent.shape.created_at, { description: 'ISO 8601, UTC.' });
  describe(SecurityEvent.shape.user_id, {
    description:
      'The account the event is about; `null` for a failed login with an unknown email (the email itself is never stored).',
  });
  describe(SecurityEvent.shape.actor_id, {
    description: 'The staff member who acted, on `admin_*` events; otherwise `null`.',
  });
  describe(SecurityEvent.shape.ip, { description: 'The client IP API Gateway saw.' });
  describe(SecurityEvent.shape.user_agent, { description: "The client's `User-Agent` (at most 512 characters)." });
  describe(SecurityEvent.shape.details, { description: 'Non-secret facts about the event.' });
  describe(SecurityEvent, {
    id: 'SecurityEvent',
    description: 'One entry of the audit log.',
    examples: [EXAMPLE_EVENT],
  });
  describe(SecurityEventList.shape.count, { description: 'Events matching the filters, over all pages.' });
  describe(SecurityEventList, {
    id: 'SecurityEventList',
    examples: [{ count: 1, page: 1, page_size: 20, results: [EXAMPLE_EVENT] }],
  });
  describe(SecurityEventsQuery.shape.page, { description: 'The page to return, from 1.' });
  describe(SecurityEventsQuery.shape.page_size, { description: `Events per page, at most ${MAX_PAGE_SIZE}.` });
  describe(AdminEventsQuery.shape.user_id, { description: 'Only the events about this user (UUID).' });
  describe(AdminEventsQuery.shape.type, { description: 'Only events of this type.' });
  describe(AdminEventsQuery.shape.page, { description: 'The page to return, from 1.' });
  describe(AdminEventsQuery.shape.page_size, { description: `Events per page, at most ${MAX_PAGE_SIZE}.` });
  return {
    '/api/auth/security-events': {
      get: {
        operationId: 'listOwnSecurityEvents',
        summary: "The signed-in user's security events",
        tag: 'Auth',
        description: `The audit log of the caller's account: sign-ins and failed sign-ins, password changes and resets, and what staff did to it. Kept \`AUDIT_RETENTION_DAYS\` (365) days. ${EVENT_FORMAT}`,
        auth: 'user',
        query: SecurityEventsQuery,
        dependencies: true,
        responses: { '200': json(SecurityEventList, "One page of the caller's events.") },
        validationExample: [{ field: 'page_size', message: 'Ensure this value is less than or equal to 100.' }],
      },
    },
    '/api/admin/events': {
      get: {
        operationId: 'listSecurityEvents',
        summary: "Everyone's security events",
        tag: 'Admin',
        description: `The audit log of every account, optionally of one user (\`user_id\`) and of one \`type\`. Failed sign-ins with an unknown email appear with \`user_id: null\`. ${EVENT_FORMAT}`,
        auth: 'staff',
        query: AdminEventsQuery,
        dependencies: true,
        responses: { '200': json(SecurityEventList, 'One page of events.') },
        validationExample: [
          { field: 'type', message: '"logn" is not a valid event type. Use one of: register, login, …' },
        ],
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Two-factor authentication (TOTP): schemas and routes, in one block

const EXAMPLE_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const EXAMPLE_RECOVERY_CODES = [
  '7kq2-m9xd-4hzr',
  'p3wn-8c5t-vb2j',
  'x6ay-r1ge-0fks',
  'd4hm-q7zp-3nwc',
  'tb9v-k2sx-6jmr',
  'e8rc-5wfn-y1qa',
  'h0zt-g6pb-9vkd',
  'n5jx-a3me-2rcw',
  'w1fq-z8tk-7hsy',
  'c2dg-v4np-5xje',
];
const EXAMPLE_MFA_TOKEN = 'mQ3v9Kc7Zt1bXr8pLw2yHd5nJf0sAe6uGi4oTk7qRzE';

function describeMfaSchemas() {
  describe(MfaCode, {
    description:
      'A 6-digit code from the authenticator app, or a recovery code (`xxxx-xxxx-xxxx`; case, spaces and dashes do not matter).',
  });
  describe(TotpSetupBody, { id: 'TotpSetupRequest', examples: [{ password: EXAMPLE_PASSWORD }] });
  describe(TotpConfirmBody, { id: 'TotpConfirmRequest', examples: [{ code: '492039' }] });
  describe(MfaReauthBody, {
    id: 'MfaReauthRequest',
    description: 'The password and a current TOTP or recovery code (a recovery code is used up).',
    examples: [{ password: EXAMPLE_PASSWORD, code: '492039' }],
  });
  describe(LoginMfaBody.shape.mfa_token, {
    description:
      'The `mfa_token` login answered. A blank or malformed one is `invalid_mfa_token`, like an unknown one.',
  });
  describe(LoginMfaBody, { id: 'LoginMfaRequest', examples: [{ mfa_token: EXAMPLE_MFA_TOKEN, code: '492039' }] });
  describe(MfaChallenge.shape.mfa_token, {
    description:
      'Opaque; send it to `POST /api/auth/login/mfa` within 5 minutes. Works once, and dies after 5 wrong codes.',
  });
  describe(MfaChallenge.shape.methods, { description: 'The kinds of code `POST /api/auth/login/mfa` accepts.' });
  describe(MfaChallenge, {
    id: 'MfaChallenge',
    description: 'The password was right, and the account has two-factor authentication on: no tokens yet.',
    examples: [{ mfa_required: true, mfa_token: EXAMPLE_MFA_TOKEN, methods: ['totp', 'recovery_code'] }],
  });
  describe(TotpSetupResponse.shape.secret, {
    description: 'The TOTP secret (base32), for typing into an authenticator app by hand. Never shown again.',
  });
  describe(TotpSetupResponse.shape.otpauth_url, {
    description:
      'The `otpauth://totp/<issuer>:<email>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30` URL: render it as a QR code for the app to scan.',
  });
  describe(TotpSetupResponse, {
    id: 'TotpSetupResponse',
    examples: [
      {
        secret: EXAMPLE_TOTP_SECRET,
        otpauth_url: `otpauth://totp/auth-service:ann%40example.com?issuer=auth-service&secret=${EXAMPLE_TOTP_SECRET}&algorithm=SHA1&digits=6&period=30`,
      },
    ],
  });
  describe(RecoveryCodesResponse.shape.recovery_codes, {
    description:
      'Ten single-use codes for when the authenticator is not at hand. Shown only now: only their hashes are kept.',
  });
  describe(RecoveryCodesResponse, {
    id: 'RecoveryCodesResponse',
    examples: [{ recovery_codes: EXAMPLE_RECOVERY_CODES }],
  });
}

const TOTP_NOTE =
  'TOTP per RFC 6238: SHA-1, 6 digits, 30-second steps, one step of clock drift accepted either way. A code that was accepted once is never accepted again.';

function mfaPaths(
  signedIn: (description: string) => ZodOpenApiResponseObject,
): Record<string, Partial<Record<Method, OperationDoc>>> {
  const limited: Pick<OperationDoc, 'rateLimits' | 'dependencies'> = {
    rateLimits: [RATE_LIMITS.mfa],
    dependencies: true,
  };
  return {
    '/api/auth/mfa/totp/setup': {
      post: {
        operationId: 'setupTotp',
        summary: 'Start TOTP setup: a secret to scan',
        tag: 'Two-factor authentication',
        description: `After a password check, a new TOTP secret and its \`otpauth://\` URL (show it as a QR code). It stays pending, and sign-in unchanged, until \`POST /api/auth/mfa/totp/confirm\`; calling this again replaces the pending secret. The secret is stored encrypted and never shown again. ${TOTP_NOTE}`,
        auth: 'user',
        body: TotpSetupBody,
        ...limited,
        responses: { '200': json(TotpSetupResponse, 'The secret to add to an authenticator app.') },
        problems: { 409: ['mfa_already_enabled'] },
        validationExample: [
          { field: 'password', message: 'Your password was entered incorrectly. Please enter it again.' },
        ],
      },
    },
    '/api/auth/mfa/totp/confirm': {
      post: {
        operationId: 'confirmTotp',
        summary: 'Confirm TOTP with a code: two-factor on',
        tag: 'Two-factor authentication',
        description: `A current code from the app proves it was set up right: two-factor authentication is on from now, and the answer holds 10 single-use recovery codes (shown only now). A wrong code, or no pending setup, is \`validation_error\` on \`code\`. Records \`mfa_enabled\`. ${TOTP_NOTE}`,
        auth: 'user',
        body: TotpConfirmBody,
        ...limited,
        responses: { '200': json(RecoveryCodesResponse, 'Two-factor authentication is on; the recovery codes.') },
        problems: { 409: ['mfa_already_enabled'] },
        validationExample: [
          {
            field: 'code',
            message: 'The code is wrong or has expired. Enter the code your authenticator app shows now.',
          },
        ],
      },
    },
    '/api/auth/mfa/totp/disable': {
      post: {
        operationId: 'disableTotp',
        summary: 'Turn two-factor authentication off',
        tag: 'Two-factor authentication',
        description:
          'Needs the password and a current TOTP or recovery code; a wrong one of either is `validation_error` on its field. Removes the secret and every recovery code. Records `mfa_disabled`.',
        auth: 'user',
        body: MfaReauthBody,
        ...limited,
        responses: { '204': empty('Two-factor authentication is off.') },
        problems: { 409: ['mfa_not_enabled'] },
        validationExample: [{ field: 'code', message: 'The code is wrong, expired or already used.' }],
      },
    },
    '/api/auth/mfa/recovery-codes': {
      post: {
        operationId: 'regenerateRecoveryCodes',
        summary: 'A new set of recovery codes',
        tag: 'Two-factor authentication',
        description:
          'Needs the password and a current TOTP or recovery code. Answers 10 new single-use codes; every earlier code stops working.',
        auth: 'user',
        body: MfaReauthBody,
        ...limited,
        responses: { '200': json(RecoveryCodesResponse, 'The new recovery codes.') },
        problems: { 409: ['mfa_not_enabled'] },
        validationExample: [
          { field: 'password', message: 'Your password was entered incorrectly. Please enter it again.' },
        ],
      },
    },
    '/api/auth/login/mfa': {
      post: {
        operationId: 'loginMfa',
        summary: 'Finish signing in with a TOTP or recovery code',
        tag: 'Auth',
        description: `The second step of signing in, after \`POST /api/auth/login\` answered \`mfa_required\`: the \`mfa_token\` and a code from the authenticator app (or a recovery code, each usable once). Answers like login: the user (with \`last_login\` updated) and a new token pair. A wrong, reused or expired code is 401 \`invalid_mfa_code\`; the \`mfa_token\` lives 5 minutes, works once, and after 5 wrong codes is 401 \`invalid_mfa_token\` (sign in again). ${TOTP_NOTE}`,
        body: LoginMfaBody,
        ...limited,
        responses: { '200': signedIn('The user and a token pair.') },
        problems: { 401: ['invalid_mfa_code', 'invalid_mfa_token'] },
        validationExample: [{ field: 'code', message: 'This field may not be blank.' }],
      },
    },
    '/api/admin/users/{id}/reset-mfa': {
      post: {
        operationId: 'resetUserMfa',
        summary: "Turn a user's two-factor authentication off",
        tag: 'Admin',
        description:
          'For a user who lost both their authenticator and their recovery codes: removes the TOTP secret and recovery codes, so the password alone signs in until they set it up again. Idempotent. Only a superuser may reset a superuser; nobody resets their own (use `POST /api/auth/mfa/totp/disable`). Records `admin_mfa_reset`. Takes no body.',
        auth: 'staff',
        path: AdminUserId,
        dependencies: true,
        responses: { '204': empty('Two-factor authentication is off for the user.') },
        extra: { '404': response('NotFound') },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Social sign-in (OpenID Connect)

const OIDC_RATE_LIMIT: RateLimitDoc = { variable: 'RATE_LIMIT_OIDC', key: 'client IP', defaultValue: '60/1m' };
const ProviderPath = z.object({ provider: z.string() });
const IdentityPath = z.object({ id: z.string() });

const redirectTo = (description: string): ZodOpenApiResponseObject => ({
  description,
  headers: {
    Location: {
      description: 'Where the browser goes next.',
      required: true,
      schema: { type: 'string', format: 'uri' },
    },
  } as ZodOpenApiResponseObject['headers'],
});

function describeSocialSignInSchemas() {
  describe(IdTokenBody.shape.id_token, { description: "The ID token the provider's SDK gave the app (a JWT)." });
  describe(IdTokenBody.shape.nonce, {
    description:
      "The nonce the app asked the provider to put in the token: the token's `nonce` must equal it or its SHA-256 (hex, as Apple's and Firebase's SDKs do).",
  });
  describe(IdTokenBody.shape.full_name, {
    description:
      "The user's name, when the app has it (Apple gives it to the app on the first sign-in only). Used only for a new account.",
  });
  describe(IdTokenBody, {
    id: 'IdTokenSignInRequest',
    examples: [
      {
        id_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20ifQ.c2ln',
        nonce: 'n-0S6_WzA2Mj',
      },
    ],
  });
  describe(AuthorizeQuery.shape.redirect_uri, {
    description: 'The app page to come back to: exactly one of `OIDC_REDIRECT_URIS`.',
  });
  describe(AuthorizeQuery.shape.state, {
    description:
      'Optional, opaque to the service: returned unchanged on the final redirect so the app can check the sign-in it receives is the one it started.',
  });
  describe(ExchangeBody, {
    id: 'OidcExchangeRequest',
    examples: [{ code: 'Yq3vB0w8m1eP6cXr2TnL9aKd4sFh7uJz0oG5iQyVbNc' }],
  });
  describe(Identity, {
    id: 'Identity',
    description: 'A sign-in provider linked to the account.',
    examples: [
      {
        id: '0b6f1a52-5a1c-4f0e-9d3e-6f1c2b7a8e90',
        provider: 'google',
        email: 'ann@example.com',
        created_at: '2026-11-24T10:00:00.000Z',
        last_used_at: '2026-11-25T08:30:00.000Z',
      },
    ],
  });
  describe(IdentityList, { id: 'IdentityList' });
}

const LINKING_RULES =
  'Linking: an identity (provider, `sub`) already linked signs its user in. Otherwise an account with the token\'s email is linked only when the provider says `email_verified` **and** the account\'s email is verified; otherwise 409 `account_exists` (sign in with the password, then link). A new account takes `email_verified` from the provider and has no password until `forgot-password` sets one. An inactive account gets 401 `invalid_credentials`. An account with two-factor authentication on is never linked by email (409 `account_exists`), and its linked identity answers the same challenge as a password login (`{ "mfa_required": true, "mfa_token", "methods" }`), finished with `POST /api/auth/login/mfa`: the provider stands in for the password, not for the second factor.';

function socialSignInPaths(): Record<string, Partial<Record<Method, OperationDoc>>> {
  describeSocialSignInSchemas();
  const signedIn = (description: string) => json(AuthResponse, description);
  const signedInOrChallenge = (description: string) =>
    json(
      z.union([AuthResponse, MfaChallenge]),
      `${description} With two-factor authentication on: the challenge (\`mfa_required\`) instead.`,
    );
  const unknownProvider = {
    '404': problemResponse(404, ['not_found'], {
      description: '`not_found`: no provider of this name is configured (`OIDC_PROVIDERS`).',
    }),
  };
  return {
    '/api/auth/oidc/{provider}/id-token': {
      post: {
        operationId: 'oidcSignInWithIdToken',
        summary: "Sign in with a provider's ID token (native apps)",
        tag: 'Social sign-in',
        description: `For mobile apps whose provider SDK (Google Sign-In, Sign in with Apple) hands them an ID token. The token's signature (the issuer's JWKS), \`iss\`, \`aud\` (one of \`OIDC_<NAME>_CLIENT_IDS\`), \`exp\` and, when \`nonce\` is sent, its nonce are checked; any failure is 401 \`invalid_credentials\`.\n\n${LINKING_RULES}`,
        path: ProviderPath,
        body: IdTokenBody,
        rateLimits: [OIDC_RATE_LIMIT],
        dependencies: true,
        responses: {
          '200': signedInOrChallenge('An existing or newly linked account: the user and a token pair.'),
          '201': signedIn('A new account: the user and a token pair.'),
        },
        problems: { 401: ['invalid_credentials'], 409: ['account_exists'] },
        validationExample: [{ field: 'id_token', message: 'This field is required.' }],
        extra: unknownProvider,
      },
    },
    '/api/auth/oidc/{provider}/authorize': {
      get: {
        operationId: 'oidcAuthorize',
        summary: 'Start a web sign-in (redirect to the provider)',
        tag: 'Social sign-in',
        description:
          'Redirects the browser to the provider: authorization code flow with PKCE (S256), a fresh `state` and `nonce` kept in Redis for 10 minutes. The provider sends the browser back to `/api/auth/oidc/{provider}/callback`.',
        path: ProviderPath,
        query: AuthorizeQuery,
        rateLimits: [OIDC_RATE_LIMIT],
        dependencies: true,
        responses: { '302': redirectTo("To the provider's authorization endpoint.") },
        validationExample: [
          { field: 'redirect_uri', message: 'This redirect URI is not allowed (OIDC_REDIRECT_URIS).' },
        ],
        extra: unknownProvider,
      },
    },
    '/api/auth/oidc/{provider}/callback': Object.fromEntries(
      (['get', 'post'] as const).map((method) => [
        method,
        {
          operationId: method === 'get' ? 'oidcCallback' : 'oidcCallbackFormPost',
          summary:
            method === 'get'
              ? "The provider's redirect back (web sign-in)"
              : "The provider's form post back (web sign-in, `response_mode=form_post`)",
          tag: 'Social sign-in' as const,
          description: `${method === 'get' ? "Called by the browser on the provider's redirect, with `code` and `state` (or `error`) in the query string." : "The same as the GET, for providers answering with `response_mode=form_post` (Apple, which then also posts the user's name in `user` on the first sign-in only)."} The \`state\` is used once. The code is redeemed at the provider's token endpoint with the PKCE verifier and the ID token verified (with the nonce). The browser is then redirected to the app's \`redirect_uri\` with a one-time \`code\` (valid 2 minutes, for \`POST /api/auth/oidc/exchange\`) and the app's \`state\`, or with \`error=access_denied\` (the user cancelled) or \`error=provider_error\` (anything else failed at the provider). An unknown, expired or used \`state\` has nowhere safe to redirect to: 400 \`invalid_token\`.`,
          path: ProviderPath,
          ...(method === 'get'
            ? {}
            : {
                requestBody: {
                  required: true,
                  content: {
                    'application/x-www-form-urlencoded': {
                      schema: {
                        type: 'object',
                        properties: {
                          state: { type: 'string' },
                          code: { type: 'string' },
                          error: { type: 'string' },
                          user: {
                            type: 'string',
                            description: "Apple: JSON with the user's name, first sign-in only.",
                          },
                        },
                      },
                    },
                  },
                },
              }),
          rateLimits: [OIDC_RATE_LIMIT],
          dependencies: true,
          responses: {
            '302': redirectTo("To the app's `redirect_uri` with `code` and `state`, or with `error` and `state`."),
          },
          problems: { 400: ['invalid_token'] },
          extra: {
            ...unknownProvider,
            ...(method === 'post'
              ? { '413': response('PayloadTooLarge'), '415': response('UnsupportedMediaType') }
              : {}),
          },
        } satisfies OperationDoc,
      ]),
    ),
    '/api/auth/oidc/exchange': {
      post: {
        operationId: 'oidcExchange',
        summary: "Exchange the web sign-in's one-time code for tokens",
        tag: 'Social sign-in',
        description: `The app posts the \`code\` the callback redirected it with. It works once, within 2 minutes; otherwise 400 \`invalid_token\`.\n\n${LINKING_RULES}`,
        body: ExchangeBody,
        rateLimits: [OIDC_RATE_LIMIT],
        dependencies: true,
        responses: { '200': signedInOrChallenge('The user and a token pair.') },
        problems: { 400: ['invalid_token'], 401: ['invalid_credentials'], 409: ['account_exists'] },
        validationExample: [{ field: 'code', message: 'This field is required.' }],
      },
    },
    '/api/auth/identities': {
      get: {
        operationId: 'listIdentities',
        summary: "The signed-in user's linked sign-in providers",
        tag: 'Social sign-in',
        description: 'Oldest first.',
        auth: 'user',
        dependencies: true,
        responses: { '200': json(IdentityList, 'The linked identities.') },
      },
    },
    '/api/auth/identities/{id}': {
      delete: {
        operationId: 'unlinkIdentity',
        summary: 'Unlink a sign-in provider',
        tag: 'Social sign-in',
        description:
          "Refused with 409 `last_sign_in_method` when the account has no password and no other identity (set a password with `forgot-password` first). Another user's or an unknown id is 404.",
        auth: 'user',
        path: IdentityPath,
        dependencies: true,
        responses: { '204': empty('Unlinked.') },
        problems: { 409: ['last_sign_in_method'] },
        extra: { '404': response('NotFound') },
      },
    },
    '/api/admin/users/{id}/identities': {
      get: {
        operationId: 'listUserIdentities',
        summary: "A user's linked sign-in providers",
        tag: 'Admin',
        description: 'Staff: the identities linked to the account, oldest first.',
        auth: 'staff',
        path: AdminUserId,
        dependencies: true,
        responses: { '200': json(IdentityList, 'The linked identities.') },
        extra: { '404': response('NotFound') },
      },
    },
  };
}

const INFO_DESCRIPTION = `JWT authentication service: accounts, sign-in with access and refresh tokens, password reset, and staff administration.

## Conventions
- Bodies are JSON (\`application/json; charset=utf-8\`), fields in snake_case. Unknown request fields are ignored.
- Every route also answers with a trailing slash (\`/api/auth/login/\`).
- Emails are trimmed and lower-cased before they are stored or compared.
- Timestamps are ISO 8601 UTC strings (\`2026-11-24T10:00:00.000Z\`).
- Authenticated routes take \`Authorization: Bearer <access token>\` (see **Authorize**).
- Every response carries \`X-Request-Id\`.

## Errors
Every 4xx and 5xx is an RFC 9457 problem (\`application/problem+json\`) whose \`code\` is one of:
${Object.entries(PROBLEM_STATUS)
  .map(([code, status]) => `\`${code}\` (${status})`)
  .join(', ')}.
A missing or wrongly typed field is \`validation_error\`, checked before anything else, with one entry in \`errors\` per failed rule.
A body that is not valid JSON is \`invalid_json\`; a non-JSON content type is 415; a body over 16 KiB is 413.
Any path no route matches answers 404 \`not_found\` (components/responses/NotFound), and a documented path called with a method it does not document answers 405 \`method_not_allowed\` with \`Allow\` (components/responses/MethodNotAllowed).

## Rate limits
Sliding windows in Redis, configured by \`RATE_LIMIT_*\` as \`<count>/<window>\` (\`5/15m\`) or \`off\`. Over a limit: 429 \`rate_limited\` with \`Retry-After\`; responses of rate-limited routes carry \`RateLimit-Limit\`, \`RateLimit-Remaining\` and \`RateLimit-Reset\`. The client IP is the one API Gateway saw, never a client-supplied header.`;

const TAGS: { name: Tag; description: string }[] = [
  { name: 'Auth', description: 'Accounts, sessions (token pairs) and the signed-in user.' },
  { name: 'Password reset', description: 'Forgotten passwords: a reset link by email, then a new password.' },
  {
    name: 'Email verification',
    description: 'Proving an account owns its email: a link by email at registration (or on request), then its token.',
  },
  {
    name: 'Two-factor authentication',
    description: 'TOTP (authenticator apps) with single-use recovery codes, and the second step of signing in.',
  },
  {
    name: 'Social sign-in',
    description:
      'Sign in with Google, Apple or any OpenID Connect provider: ID tokens from native apps, the web code flow, linked identities.',
  },
  { name: 'Admin', description: 'Staff only: the admin page and user management.' },
  { name: 'Health', description: 'Liveness and readiness probes.' },
  { name: 'Documentation', description: 'This document and its Swagger UI and ReDoc pages.' },
];

/** Builds the OpenAPI 3.1 document of the whole contract. */
export function buildOpenApiDocument() {
  describeSchemas();
  const pathItems = Object.fromEntries(
    Object.entries(paths()).map(([path, methods]) => [
      path,
      Object.fromEntries(Object.entries(methods).map(([method, doc]) => [method, operation(path, doc!)])),
    ]),
  );
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Auth service API',
        version: packageJson.version,
        description: INFO_DESCRIPTION,
        // The package is private: no open-source licence applies.
        license: { name: 'Proprietary' },
      },
      // Relative: the pages call the API they are served by (http://localhost:3000 under `npm run dev`).
      servers: [{ url: '/', description: 'This service' }],
      tags: TAGS,
      paths: pathItems,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'An access token from `POST /api/auth/login` or `/api/auth/register` (`access`), valid for `expires_in` seconds.',
          },
        },
        parameters: { IfNoneMatch: IF_NONE_MATCH },
        headers: HEADERS as unknown as Record<string, { schema: Record<string, unknown> }>,
        responses: SHARED_RESPONSES,
        // Problem is referenced only from raw schemas (the per-route narrowing): rendered on its own.
        schemas: createSchema(Problem, { io: 'output', opts: { override } }).components as Record<
          string,
          Record<string, unknown>
        >,
      },
    },
    { override, outputIdSuffix: 'Response' },
  );
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

/** The document as `openapi.yaml` holds it. */
export function openApiYaml(document: OpenApiDocument = buildOpenApiDocument()): string {
  return `# Generated by \`npm run openapi\` from tools/openapi/document.ts: edit that, not this file.\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
