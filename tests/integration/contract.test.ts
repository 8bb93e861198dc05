/**
 * Real responses of every route, checked against openapi.yaml (tests/helpers/contract.ts): the
 * happy path of each route and each documented error that can be triggered from outside.
 *
 * One row per response in CASES. A row names the documented route (`METHOD /path/{template}`);
 * its handler comes from lib/http/routes.json (the catch-all for undocumented paths and methods).
 * `request` builds the call (accounts come from the context); `env` gives the handler a cold start
 * of its own under other configuration (a closed database port, a tiny rate limit).
 */
import { decodeJwt } from 'jose';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../../lib/db/index.js';
import { users } from '../../lib/db/schema.js';
import routes from '../../lib/http/routes.json' with { type: 'json' };
import type { ProblemCode } from '../../lib/http/problem.js';
import { DOCS_ASSETS } from '../../lib/docs/assets.generated.js';
import { sql } from '../../lib/db/sql.js';
import { OPENAPI_JSON } from '../../lib/openapi/spec.generated.js';
import { createAccount } from '../helpers/admin.js';
import { documentedRoutes, expectMatchesSpec } from '../helpers/contract.js';
import { freshHandler, importFresh } from '../helpers/fresh.js';
import { call, type Handler, randomIp, type RequestOptions, type TestResponse } from '../helpers/http.js';
import { resetTokenFor, verificationTokenFor } from '../helpers/mailbox.js';
import { codeAt, registerMfaAccount, setupTotp } from '../helpers/mfa.js';
import { type OidcHandlers, webFlow } from '../helpers/oidc-flows.js';
import { APP_REDIRECT_URI, startTestProvider, type TestProvider } from '../helpers/oidc-provider.js';
import { closedPort } from '../helpers/ports.js';
import { registerAccount, STRONG_PASSWORD, type TestAccount, uniqueEmail } from '../helpers/users.js';

interface Context {
  /** A fresh, signed-in regular account. */
  account: () => Promise<TestAccount>;
  /** A fresh, signed-in staff account. */
  staff: () => Promise<TestAccount>;
  /** The handler under test (for requests that must come first, like the one a limit counts). */
  handler: Handler;
  /** Calls another route (`'POST /api/auth/forgot-password'`). */
  call: (route: string, options?: RequestOptions) => Promise<TestResponse>;
}

interface Case {
  /** The documented route: `METHOD /path` with the spec's `{param}` templates. */
  route: string;
  status: number;
  /** The problem `code` the response must carry. */
  code?: ProblemCode;
  /** What makes this row differ from the route's others. */
  what?: string;
  /** Configuration for a cold start of the handler of its own. */
  env?: Record<string, string> | (() => Promise<Record<string, string>>);
  /** The request; `path` is the concrete path when the template has parameters. */
  request?: (ctx: Context) => Promise<RequestOptions & { path?: string }> | (RequestOptions & { path?: string });
}

const NEW_PASSWORD = 'another-Stable-horse-77';
const oversized = () => ({
  rawBody: JSON.stringify({ padding: 'x'.repeat(17 * 1024) }),
  headers: { 'content-type': 'application/json' },
});
const invalidJson = () => ({ rawBody: '{"email": ', headers: { 'content-type': 'application/json' } });
const plainText = () => ({ rawBody: 'hello', headers: { 'content-type': 'text/plain' } });
const userPath = (id: string) => ({ path: `/api/admin/users/${id}`, pathParameters: { id } });
const sessionPath = (id: string) => ({ path: `/api/auth/sessions/${id}`, pathParameters: { id } });
const sidOf = (token: string) => decodeJwt(token).sid as string;
const closedDatabase = async () => ({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/none` });

// Social sign-in: a real OpenID provider on loopback, started at the first row that needs it.
let oidcSetup: Promise<{ idp: TestProvider; routes: OidcHandlers }> | undefined;
const oidc = () =>
  (oidcSetup ??= (async () => {
    const idp = await startTestProvider();
    return { idp, routes: await importFresh<OidcHandlers>('tests/helpers/oidc-handlers.ts', idp.env()) };
  })());
const oidcEnv = async () => (await oidc()).idp.env();
const person = async (overrides: { email?: string; email_verified?: boolean } = {}) =>
  (await oidc()).idp.addAccount({
    sub: `sub-${crypto.randomUUID()}`,
    email: uniqueEmail('social'),
    email_verified: true,
    name: 'Ann Provider',
    ...overrides,
  });
const genuineIdToken = async (overrides?: { email?: string }) =>
  (await oidc()).idp.nativeIdToken((await person(overrides)).sub);
const providerPath = (provider: string, action: string) => ({
  path: `/api/auth/oidc/${provider}/${action}`,
  pathParameters: { provider },
});
/** A signed-in social-only account and its one identity. */
const socialAccount = async () => {
  const { routes } = await oidc();
  const res = await call(routes.idToken, 'POST', '/api/auth/oidc/test/id-token', {
    body: { id_token: await genuineIdToken() },
    pathParameters: { provider: 'test' },
  });
  const list = await call(routes.identities, 'GET', '/api/auth/identities', { token: res.body.access });
  return {
    id: res.body.user.id as string,
    access: res.body.access as string,
    identityId: list.body.results[0].id as string,
  };
};
const webCode = async (overrides?: { email?: string }) => {
  const { idp, routes } = await oidc();
  const { backUrl } = await webFlow(idp, routes, (await person(overrides)).sub);
  return backUrl!.searchParams.get('code')!;
};
const identityPath = (id: string) => ({ path: `/api/auth/identities/${id}`, pathParameters: { id } });
const closedRedis = async () => ({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });

const CASES: Case[] = [
  // Health
  { route: 'GET /health', status: 200 },
  { route: 'GET /health', status: 503, what: 'Postgres down', env: closedDatabase },
  { route: 'GET /health/live', status: 200 },
  { route: 'GET /health/live', status: 200, what: 'trailing slash', request: () => ({ path: '/health/live/' }) },

  // Register
  {
    route: 'POST /api/auth/register',
    status: 201,
    request: () => ({
      body: { email: ` ${uniqueEmail('Contract').toUpperCase()} `, password: STRONG_PASSWORD, full_name: 'Ann Lee' },
    }),
  },
  {
    route: 'POST /api/auth/register',
    status: 400,
    code: 'validation_error',
    request: () => ({ body: { email: 'nope', password: '123' } }),
  },
  { route: 'POST /api/auth/register', status: 400, code: 'invalid_json', request: invalidJson },
  {
    route: 'POST /api/auth/register',
    status: 409,
    code: 'email_taken',
    request: async ({ account }) => ({
      body: { email: (await account()).email, password: STRONG_PASSWORD, full_name: 'Ann Lee' },
    }),
  },
  { route: 'POST /api/auth/register', status: 413, code: 'payload_too_large', request: oversized },
  { route: 'POST /api/auth/register', status: 415, code: 'unsupported_media_type', request: plainText },
  {
    route: 'POST /api/auth/register',
    status: 429,
    code: 'rate_limited',
    env: { RATE_LIMIT_REGISTER: '1/1h' },
    request: async ({ handler }) => {
      const sourceIp = randomIp();
      const body = { email: uniqueEmail(), password: STRONG_PASSWORD, full_name: 'Ann Lee' };
      expect((await call(handler, 'POST', '/api/auth/register', { body, sourceIp })).status).toBe(201);
      return { body: { ...body, email: uniqueEmail() }, sourceIp };
    },
  },

  // Login
  {
    route: 'POST /api/auth/login',
    status: 200,
    request: async ({ account }) => ({ body: { email: (await account()).email, password: STRONG_PASSWORD } }),
  },
  { route: 'POST /api/auth/login', status: 400, code: 'validation_error', request: () => ({ body: { email: 42 } }) },
  {
    route: 'POST /api/auth/login',
    status: 401,
    code: 'invalid_credentials',
    request: async ({ account }) => ({ body: { email: (await account()).email, password: 'wrong-Password-1' } }),
  },
  {
    route: 'POST /api/auth/login',
    status: 429,
    code: 'rate_limited',
    env: { RATE_LIMIT_LOGIN: '1/15m' },
    request: async ({ handler }) => {
      const attempt = { body: { email: uniqueEmail(), password: 'wrong-Password-1' }, sourceIp: randomIp() };
      expect((await call(handler, 'POST', '/api/auth/login', attempt)).status).toBe(401);
      return attempt;
    },
  },
  {
    route: 'POST /api/auth/login',
    status: 503,
    code: 'service_unavailable',
    what: 'Postgres down',
    env: closedDatabase,
    request: () => ({ body: { email: uniqueEmail(), password: STRONG_PASSWORD } }),
  },

  // Sessions
  {
    route: 'POST /api/auth/refresh',
    status: 200,
    request: async ({ account }) => ({ body: { refresh: (await account()).refresh } }),
  },
  { route: 'POST /api/auth/refresh', status: 400, code: 'validation_error', request: () => ({ body: {} }) },
  {
    route: 'POST /api/auth/refresh',
    status: 401,
    code: 'invalid_refresh_token',
    request: () => ({ body: { refresh: 'not-a-token' } }),
  },
  {
    route: 'POST /api/auth/logout',
    status: 204,
    request: async ({ account }) => ({ body: { refresh: (await account()).refresh } }),
  },
  { route: 'POST /api/auth/logout', status: 400, code: 'validation_error', request: () => ({ body: { refresh: 7 } }) },
  {
    route: 'POST /api/auth/logout',
    status: 401,
    code: 'invalid_refresh_token',
    request: () => ({ body: { refresh: 'not-a-token' } }),
  },

  // The signed-in user
  { route: 'GET /api/auth/me', status: 200, request: async ({ account }) => ({ token: (await account()).access }) },
  { route: 'GET /api/auth/me', status: 401, code: 'not_authenticated', what: 'no token' },
  {
    route: 'PATCH /api/auth/me',
    status: 200,
    request: async ({ account }) => ({ token: (await account()).access, body: { full_name: 'Ann Lee-Smith' } }),
  },
  {
    route: 'PATCH /api/auth/me',
    status: 400,
    code: 'validation_error',
    request: async ({ account }) => ({ token: (await account()).access, body: { full_name: '  ' } }),
  },
  {
    route: 'PATCH /api/auth/me',
    status: 401,
    code: 'not_authenticated',
    request: () => ({ token: 'garbage', body: { full_name: 'Ann' } }),
  },
  {
    route: 'POST /api/auth/change-password',
    status: 204,
    request: async ({ account }) => ({
      token: (await account()).access,
      body: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD },
    }),
  },
  {
    route: 'POST /api/auth/change-password',
    status: 400,
    code: 'validation_error',
    what: 'wrong current password',
    request: async ({ account }) => ({
      token: (await account()).access,
      body: { current_password: 'wrong-Password-1', new_password: NEW_PASSWORD },
    }),
  },
  {
    route: 'POST /api/auth/change-password',
    status: 401,
    code: 'not_authenticated',
    request: () => ({ body: { current_password: 'a', new_password: 'b' } }),
  },

  // Password reset
  { route: 'POST /api/auth/forgot-password', status: 202, request: () => ({ body: { email: uniqueEmail('nobody') } }) },
  {
    route: 'POST /api/auth/forgot-password',
    status: 400,
    code: 'validation_error',
    request: () => ({ body: { email: 'not an email' } }),
  },
  {
    route: 'POST /api/auth/reset-password',
    status: 200,
    request: async ({ account, call: callRoute }) => {
      const { email } = await account();
      expect((await callRoute('POST /api/auth/forgot-password', { body: { email } })).status).toBe(202);
      return { body: { token: await resetTokenFor(email), new_password: NEW_PASSWORD } };
    },
  },
  {
    route: 'POST /api/auth/reset-password',
    status: 400,
    code: 'invalid_token',
    request: () => ({ body: { token: 'unknown', new_password: NEW_PASSWORD } }),
  },
  {
    route: 'POST /api/auth/reset-password',
    status: 400,
    code: 'validation_error',
    request: () => ({ body: { new_password: NEW_PASSWORD } }),
  },

  // Admin
  { route: 'GET /admin', status: 200 },
  {
    route: 'GET /api/admin/users',
    status: 200,
    request: async ({ staff }) => ({ token: (await staff()).access, query: { page_size: '5', ordering: 'email' } }),
  },
  {
    route: 'GET /api/admin/users',
    status: 400,
    code: 'validation_error',
    request: async ({ staff }) => ({ token: (await staff()).access, query: { page_size: '1000' } }),
  },
  { route: 'GET /api/admin/users', status: 401, code: 'not_authenticated' },
  {
    route: 'GET /api/admin/users',
    status: 403,
    code: 'permission_denied',
    request: async ({ account }) => ({ token: (await account()).access }),
  },
  {
    route: 'GET /api/admin/users/{id}',
    status: 200,
    request: async ({ staff, account }) => ({ token: (await staff()).access, ...userPath((await account()).id) }),
  },
  {
    route: 'GET /api/admin/users/{id}',
    status: 404,
    code: 'not_found',
    request: async ({ staff }) => ({
      token: (await staff()).access,
      ...userPath('00000000-0000-4000-8000-000000000000'),
    }),
  },
  {
    route: 'PATCH /api/admin/users/{id}',
    status: 200,
    request: async ({ staff, account }) => ({
      token: (await staff()).access,
      body: { is_active: false },
      ...userPath((await account()).id),
    }),
  },
  {
    route: 'PATCH /api/admin/users/{id}',
    status: 400,
    code: 'validation_error',
    what: 'no field',
    request: async ({ staff, account }) => ({
      token: (await staff()).access,
      body: {},
      ...userPath((await account()).id),
    }),
  },
  {
    route: 'PATCH /api/admin/users/{id}',
    status: 403,
    code: 'permission_denied',
    what: 'staff granting staff',
    request: async ({ staff, account }) => ({
      token: (await staff()).access,
      body: { is_staff: true },
      ...userPath((await account()).id),
    }),
  },
  {
    route: 'DELETE /api/admin/users/{id}',
    status: 204,
    request: async ({ staff, account }) => ({ token: (await staff()).access, ...userPath((await account()).id) }),
  },
  {
    route: 'POST /api/admin/users/{id}/revoke-sessions',
    status: 204,
    request: async ({ staff, account }) => {
      const { id } = await account();
      return { token: (await staff()).access, path: `/api/admin/users/${id}/revoke-sessions`, pathParameters: { id } };
    },
  },

  // Two-factor authentication (TOTP)
  {
    route: 'POST /api/auth/login',
    status: 200,
    what: 'two-factor challenge',
    request: async () => {
      const { email } = await registerMfaAccount();
      return { body: { email, password: STRONG_PASSWORD } };
    },
  },
  {
    route: 'POST /api/auth/mfa/totp/setup',
    status: 200,
    request: async ({ account }) => ({ token: (await account()).access, body: { password: STRONG_PASSWORD } }),
  },
  {
    route: 'POST /api/auth/mfa/totp/setup',
    status: 400,
    code: 'validation_error',
    what: 'wrong password',
    request: async ({ account }) => ({ token: (await account()).access, body: { password: 'wrong-Password-1' } }),
  },
  {
    route: 'POST /api/auth/mfa/totp/setup',
    status: 401,
    code: 'not_authenticated',
    request: () => ({ body: { password: STRONG_PASSWORD } }),
  },
  {
    route: 'POST /api/auth/mfa/totp/setup',
    status: 409,
    code: 'mfa_already_enabled',
    request: async () => ({ token: (await registerMfaAccount()).access, body: { password: STRONG_PASSWORD } }),
  },
  {
    route: 'POST /api/auth/mfa/totp/confirm',
    status: 200,
    request: async ({ account }) => {
      const signedIn = await account();
      return { token: signedIn.access, body: { code: codeAt(await setupTotp(signedIn)) } };
    },
  },
  {
    route: 'POST /api/auth/mfa/totp/confirm',
    status: 400,
    code: 'validation_error',
    what: 'no pending setup',
    request: async ({ account }) => ({ token: (await account()).access, body: { code: '123456' } }),
  },
  {
    route: 'POST /api/auth/mfa/totp/confirm',
    status: 409,
    code: 'mfa_already_enabled',
    request: async () => ({ token: (await registerMfaAccount()).access, body: { code: '123456' } }),
  },
  {
    route: 'POST /api/auth/mfa/totp/disable',
    status: 204,
    request: async () => {
      const { access, recoveryCodes } = await registerMfaAccount();
      return { token: access, body: { password: STRONG_PASSWORD, code: recoveryCodes[0] } };
    },
  },
  {
    route: 'POST /api/auth/mfa/totp/disable',
    status: 400,
    code: 'validation_error',
    what: 'wrong password',
    request: async () => {
      const { access, recoveryCodes } = await registerMfaAccount();
      return { token: access, body: { password: 'wrong-Password-1', code: recoveryCodes[0] } };
    },
  },
  {
    route: 'POST /api/auth/mfa/totp/disable',
    status: 409,
    code: 'mfa_not_enabled',
    request: async ({ account }) => ({
      token: (await account()).access,
      body: { password: STRONG_PASSWORD, code: '123456' },
    }),
  },
  {
    route: 'POST /api/auth/mfa/recovery-codes',
    status: 200,
    request: async () => {
      const { access, recoveryCodes } = await registerMfaAccount();
      return { token: access, body: { password: STRONG_PASSWORD, code: recoveryCodes[0] } };
    },
  },
  {
    route: 'POST /api/auth/mfa/recovery-codes',
    status: 409,
    code: 'mfa_not_enabled',
    request: async ({ account }) => ({
      token: (await account()).access,
      body: { password: STRONG_PASSWORD, code: '123456' },
    }),
  },
  {
    route: 'POST /api/auth/login/mfa',
    status: 200,
    request: async ({ call: callRoute }) => {
      const { email, recoveryCodes } = await registerMfaAccount();
      const started = await callRoute('POST /api/auth/login', {
        body: { email, password: STRONG_PASSWORD },
        sourceIp: randomIp(),
      });
      return { body: { mfa_token: started.body.mfa_token, code: recoveryCodes[0] } };
    },
  },
  {
    route: 'POST /api/auth/login/mfa',
    status: 400,
    code: 'validation_error',
    request: () => ({ body: { mfa_token: 'x' } }),
  },
  {
    route: 'POST /api/auth/login/mfa',
    status: 401,
    code: 'invalid_mfa_code',
    request: async ({ call: callRoute }) => {
      const { email } = await registerMfaAccount();
      const started = await callRoute('POST /api/auth/login', {
        body: { email, password: STRONG_PASSWORD },
        sourceIp: randomIp(),
      });
      return { body: { mfa_token: started.body.mfa_token, code: 'zzzz-zzzz-zzzz' } };
    },
  },
  {
    route: 'POST /api/auth/login/mfa',
    status: 401,
    code: 'invalid_mfa_token',
    request: () => ({ body: { mfa_token: 'A'.repeat(43), code: '123456' } }),
  },
  {
    route: 'POST /api/auth/login/mfa',
    status: 429,
    code: 'rate_limited',
    env: { RATE_LIMIT_MFA: '1/15m' },
    request: async ({ handler }) => {
      const attempt = { body: { mfa_token: 'A'.repeat(43), code: '123456' }, sourceIp: randomIp() };
      expect((await call(handler, 'POST', '/api/auth/login/mfa', attempt)).status).toBe(401);
      return attempt;
    },
  },
  {
    route: 'POST /api/admin/users/{id}/reset-mfa',
    status: 204,
    request: async ({ staff }) => {
      const { id } = await registerMfaAccount();
      return { token: (await staff()).access, path: `/api/admin/users/${id}/reset-mfa`, pathParameters: { id } };
    },
  },
  {
    route: 'POST /api/admin/users/{id}/reset-mfa',
    status: 403,
    code: 'permission_denied',
    request: async ({ account }) => {
      const { id, access } = await account();
      return { token: access, path: `/api/admin/users/${id}/reset-mfa`, pathParameters: { id } };
    },
  },
  {
    route: 'POST /api/admin/users/{id}/reset-mfa',
    status: 404,
    code: 'not_found',
    request: async ({ staff }) => {
      const id = '00000000-0000-4000-8000-000000000000';
      return { token: (await staff()).access, path: `/api/admin/users/${id}/reset-mfa`, pathParameters: { id } };
    },
  },

  // Signing keys and sessions
  { route: 'GET /.well-known/jwks.json', status: 200 },
  {
    route: 'GET /api/auth/sessions',
    status: 200,
    request: async ({ account }) => ({ token: (await account()).access }),
  },
  { route: 'GET /api/auth/sessions', status: 401, code: 'not_authenticated' },
  {
    route: 'DELETE /api/auth/sessions',
    status: 200,
    request: async ({ account }) => ({ token: (await account()).access }),
  },
  {
    route: 'DELETE /api/auth/sessions/{id}',
    status: 204,
    request: async ({ account }) => {
      const { access } = await account();
      return { token: access, ...sessionPath(sidOf(access)) };
    },
  },
  {
    route: 'DELETE /api/auth/sessions/{id}',
    status: 404,
    code: 'not_found',
    request: async ({ account }) => ({
      token: (await account()).access,
      ...sessionPath('00000000-0000-4000-8000-000000000000'),
    }),
  },
  {
    route: 'GET /api/admin/users/{id}/sessions',
    status: 200,
    request: async ({ staff, account }) => {
      const { id } = await account();
      return { token: (await staff()).access, path: `/api/admin/users/${id}/sessions`, pathParameters: { id } };
    },
  },
  {
    route: 'GET /api/admin/users/{id}/sessions',
    status: 403,
    code: 'permission_denied',
    request: async ({ account }) => {
      const { id, access } = await account();
      return { token: access, path: `/api/admin/users/${id}/sessions`, pathParameters: { id } };
    },
  },
  {
    route: 'DELETE /api/admin/users/{id}/sessions/{session_id}',
    status: 204,
    request: async ({ staff, account }) => {
      const { id, access } = await account();
      const session_id = sidOf(access);
      return {
        token: (await staff()).access,
        path: `/api/admin/users/${id}/sessions/${session_id}`,
        pathParameters: { id, session_id },
      };
    },
  },
  {
    route: 'DELETE /api/admin/users/{id}/sessions/{session_id}',
    status: 404,
    code: 'not_found',
    request: async ({ staff, account }) => {
      const { id } = await account();
      const session_id = 'nope';
      return {
        token: (await staff()).access,
        path: `/api/admin/users/${id}/sessions/${session_id}`,
        pathParameters: { id, session_id },
      };
    },
  },
  // Security events
  {
    route: 'GET /api/auth/security-events',
    status: 200,
    request: async ({ account }) => ({ token: (await account()).access, query: { page_size: '5' } }),
  },
  {
    route: 'GET /api/auth/security-events',
    status: 400,
    code: 'validation_error',
    request: async ({ account }) => ({ token: (await account()).access, query: { page: '0' } }),
  },
  { route: 'GET /api/auth/security-events', status: 401, code: 'not_authenticated' },
  {
    route: 'GET /api/admin/events',
    status: 200,
    request: async ({ staff, account }) => ({
      token: (await staff()).access,
      query: { user_id: (await account()).id, type: 'register' },
    }),
  },
  {
    route: 'GET /api/admin/events',
    status: 400,
    code: 'validation_error',
    request: async ({ staff }) => ({ token: (await staff()).access, query: { type: 'nope' } }),
  },
  { route: 'GET /api/admin/events', status: 401, code: 'not_authenticated' },
  {
    route: 'GET /api/admin/events',
    status: 403,
    code: 'permission_denied',
    request: async ({ account }) => ({ token: (await account()).access }),
  },

  // Documentation
  { route: 'GET /api/openapi.json', status: 200 },
  { route: 'GET /api/openapi.json', status: 304, request: () => ({ headers: { 'if-none-match': OPENAPI_JSON.etag } }) },
  { route: 'GET /api/openapi.yaml', status: 200 },
  { route: 'GET /api/docs', status: 200 },
  { route: 'GET /api/redoc', status: 200 },
  {
    route: 'GET /api/docs/assets/{file}',
    status: 200,
    request: () => ({
      path: `/api/docs/assets/${DOCS_ASSETS.swaggerUiCss.name}`,
      pathParameters: { file: DOCS_ASSETS.swaggerUiCss.name },
    }),
  },
  {
    route: 'GET /api/docs/assets/{file}',
    status: 404,
    code: 'not_found',
    request: () => ({ path: '/api/docs/assets/swagger-ui.css', pathParameters: { file: 'swagger-ui.css' } }),
  },

  // Email verification
  {
    route: 'POST /api/auth/verify-email',
    status: 200,
    request: async ({ account }) => ({ body: { token: await verificationTokenFor((await account()).email) } }),
  },
  {
    route: 'POST /api/auth/verify-email',
    status: 400,
    code: 'invalid_token',
    request: () => ({ body: { token: 'unknown' } }),
  },
  { route: 'POST /api/auth/verify-email', status: 400, code: 'validation_error', request: () => ({ body: {} }) },
  {
    route: 'POST /api/auth/verify-email',
    status: 503,
    code: 'service_unavailable',
    what: 'Redis down',
    env: closedRedis,
    request: () => ({ body: { token: 'A'.repeat(64) } }),
  },
  {
    route: 'POST /api/auth/verify-email/resend',
    status: 202,
    request: async ({ account }) => ({ body: { email: (await account()).email } }),
  },
  {
    route: 'POST /api/auth/verify-email/resend',
    status: 202,
    what: 'unknown email',
    request: () => ({ body: { email: uniqueEmail('nobody') } }),
  },
  {
    route: 'POST /api/auth/verify-email/resend',
    status: 400,
    code: 'validation_error',
    request: () => ({ body: { email: 'not an email' } }),
  },
  {
    route: 'POST /api/auth/verify-email/resend',
    status: 429,
    code: 'rate_limited',
    env: { RATE_LIMIT_VERIFY_EMAIL: '1/1h' },
    request: async ({ handler }) => {
      const attempt = { body: { email: uniqueEmail() }, sourceIp: randomIp() };
      expect((await call(handler, 'POST', '/api/auth/verify-email/resend', attempt)).status).toBe(202);
      return attempt;
    },
  },
  {
    route: 'POST /api/auth/login',
    status: 403,
    code: 'email_not_verified',
    env: { REQUIRE_EMAIL_VERIFICATION: 'true' },
    request: async ({ account }) => ({ body: { email: (await account()).email, password: STRONG_PASSWORD } }),
  },
  {
    route: 'PATCH /api/admin/users/{id}',
    status: 200,
    what: 'mark email verified',
    request: async ({ staff, account }) => ({
      token: (await staff()).access,
      body: { email_verified: true },
      ...userPath((await account()).id),
    }),
  },
  {
    route: 'GET /api/admin/users',
    status: 200,
    what: 'email_verified filter',
    request: async ({ staff }) => ({
      token: (await staff()).access,
      query: { email_verified: 'false', page_size: '3' },
    }),
  },
  {
    route: 'POST /api/admin/users/{id}/resend-verification',
    status: 202,
    request: async ({ staff, account }) => {
      const { id } = await account();
      return {
        token: (await staff()).access,
        path: `/api/admin/users/${id}/resend-verification`,
        pathParameters: { id },
      };
    },
  },
  {
    route: 'POST /api/admin/users/{id}/resend-verification',
    status: 400,
    code: 'validation_error',
    what: 'already verified',
    request: async ({ staff, account }) => {
      const { id } = await account();
      await sql()`update users set email_verified = true where id = ${id}`;
      return {
        token: (await staff()).access,
        path: `/api/admin/users/${id}/resend-verification`,
        pathParameters: { id },
      };
    },
  },
  {
    route: 'POST /api/admin/users/{id}/resend-verification',
    status: 404,
    code: 'not_found',
    request: async ({ staff }) => {
      const id = '00000000-0000-4000-8000-000000000000';
      return {
        token: (await staff()).access,
        path: `/api/admin/users/${id}/resend-verification`,
        pathParameters: { id },
      };
    },
  },

  // Social sign-in
  {
    route: 'POST /api/auth/oidc/{provider}/id-token',
    status: 201,
    env: oidcEnv,
    request: async () => ({ ...providerPath('test', 'id-token'), body: { id_token: await genuineIdToken() } }),
  },
  {
    route: 'POST /api/auth/oidc/{provider}/id-token',
    status: 200,
    what: 'linked',
    env: oidcEnv,
    request: async () => {
      const { idp, routes } = await oidc();
      const who = await person();
      const body = { id_token: await idp.nativeIdToken(who.sub) };
      expect(
        (
          await call(routes.idToken, 'POST', '/api/auth/oidc/test/id-token', {
            body,
            pathParameters: { provider: 'test' },
          })
        ).status,
      ).toBe(201);
      return { ...providerPath('test', 'id-token'), body: { id_token: await idp.nativeIdToken(who.sub) } };
    },
  },
  {
    route: 'POST /api/auth/oidc/{provider}/id-token',
    status: 400,
    code: 'validation_error',
    env: oidcEnv,
    request: () => ({ ...providerPath('test', 'id-token'), body: {} }),
  },
  {
    route: 'POST /api/auth/oidc/{provider}/id-token',
    status: 401,
    code: 'invalid_credentials',
    env: oidcEnv,
    request: () => ({ ...providerPath('test', 'id-token'), body: { id_token: 'a.b.c' } }),
  },
  {
    route: 'POST /api/auth/oidc/{provider}/id-token',
    status: 404,
    code: 'not_found',
    env: oidcEnv,
    request: () => ({ ...providerPath('nope', 'id-token'), body: { id_token: 'a.b.c' } }),
  },
  {
    route: 'POST /api/auth/oidc/{provider}/id-token',
    status: 409,
    code: 'account_exists',
    env: oidcEnv,
    request: async ({ account }) => ({
      ...providerPath('test', 'id-token'),
      body: { id_token: await genuineIdToken({ email: (await account()).email }) },
    }),
  },
  {
    route: 'POST /api/auth/oidc/{provider}/id-token',
    status: 429,
    code: 'rate_limited',
    env: async () => ({ ...(await oidcEnv()), RATE_LIMIT_OIDC: '1/1h' }),
    request: async ({ handler }) => {
      const attempt = { ...providerPath('test', 'id-token'), body: { id_token: 'a.b.c' }, sourceIp: randomIp() };
      expect((await call(handler, 'POST', attempt.path, attempt)).status).toBe(401);
      return attempt;
    },
  },
  {
    route: 'GET /api/auth/oidc/{provider}/authorize',
    status: 302,
    env: oidcEnv,
    request: () => ({ ...providerPath('test', 'authorize'), query: { redirect_uri: APP_REDIRECT_URI } }),
  },
  {
    route: 'GET /api/auth/oidc/{provider}/authorize',
    status: 400,
    code: 'validation_error',
    env: oidcEnv,
    request: () => ({ ...providerPath('test', 'authorize'), query: { redirect_uri: 'https://evil.example.com/' } }),
  },
  {
    route: 'GET /api/auth/oidc/{provider}/authorize',
    status: 404,
    code: 'not_found',
    env: oidcEnv,
    request: () => ({ ...providerPath('nope', 'authorize'), query: { redirect_uri: APP_REDIRECT_URI } }),
  },
  {
    route: 'GET /api/auth/oidc/{provider}/callback',
    status: 302,
    env: oidcEnv,
    request: async () => {
      const { idp, routes } = await oidc();
      const start = await call(routes.authorize, 'GET', '/api/auth/oidc/test/authorize', {
        query: { redirect_uri: APP_REDIRECT_URI },
        pathParameters: { provider: 'test' },
      });
      const answer = await idp.signInAtProvider(start.headers.location!, (await person()).sub);
      if (answer.kind !== 'redirect') throw new Error('expected a redirect from the provider');
      return { ...providerPath('test', 'callback'), query: Object.fromEntries(answer.url.searchParams) };
    },
  },
  {
    route: 'GET /api/auth/oidc/{provider}/callback',
    status: 400,
    code: 'invalid_token',
    env: oidcEnv,
    request: () => ({ ...providerPath('test', 'callback'), query: { state: 'unknown', code: 'x' } }),
  },
  {
    route: 'POST /api/auth/oidc/{provider}/callback',
    status: 302,
    env: oidcEnv,
    request: async () => {
      const { idp, routes } = await oidc();
      const start = await call(routes.authorize, 'GET', '/api/auth/oidc/formpost/authorize', {
        query: { redirect_uri: APP_REDIRECT_URI },
        pathParameters: { provider: 'formpost' },
      });
      const answer = await idp.signInAtProvider(start.headers.location!, (await person()).sub);
      if (answer.kind !== 'form_post') throw new Error('expected a form post from the provider');
      return {
        ...providerPath('formpost', 'callback'),
        rawBody: new URLSearchParams(answer.fields).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      };
    },
  },
  {
    route: 'POST /api/auth/oidc/{provider}/callback',
    status: 415,
    code: 'unsupported_media_type',
    env: oidcEnv,
    request: () => ({ ...providerPath('formpost', 'callback'), body: { state: 'x' } }),
  },
  { route: 'POST /api/auth/oidc/exchange', status: 200, request: async () => ({ body: { code: await webCode() } }) },
  {
    route: 'POST /api/auth/oidc/exchange',
    status: 400,
    code: 'invalid_token',
    request: () => ({ body: { code: 'unknown' } }),
  },
  { route: 'POST /api/auth/oidc/exchange', status: 400, code: 'validation_error', request: () => ({ body: {} }) },
  {
    route: 'POST /api/auth/oidc/exchange',
    status: 409,
    code: 'account_exists',
    request: async ({ account }) => ({ body: { code: await webCode({ email: (await account()).email }) } }),
  },
  { route: 'GET /api/auth/identities', status: 200, request: async () => ({ token: (await socialAccount()).access }) },
  { route: 'GET /api/auth/identities', status: 401, code: 'not_authenticated' },
  {
    route: 'DELETE /api/auth/identities/{id}',
    status: 409,
    code: 'last_sign_in_method',
    request: async () => {
      const s = await socialAccount();
      return { token: s.access, ...identityPath(s.identityId) };
    },
  },
  {
    route: 'DELETE /api/auth/identities/{id}',
    status: 404,
    code: 'not_found',
    request: async ({ account }) => ({
      token: (await account()).access,
      ...identityPath((await socialAccount()).identityId),
    }),
  },
  {
    route: 'DELETE /api/auth/identities/{id}',
    status: 204,
    request: async () => {
      const s = await socialAccount();
      const { routes } = await oidc();
      // A second identity: the first may then go.
      const [row] = await db().update(users).set({ emailVerified: true }).where(eq(users.id, s.id)).returning();
      const { idp } = await oidc();
      const second = await call(routes.idToken, 'POST', '/api/auth/oidc/formpost/id-token', {
        body: { id_token: await idp.nativeIdToken((await person({ email: row!.email })).sub) },
        pathParameters: { provider: 'formpost' },
      });
      expect(second.status).toBe(200);
      return { token: s.access, ...identityPath(s.identityId) };
    },
  },
  {
    route: 'GET /api/admin/users/{id}/identities',
    status: 200,
    request: async ({ staff }) => {
      const s = await socialAccount();
      return {
        token: (await staff()).access,
        path: `/api/admin/users/${s.id}/identities`,
        pathParameters: { id: s.id },
      };
    },
  },
  {
    route: 'GET /api/admin/users/{id}/identities',
    status: 404,
    code: 'not_found',
    request: async ({ staff }) => ({
      token: (await staff()).access,
      path: '/api/admin/users/00000000-0000-4000-8000-000000000000/identities',
      pathParameters: { id: '00000000-0000-4000-8000-000000000000' },
    }),
  },
  {
    route: 'GET /api/admin/users/{id}/identities',
    status: 403,
    code: 'permission_denied',
    request: async ({ account }) => {
      const { id, access } = await account();
      return { token: access, path: `/api/admin/users/${id}/identities`, pathParameters: { id } };
    },
  },

  // Anything else: the catch-all's generic 404 and 405
  { route: 'GET /api/nope', status: 404, code: 'not_found' },
  { route: 'DELETE /api/auth/login', status: 405, code: 'method_not_allowed' },
];

const table = routes as Record<string, { handler: string; routes: string[] }>;

/** `functions/auth-login.ts` for `POST /api/auth/login`; the catch-all for anything undeclared. */
function handlerFile(route: string): string {
  const fn = Object.values(table).find((f) => f.routes.includes(route));
  return `${(fn?.handler ?? 'functions/not-found.handler').replace(/\.handler$/, '')}.ts`;
}

const loaded = new Map<string, Promise<Handler>>();
/** Each handler module once, so the rows share warm instances (and their connection pools). */
function handlerFor(route: string): Promise<Handler> {
  const file = handlerFile(route);
  if (!loaded.has(file))
    loaded.set(
      file,
      import(/* @vite-ignore */ new URL(`../../${file}`, import.meta.url).href).then((m) => m.handler),
    );
  return loaded.get(file)!;
}

async function coldHandlerFor(route: string, env: NonNullable<Case['env']>): Promise<Handler> {
  const resolved = typeof env === 'function' ? await env() : env;
  return freshHandler(handlerFile(route), resolved);
}

const context = (handler: Handler): Context => ({
  account: () => registerAccount(),
  staff: () => createAccount('staff'),
  handler,
  call: async (route, options) => {
    const [method, path] = route.split(' ') as [string, string];
    return call(await handlerFor(route), method, path, options);
  },
});

const label = (c: Case) => `${c.route} → ${c.status}${c.code ? ` ${c.code}` : ''}${c.what ? ` (${c.what})` : ''}`;

afterAll(async () => {
  await (await oidcSetup)?.idp.close();
});

describe('responses match openapi.yaml', () => {
  // Every handler is loaded before a row's cold start replaces the module registry: the modules
  // imported after one would share that row's configuration (its closed database port...).
  beforeAll(async () => {
    await Promise.all(
      Object.values(table)
        .flatMap((f) => f.routes)
        .concat(CASES.map((c) => c.route))
        .map(handlerFor),
    );
  });

  it.each(CASES.map((c) => [label(c), c] as const))('%s', async (_label, c) => {
    const [method, template] = c.route.split(' ') as [string, string];
    const handler = c.env ? await coldHandlerFor(c.route, c.env) : await handlerFor(c.route);
    const { path = template, ...options } = (await c.request?.(context(handler))) ?? {};
    const res = await call(handler, method, path, options);
    expect(res.status, JSON.stringify(res.body)).toBe(c.status);
    if (c.code) expect(res.body.code).toBe(c.code);
    expectMatchesSpec(method, template, res);
  });
});

describe('the contract cases', () => {
  it('cover a success of every route the service deploys', () => {
    // Success: a 2xx, or the 302 of a redirecting route (social sign-in).
    const succeeded = new Set(CASES.filter((c) => c.status < 300 || c.status === 302).map((c) => c.route));
    const deployed = Object.values(table).flatMap((f) => f.routes);
    expect(
      deployed.filter((route) => !succeeded.has(route)),
      'routes without a 2xx row in CASES',
    ).toEqual([]);
  });

  it('name documented routes, except the rows for the generic 404 and 405', () => {
    const documented = new Set(documentedRoutes());
    const undocumented = CASES.filter((c) => !documented.has(c.route)).map(label);
    expect(undocumented).toEqual([
      label({ route: 'GET /api/nope', status: 404, code: 'not_found' }),
      label({ route: 'DELETE /api/auth/login', status: 405, code: 'method_not_allowed' }),
    ]);
  });
});
