/** Hand-made JWTs for attack tests, signed with the test configuration's secret. */
import { SignJWT, UnsecuredJWT } from 'jose';
import { config } from '../../lib/config.js';

interface Forge {
  sub: string;
  type?: string;
  iss?: string;
  aud?: string;
  expiresInS?: number;
  secret?: string;
  alg?: string;
  typ?: string;
}

export async function forgeToken(options: Forge): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ type: options.type ?? 'access' })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: options.typ ?? 'JWT' })
    .setSubject(options.sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresInS ?? 600))
    .setIssuer(options.iss ?? config.jwt.issuer)
    .setAudience(options.aud ?? config.jwt.audience)
    .sign(new TextEncoder().encode(options.secret ?? config.secretKey));
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
