/** Hand-made JWTs for attack tests, signed with the test configuration's keys unless told otherwise. */
import { type JWTHeaderParameters, SignJWT, UnsecuredJWT } from 'jose';
import { config } from '../../lib/config.js';
import { keyring } from '../../lib/auth/jwt.js';

interface Forge {
  sub: string;
  type?: string;
  iss?: string;
  aud?: string;
  expiresInS?: number;
  /** Sign with HS256 and this secret (SECRET_KEY for a legacy kid-less token) instead of the active key. */
  secret?: string;
  alg?: string;
  typ?: string;
  sid?: string;
  /** `nbf`, seconds from now. */
  notBeforeInS?: number;
  /** Extra protected-header members (kid, jku, jwk, ...). */
  header?: Record<string, unknown>;
  /** Any key jose accepts (a CryptoKey, a KeyObject or HMAC bytes). */
  key?: Parameters<SignJWT['sign']>[0];
}

export async function forgeToken(options: Forge): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { signing } = await keyring();
  const hmac = options.secret !== undefined;
  const alg = options.alg ?? (hmac ? 'HS256' : signing.alg);
  const header = {
    alg,
    typ: options.typ ?? 'JWT',
    ...(!hmac && !options.key && signing.kid ? { kid: signing.kid } : {}),
    ...options.header,
  } as JWTHeaderParameters;
  const jwt = new SignJWT({ type: options.type ?? 'access', ...(options.sid ? { sid: options.sid } : {}) })
    .setProtectedHeader(header)
    .setSubject(options.sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresInS ?? 600))
    .setIssuer(options.iss ?? config.jwt.issuer)
    .setAudience(options.aud ?? config.jwt.audience);
  if (options.notBeforeInS !== undefined) jwt.setNotBefore(now + options.notBeforeInS);
  return jwt.sign(options.key ?? (hmac ? new TextEncoder().encode(options.secret) : signing.key));
}

/** A token with `alg: none` (no signature) carrying valid-looking claims. */
export function unsignedToken(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  return new UnsecuredJWT({ type: 'access' })
    .setSubject(sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .encode();
}

/** Flips one character of the signature. */
export function tamper(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

/** Replaces the payload (keeping the old signature). */
export function withPayload(token: string, patch: Record<string, unknown>): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...patch };
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

/** Replaces the protected header (keeping the old signature). */
export function withHeader(token: string, patch: Record<string, unknown>): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), ...patch };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`;
}
