/**
 * Login, kept apart from `account.ts` so the login function's bundle carries neither the
 * password policy nor its common-password list.
 */
import { eq } from 'drizzle-orm';
import { config } from '../config.js';
import { db } from '../db/index.js';
import { users } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { recordSecurityEvent, securityEventCte } from './events/record.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { LoginInput } from './schemas.js';
import { type ClientInfo, newSession, sessionInsert, type TokenPair } from './sessions.js';
import { findUserByEmail, serializeUser, type UserResource } from './users.js';

/** The user and a fresh token pair, as register and login answer. */
export type SignedIn = { user: UserResource } & TokenPair;

/**
 * Signs a user in. Every failure (unknown email, wrong password, inactive account) is the same
 * 401 after the same bcrypt work, so neither the body nor the timing tells which it was.
 */
export async function login(input: LoginInput, client: ClientInfo): Promise<SignedIn> {
  const user = await findUserByEmail(input.email);
  const check = await verifyPassword(input.password, user?.password);
  if (!user || !check.ok || !user.isActive) {
    // Recorded for an unknown email too (without the email, user_id null): the same write either
    // way, so the event cannot make "wrong password" slower than "no such account".
    const reason = !user ? 'unknown_account' : !check.ok ? 'wrong_password' : 'inactive_account';
    await recordSecurityEvent({ type: 'login_failed', userId: user?.id, client, details: { method: 'password', reason } });
    throw problems.invalidCredentials();
  }
  // Only after the password proved right (the same bcrypt work as a failure): nothing is issued.
  if (config.emailVerification.required && !user.emailVerified) {
    await recordSecurityEvent({ type: 'login_failed', userId: user.id, client, details: { method: 'password', reason: 'email_not_verified' } });
    throw problems.emailNotVerified();
  }
  // A Django hash (or an older bcrypt cost) is replaced now, while we know the password.
  const password = check.needsRehash ? await hashPassword(input.password) : undefined;
  // One statement (one round trip, atomic): the session's row and the `login` event are inserted
  // by CTEs of the update.
  const session = newSession(user.id, client);
  const started = sessionInsert(session.row);
  const recorded = securityEventCte({ type: 'login', userId: user.id, client, details: { method: 'password' } });
  const [[signedIn], pair] = await Promise.all([
    db().with(...started, recorded).update(users).set({ lastLogin: new Date(), ...(password ? { password } : {}) }).where(eq(users.id, user.id)).returning(),
    session.pair,
  ]);
  return { user: serializeUser(signedIn!), ...pair };
}
