/**
 * Consuming a password-reset token (reset-password): see `password-reset.ts` for the token design.
 */
import { sendEmail } from '../email/ses.js';
import { passwordChangedEmail } from '../email/templates.js';
import { problems } from '../http/problem.js';
import { log } from '../log.js';
import { setPassword } from './account.js';
import { assertPasswordPolicy } from './password-policy.js';
import { resetTokens } from './password-reset.js';
import type { ClientInfo } from './sessions.js';
import { findUserById } from './users.js';
import { markEmailVerified } from './verification/verify.js';

/** Sets a new password with a reset token; the token works once and every session is revoked. */
export async function resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
  const userId = await resetTokens.check(token);
  if (!userId) throw problems.invalidResetToken();
  const user = await findUserById(userId);
  if (!user?.isActive) throw problems.invalidResetToken();
  // A policy failure leaves the token usable: the user fixes the password and submits again.
  assertPasswordPolicy(newPassword, { email: user.email, fullName: user.fullName }, 'new_password');
  if ((await resetTokens.consume(token)) !== user.id) throw problems.invalidResetToken();
  await setPassword(user.id, newPassword, { type: 'password_reset', client });
  // The link reached the inbox: that proves the address as well as a verification link does.
  if (!user.emailVerified) await markEmailVerified(user.id, { method: 'password_reset' });
  log.info('password reset completed', { user_id: user.id });
  await sendEmail(passwordChangedEmail({ email: user.email, fullName: user.fullName })).catch((error: unknown) =>
    log.error('password changed email failed', { user_id: user.id, error }),
  );
}
