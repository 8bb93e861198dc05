/**
 * Creating an account and changing its password: the actions that apply the password policy
 * (whose 50k-entry list only these functions' bundles carry). Login lives in `login.ts`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { db } from '../db/index.js';
import { type UserRow, users } from '../db/schema.js';
import { toProblem } from '../http/api.js';
import { type FieldError, problems } from '../http/problem.js';
import { withTimeout } from '../dependencies.js';
import { redisKey, redisOp } from '../redis.js';
import { assertPasswordPolicy, checkPasswordPolicy } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { recordSecurityEvent, type SecurityEvent, securityEventCte } from './events/record.js';
import type { RegisterInput } from './schemas.js';
import type { SignedIn } from './login.js';
import type { TokenPair } from './responses.js';
import {
  type ClientInfo,
  issueTokenPair,
  newSession,
  revokeAllSessions,
  revokeAllSessionsStatement,
  sessionInsert,
} from './sessions.js';
import { createUser, findUserByEmail, serializeUser } from './users.js';
import { startEmailVerification } from './verification/send.js';

/**
 * How long a registration that answered 503 can be completed by the client's retry (see
 * {@link register} and docs/reliability.md).
 */
const UNCONFIRMED_REGISTRATION_TTL_S = 10 * 60;
/** Keyed by a digest: Redis keys are operational data and must not hold an email either. */
const unconfirmedKey = (email: string) =>
  redisKey('register-unconfirmed', createHash('sha256').update(email.trim().toLowerCase()).digest('hex'));

/**
 * Creates an account and signs it in.
 *
 * A registration that fails with a dependency error after its INSERT was sent (503) may still
 * have committed: the client cannot know. It leaves a marker, and the client's retry with the
 * same email and password within {@link UNCONFIRMED_REGISTRATION_TTL_S} finds the account and is
 * answered as the original success would have been (201, a new session) instead of 409. Only
 * one retry consumes the marker; without a failed attempt there is no marker, so a duplicate
 * registration is still 409 `email_taken` (the contract's concurrent-registration rule).
 */
export async function register(input: RegisterInput, client: ClientInfo): Promise<SignedIn> {
  assertPasswordPolicy(input.password, { email: input.email, fullName: input.full_name }, 'password');
  // Spares a bcrypt hash for the common case; the unique index still settles concurrent races.
  const existing = await findUserByEmail(input.email);
  if (existing) return completeUnconfirmedRegistration(existing, input, client);
  const passwordHash = await hashPassword(input.password);
  // One statement (one round trip, atomic): the user, its first session and the `register` event.
  // The foreign key is checked at the end of the statement, when the user row exists.
  const id = randomUUID();
  const session = newSession(id, client);
  const started = sessionInsert(session.row);
  const recorded = securityEventCte({ type: 'register', userId: id, client, details: { method: 'password' } });
  let created: [UserRow, TokenPair];
  try {
    created = await Promise.all([
      createUser({ id, email: input.email, passwordHash, fullName: input.full_name }, db().with(...started, recorded)),
      session.pair,
    ]);
  } catch (error) {
    if (toProblem(error).status === 503) {
      // Best effort and short: the 503 must not wait on a Redis that is failing too.
      await withTimeout(
        redisOp((r) => r.set(unconfirmedKey(input.email), '1', { ex: UNCONFIRMED_REGISTRATION_TTL_S })),
        250,
        'redis',
      ).catch(() => {});
    }
    throw error;
  }
  const [user, pair] = created;
  await startEmailVerification(user);
  return { user: serializeUser(user), ...pair };
}

/** The retry of a registration that answered 503: the original success, once; otherwise 409. */
async function completeUnconfirmedRegistration(
  user: UserRow,
  input: RegisterInput,
  client: ClientInfo,
): Promise<SignedIn> {
  const key = unconfirmedKey(input.email);
  // Redis down: no way to tell a retry from a duplicate, so the contract's 409.
  const pending = await redisOp((r) => r.exists(key)).catch(() => 0);
  if (!pending) throw problems.emailTaken();
  const check = await verifyPassword(input.password, user.password);
  if (!check.ok || !user.isActive) throw problems.emailTaken();
  // DEL is the claim: of concurrent retries, one succeeds.
  if ((await redisOp((r) => r.del(key))) !== 1) throw problems.emailTaken();
  const pair = await db().transaction(async (tx) => {
    const issued = await issueTokenPair(user.id, client, tx);
    await recordSecurityEvent(
      { type: 'login', userId: user.id, client, details: { method: 'password', via: 'register_retry' } },
      tx,
    );
    return issued;
  });
  // The failed attempt may have stopped before its verification email went.
  if (!user.emailVerified) await startEmailVerification(user);
  return { user: serializeUser(user), ...pair };
}

const WRONG_CURRENT_PASSWORD: FieldError = {
  field: 'current_password',
  message: 'Your current password was entered incorrectly. Please enter it again.',
};

/**
 * Changes the password after checking the current one; every session is signed out.
 *
 * Concurrent changes of one account are serialised: the new hash is written only if the row
 * still holds the hash the current password was verified against (a compare-and-set under the
 * UPDATE's row lock, without holding the lock through bcrypt). Of 20 concurrent changes, one
 * stands; the others' current password is no longer current, and they answer so.
 */
export async function changePassword(
  user: UserRow,
  input: { current_password: string; new_password: string },
  client: ClientInfo,
): Promise<void> {
  const errors: FieldError[] = [];
  const current = await verifyPassword(input.current_password, user.password);
  if (!current.ok) errors.push(WRONG_CURRENT_PASSWORD);
  for (const violation of checkPasswordPolicy(input.new_password, { email: user.email, fullName: user.fullName })) {
    errors.push({ field: 'new_password', message: violation.message });
  }
  if (errors.length) throw problems.validation(errors);
  if (!(await setPassword(user.id, input.new_password, { type: 'password_changed', client }, user.password))) {
    throw problems.validation([WRONG_CURRENT_PASSWORD]);
  }
}

/**
 * Stores a new password and revokes every refresh token of the user, atomically, recording
 * `event` (`password_changed` or `password_reset`) with it. With `expectedHash`, only if the stored
 * hash is still that one: false when another change won.
 */
export async function setPassword(
  userId: string,
  newPassword: string,
  event: Omit<SecurityEvent, 'userId'>,
  expectedHash?: string | null,
): Promise<boolean> {
  const password = await hashPassword(newPassword);
  if (expectedHash === undefined) {
    // One statement (one round trip, atomic): the sessions are revoked and the event inserted by CTEs of the update.
    const revoked = revokeAllSessionsStatement(userId);
    const recorded = securityEventCte({ ...event, userId });
    await db()
      .with(...revoked, recorded)
      .update(users)
      .set({ password })
      .where(eq(users.id, userId));
    return true;
  }
  if (expectedHash === null) return false;
  return db().transaction(async (tx) => {
    const changed = await tx
      .update(users)
      .set({ password })
      .where(and(eq(users.id, userId), eq(users.password, expectedHash)))
      .returning({ id: users.id });
    if (changed.length === 0) return false;
    await revokeAllSessions(userId, tx);
    await recordSecurityEvent({ ...event, userId }, tx);
    return true;
  });
}
