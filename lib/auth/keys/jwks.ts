/** The public JWKS document (`GET /.well-known/jwks.json`): public members only, never `d`. */
import type { Jwks } from '../responses.js';
import type { SigningKeys } from './jwk.js';

export function publicJwks(keys: SigningKeys): Jwks {
  return { keys: keys.keys.map((k) => ({ ...k.publicJwk })) };
}
