/**
 * The response bodies of the contract, as zod/mini schemas. The OpenAPI document is generated from
 * them (and the request schemas next to each route), and the contract tests check real responses
 * against that document. No handler imports these: a route's response is whatever its `lib/`
 * function returns, and `tests/contract.test.ts` is what keeps the two in step.
 */
import * as z from 'zod/mini';
import { EMAIL_VERIFIED_DETAIL, VERIFICATION_RESENT_DETAIL, VERIFICATION_SENT_DETAIL } from '../auth/verification/messages.js';
import { SECURITY_EVENT_TYPES } from '../auth/events/record.js';
import { PROBLEM_STATUS, type ProblemCode } from '../http/problem.js';

/** The contract's User object: never a password hash. */
export const User = z.object({
  id: z.uuid(),
  email: z.email(),
  full_name: z.string(),
  is_active: z.boolean(),
  is_staff: z.boolean(),
  is_superuser: z.boolean(),
  date_joined: z.iso.datetime(),
  last_login: z.nullable(z.iso.datetime()),
  email_verified: z.boolean(),
  mfa_enabled: z.boolean(),
});

/** The contract's token pair. */
export const TokenPair = z.object({
  access: z.string(),
  refresh: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.int().check(z.minimum(1)),
});

/** Register and login: the user next to a fresh token pair (flat, as the Django service sent it). */
export const AuthResponse = z.object({ user: User, ...TokenPair.shape });

/** One failed validation rule. */
export const FieldError = z.object({ field: z.string(), message: z.string() });

export const PROBLEM_CODES = Object.keys(PROBLEM_STATUS) as [ProblemCode, ...ProblemCode[]];

/** RFC 9457 problem details with the contract's `code`. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.enum(PROBLEM_CODES),
  detail: z.string(),
  errors: z.optional(z.array(FieldError)),
  request_id: z.optional(z.string()),
});

/** One dependency's check in `GET /health`. */
export const HealthCheck = z.object({
  status: z.enum(['ok', 'error']),
  latency_ms: z.number().check(z.nonnegative()),
});

const healthShape = {
  checks: z.object({ database: HealthCheck, redis: HealthCheck }),
  version: z.string(),
};

/** `GET /health` when every dependency answered. */
export const HealthReport = z.object({ status: z.literal('ok'), ...healthShape });

/**
 * `GET /health` when a dependency is down: the health shape with problem+json's `type`, `title`,
 * `code` and `detail` (its string `status` takes the place of the problem's numeric one).
 */
export const HealthUnavailable = z.object({
  type: z.string(),
  title: z.string(),
  code: z.literal('service_unavailable'),
  detail: z.string(),
  status: z.literal('error'),
  ...healthShape,
});

/** `GET /health/live`. */
export const Liveness = z.object({ status: z.literal('ok') });

export const FORGOT_PASSWORD_DETAIL = 'If an account exists for this email, a reset link has been sent.';
export const RESET_PASSWORD_DETAIL = 'Password has been reset.';

/** `POST /api/auth/forgot-password`: one body for every email, so it reveals no account. */
export const ForgotPasswordResponse = z.object({ detail: z.literal(FORGOT_PASSWORD_DETAIL) });

/** `POST /api/auth/reset-password`. */
export const ResetPasswordResponse = z.object({ detail: z.literal(RESET_PASSWORD_DETAIL) });

/** `GET /api/admin/users`: one page of users. */
export const UserList = z.object({
  count: z.int().check(z.nonnegative()),
  page: z.int().check(z.minimum(1)),
  page_size: z.int().check(z.minimum(1)),
  results: z.array(User),
});

/** `POST /api/auth/verify-email`. */
export const VerifyEmailResponse = z.object({ detail: z.literal(EMAIL_VERIFIED_DETAIL) });

/** `POST /api/auth/verify-email/resend`: one body for every email, so it reveals no account. */
export const ResendVerificationResponse = z.object({ detail: z.literal(VERIFICATION_RESENT_DETAIL) });

/** `POST /api/admin/users/{id}/resend-verification`. */
export const VerificationSentResponse = z.object({ detail: z.literal(VERIFICATION_SENT_DETAIL) });
/** One sign-in (a refresh-token family), as `GET /api/auth/sessions` lists it. */
export const Session = z.object({
  id: z.uuid(),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime(),
  ip: z.nullable(z.string()),
  user_agent: z.nullable(z.string()),
  current: z.boolean(),
});

/** `GET /api/auth/sessions` and `GET /api/admin/users/{id}/sessions`. */
export const SessionList = z.object({ results: z.array(Session) });

/** `DELETE /api/auth/sessions`: how many sessions ended. */
export const SessionsRevoked = z.object({ revoked: z.int().check(z.nonnegative()) });

/** A public signing key (Ed25519 or P-256): never a private member. */
export const PublicJwk = z.object({
  kty: z.enum(['OKP', 'EC']),
  crv: z.enum(['Ed25519', 'P-256']),
  x: z.string(),
  y: z.optional(z.string()),
  kid: z.string(),
  alg: z.enum(['EdDSA', 'ES256']),
  use: z.literal('sig'),
});

/** `GET /.well-known/jwks.json`. */
export const Jwks = z.object({ keys: z.array(PublicJwk) });
/** One entry of the audit log. `details` never holds a password, token, hash, secret, email or name. */
export const SecurityEvent = z.object({
  id: z.uuid(),
  type: z.enum(SECURITY_EVENT_TYPES),
  created_at: z.iso.datetime(),
  user_id: z.nullable(z.uuid()),
  actor_id: z.nullable(z.uuid()),
  ip: z.nullable(z.string()),
  user_agent: z.nullable(z.string()),
  details: z.record(z.string(), z.unknown()),
});

/** `GET /api/auth/security-events` and `GET /api/admin/events`: one page of events. */
export const SecurityEventList = z.object({
  count: z.int().check(z.nonnegative()),
  page: z.int().check(z.minimum(1)),
  page_size: z.int().check(z.minimum(1)),
  results: z.array(SecurityEvent),
});
// Two-factor authentication (TOTP)

/** Login of a user with TOTP on: no tokens yet, a challenge for `POST /api/auth/login/mfa`. */
export const MfaChallenge = z.object({
  mfa_required: z.literal(true),
  mfa_token: z.string(),
  methods: z.array(z.enum(['totp', 'recovery_code'])),
});

/** `POST /api/auth/mfa/totp/setup`: the only response that ever carries the secret. */
export const TotpSetupResponse = z.object({ secret: z.string(), otpauth_url: z.string() });

/** Confirmation and regeneration: a set of single-use recovery codes, shown once. */
export const RecoveryCodesResponse = z.object({ recovery_codes: z.array(z.string()).check(z.length(10)) });
/** A linked social sign-in identity. */
export const Identity = z.object({
  id: z.uuid(),
  provider: z.string(),
  email: z.nullable(z.string()),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime(),
});

/** `GET /api/auth/identities` and the admin's view of a user's identities. */
export const IdentityList = z.object({ results: z.array(Identity) });
