/**
 * Using a verification link, and the one place that marks an address verified (the link, or a
 * password reset, which proves the inbox too). The admin's "mark verified" is part of its user
 * update (`lib/admin/users.ts`), under that transaction's lock.
 */
import { eq } from 'drizzle-orm';
import { db } from '../../db/index.js';
import { users } from '../../db/schema.js';
import { problems } from '../../http/problem.js';
import { securityEventCte, type SecurityEventDetails } from '../events/record.js';
import { verificationTokens } from './tokens.js';

export type MarkVerifiedOutcome = 'verified' | 'already_verified' | 'no_account';

/**
 * Marks the address of an active account verified and records `email_verified` in the same
 * statement. Already verified: nothing changes and nothing is recorded. Inactive or deleted:
 * `no_account`.
 */
export function markEmailVerified(
  userId: string,
  details: SecurityEventDetails,
  client?: { ip?: string; userAgent?: string },
): Promise<MarkVerifiedOutcome> {
  return db().transaction(async (tx) => {
    // Locked, so that a concurrent verification (or admin mark) records one event, not two.
    const [user] = await tx
      .select({ isActive: users.isActive, emailVerified: users.emailVerified })
      .from(users)
      .where(eq(users.id, userId))
      .for('update');
    if (!user?.isActive) return 'no_account';
    if (user.emailVerified) return 'already_verified';
    const recorded = securityEventCte({ type: 'email_verified', userId, client, details });
    await tx.with(recorded).update(users).set({ emailVerified: true }).where(eq(users.id, userId));
    return 'verified';
  });
}

/**
 * `POST /api/auth/verify-email`: uses the token up (atomically: of two concurrent uses one wins)
 * and marks the address verified. A token that is unknown, expired, used or malformed, or whose
 * account is inactive or gone, is 400 `invalid_token`.
 */
export async function verifyEmail(token: string, client: { ip?: string; userAgent?: string }): Promise<void> {
  const userId = await verificationTokens.consume(token);
  if (!userId) throw problems.invalidVerificationToken();
  const outcome = await markEmailVerified(userId, { method: 'link' }, client);
  if (outcome === 'no_account') throw problems.invalidVerificationToken();
}
