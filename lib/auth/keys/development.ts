/**
 * The development signing key: derived deterministically from the (development) SECRET_KEY, so
 * that every process of the local stack — each serverless-offline worker, each test worker,
 * `npm run bench`, the CLIs — computes the same key pair with nothing written to disk and no race
 * between processes creating it. It is as public as the development SECRET_KEY it comes from,
 * which is fine for a laptop and why it never applies in production (lib/config.ts refuses to
 * start there without JWT_PRIVATE_KEYS).
 */
import { createECDH, createHash, createPrivateKey } from 'node:crypto';
import { type AsymmetricAlgorithm, type PrivateSigningKey, signingKeyFromJwk } from './jwk.js';

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function developmentKey(alg: AsymmetricAlgorithm, secretKey: string): PrivateSigningKey {
  const seed = createHash('sha256').update(`jwt-development-key:${alg}:${secretKey}`).digest();
  const kid = `dev-${alg.toLowerCase()}-${createHash('sha256').update(seed).digest('base64url').slice(0, 8)}`;
  if (alg === 'EdDSA') {
    const jwk = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    }).export({ format: 'jwk' });
    return signingKeyFromJwk({ ...jwk, kid }, 'development key');
  }
  // P-256: a SHA-256 digest is a valid scalar except with probability ~2^-32.
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(seed);
  const point = ecdh.getPublicKey();
  return signingKeyFromJwk(
    {
      kty: 'EC',
      crv: 'P-256',
      d: seed.toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
      kid,
    },
    'development key',
  );
}
