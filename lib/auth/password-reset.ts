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
import { emailLinkIfEligible } from './links/request.js';
import { linkTokens } from './links/tokens.js';

/** The reset tokens: Redis keys `pwreset:<user id>`, living `PASSWORD_RESET_TOKEN_TTL_MIN`. */
export const resetTokens = linkTokens('pwreset', () => config.passwordResetTtlS);

/**
 * Starts a reset for `email`. Answers the same way, in about the same time, whatever the email
 * (`FORGOT_PASSWORD_MIN_RESPONSE_MS`): only an active account gets a link.
 */
export function requestPasswordReset(email: string): Promise<void> {
  return emailLinkIfEligible({
    email,
    eligible: (user) => user.isActive,
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
