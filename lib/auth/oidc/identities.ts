/** The linked identities of an account: the user's own list and unlink, and the admin's view. */
import { and, asc, count, eq, ne } from 'drizzle-orm';
import { db } from '../../db/index.js';
import { type UserIdentityRow, userIdentities, type UserRow, users } from '../../db/schema.js';
import { problems } from '../../http/problem.js';
import { recordSecurityEvent } from '../events/record.js';
import type { IdentityList, IdentityResource } from '../responses.js';
import type { ClientInfo } from '../sessions.js';
import { findUserById, isUuid } from '../users.js';
import { hasUsablePassword } from './unusable-password.js';

const serializeIdentity = (row: UserIdentityRow): IdentityResource => ({
  id: row.id,
  provider: row.provider,
  email: row.email,
  created_at: row.createdAt.toISOString(),
  last_used_at: row.lastUsedAt.toISOString(),
});

async function identitiesOf(userId: string): Promise<IdentityList> {
  const rows = await db()
    .select()
    .from(userIdentities)
    .where(eq(userIdentities.userId, userId))
    .orderBy(asc(userIdentities.createdAt), asc(userIdentities.id));
  return { results: rows.map(serializeIdentity) };
}

/** The signed-in user's identities, oldest first. */
export const listIdentities = (user: UserRow) => identitiesOf(user.id);

/** Staff: a user's identities; 404 for an unknown user. */
export async function listUserIdentities(userId: string): Promise<IdentityList> {
  if (!(await findUserById(userId))) throw problems.notFound('No user with this id.');
  return identitiesOf(userId);
}

/**
 * Unlinks one of the user's identities. Refused (409 `last_sign_in_method`) when the account has
 * no usable password and no other identity. The user's row is locked first, so two concurrent
 * unlinks of the last two identities cannot both pass the check.
 */
export async function unlinkIdentity(user: UserRow, identityId: string, client: ClientInfo): Promise<void> {
  const notFound = () => problems.notFound('No linked identity with this id.');
  if (!isUuid(identityId)) throw notFound();
  await db().transaction(async (tx) => {
    const [current] = await tx
      .select({ password: users.password })
      .from(users)
      .where(eq(users.id, user.id))
      .for('update');
    const [identity] = await tx
      .select()
      .from(userIdentities)
      .where(and(eq(userIdentities.id, identityId), eq(userIdentities.userId, user.id)));
    if (!current || !identity) throw notFound();
    const [others] = await tx
      .select({ n: count() })
      .from(userIdentities)
      .where(and(eq(userIdentities.userId, user.id), ne(userIdentities.id, identityId)));
    if (!hasUsablePassword(current.password) && (others?.n ?? 0) === 0) throw problems.lastSignInMethod();
    await tx.delete(userIdentities).where(eq(userIdentities.id, identityId));
    await recordSecurityEvent(
      {
        type: 'identity_unlinked',
        userId: user.id,
        client,
        details: { provider: identity.provider, identity_id: identity.id },
      },
      tx,
    );
  });
}
