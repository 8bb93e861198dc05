/**
 * The staff reset of a user's two-factor authentication, apart from lib/admin/users.ts so that the
 * other admin functions' bundles carry no TOTP code.
 */
import { recordSecurityEvent } from '../auth/events/record.js';
import { removeFactor } from '../auth/mfa/factor.js';
import type { ClientInfo } from '../auth/sessions.js';
import { db } from '../db/index.js';
import type { UserRow } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { assertMayTouch, audit, lockTarget } from './users.js';

/**
 * Turns a user's two-factor authentication off, for someone who lost both their authenticator and
 * their recovery codes. Not on one's own account: that takes the password and a code
 * (`POST /api/auth/mfa/totp/disable`), which a stolen staff token alone must not bypass.
 */
export async function resetUserMfa(actor: UserRow, id: string, client: ClientInfo): Promise<void> {
  const wasEnabled = await db().transaction(async (tx) => {
    const target = await lockTarget(id, tx);
    if (target.id === actor.id)
      throw problems.permissionDenied('Turn off your own two-factor authentication from your account, with a code.');
    assertMayTouch(actor, target);
    const turnedOff = await removeFactor(target.id, tx);
    await recordSecurityEvent(
      {
        type: 'admin_mfa_reset',
        userId: target.id,
        actorId: actor.id,
        client,
        details: { mfa_was_enabled: turnedOff },
      },
      tx,
    );
    return turnedOff;
  });
  audit('user.reset_mfa', actor, id, { mfa_enabled: { from: wasEnabled, to: false } });
}
