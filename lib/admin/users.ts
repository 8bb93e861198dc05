/**
 * What staff do to accounts through the admin API (and the /admin page on top of it). Route
 * files call exactly one of these.
 *
 * The rules, checked against the acting user inside the transaction that changes the target:
 * - any staff member may list, view, rename, activate and deactivate users, revoke their
 *   sessions and delete them;
 * - only a superuser may change `is_staff`, or patch, delete or revoke the sessions of a
 *   superuser (403 `permission_denied`);
 * - nobody may deactivate, demote or delete themselves (403 `permission_denied`): the admin must
 *   not lock out the person using it, and the last superuser can never remove itself.
 *
 * `is_superuser` is not writable over HTTP at all: superusers are made with
 * `npm run createsuperuser`, by someone with database access.
 *
 * Each change records a security event (`admin_user_updated`, `admin_user_deleted`,
 * `admin_sessions_revoked`, with the staff member as `actor_id`) in the transaction that makes
 * it, and writes one log line: `admin action` with `action`, `actor_id`, `target_id` and
 * `changes` (flags as `{ from, to }`; a new full name only as `changed`, to keep personal data
 * out of the logs and the events).
 */
import { and, asc, count, eq, ilike, or, sql } from 'drizzle-orm';
import { recordSecurityEvent, type SecurityEventDetails } from '../auth/events/record.js';
import { type ClientInfo, revokeAllSessions } from '../auth/sessions.js';
import type { UserResource } from '../auth/responses.js';
import { findUserById, serializeUser } from '../auth/users.js';
import { db, type Transaction } from '../db/index.js';
import { type UserRow, users } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { log } from '../log.js';
import type { UserPage } from './responses.js';
import type { AdminUserListInput, AdminUserPatch } from './schemas.js';

const ORDER_COLUMNS = {
  date_joined: users.dateJoined,
  email: users.email,
  full_name: users.fullName,
  last_login: users.lastLogin,
} as const;

/** `%`, `_` and `\` typed into the search box are literal characters, not LIKE wildcards. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** Lists users: a case-insensitive search over email and full name, one page, in a stable order. */
export async function listUsers(query: AdminUserListInput): Promise<UserPage> {
  const pattern = `%${escapeLike(query.search)}%`;
  const where = and(
    query.search ? or(ilike(users.email, pattern), ilike(users.fullName, pattern)) : undefined,
    query.email_verified === undefined ? undefined : eq(users.emailVerified, query.email_verified),
  );
  const descending = query.ordering.startsWith('-');
  const column = ORDER_COLUMNS[query.ordering.replace(/^-/, '') as keyof typeof ORDER_COLUMNS];
  // Users who never logged in sort last either way; the id breaks ties, so that equal values
  // (same name, same join instant) never move between pages.
  const order = sql`${column} ${descending ? sql`desc` : sql`asc`} nulls last`;

  const [rows, [total]] = await Promise.all([
    db()
      .select()
      .from(users)
      .where(where)
      .orderBy(order, asc(users.id))
      .limit(query.page_size)
      .offset((query.page - 1) * query.page_size),
    db().select({ count: count() }).from(users).where(where),
  ]);
  return { count: total?.count ?? 0, page: query.page, page_size: query.page_size, results: rows.map(serializeUser) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The answer for an id that names no user. */
export const notFound = () => problems.notFound('No user with this id.');

/** One user by id; an unknown or malformed id is a 404. */
export async function getUser(id: string): Promise<UserResource> {
  const user = await findUserById(id);
  if (!user) throw notFound();
  return serializeUser(user);
}

/** Loads and row-locks the target, so that the rules are checked against what gets changed. */
export async function lockTarget(id: string, tx: Transaction): Promise<UserRow> {
  // A malformed id would make Postgres raise an error; it simply names no user.
  if (!UUID.test(id)) throw notFound();
  const [user] = await tx.select().from(users).where(eq(users.id, id)).for('update');
  if (!user) throw notFound();
  return user;
}

export function assertMayTouch(actor: UserRow, target: UserRow): void {
  if (target.isSuperuser && !actor.isSuperuser)
    throw problems.permissionDenied('Only a superuser can change a superuser.');
}

type Changes = SecurityEventDetails;

/** The operator's log line of a staff action (the security event is the user-facing record). */
export function audit(action: string, actor: UserRow, targetId: string, changes: Changes): void {
  log.info('admin action', { action, actor_id: actor.id, target_id: targetId, changes });
}

/** Renames, (de)activates or (superusers only) grants/revokes staff. Deactivation ends every session. */
export async function updateUser(
  actor: UserRow,
  id: string,
  input: AdminUserPatch,
  client: ClientInfo,
): Promise<UserResource> {
  const { user, changes } = await db().transaction(async (tx) => {
    const target = await lockTarget(id, tx);
    assertMayTouch(actor, target);
    if (input.is_staff !== undefined && !actor.isSuperuser) {
      throw problems.permissionDenied('Only a superuser can grant or revoke staff access.');
    }
    if (target.id === actor.id && input.is_active === false)
      throw problems.permissionDenied('You cannot deactivate your own account.');
    if (target.id === actor.id && input.is_staff === false)
      throw problems.permissionDenied('You cannot revoke your own staff access.');

    const set: Partial<Pick<UserRow, 'fullName' | 'isActive' | 'isStaff' | 'emailVerified'>> = {};
    const changes: Changes = {};
    if (input.full_name !== undefined && input.full_name !== target.fullName) {
      set.fullName = input.full_name;
      changes.full_name = 'changed';
    }
    if (input.is_active !== undefined && input.is_active !== target.isActive) {
      set.isActive = input.is_active;
      changes.is_active = { from: target.isActive, to: input.is_active };
    }
    if (input.is_staff !== undefined && input.is_staff !== target.isStaff) {
      set.isStaff = input.is_staff;
      changes.is_staff = { from: target.isStaff, to: input.is_staff };
    }
    if (input.email_verified && !target.emailVerified) {
      set.emailVerified = true;
      changes.email_verified = { from: false, to: true };
      // admin_user_updated (below) records the change; email_verified records what it means.
      await recordSecurityEvent(
        { type: 'email_verified', userId: target.id, actorId: actor.id, client, details: { method: 'admin' } },
        tx,
      );
    }
    const [user] = Object.keys(set).length
      ? await tx.update(users).set(set).where(eq(users.id, target.id)).returning()
      : [target];
    // Refresh tokens die with the account's activity; access tokens already fail, since
    // authenticate() reloads the user on every request.
    const fields = Object.keys(changes);
    if (input.is_active === false) changes.sessions_revoked = await revokeAllSessions(target.id, tx);
    // A PATCH that changes nothing is not an update: no event.
    if (fields.length) {
      await recordSecurityEvent(
        { type: 'admin_user_updated', userId: target.id, actorId: actor.id, client, details: { fields, ...changes } },
        tx,
      );
    }
    return { user: user!, changes };
  });
  audit('user.update', actor, user.id, changes);
  return serializeUser(user);
}

/** Deletes a user; their refresh tokens are revoked in the same transaction. */
export async function deleteUser(actor: UserRow, id: string, client: ClientInfo): Promise<void> {
  const sessionsRevoked = await db().transaction(async (tx) => {
    const target = await lockTarget(id, tx);
    if (target.id === actor.id) throw problems.permissionDenied('You cannot delete your own account.');
    assertMayTouch(actor, target);
    const revoked = await revokeAllSessions(target.id, tx);
    await tx.delete(users).where(eq(users.id, target.id));
    // The event outlives the account (security_events has no foreign key to users).
    await recordSecurityEvent(
      {
        type: 'admin_user_deleted',
        userId: target.id,
        actorId: actor.id,
        client,
        details: { sessions_revoked: revoked },
      },
      tx,
    );
    return revoked;
  });
  audit('user.delete', actor, id, { deleted: true, sessions_revoked: sessionsRevoked });
}

/** Signs a user out everywhere: every refresh token is revoked (their own sessions too, for staff). */
export async function revokeUserSessions(actor: UserRow, id: string, client: ClientInfo): Promise<void> {
  const revoked = await db().transaction(async (tx) => {
    const target = await lockTarget(id, tx);
    assertMayTouch(actor, target);
    const count = await revokeAllSessions(target.id, tx);
    await recordSecurityEvent(
      {
        type: 'admin_sessions_revoked',
        userId: target.id,
        actorId: actor.id,
        client,
        details: { sessions_revoked: count },
      },
      tx,
    );
    return count;
  });
  audit('user.revoke_sessions', actor, id, { sessions_revoked: revoked });
}
