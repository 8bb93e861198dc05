/**
 * A real, certified OpenID provider (the `oidc-provider` package) on loopback, for the social
 * sign-in tests. The service under test discovers it, fetches its JWKS and redeems codes at its
 * token endpoint like it would at Google's or Apple's. Logins go through the provider's own
 * interaction endpoints (its development login and consent forms), driven over HTTP with a small
 * cookie jar, as a browser would.
 *
 * Clients registered at the provider:
 * - `web-app` (confidential, `client_secret_post`): the service's web flow;
 * - `mobile-app` and `other-app` (public, PKCE): native apps; only `mobile-app` is one of the
 *   service's accepted audiences, so `other-app`'s tokens are "issued to someone else".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import Provider from 'oidc-provider';

export const WEB_CLIENT_ID = 'web-app';
export const WEB_CLIENT_SECRET = 'web-app-secret-for-tests-only-0123456789';
export const MOBILE_CLIENT_ID = 'mobile-app';
export const OTHER_CLIENT_ID = 'other-app';
const NATIVE_REDIRECT = 'http://127.0.0.1/native-callback';
/** Where the service under test believes it is deployed (never contacted: tests invoke handlers). */
export const SERVICE_BASE_URL = 'http://127.0.0.1:3999';
/** The app page the web flow ends on. */
export const APP_REDIRECT_URI = 'https://app.example.com/auth/done';

export interface ProviderAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

/** What the provider answered at the end of a login: a redirect, or an auto-submitting form (`form_post`). */
export type ProviderAnswer =
  | { kind: 'redirect'; url: URL }
  | { kind: 'form_post'; action: string; fields: Record<string, string> };

export interface TestProvider {
  issuer: string;
  /** Registers a user at the provider (login by `sub`). */
  addAccount(account: ProviderAccount): ProviderAccount;
  /**
   * The service's configuration for this provider under `names` (default `test`, plus
   * `formpost` answering with `response_mode=form_post`).
   */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Follows an authorization URL through the provider's login and consent as `login`, or aborts at the login. */
  signInAtProvider(authorizationUrl: string, login: string, options?: { abort?: boolean }): Promise<ProviderAnswer>;
  /** A genuine ID token for a native client (code flow with PKCE at the provider itself). */
  nativeIdToken(login: string, options?: { clientId?: string; nonce?: string }): Promise<string>;
  /** Signs claims with the provider's own signing key (to test checks a real provider never fails). */
  signWithProviderKey(claims: JWTPayload): Promise<string>;
  /** Signs claims with a stranger's key under the provider's key id (a forged signature). */
  signWithForeignKey(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

const KID = 'test-provider-key';

/** Starts the provider on a free loopback port. */
export async function startTestProvider(): Promise<TestProvider> {
  const accounts = new Map<string, ProviderAccount>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const foreign = await generateKeyPair('RS256');

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const nativeClient = (clientId: string) => ({
    client_id: clientId,
    application_type: 'native' as const,
    token_endpoint_auth_method: 'none' as const,
    redirect_uris: [NATIVE_REDIRECT],
    grant_types: ['authorization_code'],
    response_types: ['code' as const],
  });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: WEB_CLIENT_ID,
        client_secret: WEB_CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        redirect_uris: [
          `${SERVICE_BASE_URL}/api/auth/oidc/test/callback`,
          `${SERVICE_BASE_URL}/api/auth/oidc/formpost/callback`,
        ],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      nativeClient(MOBILE_CLIENT_ID),
      nativeClient(OTHER_CLIENT_ID),
    ],
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Like Google and Apple: the requested claims are in the ID token itself.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    ttl: { AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub) ?? { sub };
      return { accountId: sub, claims: () => ({ ...account }) };
    },
  });
  // The provider's warnings about its development-only interactions are expected here.
  provider.on('server_error', () => {});
  server.on('request', provider.callback());

  const jar = () => {
    const cookies = new Map<string, string>();
    return {
      header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      store(response: Response) {
        for (const line of response.headers.getSetCookie()) {
          const [pair] = line.split(';');
          const at = pair!.indexOf('=');
          const name = pair!.slice(0, at).trim();
          const value = pair!.slice(at + 1).trim();
          if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') cookies.delete(name);
          else cookies.set(name, value);
        }
      },
    };
  };

  async function signInAtProvider(
    authorizationUrl: string,
    login: string,
    options: { abort?: boolean } = {},
  ): Promise<ProviderAnswer> {
    const cookies = jar();
    let request: { url: string; form?: Record<string, string> } = { url: authorizationUrl };
    for (let step = 0; step < 12; step++) {
      const response = await fetch(request.url, {
        method: request.form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: cookies.header(),
          ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: request.form ? new URLSearchParams(request.form) : undefined,
      });
      cookies.store(response);
      const location = response.headers.get('location');
      if (location) {
        const next = new URL(location, request.url);
        // Leaving the provider: its answer to the client.
        if (next.origin !== issuer) return { kind: 'redirect', url: next };
        request = { url: next.toString() };
        continue;
      }
      const html = await response.text();
      if (!response.ok && response.status !== 400)
        throw new Error(`provider answered ${response.status}: ${html.slice(0, 300)}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (prompt === 'login') {
        if (options.abort) {
          request = { url: new URL(`${new URL(action!, request.url).pathname}/abort`, issuer).toString() };
          continue;
        }
        request = { url: new URL(action!, request.url).toString(), form: { prompt: 'login', login, password: 'any' } };
      } else if (prompt === 'consent') {
        request = { url: new URL(action!, request.url).toString(), form: { prompt: 'consent' } };
      } else if (action) {
        const fields = Object.fromEntries(
          [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [
            m[1]!,
            decodeHtml(m[2]!),
          ]),
        );
        return { kind: 'form_post', action, fields };
      } else {
        throw new Error(`unexpected provider page: ${html.slice(0, 300)}`);
      }
    }
    throw new Error('the provider login did not finish in 12 steps');
  }

  async function nativeIdToken(login: string, options: { clientId?: string; nonce?: string } = {}): Promise<string> {
    const clientId = options.clientId ?? MOBILE_CLIENT_ID;
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${issuer}/auth`);
    const params: Record<string, string> = {
      client_id: clientId,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: NATIVE_REDIRECT,
      state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(options.nonce ? { nonce: options.nonce } : {}),
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const answer = await signInAtProvider(url.toString(), login);
    if (answer.kind !== 'redirect' || !answer.url.searchParams.get('code'))
      throw new Error(`no code from the provider: ${JSON.stringify(answer)}`);
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: answer.url.searchParams.get('code')!,
        redirect_uri: NATIVE_REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    const tokens = (await response.json()) as { id_token?: string };
    if (!tokens.id_token) throw new Error(`no ID token from the provider: ${JSON.stringify(tokens)}`);
    return tokens.id_token;
  }

  const providerKey = await importJWK(signingJwk, 'RS256');
  const sign = (claims: JWTPayload, key: Parameters<SignJWT['sign']>[0]) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(key);

  return {
    issuer,
    addAccount(account) {
      accounts.set(account.sub, account);
      return account;
    },
    env(extra = {}) {
      const common = {
        ISSUER: issuer,
        CLIENT_IDS: `${WEB_CLIENT_ID},${MOBILE_CLIENT_ID}`,
        CLIENT_SECRET: WEB_CLIENT_SECRET,
      };
      return {
        OIDC_PROVIDERS: 'test,formpost',
        ...Object.fromEntries(Object.entries(common).map(([k, v]) => [`OIDC_TEST_${k}`, v])),
        ...Object.fromEntries(Object.entries(common).map(([k, v]) => [`OIDC_FORMPOST_${k}`, v])),
        OIDC_FORMPOST_RESPONSE_MODE: 'form_post',
        OIDC_REDIRECT_URIS: APP_REDIRECT_URI,
        OIDC_CALLBACK_BASE_URL: SERVICE_BASE_URL,
        ...extra,
      };
    },
    signInAtProvider,
    nativeIdToken,
    signWithProviderKey: (claims) => sign(claims, providerKey),
    signWithForeignKey: (claims) => sign(claims, foreign.privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const decodeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
