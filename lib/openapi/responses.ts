/**
 * The response bodies of the contract, as zod/mini schemas. The OpenAPI document is generated from
 * them (and the request schemas next to each route), and the contract tests check real responses
 * against that document. No handler imports these: a route's response is whatever its `lib/`
 * function returns, and `tests/contract.test.ts` is what keeps the two in step.
 */
import * as z from 'zod/mini';
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
