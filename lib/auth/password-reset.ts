/**
 * Password reset by email. The tokens are the shared single-use link tokens (`links/tokens.ts`:
 * 256 random bits, only a SHA-256 in Redis, one live token per user, atomic use), and the request
 * answers alike for every email (`links/request.ts`).
 *
 * This module issues tokens (forgot-password); `password-reset-confirm.ts` consumes them. They are
 * apart so that the forgot-password bundle carries neither bcrypt nor the password policy.
 */
import { config } from '../config.js';
import { passwordResetEmail } from '../email/templates.js';
import { recordSecurityEvent } from './events/record.js';
import { emailLinkIfEligible } from './links/request.js';
import { linkTokens } from './links/tokens.js';
import type { ClientInfo } from './sessions.js';

/** The reset tokens: Redis keys `pwreset:<user id>`, living `PASSWORD_RESET_TOKEN_TTL_MIN`. */
export const resetTokens = linkTokens('pwreset', () => config.passwordResetTtlS);

/**
 * Starts a reset for `email`. Answers the same way, in the same time, whatever the email
 * (`FORGOT_PASSWORD_MIN_RESPONSE_MS`, never later because of a slow email service: see
 * `links/request.ts`): only an active account gets a link.
 */
export function requestPasswordReset(email: string, client: ClientInfo): Promise<void> {
  return emailLinkIfEligible({
    email,
    eligible: (user) => user.isActive,
    // Recorded before the token exists: the request happened even if Redis or the email then fails.
    onEligible: (user) => recordSecurityEvent({ type: 'password_reset_requested', userId: user.id, client }),
    tokens: resetTokens,
    compose: (user, token) =>
      passwordResetEmail(
        { email: user.email, fullName: user.fullName },
        `${config.frontendUrl}/reset-password?token=${token}`,
        config.passwordResetTtlS / 60,
      ),
    minResponseMs: config.forgotPasswordMinResponseMs,
    failure: 'password reset email failed',
  });
}
