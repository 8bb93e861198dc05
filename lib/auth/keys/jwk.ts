/**
 * The private JWKs of `JWT_PRIVATE_KEYS`, checked synchronously at cold start (node:crypto), so a
 * malformed key stops the function with a ConfigError naming the variable instead of failing the
 * first sign-in. Messages name the key by position and `kid`, never its material.
 *
 * Format: a JSON array of private JWKs, each with a unique `kid`:
 * `[{"kty":"OKP","crv":"Ed25519","d":"…","x":"…","kid":"2026-12"}]` (Ed25519 → EdDSA) or
 * `{"kty":"EC","crv":"P-256","d":"…","x":"…","y":"…","kid":"…"}` (P-256 → ES256). One line of JSON
 * fits an environment variable and an SSM SecureString parameter alike.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import type { PublicJwk } from '../responses.js';

export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'HS256';
export type AsymmetricAlgorithm = Exclude<SigningAlgorithm, 'HS256'>;

export interface PrivateSigningKey {
  kid: string;
  alg: AsymmetricAlgorithm;
  /** The private JWK as configured (kty, crv, d, x[, y]). */
  privateJwk: JsonWebKey;
  /** The public half as the JWKS publishes it: no private member. */
  publicJwk: PublicJwk;
}

export interface SigningKeys {
  /** `JWT_ALGORITHM`: what new tokens are signed with. */
  algorithm: SigningAlgorithm;
  /** Every configured asymmetric key (the active one and those still verifying older tokens). */
  keys: readonly PrivateSigningKey[];
  /** `JWT_ACTIVE_KID` (asymmetric algorithms only). */
  activeKid?: string;
  /** Whether kid-less HS256 tokens (signed with SECRET_KEY) still verify. */
  acceptHs256: boolean;
}

const KID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The key type and curve of each algorithm: the only pairs a configured key may have. */
const CURVES = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
} as const satisfies Record<AsymmetricAlgorithm, Pick<PublicJwk, 'kty' | 'crv'>>;

function algorithmOf(jwk: JsonWebKey): AsymmetricAlgorithm | undefined {
  return (Object.keys(CURVES) as AsymmetricAlgorithm[]).find(
    (alg) => CURVES[alg].kty === jwk.kty && CURVES[alg].crv === jwk.crv,
  );
}

/** Builds a configured key from a private JWK, or throws an Error whose message names what is wrong. */
export function signingKeyFromJwk(value: unknown, label: string): PrivateSigningKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${label} must be a JSON object (a private JWK)`);
  const jwk = value as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
  if (typeof jwk.kid !== 'string' || !KID.test(jwk.kid))
    throw new Error(`${label} needs a "kid" of 1-64 letters, digits or . _ : -`);
  const name = `${label} (kid "${jwk.kid}")`;
  const alg = algorithmOf(jwk);
  if (!alg) throw new Error(`${name} must be an Ed25519 (kty OKP) or P-256 (kty EC) key`);
  if (jwk.alg !== undefined && jwk.alg !== alg)
    throw new Error(`${name} has "alg" ${String(jwk.alg)} but is a ${alg} key`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`${name} must have "use" sig (or none)`);
  if (typeof jwk.d !== 'string') throw new Error(`${name} is not a private key (no "d")`);
  let derived: JsonWebKey;
  try {
    derived = createPublicKey(
      createPrivateKey({ key: { kty: jwk.kty, crv: jwk.crv, d: jwk.d, x: jwk.x, y: jwk.y }, format: 'jwk' }),
    ).export({ format: 'jwk' });
  } catch {
    throw new Error(`${name} is malformed (its key material does not parse)`);
  }
  // A public half that does not match the private one would publish a key that verifies nothing.
  if ((jwk.x !== undefined && jwk.x !== derived.x) || (jwk.y !== undefined && jwk.y !== derived.y)) {
    throw new Error(`${name} has an "x"/"y" that does not belong to its "d"`);
  }
  const privateJwk: JsonWebKey = {
    kty: jwk.kty,
    crv: jwk.crv,
    d: jwk.d,
    x: derived.x,
    ...(derived.y ? { y: derived.y } : {}),
  };
  const publicJwk: PublicJwk = {
    ...CURVES[alg],
    x: derived.x!,
    ...(derived.y ? { y: derived.y } : {}),
    kid: jwk.kid,
    alg,
    use: 'sig',
  };
  return { kid: jwk.kid, alg, privateJwk, publicJwk };
}

/** Parses `JWT_PRIVATE_KEYS`; throws an Error saying what is wrong (without the key material). */
export function parsePrivateJwks(text: string): PrivateSigningKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('must be a JSON array of private JWKs (it is not valid JSON)');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('must be a non-empty JSON array of private JWKs');
  const keys = parsed.map((jwk, i) => signingKeyFromJwk(jwk, `key ${i + 1}`));
  const kids = new Set<string>();
  for (const key of keys) {
    if (kids.has(key.kid)) throw new Error(`has two keys with kid "${key.kid}"`);
    kids.add(key.kid);
  }
  return keys;
}
