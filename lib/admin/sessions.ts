/**
 * Staff viewing and ending a user's sessions (the /admin user detail). Any staff member may view
 * them (as any user's detail); ending one follows every admin action's rule: only a superuser may
 * touch a superuser.
 */
import type { SessionList } from '../auth/responses.js';
import { endSessionAsStaff, listSessions } from '../auth/sessions/manage.js';
import type { ClientInfo } from '../auth/sessions.js';
import { findUserById } from '../auth/users.js';
import type { UserRow } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { assertMayTouch } from './users.js';

async function target(id: string): Promise<UserRow> {
  const user = await findUserById(id);
  if (!user) throw problems.notFound('No user with this id.');
  return user;
}

/** `GET /api/admin/users/{id}/sessions`: the user's live sessions (`current`: the acting staff member's own). */
export async function listUserSessions(actorSessionId: string | undefined, id: string): Promise<SessionList> {
  const user = await target(id);
  return listSessions(user.id, actorSessionId);
}

/** `DELETE /api/admin/users/{id}/sessions/{session_id}`: ends one session of the user. */
export async function endUserSession(actor: UserRow, id: string, sessionId: string, client: ClientInfo): Promise<void> {
  const user = await target(id);
  assertMayTouch(actor, user);
  await endSessionAsStaff(actor.id, user.id, sessionId, client);
}
