/**
 * Nothing secret reaches a log line: errors are logged by class, code and statement name (never a
 * query's parameters), and a full run of the auth flows (register, login, refresh, reset by email,
 * change password, admin actions, and their failures) logs no password, token, hash, email or
 * SECRET_KEY.
 */
import { afterAll, describe, expect, it } from 'vitest';

process.env.LOG_LEVEL = 'debug';
const { captureLogs, expectNoSecrets } = await import('../helpers/log-capture.js');
const logs = captureLogs();
const { log, serializeError } = await import('../../lib/log.js');
const { config } = await import('../../lib/config.js');
const { sql } = await import('../../lib/db/sql.js');
const { call } = await import('../helpers/http.js');
const { registerAccount, login, uniqueEmail } = await import('../helpers/users.js');
const { createAccount } = await import('../helpers/admin.js');
const { resetTokenFor } = await import('../helpers/mailbox.js');
const handlers = {
  refresh: (await import('../../functions/auth-refresh.js')).handler,
  logout: (await import('../../functions/auth-logout.js')).handler,
  me: (await import('../../functions/auth-me.js')).handler,
  meUpdate: (await import('../../functions/auth-me-update.js')).handler,
  changePassword: (await import('../../functions/auth-change-password.js')).handler,
  forgot: (await import('../../functions/auth-forgot-password.js')).handler,
  reset: (await import('../../functions/auth-reset-password.js')).handler,
  adminList: (await import('../../functions/admin-users-list.js')).handler,
  adminGet: (await import('../../functions/admin-user-get.js')).handler,
  adminUpdate: (await import('../../functions/admin-user-update.js')).handler,
  adminRevoke: (await import('../../functions/admin-user-revoke-sessions.js')).handler,
  adminDelete: (await import('../../functions/admin-user-delete.js')).handler,
};
afterAll(() => logs.restore());

describe('serializeError', () => {
  it('logs a failed query as its statement name and the driver error, never its parameters', () => {
    const query =
      'with "started" as (insert into "refresh_tokens" ("user_id") values ($1) returning "id") insert into "users" ("email", "password") values ($2, $3)';
    const failed = Object.assign(
      new Error(`Failed query: ${query}\nparams: ann@example.com,$2b$04$${'a'.repeat(53)}`),
      {
        query,
        params: ['ann@example.com'],
        cause: Object.assign(new Error('write CONNECTION_DESTROYED 127.0.0.1:5432'), { code: 'CONNECTION_DESTROYED' }),
      },
    );
    const logged = serializeError(failed);
    expect(logged).toMatchObject({
      name: 'QueryError',
      message: 'Failed query',
      statement: 'insert users',
      cause: { code: 'CONNECTION_DESTROYED' },
    });
    expect(JSON.stringify(logged)).not.toMatch(/ann@|\$2b\$|params/);
  });

  it('masks emails, hashes and tokens a message quotes, and keeps only the stack frames', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    const logged = JSON.stringify(
      serializeError(new Error(`no luck for bob@example.org with ${jwt}\nsecond line with $2b$12$${'b'.repeat(53)}`)),
    );
    expect(logged).toContain('[email]');
    expect(logged).toContain('[jwt]');
    expect(logged).not.toMatch(/bob@|eyJ|\$2b\$|second line/);
  });

  it('redacts fields named like secrets or emails', () => {
    log.info('probe', {
      email: 'carol@example.com',
      password: 'hunter2-Secret',
      nested: { refresh: 'r' },
      user_id: 'u-1',
    });
    const line = logs.lines().find((l) => l.message === 'probe')!;
    expect(line).toMatchObject({
      email: '[redacted]',
      password: '[redacted]',
      nested: { refresh: '[redacted]' },
      user_id: 'u-1',
    });
  });
});

describe('a full run of the auth flows', () => {
  it('logs no password, JWT, refresh or reset token, bcrypt hash, email address or SECRET_KEY', async () => {
    const before = logs.text().length;
    const user = await registerAccount();
    const admin = await createAccount('superuser');
    const victim = await registerAccount();
    const signedIn = await login(user.email, user.password);
    expect((await login(user.email, 'wrong-Password-1')).status).toBe(401);
    expect((await login(uniqueEmail('nobody'), 'wrong-Password-1')).status).toBe(401);
    const refreshed = await call(handlers.refresh, 'POST', '/api/auth/refresh', {
      body: { refresh: signedIn.body.refresh },
    });
    expect(refreshed.status).toBe(200);
    await call(handlers.me, 'GET', '/api/auth/me', { token: refreshed.body.access });
    await call(handlers.meUpdate, 'PATCH', '/api/auth/me', {
      token: refreshed.body.access,
      body: { full_name: 'New Name' },
    });
    await call(handlers.forgot, 'POST', '/api/auth/forgot-password', { body: { email: user.email } });
    const resetToken = await resetTokenFor(user.email);
    expect(
      (
        await call(handlers.reset, 'POST', '/api/auth/reset-password', {
          body: { token: 'x'.repeat(64), new_password: 'reset-Phrase-77' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call(handlers.reset, 'POST', '/api/auth/reset-password', {
          body: { token: resetToken, new_password: 'reset-Phrase-77' },
        })
      ).status,
    ).toBe(200);
    const again = await login(user.email, 'reset-Phrase-77');
    expect(
      (
        await call(handlers.changePassword, 'POST', '/api/auth/change-password', {
          token: again.body.access,
          body: { current_password: 'reset-Phrase-77', new_password: 'changed-Phrase-88' },
        })
      ).status,
    ).toBe(204);
    await call(handlers.logout, 'POST', '/api/auth/logout', { body: { refresh: again.body.refresh } });
    const target = { token: admin.access, pathParameters: { id: victim.id } };
    await call(handlers.adminList, 'GET', '/api/admin/users', { token: admin.access, query: { search: victim.email } });
    await call(handlers.adminGet, 'GET', `/api/admin/users/${victim.id}`, target);
    await call(handlers.adminUpdate, 'PATCH', `/api/admin/users/${victim.id}`, {
      ...target,
      body: { full_name: 'Renamed', is_active: false },
    });
    await call(handlers.adminRevoke, 'POST', `/api/admin/users/${victim.id}/revoke-sessions`, target);
    await call(handlers.adminDelete, 'DELETE', `/api/admin/users/${victim.id}`, target);

    const hashes = await sql()<
      { password: string }[]
    >`select password from users where id in (${user.id}, ${admin.id})`;
    const text = logs.text().slice(before);
    expect(text.length, 'the flows logged something (LOG_LEVEL=debug)').toBeGreaterThan(0);
    expectNoSecrets(text, {
      'the password': user.password,
      'the reset password': 'reset-Phrase-77',
      'the changed password': 'changed-Phrase-88',
      'the access token': signedIn.body.access,
      'the refresh token': signedIn.body.refresh,
      'the rotated refresh token': refreshed.body.refresh,
      'the reset token': resetToken,
      'the user email': user.email,
      'the victim email': victim.email,
      'the admin email': admin.email,
      'a bcrypt hash': hashes[0]?.password,
      'another bcrypt hash': hashes[1]?.password,
      SECRET_KEY: config.secretKey,
    });
  });
});
