/**
 * Login, kept apart from `account.ts` so the login function's bundle carries neither the
 * password policy nor its common-password list.
 */
import { eq } from 'drizzle-orm';
import { config } from '../config.js';
import { db, type Transaction } from '../db/index.js';
import { users } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { recordSecurityEvent, type SecurityEvent, securityEventCte } from './events/record.js';
import { startMfaChallenge } from './mfa/challenge.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { LoginInput } from './schemas.js';
import type { MfaChallenge, TokenPair, UserResource } from './responses.js';
import { type ClientInfo, newSession, sessionInsert } from './sessions.js';
import { findUserByEmail, serializeUser } from './users.js';

/** The user and a fresh token pair, as register and login answer. */
export type SignedIn = { user: UserResource } & TokenPair;

/**
 * Signs a user in. Every failure (unknown email, wrong password, inactive account) is the same
 * 401 after the same bcrypt work, so neither the body nor the timing tells which it was.
 */
export async function login(input: LoginInput, client: ClientInfo): Promise<SignedIn | MfaChallenge> {
  const user = await findUserByEmail(input.email);
  const check = await verifyPassword(input.password, user?.password);
  if (!user || !check.ok || !user.isActive) {
    // Recorded for an unknown email too (without the email, user_id null): the same write either
    // way, so the event cannot make "wrong password" slower than "no such account".
    const reason = !user ? 'unknown_account' : !check.ok ? 'wrong_password' : 'inactive_account';
    await recordSecurityEvent({
      type: 'login_failed',
      userId: user?.id,
      client,
      details: { method: 'password', reason },
    });
    throw problems.invalidCredentials();
  }
  // Only after the password proved right (the same bcrypt work as a failure): nothing is issued.
  if (config.emailVerification.required && !user.emailVerified) {
    await recordSecurityEvent({
      type: 'login_failed',
      userId: user.id,
      client,
      details: { method: 'password', reason: 'email_not_verified' },
    });
    throw problems.emailNotVerified();
  }
  // A Django hash (or an older bcrypt cost) is replaced now, while we know the password.
  const password = check.needsRehash ? await hashPassword(input.password) : undefined;
  // With TOTP on, the password only opens a challenge; the tokens wait for POST /api/auth/login/mfa.
  if (user.mfaEnabled) {
    const [challenge] = await Promise.all([
      startMfaChallenge(user.id),
      password && db().update(users).set({ password }).where(eq(users.id, user.id)),
    ]);
    return challenge;
  }
  return signIn(user.id, client, {
    password,
    events: [{ type: 'login', userId: user.id, client, details: { method: 'password' } }],
  });
}

type Executor = Pick<Transaction, 'with'>;

/**
 * Signs in a user who has proved who they are (the password, or the second factor): a new
 * session and `last_login`, with a re-hashed password and the flow's security events when given.
 * One statement (one round trip, atomic): the session's row and the events are CTEs of the update.
 */
export async function signIn(
  userId: string,
  client: ClientInfo,
  options: { password?: string; events?: SecurityEvent[]; executor?: Executor } = {},
): Promise<SignedIn> {
  const { password, events = [], executor = db() } = options;
  const session = newSession(userId, client);
  const ctes = [...sessionInsert(session.row), ...(events.length ? [securityEventCte(events)] : [])];
  const [[signedIn], pair] = await Promise.all([
    executor
      .with(...ctes)
      .update(users)
      .set({ lastLogin: new Date(), ...(password ? { password } : {}) })
      .where(eq(users.id, userId))
      .returning(),
    session.pair,
  ]);
  return { user: serializeUser(signedIn!), ...pair };
}
