/** User records: lookups, creation, and the contract's User object. */
import { eq, sql as raw } from 'drizzle-orm';
import { db, type Transaction } from '../db/index.js';
import { type UserRow, users } from '../db/schema.js';
import { problems } from '../http/problem.js';

/** The contract's User object: what any response may say about a user (never the hash). */
export interface UserResource {
  id: string;
  email: string;
  full_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: string;
  last_login: string | null;
}

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
  };
}

/** The contract's normalisation: `Ann@Example.COM ` and `ann@example.com` are one account. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function findUserByEmail(email: string, tx: Transaction | ReturnType<typeof db> = db()): Promise<UserRow | undefined> {
  const [user] = await tx.select().from(users).where(eq(raw`lower(${users.email})`, normalizeEmail(email))).limit(1);
  return user;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findUserById(id: string, tx: Transaction | ReturnType<typeof db> = db()): Promise<UserRow | undefined> {
  // A malformed id would make Postgres raise an error; it simply names no user.
  if (!UUID.test(id)) return undefined;
  const [user] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
  return user;
}

const isUniqueViolation = (error: unknown) => {
  for (let e: unknown = error, i = 0; e && typeof e === 'object' && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
};

/** Creates a user; an email that already has an account (in any case) is a 409 `email_taken`. */
export async function createUser(values: {
  email: string;
  passwordHash: string;
  fullName: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
}, tx: Transaction | ReturnType<typeof db> = db()): Promise<UserRow> {
  try {
    const [user] = await tx
      .insert(users)
      .values({
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
  const [updated] = await db().update(users).set({ fullName: input.full_name }).where(eq(users.id, user.id)).returning();
  if (!updated) throw problems.notAuthenticated('The account is inactive or no longer exists.');
  return serializeUser(updated);
}
