/**
 * The imported signing and verification keys, built once per cold start from the configuration
 * (importing a key costs more than a signature, so it is never done per request).
 *
 * Verification looks a token's key up by `kid` in the configured set only and pins the algorithm
 * to that key's; a token without `kid` is looked up only as HS256 (SECRET_KEY), and only while
 * `JWT_ACCEPT_HS256` allows it. Nothing in a token's header (jku, jwk, x5u, x5c) ever supplies a key.
 */
import { importJWK } from 'jose';
import type { SigningAlgorithm, SigningKeys } from './jwk.js';

type Key = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export interface KeyEntry {
  alg: SigningAlgorithm;
  key: Key;
}

export interface Keyring {
  /** What new tokens are signed with (`kid` unset under HS256). */
  signing: KeyEntry & { kid?: string };
  /** Public keys by `kid`: every configured asymmetric key. */
  byKid: ReadonlyMap<string, KeyEntry>;
  /** The SECRET_KEY HMAC key, for tokens without `kid` (HS256, or the tail of a migration away from it). */
  hs256?: KeyEntry;
}

const importHmac = (secretKey: string, usages: ('sign' | 'verify')[]) =>
  crypto.subtle.importKey('raw', new TextEncoder().encode(secretKey), { name: 'HMAC', hash: 'SHA-256' }, false, usages);

export async function buildKeyring(keys: SigningKeys, secretKey: string): Promise<Keyring> {
  const byKid = new Map<string, KeyEntry>();
  await Promise.all(
    keys.keys.map(async (k) => {
      byKid.set(k.kid, { alg: k.alg, key: (await importJWK(k.publicJwk, k.alg)) as Key });
    }),
  );
  const hs256: KeyEntry | undefined = keys.acceptHs256
    ? { alg: 'HS256', key: await importHmac(secretKey, ['sign', 'verify']) }
    : undefined;
  if (keys.algorithm === 'HS256') return { signing: hs256!, byKid, hs256 };
  const active = keys.keys.find((k) => k.kid === keys.activeKid)!;
  const key = (await importJWK({ ...active.privateJwk, alg: active.alg }, active.alg)) as Key;
  return { signing: { alg: active.alg, kid: active.kid, key }, byKid, hs256 };
}
