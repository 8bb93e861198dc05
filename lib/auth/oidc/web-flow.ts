/**
 * The web flow: authorization code with PKCE (S256), `state` and `nonce`.
 *
 * 1. `authorize`: remembers the attempt in Redis under the digest of a fresh `state` (with the
 *    nonce, the PKCE verifier and the app's `redirect_uri`), and sends the browser to the provider.
 * 2. `callback`: the provider sends the browser back with `code` and `state`; the attempt is taken
 *    (once), the code is redeemed at the provider's token endpoint with the verifier, the ID token
 *    is verified (with the attempt's nonce), and the browser goes on to the app's `redirect_uri`
 *    with a one-time exchange `code` of ours. Provider-side failures go there as `error=`.
 * 3. `exchange`: the app trades our code (once, within {@link EXCHANGE_CODE_TTL_S}) for the
 *    user and a token pair; the linking rules apply there, so their problems (409
 *    `account_exists`...) reach the app as problem+json.
 *
 * The app may pass its own `state` to `authorize`; it comes back unchanged on the final redirect,
 * so the app can check the sign-in it receives is the one it started (login CSRF).
 */
import { createHash } from 'node:crypto';
import { config } from '../../config.js';
import { Problem, problems } from '../../http/problem.js';
import { log } from '../../log.js';
import type { ClientInfo } from '../sessions.js';
import { type VerifiedIdentity, verifyIdToken } from './id-token.js';
import { newSecret, putOnce, takeOnce } from './one-time.js';
import { clientSecret, type OidcProviderConfig, PROVIDER_TIMEOUT_MS, providerMetadata } from './providers.js';
import { type SocialSignIn, signInWithIdentity } from './sign-in.js';

/** How long the provider's login page may take before the attempt expires. */
export const AUTHORIZATION_TTL_S = 600;
/** How long the app has to exchange our code (it does so right after the redirect). */
export const EXCHANGE_CODE_TTL_S = 120;

/** The `error` values the callback's redirect may carry. */
export const CALLBACK_ERRORS = {
  /** The user declined or cancelled at the provider. */
  access_denied: 'access_denied',
  /** Anything else went wrong on the provider's side (an error answer, an unverifiable ID token...). */
  provider_error: 'provider_error',
} as const;

interface Attempt {
  provider: string;
  redirectUri: string;
  nonce: string;
  verifier: string;
  appState?: string;
}

interface PendingSignIn {
  identity: VerifiedIdentity;
  fullName?: string;
}

/** The URL the provider sends the browser back to (registered with the provider). */
export const callbackUrl = (provider: OidcProviderConfig) =>
  `${config.oidc.callbackBaseUrl}/api/auth/oidc/${provider.name}/callback`;

const invalidAttempt = () =>
  new Problem('invalid_token', 'The sign-in attempt is unknown or has expired. Start again.');
const invalidExchangeCode = () => new Problem('invalid_token', 'The sign-in code is invalid, expired or already used.');

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** A redirect (302) to `url`. */
export interface Redirect {
  location: string;
}

/** Step 1: the provider's authorization URL for a new attempt. */
export async function authorize(
  provider: OidcProviderConfig,
  input: { redirect_uri: string; state?: string },
): Promise<Redirect> {
  if (!config.oidc.redirectUris.includes(input.redirect_uri)) {
    throw problems.validation(
      [{ field: 'redirect_uri', message: 'This redirect URI is not allowed (OIDC_REDIRECT_URIS).' }],
      'Query string is invalid.',
    );
  }
  const metadata = await providerMetadata(provider);
  const state = newSecret();
  const attempt: Attempt = {
    provider: provider.name,
    redirectUri: input.redirect_uri,
    nonce: newSecret(),
    verifier: newSecret(),
    appState: input.state,
  };
  await putOnce('state', state, attempt, AUTHORIZATION_TTL_S);
  const url = new URL(metadata.authorizationEndpoint);
  const params = {
    response_type: 'code',
    client_id: provider.clientIds[0]!,
    redirect_uri: callbackUrl(provider),
    scope: provider.scopes,
    state,
    nonce: attempt.nonce,
    code_challenge: s256(attempt.verifier),
    code_challenge_method: 'S256',
    ...(provider.responseMode === 'form_post' ? { response_mode: 'form_post' } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { location: url.toString() };
}

/** The parameters the provider sends back (query string, or a form post under `form_post`). */
export interface CallbackParams {
  state?: string;
  code?: string;
  error?: string;
  /** Apple, first authorization only: `{"name":{"firstName","lastName"},"email"}`. */
  user?: string;
}

const withParams = (base: string, params: Record<string, string | undefined>) => {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
};

/** Step 2: the provider's answer; a redirect to the app with our one-time code or an `error`. */
export async function callback(provider: OidcProviderConfig, params: CallbackParams): Promise<Redirect> {
  const attempt = await takeOnce<Attempt>('state', params.state ?? '');
  // Without a live attempt there is no trusted place to send the browser: answer here.
  if (!attempt || attempt.provider !== provider.name) throw invalidAttempt();
  const back = (extra: Record<string, string>) => ({
    location: withParams(attempt.redirectUri, { ...extra, state: attempt.appState }),
  });

  if (params.error || !params.code) {
    log.info('oidc authorization refused', { provider: provider.name, error: params.error?.slice(0, 64) ?? 'no code' });
    return back({
      error: params.error === 'access_denied' ? CALLBACK_ERRORS.access_denied : CALLBACK_ERRORS.provider_error,
    });
  }
  let pending: PendingSignIn;
  try {
    const idToken = await redeemCode(provider, params.code, attempt.verifier);
    pending = {
      identity: await verifyIdToken(provider, idToken, { nonce: attempt.nonce }),
      fullName: appleUserName(params.user),
    };
  } catch (error) {
    if (!(error instanceof Problem)) log.error('oidc code exchange failed', { provider: provider.name, error });
    return back({ error: CALLBACK_ERRORS.provider_error });
  }
  const code = newSecret();
  await putOnce('code', code, pending, EXCHANGE_CODE_TTL_S);
  return back({ code });
}

/** Redeems the provider's authorization code for its ID token (the access token is not kept). */
async function redeemCode(provider: OidcProviderConfig, code: string, verifier: string): Promise<string> {
  const metadata = await providerMetadata(provider);
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: callbackUrl(provider),
    code_verifier: verifier,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const clientId = provider.clientIds[0]!;
  const secret = await clientSecret(provider);
  if (secret && !metadata.tokenAuthMethods.includes('client_secret_post')) {
    // RFC 6749 §2.3.1: both parts form-urlencoded before the Basic encoding.
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
  } else {
    body.set('client_id', clientId);
    if (secret) body.set('client_secret', secret);
  }
  const response = await fetch(metadata.tokenEndpoint, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
  });
  const answer = (await response.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
  if (!response.ok || typeof answer.id_token !== 'string') {
    throw new Error(
      `token endpoint answered ${response.status}${typeof answer.error === 'string' ? ` ${answer.error.slice(0, 64)}` : ''}`,
    );
  }
  return answer.id_token;
}

/** The name from Apple's one-time `user` form field, when it is there and well formed. */
function appleUserName(user: string | undefined): string | undefined {
  if (!user) return undefined;
  try {
    const name = (JSON.parse(user) as { name?: { firstName?: unknown; lastName?: unknown } }).name;
    const full = [name?.firstName, name?.lastName]
      .filter((part): part is string => typeof part === 'string' && part.trim() !== '')
      .map((part) => part.trim())
      .join(' ');
    return full ? full.slice(0, 150) : undefined;
  } catch {
    return undefined;
  }
}

/** Step 3: our one-time code for the user and a token pair. */
export async function exchange(code: string, client: ClientInfo): Promise<SocialSignIn> {
  const pending = await takeOnce<PendingSignIn>('code', code);
  if (!pending) throw invalidExchangeCode();
  return signInWithIdentity(pending.identity, client, { fullName: pending.fullName });
}

/**
 * The provider's answer as the callback receives it: the query string (`GET`), or a form post
 * (`POST`, `response_mode=form_post`, which Apple uses when it sends the name). A form is held to
 * the API's 16 KiB body limit and must be `application/x-www-form-urlencoded`.
 */
export function callbackParams(event: {
  requestContext: { http: { method: string } };
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
  body?: unknown;
  isBase64Encoded?: boolean;
}): CallbackParams {
  let source: Record<string, string | undefined> = event.queryStringParameters ?? {};
  if (event.requestContext.http.method === 'POST') {
    const raw =
      typeof event.body === 'string'
        ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
        : Buffer.alloc(0);
    if (raw.length > MAX_FORM_BYTES) throw problems.payloadTooLarge(MAX_FORM_BYTES);
    const type = (event.headers?.['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      throw new Problem(
        'unsupported_media_type',
        'The callback takes a form post (application/x-www-form-urlencoded).',
      );
    }
    source = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
  const pick = (name: string) => (typeof source[name] === 'string' ? source[name] : undefined);
  return { state: pick('state'), code: pick('code'), error: pick('error'), user: pick('user') };
}

const MAX_FORM_BYTES = 16 * 1024;
