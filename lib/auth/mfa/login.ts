/**
 * The second step of signing in (`POST /api/auth/login/mfa`): the `mfa_token` from login and a
 * TOTP or recovery code. Success signs in exactly as login does (`signIn`); a wrong code counts
 * against the challenge (5 and it dies) and is recorded as `login_failed`.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import { db } from '../../db/index.js';
import { mfaTotp, users } from '../../db/schema.js';
import { problems } from '../../http/problem.js';
import { recordSecurityEvent, type SecurityEvent } from '../events/record.js';
import { signIn, type SignedIn } from '../login.js';
import type { ClientInfo } from '../sessions.js';
import { challengedUser, challengeKey, countWrongCode, endChallenge } from './challenge.js';
import { spendRecoveryCode } from './recovery-codes.js';
import type { LoginMfaInput } from './schemas.js';
import { openSecret } from './secret-box.js';
import { acceptStepEndingChallenge, looksLikeTotp, matchTotp } from './totp.js';

type Method = 'totp' | 'recovery_code';

const loginEvent = (userId: string, client: ClientInfo, method: Method): SecurityEvent => ({
  type: 'login',
  userId,
  client,
  details: { method },
});

/** Finishes a sign-in started by a password: the user and a token pair. */
export async function completeMfaLogin(input: LoginMfaInput, client: ClientInfo): Promise<SignedIn> {
  const token = input.mfa_token;
  const userId = await challengedUser(token);
  if (!userId) throw problems.invalidMfaToken();
  const [account] = await db()
    .select({ isActive: users.isActive, secret: mfaTotp.secret })
    .from(users)
    .innerJoin(mfaTotp, and(eq(mfaTotp.userId, users.id), isNotNull(mfaTotp.confirmedAt)))
    .where(eq(users.id, userId));
  // Deactivated, deleted, or TOTP reset since the password step: that sign-in is over.
  if (!account?.isActive) {
    await endChallenge(token);
    throw problems.invalidMfaToken();
  }

  const method: Method = looksLikeTotp(input.code) ? 'totp' : 'recovery_code';
  if (method === 'totp') {
    const step = matchTotp(openSecret(account.secret, userId), input.code);
    if (step !== undefined) {
      const outcome = await acceptStepEndingChallenge(userId, step, challengeKey(token));
      if (outcome === 'challenge_gone') throw problems.invalidMfaToken();
      if (outcome === 'accepted') return signIn(userId, client, { events: [loginEvent(userId, client, method)] });
    }
  } else {
    const signedIn = await db().transaction(async (tx) => {
      if (!(await spendRecoveryCode(userId, input.code, tx))) return undefined;
      // The challenge is used up before the code's spending commits: a lost race rolls it back.
      if (!(await endChallenge(token))) throw problems.invalidMfaToken();
      return signIn(userId, client, { events: [loginEvent(userId, client, method)], executor: tx });
    });
    if (signedIn) return signedIn;
  }

  const challengeLives = await countWrongCode(token);
  await recordSecurityEvent({
    type: 'login_failed',
    userId,
    client,
    details: { step: 'mfa', method, reason: 'invalid_mfa_code' },
  });
  throw challengeLives ? problems.invalidMfaCode() : problems.invalidMfaToken();
}
