/**
 * The configured OpenID providers (`OIDC_PROVIDERS`, `OIDC_<NAME>_*`), their discovery documents
 * and signing keys. Discovery and the JWKS are fetched from the issuer at first use and kept for
 * the warm instance's lifetime (jose's remote JWKS refetches by itself when a token names a key it
 * has not seen: the provider rotated). A failed fetch is not cached: the next request tries again.
 */
import { createRemoteJWKSet, importPKCS8, SignJWT } from 'jose';
import { config, isAcceptableProviderUrl, type OidcProviderConfig } from '../../config.js';
import { problems } from '../../http/problem.js';
import { log } from '../../log.js';

export type { OidcProviderConfig };

/** How long one request to a provider may take (discovery, JWKS, token endpoint). */
export const PROVIDER_TIMEOUT_MS = 3000;

/** The parts of the discovery document the service uses. */
export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Client authentication at the token endpoint (the spec's default is `client_secret_basic`). */
  tokenAuthMethods: string[];
  /** Signature algorithms the provider may use for ID tokens (never `none` or an HMAC). */
  idTokenAlgorithms: string[];
  keys: ReturnType<typeof createRemoteJWKSet>;
}

/** The configured provider of a route's `{provider}`; 404 `not_found` for any other name. */
export function providerNamed(name: string | undefined): OidcProviderConfig {
  const provider = name ? config.oidc.providers.get(name.toLowerCase()) : undefined;
  if (!provider) throw problems.notFound('No such sign-in provider.');
  return provider;
}

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

const discovered = new Map<string, Promise<ProviderMetadata>>();

/** The provider's metadata, fetched once per instance; 503 while the provider cannot be reached. */
export function providerMetadata(provider: OidcProviderConfig): Promise<ProviderMetadata> {
  let metadata = discovered.get(provider.name);
  if (!metadata) {
    metadata = discover(provider).catch((error: unknown) => {
      discovered.delete(provider.name);
      log.error('oidc discovery failed', { provider: provider.name, error });
      throw problems.unavailable();
    });
    discovered.set(provider.name, metadata);
  }
  return metadata;
}

async function discover(provider: OidcProviderConfig): Promise<ProviderMetadata> {
  const url = `${provider.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, {
    signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  const document = (await response.json()) as Record<string, unknown>;
  // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
  if (document.issuer !== provider.issuer) throw new Error('discovery issuer does not match the configured issuer');
  const endpoint = (key: string): string => {
    const value = document[key];
    if (typeof value !== 'string' || !isAcceptableProviderUrl(value, config.appEnv))
      throw new Error(`discovery ${key} is missing or not https`);
    return value;
  };
  const strings = (key: string): string[] | undefined =>
    Array.isArray(document[key])
      ? (document[key] as unknown[]).filter((v): v is string => typeof v === 'string')
      : undefined;
  const algorithms = (strings('id_token_signing_alg_values_supported') ?? ['RS256']).filter((alg) =>
    ASYMMETRIC.test(alg),
  );
  return {
    issuer: provider.issuer,
    authorizationEndpoint: endpoint('authorization_endpoint'),
    tokenEndpoint: endpoint('token_endpoint'),
    tokenAuthMethods: strings('token_endpoint_auth_methods_supported') ?? ['client_secret_basic'],
    idTokenAlgorithms: algorithms.length ? algorithms : ['RS256'],
    keys: createRemoteJWKSet(new URL(endpoint('jwks_uri')), { timeoutDuration: PROVIDER_TIMEOUT_MS }),
  };
}

/** Apple accepts a client-secret JWT for up to six months; ours live five minutes and are reused meanwhile. */
const CLIENT_SECRET_JWT_TTL_S = 300;
const clientSecretJwts = new Map<string, { value: string; expiresAt: number }>();

/**
 * The web client's secret for the token endpoint: the configured one, or (Apple) a short JWT
 * signed with the team's key: `iss` the team id, `sub` the client id, `aud` the issuer.
 */
export async function clientSecret(provider: OidcProviderConfig): Promise<string | undefined> {
  const jwt = provider.clientSecretJwt;
  if (!jwt) return provider.clientSecret;
  const now = Math.floor(Date.now() / 1000);
  const cached = clientSecretJwts.get(provider.name);
  if (cached && cached.expiresAt - 60 > now) return cached.value;
  const key = await importPKCS8(jwt.privateKeyPem, 'ES256');
  const value = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: jwt.keyId })
    .setIssuer(jwt.teamId)
    .setSubject(provider.clientIds[0]!)
    .setAudience(provider.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + CLIENT_SECRET_JWT_TTL_S)
    .sign(key);
  clientSecretJwts.set(provider.name, { value, expiresAt: now + CLIENT_SECRET_JWT_TTL_S });
  return value;
}
