/**
 * JWTs (jose, HS256 from SECRET_KEY). Access and refresh tokens share the claims the contract
 * lists (`sub`, `type`, `jti`, `iat`, `exp`, `iss`, `aud`); verification pins the algorithm,
 * issuer, audience, `typ` header and token type, so a token of one type is never accepted as the
 * other and `alg: none` or a swapped algorithm never verifies.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { config } from '../config.js';

export type TokenType = 'access' | 'refresh';

export interface TokenClaims {
  sub: string;
  jti: string;
  type: TokenType;
  iat: number;
  exp: number;
}

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
let key: Promise<HmacKey> | undefined;

/** The HMAC key, imported once per cold start (re-importing per request costs more than signing). */
function signingKey(): Promise<HmacKey> {
  key ??= crypto.subtle.importKey('raw', new TextEncoder().encode(config.secretKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return key;
}

/** Signs a token of `type` for user `sub`, valid for `ttlS` seconds from `now`. */
export async function signToken(type: TokenType, sub: string, jti: string, ttlS: number, now = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({ type })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlS)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .sign(await signingKey());
}

export type VerifyResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'expired'; claims: TokenClaims }
  | { ok: false; reason: 'invalid' };

function asClaims(payload: Record<string, unknown>, type: TokenType): TokenClaims | undefined {
  const { sub, jti, iat, exp } = payload;
  if (payload.type !== type || typeof sub !== 'string' || typeof jti !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  return { sub, jti, type, iat, exp };
}

/**
 * Verifies a token of the expected `type`. An expired but otherwise valid token reports its
 * claims (logout of an expired refresh token is still a 204); anything else is just invalid.
 */
export async function verifyToken(token: string, type: TokenType): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, await signingKey(), {
      algorithms: ['HS256'],
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
