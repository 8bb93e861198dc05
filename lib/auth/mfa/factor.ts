/**
 * A user's TOTP factor as stored: loading it, and removing it with everything that hangs on it.
 * `users.mfa_enabled` changes only here and in the confirmation, in the same transaction as the
 * factor's row, so the flag and the row never disagree. No TOTP library here: the admin reset
 * bundles this without `otpauth`.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import { db, type Transaction } from '../../db/index.js';
import { mfaRecoveryCodes, mfaTotp, type MfaTotpRow, users } from '../../db/schema.js';

/** The user's confirmed factor, row-locked when inside a transaction that will change it. */
export async function confirmedFactor(userId: string, tx?: Transaction): Promise<MfaTotpRow | undefined> {
  const query = (tx ?? db())
    .select()
    .from(mfaTotp)
    .where(and(eq(mfaTotp.userId, userId), isNotNull(mfaTotp.confirmedAt)));
  const [row] = tx ? await query.for('update') : await query;
  return row;
}

/** Turns TOTP off: the secret (pending or confirmed), every recovery code, and the flag. Whether it was on. */
export async function removeFactor(userId: string, tx: Transaction): Promise<boolean> {
  await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
  await tx.delete(mfaTotp).where(eq(mfaTotp.userId, userId));
  const turnedOff = await tx
    .update(users)
    .set({ mfaEnabled: false })
    .where(and(eq(users.id, userId), eq(users.mfaEnabled, true)))
    .returning({ id: users.id });
  return turnedOff.length === 1;
}
