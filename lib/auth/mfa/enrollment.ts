/**
 * Turning TOTP on and off for the signed-in user: setup (a pending secret), confirmation (TOTP on,
 * 10 recovery codes), disabling, and a new set of recovery codes. Each change is one transaction
 * that also records its security event.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { db, type Transaction } from '../../db/index.js';
import { mfaTotp, type MfaTotpRow, type UserRow, users } from '../../db/schema.js';
import { type FieldError, problems } from '../../http/problem.js';
import { recordSecurityEvent } from '../events/record.js';
import { verifyPassword } from '../passwords.js';
import type { RecoveryCodesResponse, TotpSetupResponse } from '../responses.js';
import type { ClientInfo } from '../sessions.js';
import { confirmedFactor, removeFactor } from './factor.js';
import type { MfaReauthInput } from './schemas.js';
import { openSecret, sealSecret } from './secret-box.js';
import { acceptStep, enrollment, looksLikeTotp, matchTotp, newTotpSecret } from './totp.js';
import { replaceRecoveryCodes, spendRecoveryCode } from './recovery-codes.js';

const WRONG_PASSWORD: FieldError = {
  field: 'password',
  message: 'Your password was entered incorrectly. Please enter it again.',
};
const WRONG_CODE: FieldError = {
  field: 'code',
  message: 'The code is wrong or has expired. Enter the code your authenticator app shows now.',
};
const WRONG_CODE_OR_RECOVERY: FieldError = { field: 'code', message: 'The code is wrong, expired or already used.' };
const NOTHING_TO_CONFIRM: FieldError = {
  field: 'code',
  message: 'There is no authenticator to confirm: start the setup first.',
};

/**
 * Starts (or restarts) TOTP setup after a password check: a new secret, stored encrypted and
 * pending until confirmed. The only response that ever carries the secret.
 */
export async function setupTotp(user: UserRow, password: string): Promise<TotpSetupResponse> {
  if (user.mfaEnabled) throw problems.mfaAlreadyEnabled();
  if (!(await verifyPassword(password, user.password)).ok) throw problems.validation([WRONG_PASSWORD]);
  const secret = newTotpSecret();
  const sealed = sealSecret(secret, user.id);
  // A pending secret is replaced; a confirmed one (a concurrent confirmation) is left alone.
  const stored = await db()
    .insert(mfaTotp)
    .values({ userId: user.id, secret: sealed })
    .onConflictDoUpdate({
      target: mfaTotp.userId,
      set: { secret: sealed, createdAt: new Date() },
      setWhere: isNull(mfaTotp.confirmedAt),
    })
    .returning({ userId: mfaTotp.userId });
  if (stored.length === 0) throw problems.mfaAlreadyEnabled();
  return enrollment(secret, user.email);
}

/** Confirms the pending secret with a current code: TOTP is on, and the first recovery codes are returned. */
export async function confirmTotp(user: UserRow, code: string, client: ClientInfo): Promise<RecoveryCodesResponse> {
  if (user.mfaEnabled) throw problems.mfaAlreadyEnabled();
  const [pending] = await db()
    .select()
    .from(mfaTotp)
    .where(and(eq(mfaTotp.userId, user.id), isNull(mfaTotp.confirmedAt)));
  if (!pending) throw problems.validation([NOTHING_TO_CONFIRM]);
  const step = matchTotp(openSecret(pending.secret, user.id), code);
  if (step === undefined || !(await acceptStep(user.id, step))) throw problems.validation([WRONG_CODE]);
  const recoveryCodes = await db().transaction(async (tx) => {
    // Only the secret the code was checked against: a setup restarted meanwhile is not confirmed by it.
    const confirmed = await tx
      .update(mfaTotp)
      .set({ confirmedAt: new Date() })
      .where(and(eq(mfaTotp.userId, user.id), eq(mfaTotp.secret, pending.secret), isNull(mfaTotp.confirmedAt)))
      .returning({ userId: mfaTotp.userId });
    if (confirmed.length === 0) return undefined;
    await tx.update(users).set({ mfaEnabled: true }).where(eq(users.id, user.id));
    const codes = await replaceRecoveryCodes(user.id, tx);
    await recordSecurityEvent({ type: 'mfa_enabled', userId: user.id, client, details: { method: 'totp' } }, tx);
    return codes;
  });
  if (!recoveryCodes) throw problems.validation([NOTHING_TO_CONFIRM]);
  return { recovery_codes: recoveryCodes };
}

/**
 * The re-authentication disabling and regenerating ask for: the password and a current TOTP or
 * recovery code (spent). Runs inside the caller's transaction, which holds the factor's row lock;
 * a thrown error rolls a spent recovery code back. Which kind of code it was.
 */
async function reauthenticate(
  user: UserRow,
  input: MfaReauthInput,
  tx: Transaction,
): Promise<'totp' | 'recovery_code'> {
  const factor: MfaTotpRow | undefined = await confirmedFactor(user.id, tx);
  if (!factor) throw problems.mfaNotEnabled();
  const errors: FieldError[] = [];
  const passwordOk = (await verifyPassword(input.password, user.password)).ok;
  if (!passwordOk) errors.push(WRONG_PASSWORD);
  const method = looksLikeTotp(input.code) ? 'totp' : 'recovery_code';
  let step: number | undefined;
  if (method === 'totp') {
    step = matchTotp(openSecret(factor.secret, user.id), input.code);
    if (step === undefined) errors.push(WRONG_CODE_OR_RECOVERY);
  } else if (!(await spendRecoveryCode(user.id, input.code, tx))) {
    errors.push(WRONG_CODE_OR_RECOVERY);
  }
  if (errors.length) throw problems.validation(errors);
  // Last, once everything else holds: a code is used up only by a request that succeeds.
  if (step !== undefined && !(await acceptStep(user.id, step))) throw problems.validation([WRONG_CODE_OR_RECOVERY]);
  return method;
}

/** Turns TOTP off after the password and a current code. */
export async function disableTotp(user: UserRow, input: MfaReauthInput, client: ClientInfo): Promise<void> {
  if (!user.mfaEnabled) throw problems.mfaNotEnabled();
  await db().transaction(async (tx) => {
    const method = await reauthenticate(user, input, tx);
    await removeFactor(user.id, tx);
    await recordSecurityEvent({ type: 'mfa_disabled', userId: user.id, client, details: { method } }, tx);
  });
}

/** A new set of recovery codes after the password and a current code; the old set stops working. */
export async function regenerateRecoveryCodes(user: UserRow, input: MfaReauthInput): Promise<RecoveryCodesResponse> {
  if (!user.mfaEnabled) throw problems.mfaNotEnabled();
  const codes = await db().transaction(async (tx) => {
    await reauthenticate(user, input, tx);
    return replaceRecoveryCodes(user.id, tx);
  });
  return { recovery_codes: codes };
}
