/** The public JWKS document (`GET /.well-known/jwks.json`): public members only, never `d`. */
import type { PublicJwk, SigningKeys } from './jwk.js';

export function publicJwks(keys: SigningKeys): { keys: PublicJwk[] } {
  return { keys: keys.keys.map((k) => ({ ...k.publicJwk })) };
}
