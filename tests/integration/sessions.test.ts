import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { handler as adminEndSession } from '../../functions/admin-user-session-delete.js';
import { handler as adminListSessions } from '../../functions/admin-user-sessions-list.js';
import { handler as adminRevokeSessions } from '../../functions/admin-user-revoke-sessions.js';
import { handler as adminUpdateUser } from '../../functions/admin-user-update.js';
import { handler as changePassword } from '../../functions/auth-change-password.js';
import { handler as loginHandler } from '../../functions/auth-login.js';
import { handler as logout } from '../../functions/auth-logout.js';
import { handler as me } from '../../functions/auth-me.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { handler as endSession } from '../../functions/auth-session-delete.js';
import { handler as endOthers } from '../../functions/auth-sessions-delete.js';
import { handler as listSessions } from '../../functions/auth-sessions-list.js';
import { setPassword } from '../../lib/auth/account.js';
import { sql } from '../../lib/db/sql.js';
import { createAccount } from '../helpers/admin.js';
import { call, expectProblem, type Handler } from '../helpers/http.js';
import { freshHandler } from '../helpers/fresh.js';
import { forgeToken } from '../helpers/tokens.js';
import { registerAccount, STRONG_PASSWORD, type TestAccount } from '../helpers/users.js';

const getMe = (token: string) => call(me, 'GET', '/api/auth/me', { token });
const list = (token: string) => call(listSessions, 'GET', '/api/auth/sessions', { token });
const end = (token: string, id: string) =>
  call(endSession, 'DELETE', `/api/auth/sessions/${id}`, { token, pathParameters: { id } });
const refresh = (token: string, handler: Handler = refreshHandler) =>
  call(handler, 'POST', '/api/auth/refresh', { body: { refresh: token } });
const sid = (token: string) => decodeJwt(token).sid as string;

async function signIn(account: TestAccount, userAgent = 'vitest', sourceIp?: string) {
  const res = await call(loginHandler, 'POST', '/api/auth/login', {
    body: { email: account.email, password: account.password },
    headers: { 'user-agent': userAgent },
    sourceIp,
  });
  expect(res.status).toBe(200);
  return res.body as { access: string; refresh: string };
}

const eventsOf = (userId: string, type: string) =>
  sql()`select user_id, actor_id, details from security_events where user_id = ${userId} and type = ${type} order by created_at`;

function expectEnded(res: { status: number; body: any }) {
  expectProblem(res, 401, 'not_authenticated');
}

describe('session ids in tokens', () => {
  it('puts the session id in both tokens as sid, and keeps it across refreshes', async () => {
    const account = await registerAccount();
    const session = sid(account.access);
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    expect(sid(account.refresh)).toBe(session);
    const rotated = await refresh(account.refresh);
    expect(sid(rotated.body.access)).toBe(session);
    expect(sid(rotated.body.refresh)).toBe(session);
    const [row] = await sql()`select distinct family_id from refresh_tokens where user_id = ${account.id}`;
    expect(row!.family_id).toBe(session);
  });
});

describe('GET /api/auth/sessions', () => {
  it('lists live sessions newest first, marks the current one and shows where each was last used', async () => {
    const account = await registerAccount();
    const phone = await signIn(account, 'Phone/1.0', '10.1.2.3');
    const laptop = await signIn(account, 'Laptop/2.0', '10.4.5.6');
    const res = await list(laptop.access);
    expect(res.status).toBe(200);
    expect(res.body.results.map((s: any) => s.id)).toEqual([
      sid(laptop.access),
      sid(phone.access),
      sid(account.access),
    ]);
    expect(res.body.results.map((s: any) => s.current)).toEqual([true, false, false]);
    expect(res.body.results[1]).toMatchObject({ ip: '10.1.2.3', user_agent: 'Phone/1.0' });
    expect(Object.keys(res.body.results[0]).sort()).toEqual([
      'created_at',
      'current',
      'id',
      'ip',
      'last_used_at',
      'user_agent',
    ]);
  });

  it('moves last_used_at (and the last seen address) on refresh', async () => {
    const account = await registerAccount();
    const before = (await list(account.access)).body.results[0];
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rotated = await call(refreshHandler, 'POST', '/api/auth/refresh', {
      body: { refresh: account.refresh },
      sourceIp: '10.9.9.9',
      headers: { 'user-agent': 'Retried/3' },
    });
    const after = (await list(rotated.body.access)).body.results[0];
    expect(after.id).toBe(before.id);
    expect(after.created_at).toBe(before.created_at);
    expect(Date.parse(after.last_used_at)).toBeGreaterThan(Date.parse(before.last_used_at));
    expect(after).toMatchObject({ ip: '10.9.9.9', user_agent: 'Retried/3', current: true });
  });

  it('needs an access token', async () => {
    const res = await call(listSessions, 'GET', '/api/auth/sessions');
    expect(res.status).toBe(401);
  });
});

describe('DELETE /api/auth/sessions/{id}', () => {
  it('ends the session: its access and refresh tokens fail from the next request, the others keep working', async () => {
    const account = await registerAccount();
    const other = await signIn(account);
    expect((await getMe(other.access)).status).toBe(200);
    const res = await end(account.access, sid(other.access));
    expect(res.status).toBe(204);
    expectEnded(await getMe(other.access));
    expect((await refresh(other.refresh)).status).toBe(401);
    expect((await getMe(account.access)).status).toBe(200);
    expect((await list(account.access)).body.results.map((s: any) => s.id)).toEqual([sid(account.access)]);
    expect(await eventsOf(account.id, 'session_revoked')).toEqual([
      { user_id: account.id, actor_id: null, details: { session_id: sid(other.access) } },
    ]);
  });

  it('may end the current session', async () => {
    const account = await registerAccount();
    expect((await end(account.access, sid(account.access))).status).toBe(204);
    expectEnded(await getMe(account.access));
  });

  it("answers 404 for another user's session, an unknown, an ended and a malformed id", async () => {
    const [ann, bob] = await Promise.all([registerAccount(), registerAccount()]);
    const bobSession = sid(bob.access);
    for (const id of [bobSession, crypto.randomUUID(), 'not-a-uuid']) {
      const res = await end(ann.access, id);
      expectProblem(res, 404, 'not_found');
    }
    expect((await getMe(bob.access)).status).toBe(200);
    const extra = await signIn(ann);
    expect((await end(ann.access, sid(extra.access))).status).toBe(204);
    expect((await end(ann.access, sid(extra.access))).status).toBe(404);
  });
});

describe('DELETE /api/auth/sessions', () => {
  it('ends every session but the current one and says how many', async () => {
    const account = await registerAccount();
    const a = await signIn(account);
    const b = await signIn(account);
    const res = await call(endOthers, 'DELETE', '/api/auth/sessions', { token: b.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    expectEnded(await getMe(a.access));
    expectEnded(await getMe(account.access));
    expect((await getMe(b.access)).status).toBe(200);
    expect((await eventsOf(account.id, 'session_revoked')).length).toBe(2);
    expect((await call(endOthers, 'DELETE', '/api/auth/sessions', { token: b.access })).body).toEqual({ revoked: 0 });
  });
});

describe('every way of ending a session stops its access tokens at once', () => {
  it('logout (recorded as logout, once)', async () => {
    const account = await registerAccount();
    expect((await call(logout, 'POST', '/api/auth/logout', { body: { refresh: account.refresh } })).status).toBe(204);
    expectEnded(await getMe(account.access));
    expect((await call(logout, 'POST', '/api/auth/logout', { body: { refresh: account.refresh } })).status).toBe(204);
    expect(await eventsOf(account.id, 'logout')).toEqual([
      { user_id: account.id, actor_id: null, details: { session_id: sid(account.access) } },
    ]);
  });

  it('refresh-token reuse detection (recorded as refresh_reuse_detected)', async () => {
    const handler = await freshHandler('functions/auth-refresh.ts', { REFRESH_REUSE_GRACE_S: '0' });
    const account = await registerAccount();
    const rotated = await refresh(account.refresh, handler);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await refresh(account.refresh, handler)).status).toBe(401);
    expectEnded(await getMe(rotated.body.access));
    expect((await eventsOf(account.id, 'refresh_reuse_detected')).length).toBe(1);
  });

  it('a password change ends every session, the current one included', async () => {
    const account = await registerAccount();
    const other = await signIn(account);
    const res = await call(changePassword, 'POST', '/api/auth/change-password', {
      token: account.access,
      body: { current_password: STRONG_PASSWORD, new_password: 'another-Secret-phrase-77' },
    });
    expect(res.status).toBe(204);
    expectEnded(await getMe(other.access));
    expectEnded(await getMe(account.access));
  });

  it('a password reset (setPassword) ends every session', async () => {
    const account = await registerAccount();
    await setPassword(account.id, 'reset-Secret-phrase-88', { type: 'password_reset' });
    expectEnded(await getMe(account.access));
    expect((await refresh(account.refresh)).status).toBe(401);
  });

  it('admin revoke-sessions and deactivation', async () => {
    const staff = await createAccount('staff');
    const [revoked, deactivated] = await Promise.all([registerAccount(), registerAccount()]);
    const revoke = await call(adminRevokeSessions, 'POST', `/api/admin/users/${revoked.id}/revoke-sessions`, {
      token: staff.access,
      pathParameters: { id: revoked.id },
    });
    expect(revoke.status).toBe(204);
    expectEnded(await getMe(revoked.access));
    const patch = await call(adminUpdateUser, 'PATCH', `/api/admin/users/${deactivated.id}`, {
      token: staff.access,
      pathParameters: { id: deactivated.id },
      body: { is_active: false },
    });
    expect(patch.status).toBe(200);
    await sql()`update users set is_active = true where id = ${deactivated.id}`;
    // Reactivated, but the sessions that deactivation ended stay ended.
    expectEnded(await getMe(deactivated.access));
  });

  it('accepts a token issued before sessions existed (no sid) until it expires', async () => {
    const account = await registerAccount();
    expect((await getMe(await forgeToken({ sub: account.id }))).status).toBe(200);
    expect((await getMe(await forgeToken({ sub: account.id, sid: crypto.randomUUID() }))).status).toBe(401);
    expect((await getMe(await forgeToken({ sub: account.id, sid: 'not-a-uuid' }))).status).toBe(401);
    expect((await getMe(await forgeToken({ sub: account.id, sid: sid(account.access) }))).status).toBe(200);
  });
});

describe("admin: a user's sessions", () => {
  const adminList = (token: string, id: string) =>
    call(adminListSessions, 'GET', `/api/admin/users/${id}/sessions`, { token, pathParameters: { id } });
  const adminEnd = (token: string, id: string, sessionId: string) =>
    call(adminEndSession, 'DELETE', `/api/admin/users/${id}/sessions/${sessionId}`, {
      token,
      pathParameters: { id, session_id: sessionId },
    });

  it("lists a user's live sessions and ends one (recorded as admin_sessions_revoked)", async () => {
    const staff = await createAccount('staff');
    const account = await registerAccount();
    const other = await signIn(account);
    const listed = await adminList(staff.access, account.id);
    expect(listed.status).toBe(200);
    expect(listed.body.results.map((s: any) => s.id)).toEqual([sid(other.access), sid(account.access)]);
    expect(listed.body.results.every((s: any) => s.current === false)).toBe(true);
    expect((await adminEnd(staff.access, account.id, sid(other.access))).status).toBe(204);
    expectEnded(await getMe(other.access));
    expect((await getMe(account.access)).status).toBe(200);
    expect(await eventsOf(account.id, 'admin_sessions_revoked')).toEqual([
      { user_id: account.id, actor_id: staff.id, details: { session_id: sid(other.access), count: 1 } },
    ]);
    expect((await adminEnd(staff.access, account.id, sid(other.access))).status).toBe(404);
  });

  it("is staff only, and only a superuser ends a superuser's session", async () => {
    const [user, staff, superuser] = await Promise.all([
      createAccount('user'),
      createAccount('staff'),
      createAccount('superuser'),
    ]);
    expect((await adminList(user.access, superuser.id)).status).toBe(403);
    expect((await adminEnd(user.access, superuser.id, sid(superuser.access))).status).toBe(403);
    expect((await adminList(staff.access, superuser.id)).status).toBe(200);
    expect((await adminEnd(staff.access, superuser.id, sid(superuser.access))).status).toBe(403);
    expect((await adminList(staff.access, crypto.randomUUID())).status).toBe(404);
    // A session id of another user never matches through this user's route.
    expect((await adminEnd(superuser.access, staff.id, sid(user.access))).status).toBe(404);
    expect((await getMe(user.access)).status).toBe(200);
  });
});
