/**
 * Social sign-in against a real OpenID provider (`oidc-provider` on loopback, tests/helpers/
 * oidc-provider.ts): the native ID-token route, the web code flow with PKCE, the linking rules,
 * and the identities routes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../../lib/db/index.js';
import { securityEvents, userIdentities, users } from '../../lib/db/schema.js';
import { redis, redisKey } from '../../lib/redis.js';
import { createAccount } from '../helpers/admin.js';
import { importFresh } from '../helpers/fresh.js';
import { call, expectProblem, invoke, randomIp } from '../helpers/http.js';
import { webFlow } from '../helpers/oidc-flows.js';
import { resetTokenFor } from '../helpers/mailbox.js';
import { codeAt, registerMfaAccount } from '../helpers/mfa.js';
import { handler as loginMfaHandler } from '../../functions/auth-login-mfa.js';
import {
  APP_REDIRECT_URI,
  OTHER_CLIENT_ID,
  type ProviderAccount,
  SERVICE_BASE_URL,
  startTestProvider,
  type TestProvider,
  WEB_CLIENT_ID,
} from '../helpers/oidc-provider.js';
import { registerAccount, STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

import type { OidcHandlers as Handlers } from '../helpers/oidc-flows.js';

let idp: TestProvider;
let routes: Handlers;

beforeAll(async () => {
  idp = await startTestProvider();
  routes = await importFresh<Handlers>('tests/helpers/oidc-handlers.ts', idp.env());
});
afterAll(async () => {
  await idp?.close();
});

const person = (overrides: Partial<ProviderAccount> = {}) =>
  idp.addAccount({
    sub: `sub-${randomUUID()}`,
    email: uniqueEmail('social'),
    email_verified: true,
    name: 'Ann Provider',
    ...overrides,
  });

const idTokenPath = (provider = 'test') => ({
  path: `/api/auth/oidc/${provider}/id-token`,
  pathParameters: { provider },
});
const postIdToken = (body: Record<string, unknown>, provider = 'test') => {
  const { path, pathParameters } = idTokenPath(provider);
  return call(routes.idToken, 'POST', path, { body, pathParameters });
};

const eventsOf = (userId: string) => db().select().from(securityEvents).where(eq(securityEvents.userId, userId));
const markVerified = (userId: string) => db().update(users).set({ emailVerified: true }).where(eq(users.id, userId));
const identityRows = (userId: string) => db().select().from(userIdentities).where(eq(userIdentities.userId, userId));

/** A token like the provider's for `account`, with `overrides`, signed by the provider's key. */
const crafted = (account: ProviderAccount, overrides: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return idp.signWithProviderKey({
    iss: idp.issuer,
    aud: WEB_CLIENT_ID,
    sub: account.sub,
    email: account.email,
    email_verified: account.email_verified,
    iat: now,
    exp: now + 600,
    ...overrides,
  });
};

describe('native sign-in with an ID token', () => {
  it('creates an account (201) from a genuine ID token, then signs the same user in (200)', async () => {
    const who = person();
    const nonce = randomUUID();
    const first = await postIdToken({ id_token: await idp.nativeIdToken(who.sub, { nonce }), nonce });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.user).toMatchObject({ email: who.email, email_verified: true, full_name: 'Ann Provider' });
    expect(first.body.token_type).toBe('Bearer');
    expect((await call(routes.me, 'GET', '/api/auth/me', { token: first.body.access })).status).toBe(200);

    const again = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    expect(again.status).toBe(200);
    expect(again.body.user.id).toBe(first.body.user.id);

    const events = await eventsOf(first.body.user.id);
    expect(events.map((e) => e.type).sort()).toEqual(['identity_linked', 'login', 'register']);
    expect(events.find((e) => e.type === 'register')!.details).toEqual({ method: 'test' });
    expect(events.find((e) => e.type === 'login')!.details).toEqual({ method: 'test' });
  });

  it('takes the name the app passes (Apple sends it to the app only once) for a new account', async () => {
    const who = person({ name: undefined });
    const res = await postIdToken({ id_token: await idp.nativeIdToken(who.sub), full_name: '  Grace Hopper ' });
    expect(res.status).toBe(201);
    expect(res.body.user.full_name).toBe('Grace Hopper');
  });

  it('accepts the nonce as sent, or its SHA-256 in the token (Apple and Firebase style)', async () => {
    const who = person();
    const raw = randomUUID();
    const hashed = createHash('sha256').update(raw).digest('hex');
    expect(
      (await postIdToken({ id_token: await idp.nativeIdToken(who.sub, { nonce: hashed }), nonce: raw })).status,
    ).toBe(201);
  });

  it('accepts a well-formed token signed by the provider (the control for the refusals below)', async () => {
    const res = await postIdToken({ id_token: await crafted(person()) });
    expect(res.status).toBe(201);
  });

  it.each([
    [
      'issued to another client (aud)',
      async (who: ProviderAccount) => idp.nativeIdToken(who.sub, { clientId: OTHER_CLIENT_ID }),
    ],
    ['from another issuer (iss)', (who: ProviderAccount) => crafted(who, { iss: 'https://evil.example.com' })],
    [
      'expired (exp)',
      (who: ProviderAccount) =>
        crafted(who, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
    ],
    [
      'signed by another key',
      (who: ProviderAccount) =>
        idp.signWithForeignKey({
          iss: idp.issuer,
          aud: WEB_CLIENT_ID,
          sub: who.sub,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 600,
        }),
    ],
    [
      'with several audiences and an azp that is not ours',
      (who: ProviderAccount) => crafted(who, { aud: [WEB_CLIENT_ID, OTHER_CLIENT_ID], azp: OTHER_CLIENT_ID }),
    ],
    ['not a JWT at all', async () => 'not.a.token'],
  ])('refuses a token %s with 401 invalid_credentials and creates nothing', async (_what, token) => {
    const who = person();
    const res = await postIdToken({ id_token: await token(who) });
    expectProblem(res, 401, 'invalid_credentials');
    expect(await db().select().from(users).where(eq(users.email, who.email!))).toEqual([]);
  });

  it('refuses a token whose nonce is not the one the app sent', async () => {
    const who = person();
    const res = await postIdToken({ id_token: await idp.nativeIdToken(who.sub, { nonce: 'one' }), nonce: 'another' });
    expectProblem(res, 401, 'invalid_credentials');
  });

  it('answers 404 not_found for a provider that is not configured', async () => {
    const res = await postIdToken({ id_token: await crafted(person()) }, 'myspace');
    expectProblem(res, 404, 'not_found');
  });

  it('validates the body before anything else', async () => {
    const res = await postIdToken({ nonce: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'id_token', message: expect.any(String) }]);
  });
});

describe('linking to an existing account', () => {
  it('links when the provider and the account both say the email is verified', async () => {
    const account = await registerAccount();
    await markVerified(account.id);
    const who = person({ email: account.email, email_verified: true });
    const res = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user.id).toBe(account.id);
    const [identity] = await identityRows(account.id);
    expect(identity).toMatchObject({ provider: 'test', subject: who.sub });
    const linked = (await eventsOf(account.id)).find((e) => e.type === 'identity_linked');
    expect(linked?.details).toEqual({ provider: 'test', identity_id: identity!.id });
    // The password still works too.
    expect(
      (
        await call(routes.login, 'POST', '/api/auth/login', {
          body: { email: account.email, password: STRONG_PASSWORD },
        })
      ).status,
    ).toBe(200);
  });

  it('never links to an account whose own email is unverified (pre-hijacking): 409 account_exists', async () => {
    const account = await registerAccount();
    const who = person({ email: account.email, email_verified: true });
    const res = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    expectProblem(res, 409, 'account_exists');
    expect(await identityRows(account.id)).toEqual([]);
  });

  it('never links when the provider does not vouch for the email: 409 account_exists', async () => {
    const account = await registerAccount();
    await markVerified(account.id);
    const who = person({ email: account.email.toUpperCase(), email_verified: false });
    const res = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    expectProblem(res, 409, 'account_exists');
    expect(await identityRows(account.id)).toEqual([]);
  });

  it('creates an unverified account when the provider does not vouch for a new email', async () => {
    const who = person({ email_verified: false });
    const res = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    expect(res.status).toBe(201);
    expect(res.body.user.email_verified).toBe(false);
  });

  it('refuses an inactive account, linked or linkable, with 401 invalid_credentials', async () => {
    const who = person();
    const created = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    await db().update(users).set({ isActive: false }).where(eq(users.id, created.body.user.id));
    const res = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    expectProblem(res, 401, 'invalid_credentials');
  });

  it('gives a social-only account no password until forgot-password sets one', async () => {
    const who = person();
    const created = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    const [row] = await db().select().from(users).where(eq(users.id, created.body.user.id));
    expect(row!.password.startsWith('!')).toBe(true);
    for (const password of [row!.password, '', STRONG_PASSWORD]) {
      const attempt = await call(routes.login, 'POST', '/api/auth/login', {
        body: { email: who.email, password: password || 'x' },
        sourceIp: randomIp(),
      });
      expect(attempt.status).toBe(401);
    }
    expect(
      (await call(routes.forgotPassword, 'POST', '/api/auth/forgot-password', { body: { email: who.email } })).status,
    ).toBe(202);
    const token = await resetTokenFor(who.email!);
    expect(
      (
        await call(routes.resetPassword, 'POST', '/api/auth/reset-password', {
          body: { token, new_password: STRONG_PASSWORD },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(routes.login, 'POST', '/api/auth/login', { body: { email: who.email, password: STRONG_PASSWORD } }))
        .status,
    ).toBe(200);
  });

  it('settles two concurrent first sign-ins of one identity on one account', async () => {
    const who = person();
    const [a, b] = await Promise.all([idp.nativeIdToken(who.sub), idp.nativeIdToken(who.sub)]);
    const results = await Promise.all([postIdToken({ id_token: a }), postIdToken({ id_token: b })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(results[0]!.body.user.id).toBe(results[1]!.body.user.id);
  });
});

const exchangeCode = (code: string) => call(routes.exchange, 'POST', '/api/auth/oidc/exchange', { body: { code } });

describe('two-factor accounts', () => {
  it('asks a TOTP user for the second factor after a linked provider sign-in, and never links one by email', async () => {
    const account = await registerAccount();
    await markVerified(account.id);
    const who = person({ email: account.email });
    expect((await postIdToken({ id_token: await idp.nativeIdToken(who.sub) })).status).toBe(200);
    const { secret } = await registerMfaAccount(account);

    const challenged = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    expect(challenged.status).toBe(200);
    expect(challenged.body).toMatchObject({ mfa_required: true, methods: ['totp', 'recovery_code'] });
    expect(challenged.body.access).toBeUndefined();
    const finished = await call(loginMfaHandler, 'POST', '/api/auth/login/mfa', {
      body: { mfa_token: challenged.body.mfa_token, code: codeAt(secret, 1) },
    });
    expect(finished.status, JSON.stringify(finished.body)).toBe(200);
    expect(finished.body.user.id).toBe(account.id);

    const other = await registerMfaAccount();
    await markVerified(other.id);
    const stranger = person({ email: other.email });
    const refused = await postIdToken({ id_token: await idp.nativeIdToken(stranger.sub) });
    expectProblem(refused, 409, 'account_exists');
    expect(await identityRows(other.id)).toEqual([]);
  });
});

describe('web sign-in (authorization code flow with PKCE)', () => {
  it('sends the browser to the provider with PKCE S256, state and nonce', async () => {
    const res = await call(routes.authorize, 'GET', '/api/auth/oidc/test/authorize', {
      query: { redirect_uri: APP_REDIRECT_URI },
      pathParameters: { provider: 'test' },
    });
    expect(res.status).toBe(302);
    const url = new URL(res.headers.location!);
    expect(`${url.origin}${url.pathname}`).toBe(`${idp.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: WEB_CLIENT_ID,
      redirect_uri: `${SERVICE_BASE_URL}/api/auth/oidc/test/callback`,
      code_challenge_method: 'S256',
      scope: 'openid email profile',
    });
    for (const name of ['state', 'nonce', 'code_challenge'])
      expect(url.searchParams.get(name)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs in through the provider and hands the app a one-time code', async () => {
    const who = person();
    const { back, backUrl } = await webFlow(idp, routes, who.sub, { appState: 'app-state-123' });
    expect(back.status).toBe(302);
    expect(`${backUrl!.origin}${backUrl!.pathname}`).toBe(APP_REDIRECT_URI);
    expect(backUrl!.searchParams.get('state')).toBe('app-state-123');
    const code = backUrl!.searchParams.get('code')!;
    const res = await exchangeCode(code);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ email: who.email, email_verified: true });
    expect((await call(routes.me, 'GET', '/api/auth/me', { token: res.body.access })).status).toBe(200);
    // The code works once.
    const reused = await exchangeCode(code);
    expectProblem(reused, 400, 'invalid_token');
  });

  it('keeps only a digest of the state in Redis, for 10 minutes', async () => {
    const res = await call(routes.authorize, 'GET', '/api/auth/oidc/test/authorize', {
      query: { redirect_uri: APP_REDIRECT_URI },
      pathParameters: { provider: 'test' },
    });
    const state = new URL(res.headers.location!).searchParams.get('state')!;
    const digest = createHash('sha256').update(state).digest('hex');
    const key = redisKey('oidc', 'state', digest);
    expect(await redis().ttl(key)).toBeGreaterThan(590);
    expect(await redis().exists(redisKey('oidc', 'state', state))).toBe(0);
  });

  it('exchanges a code exactly once under concurrent use', async () => {
    const { backUrl } = await webFlow(idp, routes, person().sub);
    const code = backUrl!.searchParams.get('code')!;
    const results = await Promise.all([exchangeCode(code), exchangeCode(code), exchangeCode(code)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
  });

  it("takes a form post (response_mode=form_post) with Apple's one-time user field", async () => {
    const who = person({ name: undefined });
    const { answer, backUrl } = await webFlow(idp, routes, who.sub, {
      provider: 'formpost',
      appleUser: JSON.stringify({ name: { firstName: 'Tim', lastName: 'Apple' }, email: who.email }),
    });
    expect(answer.kind).toBe('form_post');
    const res = await exchangeCode(backUrl!.searchParams.get('code')!);
    expect(res.status).toBe(200);
    expect(res.body.user.full_name).toBe('Tim Apple');
    const [identity] = await identityRows(res.body.user.id);
    expect(identity!.provider).toBe('formpost');
  });

  it("uses each state once: replaying the provider's redirect is refused", async () => {
    const { event, back } = await webFlow(idp, routes, person().sub);
    expect(back.status).toBe(302);
    const replay = await invoke(routes.callback, event);
    expectProblem(replay, 400, 'invalid_token');
  });

  it('refuses a state issued for another provider', async () => {
    const { answer } = await webFlow(idp, routes, person().sub);
    expect(answer.kind).toBe('redirect');
    const start = await call(routes.authorize, 'GET', '/api/auth/oidc/test/authorize', {
      query: { redirect_uri: APP_REDIRECT_URI },
      pathParameters: { provider: 'test' },
    });
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const res = await call(routes.callback, 'GET', '/api/auth/oidc/formpost/callback', {
      query: { state, code: 'x' },
      pathParameters: { provider: 'formpost' },
    });
    expectProblem(res, 400, 'invalid_token');
  });

  it('sends the user back with error=access_denied when they cancel at the provider', async () => {
    const { back, backUrl } = await webFlow(idp, routes, person().sub, { abort: true, appState: 's1' });
    expect(back.status).toBe(302);
    expect(backUrl!.searchParams.get('error')).toBe('access_denied');
    expect(backUrl!.searchParams.get('state')).toBe('s1');
    expect(backUrl!.searchParams.get('code')).toBeNull();
  });

  it("sends the user back with error=provider_error when the provider's code does not redeem", async () => {
    const start = await call(routes.authorize, 'GET', '/api/auth/oidc/test/authorize', {
      query: { redirect_uri: APP_REDIRECT_URI },
      pathParameters: { provider: 'test' },
    });
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const res = await call(routes.callback, 'GET', '/api/auth/oidc/test/callback', {
      query: { state, code: 'forged-code' },
      pathParameters: { provider: 'test' },
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.location!).searchParams.get('error')).toBe('provider_error');
  });

  it('refuses a redirect_uri that is not in OIDC_REDIRECT_URIS', async () => {
    const res = await call(routes.authorize, 'GET', '/api/auth/oidc/test/authorize', {
      query: { redirect_uri: 'https://evil.example.com/' },
      pathParameters: { provider: 'test' },
    });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors[0].field).toBe('redirect_uri');
  });

  it('answers the linking rules at the exchange: 409 account_exists for an unverified account', async () => {
    const account = await registerAccount();
    const who = person({ email: account.email });
    const { backUrl } = await webFlow(idp, routes, who.sub);
    const res = await exchangeCode(backUrl!.searchParams.get('code')!);
    expectProblem(res, 409, 'account_exists');
  });
});

describe('linked identities', () => {
  it('lists them, refuses to unlink the last way to sign in, and unlinks once a password exists', async () => {
    const who = person();
    const signedIn = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    const token = signedIn.body.access;
    const list = await call(routes.identities, 'GET', '/api/auth/identities', { token });
    expect(list.status).toBe(200);
    expect(list.body.results).toEqual([
      {
        id: expect.any(String),
        provider: 'test',
        email: who.email,
        created_at: expect.any(String),
        last_used_at: expect.any(String),
      },
    ]);
    const id = list.body.results[0].id;
    let token_ = token;
    const unlink = () =>
      call(routes.unlink, 'DELETE', `/api/auth/identities/${id}`, { token: token_, pathParameters: { id } });

    const refused = await unlink();
    expectProblem(refused, 409, 'last_sign_in_method');

    await call(routes.forgotPassword, 'POST', '/api/auth/forgot-password', { body: { email: who.email } });
    await call(routes.resetPassword, 'POST', '/api/auth/reset-password', {
      body: { token: await resetTokenFor(who.email!), new_password: STRONG_PASSWORD },
    });
    // The reset ended every session, its access tokens too: sign in with the new password.
    expect((await unlink()).status).toBe(401);
    const again = await call(routes.login, 'POST', '/api/auth/login', {
      body: { email: who.email, password: STRONG_PASSWORD },
    });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    token_ = again.body.access;
    expect((await unlink()).status).toBe(204);
    expect((await call(routes.identities, 'GET', '/api/auth/identities', { token: token_ })).body.results).toEqual([]);
    const unlinked = (await eventsOf(signedIn.body.user.id)).find((e) => e.type === 'identity_unlinked');
    expect(unlinked?.details).toEqual({ provider: 'test', identity_id: id });
    expect((await unlink()).status).toBe(404);
  });

  it('unlinks one of two identities of a social-only account', async () => {
    const who = person();
    const first = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    await markVerified(first.body.user.id);
    const viaForm = await webFlow(idp, routes, who.sub, { provider: 'formpost' });
    expect((await exchangeCode(viaForm.backUrl!.searchParams.get('code')!)).body.user.id).toBe(first.body.user.id);
    const token = first.body.access;
    const { results } = (await call(routes.identities, 'GET', '/api/auth/identities', { token })).body;
    expect(results.map((r: { provider: string }) => r.provider).sort()).toEqual(['formpost', 'test']);
    const [a, b] = results;
    expect(
      (await call(routes.unlink, 'DELETE', `/api/auth/identities/${a.id}`, { token, pathParameters: { id: a.id } }))
        .status,
    ).toBe(204);
    const last = await call(routes.unlink, 'DELETE', `/api/auth/identities/${b.id}`, {
      token,
      pathParameters: { id: b.id },
    });
    expect(last.status).toBe(409);
  });

  it("answers 404 for another user's identity and shows staff a user's identities", async () => {
    const who = person();
    const owner = await postIdToken({ id_token: await idp.nativeIdToken(who.sub) });
    const [identity] = await identityRows(owner.body.user.id);
    const stranger = await registerAccount();
    const res = await call(routes.unlink, 'DELETE', `/api/auth/identities/${identity!.id}`, {
      token: stranger.access,
      pathParameters: { id: identity!.id },
    });
    expect(res.status).toBe(404);
    expect(
      await db()
        .select()
        .from(userIdentities)
        .where(and(eq(userIdentities.id, identity!.id))),
    ).toHaveLength(1);

    const staff = await createAccount('staff');
    const id = owner.body.user.id;
    const adminView = await call(routes.adminIdentities, 'GET', `/api/admin/users/${id}/identities`, {
      token: staff.access,
      pathParameters: { id },
    });
    expect(adminView.status).toBe(200);
    expect(adminView.body.results).toHaveLength(1);
    const forbidden = await call(routes.adminIdentities, 'GET', `/api/admin/users/${id}/identities`, {
      token: stranger.access,
      pathParameters: { id },
    });
    expect(forbidden.status).toBe(403);
  });
});
