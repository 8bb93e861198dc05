/**
 * The sessions a user can see and end (`/api/auth/sessions`), and staff can see and end for
 * anyone (`/api/admin/users/{id}/sessions`). Ending one revokes its refresh tokens and its
 * `sessions` row in one statement (lib/auth/sessions.ts `endSessions`), with its audit event in
 * the same transaction.
 */
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { db } from '../../db/index.js';
import { sessions } from '../../db/schema.js';
import { problems } from '../../http/problem.js';
import { recordSecurityEvent, type SecurityEvent } from '../events/record.js';
import type { SessionList, SessionsRevoked } from '../responses.js';
import { type ClientInfo, endSessions, type SessionScope } from '../sessions.js';
import { isUuid } from '../users.js';

/** A user's live sessions, newest first; `current` marks `currentSessionId`. */
export async function listSessions(userId: string, currentSessionId: string | undefined): Promise<SessionList> {
  const rows = await db()
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
  return {
    results: rows.map((s) => ({
      id: s.id,
      created_at: s.createdAt.toISOString(),
      last_used_at: s.lastUsedAt.toISOString(),
      ip: s.ip,
      user_agent: s.userAgent,
      current: s.id === currentSessionId,
    })),
  };
}

/** Ends the sessions of `scope` and records `event` for each, in one transaction; answers how many. */
async function endAndRecord(scope: SessionScope, event: (sessionId: string) => SecurityEvent): Promise<number> {
  return db().transaction(async (tx) => {
    const ended = await endSessions(scope, tx);
    if (ended.length) await recordSecurityEvent(ended.map(event), tx);
    return ended.length;
  });
}

const noSuchSession = () => problems.notFound('No live session with this id.');

/** `DELETE /api/auth/sessions/{id}`: one of the caller's own live sessions (the current one included). */
export async function endOwnSession(userId: string, sessionId: string, client: ClientInfo): Promise<void> {
  if (!isUuid(sessionId)) throw noSuchSession();
  const ended = await endAndRecord({ userId, sessionId }, (id) => ({
    type: 'session_revoked',
    userId,
    client,
    details: { session_id: id },
  }));
  // Another user's session matches nothing, exactly like an unknown id: nothing tells them apart.
  if (ended === 0) throw noSuchSession();
}

/**
 * `DELETE /api/auth/sessions`: every live session of the caller but the current one. A token from
 * before sessions existed has no current session: every session ends.
 */
export async function endOtherSessions(
  userId: string,
  currentSessionId: string | undefined,
  client: ClientInfo,
): Promise<SessionsRevoked> {
  const revoked = await endAndRecord({ userId, exceptSessionId: currentSessionId }, (id) => ({
    type: 'session_revoked',
    userId,
    client,
    details: { session_id: id, others: true },
  }));
  return { revoked };
}

/** Staff ending one session of `userId` (`admin_sessions_revoked`, with the actor). */
export async function endSessionAsStaff(
  actorId: string,
  userId: string,
  sessionId: string,
  client: ClientInfo,
): Promise<void> {
  if (!isUuid(sessionId)) throw noSuchSession();
  const ended = await endAndRecord({ userId, sessionId }, (id) => ({
    type: 'admin_sessions_revoked',
    userId,
    actorId,
    client,
    details: { session_id: id, count: 1 },
  }));
  if (ended === 0) throw noSuchSession();
}
