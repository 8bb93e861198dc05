/**
 * The audit log: every flow records its event (with the caller's IP and user agent, and the staff
 * member for admin actions) in the same statement or transaction as its change, and the event
 * reads back, identical, through the user's own route and the staff route. Nothing secret is
 * stored or returned.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handler as adminEventsHandler } from '../../functions/admin-events-list.js';
import { handler as deleteHandler } from '../../functions/admin-user-delete.js';
import { handler as revokeHandler } from '../../functions/admin-user-revoke-sessions.js';
import { handler as updateHandler } from '../../functions/admin-user-update.js';
import { handler as changePasswordHandler } from '../../functions/auth-change-password.js';
import { handler as forgotHandler } from '../../functions/auth-forgot-password.js';
import { handler as loginHandler } from '../../functions/auth-login.js';
import { handler as registerHandler } from '../../functions/auth-register.js';
import { handler as resetHandler } from '../../functions/auth-reset-password.js';
import { handler as ownEventsHandler } from '../../functions/auth-security-events.js';
import { SECURITY_EVENT_TYPES } from '../../lib/auth/events/record.js';
import { sql } from '../../lib/db/sql.js';
import { createAccount } from '../helpers/admin.js';
import { call, expectProblem, randomIp, type TestResponse } from '../helpers/http.js';
import { resetTokenFor } from '../helpers/mailbox.js';
import { expectNoSecrets } from '../helpers/secrets.js';
import { STRONG_PASSWORD, type TestAccount, uniqueEmail } from '../helpers/users.js';

const NEW_PASSWORD = 'another-Stable-horse-77';
const FULL_NAME = 'Zelda Quartermaine';
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) audit-test';

/** One client (IP and user agent) per test, so its events can be told apart and asserted on. */
const newClient = () => ({ sourceIp: randomIp(), headers: { 'user-agent': USER_AGENT } });
type Client = ReturnType<typeof newClient>;

async function register(
  client: Client,
  email = uniqueEmail('audit'),
): Promise<TestAccount & { response: TestResponse }> {
  const res = await call(registerHandler, 'POST', '/api/auth/register', {
    ...client,
    body: { email, password: STRONG_PASSWORD, full_name: FULL_NAME },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return {
    email,
    password: STRONG_PASSWORD,
    fullName: FULL_NAME,
    id: res.body.user.id,
    access: res.body.access,
    refresh: res.body.refresh,
    response: res,
  };
}

const login = (client: Client, email: string, password: string) =>
  call(loginHandler, 'POST', '/api/auth/login', { ...client, body: { email, password } });

/** A fresh access token (earlier ones may have ended with the sessions a flow revoked). */
async function signIn(email: string, password: string): Promise<string> {
  const res = await login(newClient(), email, password);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access;
}

const ownEvents = (token: string, query: Record<string, string> = { page_size: '100' }) =>
  call(ownEventsHandler, 'GET', '/api/auth/security-events', { token, query });
const adminEvents = (token: string, query: Record<string, string>) =>
  call(adminEventsHandler, 'GET', '/api/admin/events', { token, query });

interface Expected {
  type: string;
  client: Client;
  actorId?: string | null;
  details: Record<string, unknown>;
}

/**
 * The newest event of `expected.type` about `userId`, read through the staff route and (when the
 * user can still sign in) the user's own, which must agree; checked against `expected`.
 */
async function expectEvent(userId: string, expected: Expected, options: { staffToken: string; ownToken?: string }) {
  const fromAdmin = await adminEvents(options.staffToken, { user_id: userId, type: expected.type });
  expect(fromAdmin.status, JSON.stringify(fromAdmin.body)).toBe(200);
  const event = fromAdmin.body.results[0];
  expect(event, `no ${expected.type} event for ${userId}`).toBeDefined();
  expect(event).toEqual({
    id: expect.any(String),
    type: expected.type,
    created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    user_id: userId,
    actor_id: expected.actorId ?? null,
    ip: expected.client.sourceIp,
    user_agent: USER_AGENT,
    details: expected.details,
  });
  expect(Date.now() - Date.parse(event.created_at)).toBeLessThan(60_000);
  if (options.ownToken) {
    const own = await ownEvents(options.ownToken);
    expect(own.status).toBe(200);
    expect(own.body.results).toContainEqual(event);
  }
  return event;
}

describe('each flow records its event, read back through both routes', () => {
  it('register and login', async () => {
    const staff = await createAccount('staff');
    const client = newClient();
    const account = await register(client);
    await expectEvent(
      account.id,
      { type: 'register', client, details: { method: 'password' } },
      { staffToken: staff.access, ownToken: account.access },
    );
    const again = newClient();
    const res = await login(again, account.email, STRONG_PASSWORD);
    expect(res.status).toBe(200);
    await expectEvent(
      account.id,
      { type: 'login', client: again, details: { method: 'password' } },
      { staffToken: staff.access, ownToken: res.body.access },
    );
  });

  it('login_failed for a wrong password and for an inactive account, with the reason kept from the client', async () => {
    const staff = await createAccount('staff');
    const account = await register(newClient());
    const wrong = newClient();
    const res = await login(wrong, account.email, 'wrong-Password-1');
    expectProblem(res, 401, 'invalid_credentials');
    expect(res.rawBody).not.toMatch(/wrong_password|reason/);
    await expectEvent(
      account.id,
      { type: 'login_failed', client: wrong, details: { method: 'password', reason: 'wrong_password' } },
      { staffToken: staff.access, ownToken: account.access },
    );

    const inactive = newClient();
    await sql()`update users set is_active = false where id = ${account.id}`;
    const refused = await login(inactive, account.email, STRONG_PASSWORD);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(res.body);
    await expectEvent(
      account.id,
      { type: 'login_failed', client: inactive, details: { method: 'password', reason: 'inactive_account' } },
      { staffToken: staff.access },
    );
  });

  it('password_changed', async () => {
    const staff = await createAccount('staff');
    const account = await register(newClient());
    const client = newClient();
    const res = await call(changePasswordHandler, 'POST', '/api/auth/change-password', {
      ...client,
      token: account.access,
      body: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(res.status).toBe(204);
    await expectEvent(
      account.id,
      { type: 'password_changed', client, details: {} },
      { staffToken: staff.access, ownToken: await signIn(account.email, NEW_PASSWORD) },
    );
  });

  it('password_reset_requested and password_reset', async () => {
    const staff = await createAccount('staff');
    const account = await register(newClient());
    const asking = newClient();
    expect(
      (await call(forgotHandler, 'POST', '/api/auth/forgot-password', { ...asking, body: { email: account.email } }))
        .status,
    ).toBe(202);
    await expectEvent(
      account.id,
      { type: 'password_reset_requested', client: asking, details: {} },
      { staffToken: staff.access, ownToken: account.access },
    );

    const resetting = newClient();
    const token = await resetTokenFor(account.email);
    const res = await call(resetHandler, 'POST', '/api/auth/reset-password', {
      ...resetting,
      body: { token, new_password: NEW_PASSWORD },
    });
    expect(res.status).toBe(200);
    const ownToken = await signIn(account.email, NEW_PASSWORD);
    await expectEvent(
      account.id,
      { type: 'password_reset', client: resetting, details: {} },
      { staffToken: staff.access, ownToken },
    );
    const stored = await sql()`select to_jsonb(e)::text as row from security_events e where user_id = ${account.id}`;
    expectNoSecrets(stored.map((r) => r.row).join('\n'), { 'reset token': token }, 'security_events');
  });

  it('admin_user_updated: the fields and flag changes, never the new name', async () => {
    const superuser = await createAccount('superuser');
    const account = await register(newClient());
    const client = newClient();
    const patch = (body: unknown) =>
      call(updateHandler, 'PATCH', `/api/admin/users/${account.id}`, {
        ...client,
        token: superuser.access,
        pathParameters: { id: account.id },
        body,
      });
    expect((await patch({ full_name: 'Renamed Quartermaine-Smith', is_staff: true })).status).toBe(200);
    await expectEvent(
      account.id,
      {
        type: 'admin_user_updated',
        client,
        actorId: superuser.id,
        details: { fields: ['full_name', 'is_staff'], full_name: 'changed', is_staff: { from: false, to: true } },
      },
      { staffToken: superuser.access, ownToken: account.access },
    );
    expect((await patch({ is_active: false })).status).toBe(200);
    await expectEvent(
      account.id,
      {
        type: 'admin_user_updated',
        client,
        actorId: superuser.id,
        details: { fields: ['is_active'], is_active: { from: true, to: false }, sessions_revoked: 1 },
      },
      { staffToken: superuser.access },
    );
  });

  it('admin_sessions_revoked', async () => {
    const staff = await createAccount('staff');
    const account = await register(newClient());
    const client = newClient();
    const res = await call(revokeHandler, 'POST', `/api/admin/users/${account.id}/revoke-sessions`, {
      ...client,
      token: staff.access,
      pathParameters: { id: account.id },
    });
    expect(res.status).toBe(204);
    await expectEvent(
      account.id,
      { type: 'admin_sessions_revoked', client, actorId: staff.id, details: { sessions_revoked: 1 } },
      { staffToken: staff.access, ownToken: await signIn(account.email, STRONG_PASSWORD) },
    );
  });

  it('admin_user_deleted, kept after the account it is about is gone (staff route only: the user cannot sign in)', async () => {
    const staff = await createAccount('staff');
    const account = await register(newClient());
    const client = newClient();
    const res = await call(deleteHandler, 'DELETE', `/api/admin/users/${account.id}`, {
      ...client,
      token: staff.access,
      pathParameters: { id: account.id },
    });
    expect(res.status).toBe(204);
    await expectEvent(
      account.id,
      { type: 'admin_user_deleted', client, actorId: staff.id, details: { sessions_revoked: 1 } },
      { staffToken: staff.access },
    );
    // The account's earlier history stays readable by staff too.
    const history = await adminEvents(staff.access, { user_id: account.id });
    expect(history.body.results.map((e: { type: string }) => e.type)).toEqual(['admin_user_deleted', 'register']);
  });
});

describe('what a failed or refused action leaves', () => {
  it('a failed login with an unknown email is one anonymous row, the same write as a wrong password, without the email', async () => {
    const account = await register(newClient());
    const unknownEmail = uniqueEmail('ghost');
    const [ghost, wrong] = [newClient(), newClient()];
    const [a, b] = [
      await login(ghost, unknownEmail, 'wrong-Password-1'),
      await login(wrong, account.email, 'wrong-Password-1'),
    ];
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.body).toEqual(b.body);
    const rows =
      await sql()`select user_id, type, details, to_jsonb(e)::text as row from security_events e where ip in (${ghost.sourceIp}, ${wrong.sourceIp}) order by ip = ${wrong.sourceIp}`;
    expect(rows.map((r) => [r.user_id, r.type, r.details])).toEqual([
      [null, 'login_failed', { method: 'password', reason: 'unknown_account' }],
      [account.id, 'login_failed', { method: 'password', reason: 'wrong_password' }],
    ]);
    expect(rows[0]!.row).not.toContain(unknownEmail);
  });

  it('a registration that loses to an existing email records nothing', async () => {
    const first = await register(newClient());
    const client = newClient();
    const res = await call(registerHandler, 'POST', '/api/auth/register', {
      ...client,
      body: { email: first.email, password: STRONG_PASSWORD, full_name: 'Other' },
    });
    expect(res.status).toBe(409);
    expect(await sql()`select 1 from security_events where ip = ${client.sourceIp}`).toHaveLength(0);
  });

  it('an admin action refused by the rules records nothing', async () => {
    const staff = await createAccount('staff');
    const superuser = await createAccount('superuser');
    const client = newClient();
    const res = await call(updateHandler, 'PATCH', `/api/admin/users/${superuser.id}`, {
      ...client,
      token: staff.access,
      pathParameters: { id: superuser.id },
      body: { is_active: false },
    });
    expect(res.status).toBe(403);
    expect(await sql()`select 1 from security_events where ip = ${client.sourceIp}`).toHaveLength(0);
  });

  it('a PATCH that changes nothing records no update', async () => {
    const staff = await createAccount('staff');
    const account = await register(newClient());
    const client = newClient();
    const res = await call(updateHandler, 'PATCH', `/api/admin/users/${account.id}`, {
      ...client,
      token: staff.access,
      pathParameters: { id: account.id },
      body: { is_active: true },
    });
    expect(res.status).toBe(200);
    expect(await sql()`select 1 from security_events where ip = ${client.sourceIp}`).toHaveLength(0);
  });
});

describe('nothing secret is stored or returned', () => {
  it('no password, token, hash, email or full name in any event row or read response of an account that went through every flow', async () => {
    const superuser = await createAccount('superuser');
    const account = await register(newClient());
    const known: Record<string, string | undefined> = {
      password: STRONG_PASSWORD,
      'new password': NEW_PASSWORD,
      'wrong password': 'wrong-Password-1',
      email: account.email,
      'full name': FULL_NAME,
      'new full name': 'Renamed Quartermaine-Smith',
      'access token': account.access,
      'refresh token': account.refresh,
    };
    await login(newClient(), account.email, 'wrong-Password-1');
    const signedIn = await login(newClient(), account.email, STRONG_PASSWORD);
    known['login access token'] = signedIn.body.access;
    known['login refresh token'] = signedIn.body.refresh;
    await call(changePasswordHandler, 'POST', '/api/auth/change-password', {
      token: signedIn.body.access,
      body: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD },
    });
    await call(forgotHandler, 'POST', '/api/auth/forgot-password', { body: { email: account.email } });
    const resetToken = await resetTokenFor(account.email);
    known['reset token'] = resetToken;
    await call(resetHandler, 'POST', '/api/auth/reset-password', {
      body: { token: resetToken, new_password: STRONG_PASSWORD },
    });
    const patched = await call(updateHandler, 'PATCH', `/api/admin/users/${account.id}`, {
      token: superuser.access,
      pathParameters: { id: account.id },
      body: { full_name: 'Renamed Quartermaine-Smith', is_staff: true },
    });
    expect(patched.status).toBe(200);
    await call(revokeHandler, 'POST', `/api/admin/users/${account.id}/revoke-sessions`, {
      token: superuser.access,
      pathParameters: { id: account.id },
    });
    const [user] = await sql()`select password from users where id = ${account.id}`;
    known['password hash'] = user!.password;

    const rows = await sql()`select to_jsonb(e)::text as row from security_events e where user_id = ${account.id}`;
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const { row } of rows) expectNoSecrets(row, known, 'a security_events row');

    const own = await ownEvents(await signIn(account.email, STRONG_PASSWORD));
    const admin = await adminEvents(superuser.access, { user_id: account.id, page_size: '100' });
    for (const res of [own, admin]) {
      expect(res.status).toBe(200);
      expectNoSecrets(res.rawBody, known, 'a security events response');
    }
    expect(new Set(admin.body.results.map((e: { type: string }) => e.type))).toEqual(
      // The reset link also proved the address: email_verified.
      new Set([
        'register',
        'login',
        'login_failed',
        'password_changed',
        'password_reset_requested',
        'password_reset',
        'email_verified',
        'admin_user_updated',
        'admin_sessions_revoked',
      ]),
    );
  });
});

describe('GET /api/auth/security-events', () => {
  it("pages the caller's own events newest first, and only theirs", async () => {
    const account = await register(newClient());
    const other = await register(newClient());
    for (let i = 0; i < 4; i++) expect((await login(newClient(), account.email, STRONG_PASSWORD)).status).toBe(200);
    const all = await ownEvents(account.access);
    expect(all.body).toMatchObject({ count: 5, page: 1, page_size: 100 });
    expect(all.body.results.map((e: { type: string }) => e.type)).toEqual([
      'login',
      'login',
      'login',
      'login',
      'register',
    ]);
    const times = all.body.results.map((e: { created_at: string }) => e.created_at);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.body.results.every((e: { user_id: string }) => e.user_id === account.id)).toBe(true);

    const first = await ownEvents(account.access, { page_size: '2' });
    const second = await ownEvents(account.access, { page: '2', page_size: '2' });
    const third = await ownEvents(account.access, { page: '3', page_size: '2' });
    expect([first.body.count, first.body.page, first.body.page_size]).toEqual([5, 1, 2]);
    const paged = [...first.body.results, ...second.body.results, ...third.body.results];
    expect(paged).toEqual(all.body.results);
    expect((await ownEvents(account.access, { page: '9' })).body).toEqual({
      count: 5,
      page: 9,
      page_size: 20,
      results: [],
    });

    const theirs = await ownEvents(other.access);
    expect(theirs.body.results.map((e: { type: string }) => e.type)).toEqual(['register']);
  });

  it('defaults to page 1 of 20', async () => {
    const account = await register(newClient());
    const res = await ownEvents(account.access, {});
    expect(res.body).toMatchObject({ count: 1, page: 1, page_size: 20 });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it.each([
    [{ page_size: '0' }, 'page_size'],
    [{ page_size: '101' }, 'page_size'],
    [{ page: '0' }, 'page'],
    [{ page: 'two' }, 'page'],
  ])('refuses %j with a validation_error on %s', async (query, field) => {
    const account = await register(newClient());
    const res = await ownEvents(account.access, query);
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });

  it('answers 401 without a token', async () => {
    const res = await call(ownEventsHandler, 'GET', '/api/auth/security-events');
    expectProblem(res, 401, 'not_authenticated');
  });
});

describe('GET /api/admin/events', () => {
  it('filters by user and by type, newest first', async () => {
    const staff = await createAccount('staff');
    const account = await register(newClient());
    for (const id of [account.id, account.id]) {
      await call(revokeHandler, 'POST', `/api/admin/users/${id}/revoke-sessions`, {
        token: staff.access,
        pathParameters: { id },
      });
    }
    const byUser = await adminEvents(staff.access, { user_id: account.id });
    expect(byUser.body.results.map((e: { type: string }) => e.type)).toEqual([
      'admin_sessions_revoked',
      'admin_sessions_revoked',
      'register',
    ]);
    const byType = await adminEvents(staff.access, { user_id: account.id, type: 'register' });
    expect(byType.body).toMatchObject({ count: 1, results: [{ type: 'register', user_id: account.id }] });
    const everyone = await adminEvents(staff.access, { type: 'admin_sessions_revoked', page_size: '100' });
    expect(everyone.body.count).toBeGreaterThanOrEqual(2);
    expect(everyone.body.results.every((e: { type: string }) => e.type === 'admin_sessions_revoked')).toBe(true);
    const times = everyone.body.results.map((e: { created_at: string }) => e.created_at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('accepts every event type of the contract as a filter', async () => {
    const staff = await createAccount('staff');
    for (const type of SECURITY_EVENT_TYPES) expect((await adminEvents(staff.access, { type })).status, type).toBe(200);
  });

  it.each([
    [{ type: 'logn' }, 'type'],
    [{ user_id: 'not-a-uuid' }, 'user_id'],
    [{ page_size: '1000' }, 'page_size'],
  ])('refuses %j with a validation_error on %s', async (query, field) => {
    const staff = await createAccount('staff');
    const res = await adminEvents(staff.access, query);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });

  it('is for staff only', async () => {
    const user = await createAccount('user');
    expect((await adminEvents(user.access, {})).body.code).toBe('permission_denied');
    expect((await call(adminEventsHandler, 'GET', '/api/admin/events')).status).toBe(401);
  });
});

describe('the admin page', () => {
  it("offers exactly the service's event types as its filter", () => {
    const html = readFileSync(new URL('../../lib/admin/admin-page.html', import.meta.url), 'utf8');
    const list = /var EVENT_TYPES = (\[[^\]]*\]);/.exec(html);
    expect(list).not.toBeNull();
    expect(JSON.parse(list![1]!.replaceAll("'", '"'))).toEqual([...SECURITY_EVENT_TYPES]);
  });
});
