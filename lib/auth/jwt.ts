/**
 * JWTs (jose). Signed with the active key of `JWT_ALGORITHM` (EdDSA by default; see
 * lib/auth/keys/). Access and refresh tokens share the claims the contract lists (`sub`, `type`,
 * `jti`, `iat`, `exp`, `iss`, `aud`) plus `sid`, the session they belong to. Verification picks
 * the key by `kid` from the configured set and pins the algorithm to it, and checks issuer,
 * audience, `typ` header and token type, so a token of one type is never accepted as the other
 * and `alg: none`, a swapped algorithm or a key named by the token itself never verifies.
 */
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import { config } from '../config.js';
import { buildKeyring, type KeyEntry, type Keyring } from './keys/keyring.js';

export type TokenType = 'access' | 'refresh';

export interface TokenClaims {
  sub: string;
  jti: string;
  type: TokenType;
  iat: number;
  exp: number;
  /** The session (refresh-token family). Absent from tokens issued before sessions existed. */
  sid?: string;
}

/** Our tokens are ~0.5 KB; anything far larger is refused before it is parsed. */
const MAX_TOKEN_LENGTH = 4096;
/** Header members that would let a token name its own key: never honoured, refused outright. */
const KEY_BEARING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256'];

let current: Promise<Keyring> | undefined;

/** The keys of this process's configuration, imported once per cold start. */
export function keyring(): Promise<Keyring> {
  current ??= buildKeyring(config.jwt.keys, config.secretKey);
  return current;
}

/** Signs a token of `type` for user `sub` (in session `sid`), valid for `ttlS` seconds from `now`. */
export async function signToken(
  claims: { type: TokenType; sub: string; jti: string; sid?: string },
  ttlS: number,
  now = Math.floor(Date.now() / 1000),
  keys?: Keyring,
): Promise<string> {
  const { signing } = keys ?? (await keyring());
  return new SignJWT(claims.sid ? { type: claims.type, sid: claims.sid } : { type: claims.type })
    .setProtectedHeader(
      signing.kid ? { alg: signing.alg, kid: signing.kid, typ: 'JWT' } : { alg: signing.alg, typ: 'JWT' },
    )
    .setSubject(claims.sub)
    .setJti(claims.jti)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlS)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .sign(signing.key);
}

export type VerifyResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'expired'; claims: TokenClaims }
  | { ok: false; reason: 'invalid' };

function asClaims(payload: Record<string, unknown>, type: TokenType): TokenClaims | undefined {
  const { sub, jti, iat, exp, sid } = payload;
  if (
    payload.type !== type ||
    typeof sub !== 'string' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  )
    return undefined;
  if (sid !== undefined && typeof sid !== 'string') return undefined;
  return sid === undefined ? { sub, jti, type, iat, exp } : { sub, jti, type, iat, exp, sid };
}

/** The configured key a token's header names, or nothing: the header never supplies a key itself. */
function keyFor(token: string, keys: Keyring): KeyEntry | undefined {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
  if (KEY_BEARING_HEADERS.some((name) => name in header)) return undefined;
  // Without a kid only an HS256 token can be ours (SECRET_KEY), so a public key can never be
  // presented as an HMAC secret, nor an HMAC token as an asymmetric one.
  if (header.kid === undefined) return header.alg === 'HS256' ? keys.hs256 : undefined;
  return typeof header.kid === 'string' ? keys.byKid.get(header.kid) : undefined;
}

/**
 * Verifies a token of the expected `type`. An expired but otherwise valid token reports its
 * claims (logout of an expired refresh token is still a 204); anything else is just invalid.
 */
export async function verifyToken(token: string, type: TokenType, keys?: Keyring): Promise<VerifyResult> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
  const entry = keyFor(token, keys ?? (await keyring()));
  if (!entry) return { ok: false, reason: 'invalid' };
  try {
    const { payload } = await jwtVerify(token, entry.key, {
      algorithms: [entry.alg],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      typ: 'JWT',
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
    });
    const claims = asClaims(payload, type);
    return claims ? { ok: true, claims } : { ok: false, reason: 'invalid' };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      const claims = asClaims(error.payload, type);
      // jose checked the signature, issuer and audience before it looked at `exp`.
      if (claims && error.payload.iss === config.jwt.issuer) return { ok: false, reason: 'expired', claims };
    }
    return { ok: false, reason: 'invalid' };
  }
}
