/**
 * The authenticate guard's one round trip: the token's user, and whether the token's session
 * (`sid`) is still live, in one named prepared statement (parsed and planned once per connection).
 */
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { perPool } from '../../db/index.js';
import { sessions, type UserRow, users } from '../../db/schema.js';
import { findUserById, isUuid } from '../users.js';

const statement = perPool((database) =>
  database
    .select({ user: users, sessionLive: sql<boolean>`${sessions.id} is not null` })
    .from(users)
    .leftJoin(
      sessions,
      and(
        eq(sessions.id, sql.placeholder('sid')),
        eq(sessions.userId, users.id),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql`now()`),
      ),
    )
    .where(eq(users.id, sql.placeholder('id')))
    .limit(1)
    .prepare('user_with_session'),
);

export type SessionUser = { user: UserRow; sessionLive: boolean } | undefined;

/**
 * The user of an access token and whether its session is live. A token without `sid` (issued
 * before sessions existed, at most one access lifetime ago) has no session to check.
 */
export async function findSessionUser(userId: string, sessionId: string | undefined): Promise<SessionUser> {
  if (sessionId === undefined) {
    const user = await findUserById(userId);
    return user && { user, sessionLive: true };
  }
  if (!isUuid(userId) || !isUuid(sessionId)) return undefined;
  const [row] = await statement().execute({ id: userId, sid: sessionId });
  return row;
}
