/**
 * Password reset by email (the lucia token design). A token is `base64url(user id ‖ 256 random
 * bits)`; Redis keeps only the SHA-256 of the random part, under the user's key with a TTL. One
 * key per user means a new request replaces (invalidates) the previous token in one SET, and
 * consuming is one compare-and-delete script, so two concurrent uses give exactly one success.
 *
 * This module issues tokens (forgot-password); `password-reset-confirm.ts` consumes them. They are
 * apart so that the forgot-password bundle carries neither bcrypt nor the password policy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { config } from '../config.js';
import { sendEmail, warmUpEmail } from '../email/ses.js';
import { passwordResetEmail } from '../email/templates.js';
import { log } from '../log.js';
import { redisKey, redisOp } from '../redis.js';
import { findUserByEmail } from './users.js';

const SECRET_BYTES = 32;
const UUID_BYTES = 16;

/** The Redis key of a user's live reset token. */
export const resetKey = (userId: string) => redisKey('pwreset', userId);
// The prefix keeps @upstash/redis's automatic JSON deserialisation from ever reading a digest as a number.
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Deletes the key only if it still holds this token's hash: the atomic "use once". */
export const CONSUME_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

function encodeToken(userId: string, secret: Buffer): string {
  return Buffer.concat([Buffer.from(userId.replaceAll('-', ''), 'hex'), secret]).toString('base64url');
}

/** Splits a token into its user id and the digest Redis should hold; undefined when malformed. */
export function decodeToken(token: string): { userId: string; secretHash: string } | undefined {
  if (!/^[A-Za-z0-9_-]{64}$/.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== UUID_BYTES + SECRET_BYTES) return undefined;
  const hex = bytes.subarray(0, UUID_BYTES).toString('hex');
  const userId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { userId, secretHash: sha256(bytes.subarray(UUID_BYTES)) };
}

const sleepUntil = (deadline: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - performance.now())));

/**
 * Starts a reset for `email`. Answers the same way, in the same time, whatever the email:
 * unknown and inactive accounts touch Redis too (an outage is a 503 for everyone, not a tell),
 * and every answer goes at `FORGOT_PASSWORD_MIN_RESPONSE_MS`, never later because of email: a
 * slow or hung SES would otherwise show which emails have an account (2 s against 0.4 s).
 *
 * An email that has not gone by then keeps sending after the answer (bounded by
 * `SES_TIMEOUT_MS`). In Lambda, work after the response is not guaranteed to run (the instance
 * may be frozen), so the floor is set to cover a normal send; see docs/reliability.md.
 */
export async function requestPasswordReset(email: string): Promise<void> {
  const answerAt = performance.now() + config.forgotPasswordMinResponseMs;
  // Load the SES client now, for every email alike, inside the floor: a cold start's first send
  // then fits in it.
  warmUpEmail();
  const user = await findUserByEmail(email);
  if (!user || !user.isActive) {
    await redisOp((r) => r.exists(resetKey('00000000-0000-0000-0000-000000000000')));
    await sleepUntil(answerAt);
    return;
  }
  const secret = randomBytes(SECRET_BYTES);
  // SET replaces any earlier token of this user: only the newest link works.
  await redisOp((r) => r.set(resetKey(user.id), sha256(secret), { ex: config.passwordResetTtlS }));
  const link = `${config.frontendUrl}/reset-password?token=${encodeToken(user.id, secret)}`;
  // The client gets 202 whether or not the email goes: the answer must not differ by account,
  // and asking again is harmless.
  const sending = sendEmail(passwordResetEmail({ email: user.email, fullName: user.fullName }, link, config.passwordResetTtlS / 60)).catch(
    (error: unknown) => log.error('password reset email failed', { user_id: user.id, error }),
  );
  // A floor of 0 turns the timing defence off (tests, the latency bench): then wait for the email.
  await (config.forgotPasswordMinResponseMs > 0 ? sleepUntil(answerAt) : sending);
}
