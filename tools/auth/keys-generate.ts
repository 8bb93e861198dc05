/** A new private signing JWK (`npm run keys:generate`, and tests). */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AsymmetricAlgorithm } from '../../lib/auth/keys/jwk.js';

/** A private JWK with `kid` (date + random suffix unless given), `alg` and `use`. */
export function generatePrivateJwk(alg: AsymmetricAlgorithm = 'EdDSA', kid?: string) {
  const { privateKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    ...jwk,
    kid: kid ?? `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`,
    alg,
    use: 'sig' as const,
  };
}
