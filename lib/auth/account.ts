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
  // One statement (one round trip, atomic): the user and its first session. The foreign key is
  // checked at the end of the statement, when the user row exists.
  const id = randomUUID();
  const session = newSession(id, client);
  const started = sessionInsert(session.row);
  const [user, pair] = await Promise.all([
    createUser({ id, email: input.email, passwordHash, fullName: input.full_name }, db().with(...started)),
    session.pair,
  ]);
  await startEmailVerification(user);
  return { user: serializeUser(user), ...pair };
}

/** Changes the password after checking the current one; every session is signed out. */
export async function changePassword(user: UserRow, input: { current_password: string; new_password: string }): Promise<void> {
  const errors: FieldError[] = [];
  const current = await verifyPassword(input.current_password, user.password);
  if (!current.ok) errors.push({ field: 'current_password', message: 'Your current password was entered incorrectly. Please enter it again.' });
  for (const violation of checkPasswordPolicy(input.new_password, { email: user.email, fullName: user.fullName })) {
    errors.push({ field: 'new_password', message: violation.message });
  }
  if (errors.length) throw problems.validation(errors);
  await setPassword(user.id, input.new_password);
}

/** Stores a new password and revokes every refresh token of the user, atomically. */
export async function setPassword(userId: string, newPassword: string): Promise<void> {
  const password = await hashPassword(newPassword);
  // One statement (one round trip, atomic): the sessions are revoked by a CTE of the update.
  const revoked = revokeAllSessionsStatement(userId);
  await db().with(...revoked).update(users).set({ password }).where(eq(users.id, userId));
}
