/**
 * Sending the verification email: at registration, on the user's request (resend) and on a staff
 * member's (admin resend). Each email carries a new token, which replaces the user's earlier one.
 */
import { config } from '../../config.js';
import type { UserRow } from '../../db/schema.js';
import { sendEmail } from '../../email/ses.js';
import { verifyEmailMessage } from '../../email/templates.js';
import { log } from '../../log.js';
import { emailLinkIfEligible, sendEmailOrLog } from '../links/request.js';
import { verificationLink, verificationTokens } from './tokens.js';

type Recipient = Pick<UserRow, 'id' | 'email' | 'fullName'>;

const compose = (user: Recipient, token: string) =>
  verifyEmailMessage(
    { email: user.email, fullName: user.fullName },
    verificationLink(token),
    config.emailVerification.tokenTtlS / 3600,
  );

/** Who may be sent a link: an active account whose address is not verified yet. */
export const awaitsVerification = (user: Pick<UserRow, 'isActive' | 'emailVerified'>) =>
  user.isActive && !user.emailVerified;

/**
 * After registration: the account already exists, so neither Redis nor SES failing may fail the
 * request (the client would retry and get 409). The failure is logged, without the address or
 * the token, and the user can ask for another email.
 */
export async function startEmailVerification(user: Recipient): Promise<void> {
  let token: string;
  try {
    token = await verificationTokens.issue(user.id);
  } catch (error) {
    log.error('verification email failed', { user_id: user.id, error });
    return;
  }
  await sendEmailOrLog(compose(user, token), user.id, 'verification email failed');
}

/**
 * `POST /api/auth/verify-email/resend`: one answer, in the same time, whatever the email
 * (`VERIFY_EMAIL_RESEND_MIN_RESPONSE_MS`); only an active, unverified account gets an email.
 */
export function resendVerificationEmail(email: string): Promise<void> {
  return emailLinkIfEligible({
    email,
    eligible: awaitsVerification,
    tokens: verificationTokens,
    compose,
    minResponseMs: config.emailVerification.resendMinResponseMs,
    failure: 'verification email failed',
  });
}

/** A staff member's resend: here a failing SES is the 503 they should see. */
export async function sendVerificationEmail(user: Recipient): Promise<void> {
  const token = await verificationTokens.issue(user.id);
  await sendEmail(compose(user, token));
}
