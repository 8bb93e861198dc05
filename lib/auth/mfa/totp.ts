/**
 * RFC 6238 TOTP through `otpauth`: SHA-1, 6 digits, 30-second steps, one step of clock drift
 * either way. An accepted code is remembered (the highest accepted time step per user, in Redis),
 * so it is never accepted again, even by two requests racing with it: the check and the update
 * are one Lua script.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { config } from '../../config.js';
import { redisKey, redisOp } from '../../redis.js';

const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD_S = 30;
/** Steps of drift accepted either side of now. */
const WINDOW = 1;
const SECRET_BYTES = 20;

/**
 * A step accepted at `t` is valid until `(t + 1 + WINDOW) * PERIOD_S`, and every lower step expires
 * before that: after this long the remembered step can no longer matter.
 */
const USED_STEP_TTL_S = (2 * WINDOW + 2) * PERIOD_S;

/** Accepts `ARGV[1]` only if it is above the last accepted step; then remembers it. */
const ACCEPT_STEP_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

/**
 * The sign-in's version: also uses up the challenge (`KEYS[1]`) in the same step, so that of
 * requests racing with one challenge or one code exactly one gets through. -1: the challenge is
 * gone; 0: the code was already accepted; 1: signed in.
 */
const FINISH_CHALLENGE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local last = tonumber(redis.call('GET', KEYS[2]) or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
redis.call('DEL', KEYS[1])
return 1`;

/** The Redis key holding a user's last accepted time step. */
export const usedStepKey = (userId: string) => redisKey('mfa', 'totp-step', userId);

const totp = (secret: Uint8Array, label = '') =>
  new TOTP({
    issuer: config.mfa.issuer,
    label,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_S,
    secret: new Secret({ buffer: new Uint8Array(secret).buffer }),
  });

/** A new random secret (160 bits, RFC 4226's recommendation). */
export const newTotpSecret = (): Buffer => randomBytes(SECRET_BYTES);

/** What an authenticator app needs: the base32 secret and the `otpauth://` URL (the QR code's content). */
export function enrollment(secret: Uint8Array, email: string): { secret: string; otpauth_url: string } {
  const generator = totp(secret, email);
  return { secret: generator.secret.base32, otpauth_url: generator.toString() };
}

/** A code as typed (spaces allowed) that has the shape of a TOTP code. */
export const looksLikeTotp = (code: string) => /^\d{6}$/.test(code.replace(/\s+/g, ''));

/** The time step `code` belongs to, if it is valid now (±1 step); compared in constant time. */
export function matchTotp(secret: Uint8Array, code: string, timestamp = Date.now()): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totp(secret).validate({ token, timestamp, window: WINDOW });
  return delta === null ? undefined : TOTP.counter({ period: PERIOD_S, timestamp }) + delta;
}

/** Marks `step` used for the user; `false` when it (or a later step) was already accepted. */
export async function acceptStep(userId: string, step: number): Promise<boolean> {
  const accepted = await redisOp((r) =>
    r.eval<string[], number>(ACCEPT_STEP_SCRIPT, [usedStepKey(userId)], [String(step), String(USED_STEP_TTL_S)]),
  );
  return accepted === 1;
}

/** Accepts `step` and uses up the challenge under `challengeKey`, atomically (see FINISH_CHALLENGE_SCRIPT). */
export async function acceptStepEndingChallenge(
  userId: string,
  step: number,
  challengeKey: string,
): Promise<'accepted' | 'replayed' | 'challenge_gone'> {
  const outcome = await redisOp((r) =>
    r.eval<string[], number>(
      FINISH_CHALLENGE_SCRIPT,
      [challengeKey, usedStepKey(userId)],
      [String(step), String(USED_STEP_TTL_S)],
    ),
  );
  return outcome === 1 ? 'accepted' : outcome === 0 ? 'replayed' : 'challenge_gone';
}
