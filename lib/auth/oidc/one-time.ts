/**
 * Short-lived, single-use values of the web flow in Redis: the authorization attempt (keyed by its
 * `state`) and the exchange code handed to the app. Both keys are bearer secrets, so Redis holds
 * only their SHA-256; taking a value is one GETDEL, so two concurrent uses give exactly one success.
 */
import { createHash, randomBytes } from 'node:crypto';
import { redisKey, redisOp } from '../../redis.js';

/** A new random secret: 256 bits, base64url. */
export const newSecret = () => randomBytes(32).toString('base64url');

const keyOf = (kind: string, secret: string) =>
  redisKey('oidc', kind, createHash('sha256').update(secret).digest('hex'));

/** Stores `value` under the digest of `secret` for `ttlS` seconds. */
export async function putOnce(kind: string, secret: string, value: object, ttlS: number): Promise<void> {
  await redisOp((r) => r.set(keyOf(kind, secret), value, { ex: ttlS }));
}

/** Takes (reads and deletes, atomically) the value stored under `secret`; undefined when unknown, expired or already taken. */
export async function takeOnce<T extends object>(kind: string, secret: string): Promise<T | undefined> {
  // A blank or absurdly long secret names nothing: no need to ask Redis.
  if (!secret || secret.length > 512) return undefined;
  const value = await redisOp((r) => r.getdel<T>(keyOf(kind, secret)));
  return value && typeof value === 'object' ? value : undefined;
}
