/**
 * The response bodies of the auth routes, as zod/mini schemas, next to the request bodies of
 * `schemas.ts`. The OpenAPI document is generated from them; the service imports them only as
 * types (`import type`: what `lib/auth` returns is typed by `z.infer` of these), so no bundle
 * carries them, and `tests/integration/contract.test.ts` checks real responses against the document.
 */
import * as z from 'zod/mini';
import { SECURITY_EVENT_TYPES } from './events/record.js';
import {
  EMAIL_VERIFIED_DETAIL,
  FORGOT_PASSWORD_DETAIL,
  RESET_PASSWORD_DETAIL,
  VERIFICATION_RESENT_DETAIL,
} from './messages.js';
import { MFA_METHODS } from './mfa/challenge.js';

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
export type UserResource = z.infer<typeof User>;

/** The contract's token pair. */
export const TokenPair = z.object({
  access: z.string(),
  refresh: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.int().check(z.minimum(1)),
});
export type TokenPair = z.infer<typeof TokenPair>;

/** Register and login: the user next to a fresh token pair (flat, as the Django service sent it). */
export const AuthResponse = z.object({ user: User, ...TokenPair.shape });

/** `POST /api/auth/forgot-password`: one body for every email, so it reveals no account. */
export const ForgotPasswordResponse = z.object({ detail: z.literal(FORGOT_PASSWORD_DETAIL) });

/** `POST /api/auth/reset-password`. */
export const ResetPasswordResponse = z.object({ detail: z.literal(RESET_PASSWORD_DETAIL) });

/** `POST /api/auth/verify-email`. */
export const VerifyEmailResponse = z.object({ detail: z.literal(EMAIL_VERIFIED_DETAIL) });

/** `POST /api/auth/verify-email/resend`: one body for every email, so it reveals no account. */
export const ResendVerificationResponse = z.object({ detail: z.literal(VERIFICATION_RESENT_DETAIL) });

/** One sign-in (a refresh-token family), as `GET /api/auth/sessions` lists it. */
export const Session = z.object({
  id: z.uuid(),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime(),
  ip: z.nullable(z.string()),
  user_agent: z.nullable(z.string()),
  current: z.boolean(),
});
export type SessionResource = z.infer<typeof Session>;

/** `GET /api/auth/sessions` and `GET /api/admin/users/{id}/sessions`. */
export const SessionList = z.object({ results: z.array(Session) });
export type SessionList = z.infer<typeof SessionList>;

/** `DELETE /api/auth/sessions`: how many sessions ended. */
export const SessionsRevoked = z.object({ revoked: z.int().check(z.nonnegative()) });
export type SessionsRevoked = z.infer<typeof SessionsRevoked>;

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
export type PublicJwk = z.infer<typeof PublicJwk>;

/** `GET /.well-known/jwks.json`. */
export const Jwks = z.object({ keys: z.array(PublicJwk) });
export type Jwks = z.infer<typeof Jwks>;

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
export type SecurityEventResource = z.infer<typeof SecurityEvent>;

/** `GET /api/auth/security-events` and `GET /api/admin/events`: one page of events. */
export const SecurityEventList = z.object({
  count: z.int().check(z.nonnegative()),
  page: z.int().check(z.minimum(1)),
  page_size: z.int().check(z.minimum(1)),
  results: z.array(SecurityEvent),
});
export type SecurityEventPage = z.infer<typeof SecurityEventList>;

// Two-factor authentication (TOTP)

/** Login of a user with TOTP on: no tokens yet, a challenge for `POST /api/auth/login/mfa`. */
export const MfaChallenge = z.object({
  mfa_required: z.literal(true),
  mfa_token: z.string(),
  methods: z.array(z.enum(MFA_METHODS)),
});
export type MfaChallenge = z.infer<typeof MfaChallenge>;

/** `POST /api/auth/mfa/totp/setup`: the only response that ever carries the secret. */
export const TotpSetupResponse = z.object({ secret: z.string(), otpauth_url: z.string() });
export type TotpSetupResponse = z.infer<typeof TotpSetupResponse>;

/** Confirmation and regeneration: a set of single-use recovery codes, shown once. */
export const RecoveryCodesResponse = z.object({ recovery_codes: z.array(z.string()).check(z.length(10)) });
export type RecoveryCodesResponse = z.infer<typeof RecoveryCodesResponse>;

// Social sign-in

/** A linked social sign-in identity. */
export const Identity = z.object({
  id: z.uuid(),
  provider: z.string(),
  email: z.nullable(z.string()),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime(),
});
export type IdentityResource = z.infer<typeof Identity>;

/** `GET /api/auth/identities` and the admin's view of a user's identities. */
export const IdentityList = z.object({ results: z.array(Identity) });
export type IdentityList = z.infer<typeof IdentityList>;
