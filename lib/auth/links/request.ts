/**
 * Emailing a link to whoever owns an address without telling the caller whether anyone does
 * (forgot-password, the verification resend). Both answer the same body whatever the email, and
 * this module makes them answer in the same time:
 *
 * - an account that gets no link still makes a Redis round trip ({@link LinkTokens.decoy}), so a
 *   Redis outage is a 503 for every email alike, not a tell;
 * - the answer waits until a floor (`minResponseMs`) has passed since the request began, so that
 *   sending the email (an SES round trip, and loading the SDK on a cold start) does not show.
 */
import type { UserRow } from '../../db/schema.js';
import { sendEmail, type EmailMessage } from '../../email/ses.js';
import { log } from '../../log.js';
import { findUserByEmail } from '../users.js';
import type { LinkTokens } from './tokens.js';

const sleepUntil = (deadline: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - performance.now())));

/**
 * Runs `work` and resolves no sooner than `minMs` after the call. A failure rejects at once: an
 * outage answers 503 whatever the email, so waiting would hide nothing.
 */
export async function answerNoSoonerThan<T>(minMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + minMs;
  const result = await work();
  await sleepUntil(deadline);
  return result;
}

/**
 * Sends an email whose failure must not fail the request (the caller already did its work, and
 * the user can ask again). The failure is logged with the user's id (and the request id), never
 * the address or the message, which holds a token.
 */
export async function sendEmailOrLog(message: EmailMessage, userId: string, failure: string): Promise<void> {
  try {
    await sendEmail(message);
  } catch (error) {
    log.error(failure, { user_id: userId, error });
  }
}

export interface LinkRequest {
  /** The address typed by the caller (normalised by the body schema). */
  email: string;
  /** Whether this account gets a link (e.g. active; active and not yet verified). */
  eligible: (user: UserRow) => boolean;
  /** Runs for an eligible account before its token is issued (e.g. recording the request). */
  onEligible?: (user: UserRow) => Promise<void>;
  tokens: LinkTokens;
  /** The email carrying the token, for an eligible user. */
  compose: (user: UserRow, token: string) => EmailMessage;
  /** The floor: no answer sooner than this many milliseconds. */
  minResponseMs: number;
  /** The log message when the email cannot be sent. */
  failure: string;
}

/** Issues a token and emails the link when the account is eligible; answers alike either way. */
export function emailLinkIfEligible(request: LinkRequest): Promise<void> {
  return answerNoSoonerThan(request.minResponseMs, async () => {
    const user = await findUserByEmail(request.email);
    if (!user || !request.eligible(user)) return request.tokens.decoy();
    await request.onEligible?.(user);
    const token = await request.tokens.issue(user.id);
    // The client still gets 202: the answer must not differ by account, and asking again is harmless.
    await sendEmailOrLog(request.compose(user, token), user.id, request.failure);
  });
}
