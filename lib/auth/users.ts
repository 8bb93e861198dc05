/** User records: lookups, creation, and the contract's User object. */
import { eq, sql as raw } from 'drizzle-orm';
import { db, perPool, type Transaction } from '../db/index.js';
import { type UserRow, users } from '../db/schema.js';
import { problems } from '../http/problem.js';
import type { UserResource } from './responses.js';

/** The contract's User object: what any response may say about a user (never the hash). */
export function serializeUser(user: UserRow): UserResource {
  return {
    id: user.id,
    email: user.email,
    full_name: user.fullName,
    is_active: user.isActive,
    is_staff: user.isStaff,
    is_superuser: user.isSuperuser,
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin ? user.lastLogin.toISOString() : null,
    email_verified: user.emailVerified,
    mfa_enabled: user.mfaEnabled,
  };
}

/** The contract's normalisation: `Ann@Example.COM ` and `ann@example.com` are one account. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * The two lookups every authenticated or signing-in request makes, as named prepared statements:
 * Postgres parses and plans them once per connection. (drizzle sends any other query as an
 * unnamed statement, parsed and planned again on every call: ~0.2 ms each here.)
 */
const currentLookups = perPool((database) => ({
  byEmail: database
    .select()
    .from(users)
    .where(eq(raw`lower(${users.email})`, raw.placeholder('email')))
    .limit(1)
    .prepare('user_by_email'),
  byId: database
    .select()
    .from(users)
    .where(eq(users.id, raw.placeholder('id')))
    .limit(1)
    .prepare('user_by_id'),
}));

export async function findUserByEmail(email: string, tx?: Transaction): Promise<UserRow | undefined> {
  const [user] = tx
    ? await tx
        .select()
        .from(users)
        .where(eq(raw`lower(${users.email})`, normalizeEmail(email)))
        .limit(1)
    : await currentLookups().byEmail.execute({ email: normalizeEmail(email) });
  return user;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can name a row (Postgres raises an error for a malformed uuid instead of matching nothing). */
export const isUuid = (id: string) => UUID.test(id);

export async function findUserById(id: string, tx?: Transaction): Promise<UserRow | undefined> {
  // A malformed id would make Postgres raise an error; it simply names no user.
  if (!isUuid(id)) return undefined;
  const [user] = tx
    ? await tx.select().from(users).where(eq(users.id, id)).limit(1)
    : await currentLookups().byId.execute({ id });
  return user;
}

/** Whether a database error (or its cause) is a unique-index violation (Postgres 23505). */
export const isUniqueViolation = (error: unknown) => {
  for (let e: unknown = error, i = 0; e && typeof e === 'object' && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
};

/** Creates a user; an email that already has an account (in any case) is a 409 `email_taken`. */
export async function createUser(
  values: {
    id?: string;
    email: string;
    passwordHash: string;
    fullName: string;
    isStaff?: boolean;
    isSuperuser?: boolean;
  },
  tx: Pick<Transaction, 'insert'> = db(),
): Promise<UserRow> {
  try {
    const [user] = await tx
      .insert(users)
      .values({
        ...(values.id ? { id: values.id } : {}),
        email: normalizeEmail(values.email),
        password: values.passwordHash,
        fullName: values.fullName,
        isStaff: values.isStaff ?? false,
        isSuperuser: values.isSuperuser ?? false,
      })
      .returning();
    return user!;
  } catch (error) {
    // The unique index decides races between concurrent registrations: exactly one insert wins.
    if (isUniqueViolation(error)) throw problems.emailTaken();
    throw error;
  }
}

/** Updates the signed-in user's own profile. */
export async function updateProfile(user: UserRow, input: { full_name: string }): Promise<UserResource> {
  const [updated] = await db()
    .update(users)
    .set({ fullName: input.full_name })
    .where(eq(users.id, user.id))
    .returning();
  if (!updated) throw problems.notAuthenticated('The account is inactive or no longer exists.');
  return serializeUser(updated);
}
