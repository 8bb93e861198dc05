/**
 * What a user does with their own account: register, log in, change password, edit their name.
 * Route files call exactly one of these.
 */
import { eq } from 'drizzle-orm';
import { db } from '../db/index.js';
import { type UserRow, users } from '../db/schema.js';
import { type FieldError, problems } from '../http/problem.js';
import { checkPasswordPolicy } from './password-policy.js';
import { assertPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
import type { LoginInput, RegisterInput } from './schemas.js';
import { type ClientInfo, issueTokenPair, revokeAllSessions, type TokenPair } from './sessions.js';
import { createUser, findUserByEmail, serializeUser, type UserResource } from './users.js';

export type SignedIn = { user: UserResource } & TokenPair;

/** Creates an account and signs it in. */
export async function register(input: RegisterInput, client: ClientInfo): Promise<SignedIn> {
  assertPasswordPolicy(input.password, { email: input.email, fullName: input.full_name }, 'password');
  // Spares a bcrypt hash for the common case; the unique index still settles concurrent races.
  if (await findUserByEmail(input.email)) throw problems.emailTaken();
  const passwordHash = await hashPassword(input.password);
  return db().transaction(async (tx) => {
    const user = await createUser({ email: input.email, passwordHash, fullName: input.full_name }, tx);
    return { user: serializeUser(user), ...(await issueTokenPair(user.id, client, tx)) };
  });
}

/**
 * Signs a user in. Every failure (unknown email, wrong password, inactive account) is the same
 * 401 after the same bcrypt work, so neither the body nor the timing tells which it was.
 */
export async function login(input: LoginInput, client: ClientInfo): Promise<SignedIn> {
  const user = await findUserByEmail(input.email);
  const check = await verifyPassword(input.password, user?.password);
  if (!user || !check.ok || !user.isActive) throw problems.invalidCredentials();
  // A Django hash (or an older bcrypt cost) is replaced now, while we know the password.
  const password = check.needsRehash ? await hashPassword(input.password) : undefined;
  return db().transaction(async (tx) => {
    const [signedIn] = await tx
      .update(users)
      .set({ lastLogin: new Date(), ...(password ? { password } : {}) })
      .where(eq(users.id, user.id))
      .returning();
    return { user: serializeUser(signedIn!), ...(await issueTokenPair(user.id, client, tx)) };
  });
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
  await db().transaction(async (tx) => {
    await tx.update(users).set({ password }).where(eq(users.id, userId));
    await revokeAllSessions(userId, tx);
  });
}

/** Updates the signed-in user's own profile. */
export async function updateProfile(user: UserRow, input: { full_name: string }): Promise<UserResource> {
  const [updated] = await db().update(users).set({ fullName: input.full_name }).where(eq(users.id, user.id)).returning();
  if (!updated) throw problems.notAuthenticated('The account is inactive or no longer exists.');
  return serializeUser(updated);
}
