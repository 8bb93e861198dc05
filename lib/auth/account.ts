/**
 * Creating an account and changing its password: the actions that apply the password policy
 * (whose 50k-entry list only these functions' bundles carry). Login lives in `login.ts`.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { db } from '../db/index.js';
import { type UserRow, users } from '../db/schema.js';
import { type FieldError, problems } from '../http/problem.js';
import { assertPasswordPolicy, checkPasswordPolicy } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { type SecurityEvent, securityEventCte } from './events/record.js';
import type { RegisterInput } from './schemas.js';
import type { SignedIn } from './login.js';
import { type ClientInfo, newSession, revokeAllSessionsStatement, sessionInsert } from './sessions.js';
import { createUser, findUserByEmail, serializeUser } from './users.js';
import { startEmailVerification } from './verification/send.js';

/** Creates an account and signs it in. */
export async function register(input: RegisterInput, client: ClientInfo): Promise<SignedIn> {
  assertPasswordPolicy(input.password, { email: input.email, fullName: input.full_name }, 'password');
  // Spares a bcrypt hash for the common case; the unique index still settles concurrent races.
  if (await findUserByEmail(input.email)) throw problems.emailTaken();
  const passwordHash = await hashPassword(input.password);
  // One statement (one round trip, atomic): the user, its first session and the `register` event.
  // The foreign key is checked at the end of the statement, when the user row exists.
  const id = randomUUID();
  const session = newSession(id, client);
  const started = sessionInsert(session.row);
  const recorded = securityEventCte({ type: 'register', userId: id, client, details: { method: 'password' } });
  const [user, pair] = await Promise.all([
    createUser({ id, email: input.email, passwordHash, fullName: input.full_name }, db().with(...started, recorded)),
    session.pair,
  ]);
  await startEmailVerification(user);
  return { user: serializeUser(user), ...pair };
}

/** Changes the password after checking the current one; every session is signed out. */
export async function changePassword(user: UserRow, input: { current_password: string; new_password: string }, client: ClientInfo): Promise<void> {
  const errors: FieldError[] = [];
  const current = await verifyPassword(input.current_password, user.password);
  if (!current.ok) errors.push({ field: 'current_password', message: 'Your current password was entered incorrectly. Please enter it again.' });
  for (const violation of checkPasswordPolicy(input.new_password, { email: user.email, fullName: user.fullName })) {
    errors.push({ field: 'new_password', message: violation.message });
  }
  if (errors.length) throw problems.validation(errors);
  await setPassword(user.id, input.new_password, { type: 'password_changed', client });
}

/**
 * Stores a new password and revokes every refresh token of the user, atomically, recording
 * `event` (`password_changed` or `password_reset`) in the same statement.
 */
export async function setPassword(userId: string, newPassword: string, event: Omit<SecurityEvent, 'userId'>): Promise<void> {
  const password = await hashPassword(newPassword);
  // One statement (one round trip, atomic): the sessions are revoked and the event inserted by CTEs of the update.
  const revoked = revokeAllSessionsStatement(userId);
  const recorded = securityEventCte({ ...event, userId });
  await db().with(...revoked, recorded).update(users).set({ password }).where(eq(users.id, userId));
}
