/**
 * Emailing a link to whoever owns an address without telling the caller whether anyone does
 * (forgot-password, the verification resend). Both answer the same body whatever the email, and
 * this module makes them answer in the same time:
 *
 * - an account that gets no link still makes a Redis round trip ({@link LinkTokens.decoy}), so a
 *   Redis outage is a 503 for every email alike, not a tell;
 * - every answer goes when a floor (`minResponseMs`) has passed since the request began, never
 *   later because of the email: a slow or hung SES would otherwise show which emails have an
 *   account (2 s against 0.4 s). An email that has not gone by then keeps sending after the
 *   answer (bounded by `SES_TIMEOUT_MS`); in Lambda, work after the response is not guaranteed to
 *   run (the instance may be frozen), so the floors default to a second, which covers a normal
 *   send (docs/reliability.md). A floor of 0 turns the defence off and waits for the email (tests,
 *   the latency bench).
 */
import type { UserRow } from '../../db/schema.js';
import { sendEmail, type EmailMessage, warmUpEmail } from '../../email/ses.js';
import { log } from '../../log.js';
import { findUserByEmail } from '../users.js';
import type { LinkTokens } from './tokens.js';

const sleepUntil = (deadline: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - performance.now())));

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
export async function emailLinkIfEligible(request: LinkRequest): Promise<void> {
  const answerAt = performance.now() + request.minResponseMs;
  // Load the SES client now, for every email alike, inside the floor: a cold start's first send
  // then fits in it.
  warmUpEmail();
  const user = await findUserByEmail(request.email);
  if (!user || !request.eligible(user)) {
    await request.tokens.decoy();
    await sleepUntil(answerAt);
    return;
  }
  await request.onEligible?.(user);
  const token = await request.tokens.issue(user.id);
  // The client gets 202 whether or not the email goes: the answer must not differ by account,
  // and asking again is harmless.
  const sending = sendEmailOrLog(request.compose(user, token), user.id, request.failure);
  await (request.minResponseMs > 0 ? sleepUntil(answerAt) : sending);
}
