/**
 * Staff actions on a user's email verification, apart from lib/admin/users.ts so that the other
 * admin functions' bundles carry neither the email client nor the link tokens.
 */
import { findUserById } from '../auth/users.js';
import { sendVerificationEmail } from '../auth/verification/send.js';
import type { UserRow } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { assertMayTouch, audit, notFound } from './users.js';

/**
 * Emails the user a new verification link (their earlier link stops working). Only for an active
 * account whose address is not verified yet; a failing SES is a 503 here, for staff to see.
 */
export async function resendUserVerification(actor: UserRow, id: string): Promise<void> {
  const target = await findUserById(id);
  if (!target) throw notFound();
  assertMayTouch(actor, target);
  if (target.emailVerified) {
    throw problems.validation(
      [{ field: 'email_verified', message: 'This email address is already verified.' }],
      'This user needs no verification email.',
    );
  }
  if (!target.isActive) {
    throw problems.validation(
      [{ field: 'is_active', message: 'The account is inactive: activate it first.' }],
      'This user needs no verification email.',
    );
  }
  await sendVerificationEmail(target);
  audit('user.resend_verification', actor, target.id, {});
}
