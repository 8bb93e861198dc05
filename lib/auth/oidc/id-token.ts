/**
 * Verifying a provider's ID token (OpenID Connect Core §3.1.3.7): signature by a key of the
 * issuer's JWKS, `iss` equal to the configured issuer, `aud` one of our client ids (and `azp` one
 * of them when there are several audiences), `exp` in the future, `nonce` when one is expected.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { Problem, problems } from '../../http/problem.js';
import { log } from '../../log.js';
import { normalizeEmail } from '../users.js';
import { type OidcProviderConfig, providerMetadata } from './providers.js';

/** What the service keeps of a verified ID token. */
export interface VerifiedIdentity {
  provider: string;
  /** The provider's stable user id (`sub`). */
  subject: string;
  /** Normalised; absent when the provider shared none. */
  email?: string;
  /** Whether the provider says it verified `email` (Apple sends the string "true"). */
  emailVerified: boolean;
  /** The person's name when the provider sent one. */
  name?: string;
}

/** Tokens a few seconds past `exp` still pass: clocks of two machines never agree exactly. */
const CLOCK_TOLERANCE_S = 5;

/** Every way an ID token can fail, one answer: the client learns nothing about which check failed. */
export const invalidIdToken = () => new Problem('invalid_credentials', 'The ID token is invalid or has expired.');

const digestEquals = (a: string, b: string) => {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
};

/**
 * Whether the token's `nonce` claim matches the nonce the client holds. Native SDKs differ: some
 * put the nonce in the token as is, Apple's and Firebase's put its SHA-256 (hex): either is accepted.
 */
function nonceMatches(claim: unknown, expected: string): boolean {
  if (typeof claim !== 'string') return false;
  const hashed = createHash('sha256').update(expected).digest('hex');
  return digestEquals(claim, expected) || digestEquals(claim, hashed);
}

const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.trim() && value.trim().length <= max ? value.trim() : undefined;

/** Verifies an ID token issued to one of the provider's clients; 401 `invalid_credentials` otherwise. */
export async function verifyIdToken(
  provider: OidcProviderConfig,
  idToken: string,
  options: { nonce?: string },
): Promise<VerifiedIdentity> {
  const metadata = await providerMetadata(provider);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(idToken, metadata.keys, {
      issuer: metadata.issuer,
      audience: [...provider.clientIds],
      algorithms: metadata.idTokenAlgorithms,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (error) {
    // The JWKS could not be fetched: the provider is unreachable, not the token wrong.
    if (
      error instanceof errors.JWKSTimeout ||
      error instanceof TypeError ||
      (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
    ) {
      log.error('oidc jwks unavailable', { provider: provider.name, error });
      throw problems.unavailable();
    }
    log.info('oidc id token refused', {
      provider: provider.name,
      reason: error instanceof errors.JOSEError ? error.code : 'invalid',
    });
    throw invalidIdToken();
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length > 1 && !(typeof payload.azp === 'string' && provider.clientIds.includes(payload.azp))) {
    log.info('oidc id token refused', { provider: provider.name, reason: 'azp' });
    throw invalidIdToken();
  }
  if (options.nonce !== undefined && !nonceMatches(payload.nonce, options.nonce)) {
    log.info('oidc id token refused', { provider: provider.name, reason: 'nonce' });
    throw invalidIdToken();
  }
  const subject = text(payload.sub, 255);
  if (!subject) throw invalidIdToken();
  const email = text(payload.email, 254);
  const given = [text(payload.given_name, 150), text(payload.family_name, 150)].filter(Boolean).join(' ');
  return {
    provider: provider.name,
    subject,
    email: email ? normalizeEmail(email) : undefined,
    emailVerified: payload.email_verified === true || payload.email_verified === 'true',
    name: text(payload.name, 150) ?? text(given, 150),
  };
}
