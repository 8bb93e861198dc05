/**
 * Consuming a password-reset token (reset-password): see `password-reset.ts` for the token design.
 */
import { timingSafeEqual } from 'node:crypto';
import { sendEmail } from '../email/ses.js';
import { passwordChangedEmail } from '../email/templates.js';
import { problems } from '../http/problem.js';
import { log } from '../log.js';
import { redisOp } from '../redis.js';
import { setPassword } from './account.js';
import { assertPasswordPolicy } from './password-policy.js';
import { CONSUME_SCRIPT, decodeToken, resetKey } from './password-reset.js';
import type { ClientInfo } from './sessions.js';
import { findUserById } from './users.js';

/** Sets a new password with a reset token; the token works once and every session is revoked. */
export async function resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
  const decoded = decodeToken(token);
  if (!decoded) throw problems.invalidResetToken();
  const stored = await redisOp((r) => r.get<string>(resetKey(decoded.userId)));
  if (typeof stored !== 'string' || stored.length !== decoded.secretHash.length || !timingSafeEqual(Buffer.from(stored), Buffer.from(decoded.secretHash))) {
    throw problems.invalidResetToken();
  }
  const user = await findUserById(decoded.userId);
  if (!user || !user.isActive) throw problems.invalidResetToken();
  // A policy failure leaves the token usable: the user fixes the password and submits again.
  assertPasswordPolicy(newPassword, { email: user.email, fullName: user.fullName }, 'new_password');
  const consumed = await redisOp((r) => r.eval<[string], number>(CONSUME_SCRIPT, [resetKey(user.id)], [decoded.secretHash]));
  if (consumed !== 1) throw problems.invalidResetToken();
  await setPassword(user.id, newPassword, { type: 'password_reset', client });
  log.info('password reset completed', { user_id: user.id });
  await sendEmail(passwordChangedEmail({ email: user.email, fullName: user.fullName })).catch((error: unknown) =>
    log.error('password changed email failed', { user_id: user.id, error }),
  );
}
