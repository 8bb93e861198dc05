/**
 * The sign-in challenge between the password step and the second factor. Login of a user with
 * TOTP on answers an `mfa_token` instead of tokens: 256 random bits, of which Redis keeps only the
 * SHA-256 (with the user id and a count of wrong codes) for 5 minutes. It works once, and dies
 * after 5 wrong codes; every change to it is one atomic Redis command or script.
 *
 * Kept apart from the rest of lib/auth/mfa/ so that the login function's bundle carries no TOTP
 * library: starting a challenge is one Redis write.
 */
import { createHash, randomBytes } from 'node:crypto';
import { redisKey, redisOp } from '../../redis.js';
import type { MfaChallenge } from '../responses.js';

export const MFA_TOKEN_TTL_S = 5 * 60;
export const MAX_WRONG_CODES = 5;
export const MFA_METHODS = ['totp', 'recovery_code'] as const;

/** The Redis key of a challenge: only the token's digest, never the token. */
export const challengeKey = (token: string) =>
  redisKey('mfa', 'login', createHash('sha256').update(token).digest('hex'));

const START_SCRIPT = `redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'wrong', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;

/** Counts a wrong code: the number so far, the challenge deleted at the limit; -1 if it is gone. */
const WRONG_CODE_SCRIPT = `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local wrong = redis.call('HINCRBY', KEYS[1], 'wrong', 1)
if wrong >= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
return wrong`;

/** Starts a challenge for a user who gave the right password. */
export async function startMfaChallenge(userId: string): Promise<MfaChallenge> {
  const token = randomBytes(32).toString('base64url');
  await redisOp((r) =>
    r.eval<string[], number>(START_SCRIPT, [challengeKey(token)], [userId, String(MFA_TOKEN_TTL_S)]),
  );
  return { mfa_required: true, mfa_token: token, methods: [...MFA_METHODS] };
}

/** The user a live challenge belongs to, without using it up. */
export async function challengedUser(token: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const userId = await redisOp((r) => r.hget<string>(challengeKey(token), 'uid'));
  return typeof userId === 'string' ? userId : undefined;
}

/** Uses the challenge up; `false` when another request already did (or it expired meanwhile). */
export async function endChallenge(token: string): Promise<boolean> {
  return (await redisOp((r) => r.del(challengeKey(token)))) === 1;
}

/** Counts a wrong code; `false` when the challenge is gone (expired, used, or spent just now by others). */
export async function countWrongCode(token: string): Promise<boolean> {
  const wrong = await redisOp((r) =>
    r.eval<string[], number>(WRONG_CODE_SCRIPT, [challengeKey(token)], [String(MAX_WRONG_CODES)]),
  );
  return wrong !== -1;
}
