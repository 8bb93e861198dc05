/**
 * The fixed `detail` of the auth routes' success bodies: the handlers send them and the response
 * schemas (`lib/auth/responses.ts`, hence the OpenAPI document) state them, from this one place.
 * No zod here: every handler that answers one of these imports this module at run time.
 */

/** `POST /api/auth/forgot-password`: one body for every email, so it reveals no account. */
export const FORGOT_PASSWORD_DETAIL = 'If an account exists for this email, a reset link has been sent.';
/** `POST /api/auth/reset-password`. */
export const RESET_PASSWORD_DETAIL = 'Password has been reset.';
/** `POST /api/auth/verify-email`. */
export const EMAIL_VERIFIED_DETAIL = 'Email verified.';
/** `POST /api/auth/verify-email/resend`: one body for every email, so it reveals no account. */
export const VERIFICATION_RESENT_DETAIL =
  'If an account with this email awaits verification, a new verification link has been sent.';
/** `POST /api/admin/users/{id}/resend-verification` (staff may know whether it was sent). */
export const VERIFICATION_SENT_DETAIL = 'Verification email sent.';
