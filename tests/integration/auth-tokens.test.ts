import { describe, expect, it, vi } from 'vitest';
import { handler as me } from '../../functions/auth-me.js';
import { handler as updateMe } from '../../functions/auth-me-update.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { sql } from '../../lib/db/sql.js';
import { call, expectProblem } from '../helpers/http.js';
import { forgeToken, tamper, unsignedToken, withPayload } from '../helpers/tokens.js';
import { registerAccount } from '../helpers/users.js';

const getMe = (token?: string) => call(me, 'GET', '/api/auth/me', { token });

function expectNotAuthenticated(res: { status: number; headers: Record<string, string>; body: any }) {
  expectProblem(res, 401, 'not_authenticated');
  expect(res.headers['www-authenticate']).toBe('Bearer');
}

describe('GET /api/auth/me', () => {
  it('answers the signed-in user', async () => {
    const account = await registerAccount({ fullName: 'Mia Wong' });
    const res = await getMe(account.access);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: account.id, email: account.email, full_name: 'Mia Wong', is_active: true });
    expect(res.rawBody).not.toMatch(/password|\$2[aby]\$/);
  });

  it('answers 401 with WWW-Authenticate without a token or with a malformed header', async () => {
    expectNotAuthenticated(await getMe());
    expectNotAuthenticated(await call(me, 'GET', '/api/auth/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    expectNotAuthenticated(await call(me, 'GET', '/api/auth/me', { headers: { authorization: 'Bearer not a token' } }));
  });

  it('rejects a tampered signature, a forged payload and alg none', async () => {
    const account = await registerAccount();
    expectNotAuthenticated(await getMe(tamper(account.access)));
    expectNotAuthenticated(await getMe(withPayload(account.access, { sub: '00000000-0000-4000-8000-000000000000' })));
    expectNotAuthenticated(await getMe(unsignedToken(account.id)));
    expectNotAuthenticated(
      await getMe(await forgeToken({ sub: account.id, secret: 'another-secret-another-secret-xx' })),
    );
  });

  it('rejects a wrong issuer, a wrong audience, an expired token and a wrong typ header', async () => {
    const account = await registerAccount();
    expect((await getMe(await forgeToken({ sub: account.id }))).status).toBe(200); // the forge itself is sound
    expectNotAuthenticated(await getMe(await forgeToken({ sub: account.id, iss: 'someone-else' })));
    expectNotAuthenticated(await getMe(await forgeToken({ sub: account.id, aud: 'another-app' })));
    expectNotAuthenticated(await getMe(await forgeToken({ sub: account.id, expiresInS: -5 })));
    expectNotAuthenticated(await getMe(await forgeToken({ sub: account.id, typ: 'at+jwt' })));
  });

  it('never accepts a refresh token as an access token', async () => {
    const account = await registerAccount();
    expectNotAuthenticated(await getMe(account.refresh));
  });

  it('stops accepting the access token of a user who was deactivated or deleted', async () => {
    const deactivated = await registerAccount();
    await sql()`update users set is_active = false where id = ${deactivated.id}`;
    expectNotAuthenticated(await getMe(deactivated.access));

    const deleted = await registerAccount();
    await sql()`delete from users where id = ${deleted.id}`;
    expectNotAuthenticated(await getMe(deleted.access));
  });

  // The guard remembers tokens whose signature it has checked (lib/auth/authenticate.ts): a token
  // it has accepted must still stop at deactivation and at its expiry.
  it('refuses a token it accepted before, once the user is deactivated or the token expired', async () => {
    const deactivated = await registerAccount();
    expect((await getMe(deactivated.access)).status).toBe(200);
    await sql()`update users set is_active = false where id = ${deactivated.id}`;
    expectNotAuthenticated(await getMe(deactivated.access));

    const account = await registerAccount();
    expect((await getMe(account.access)).status).toBe(200);
    const { exp } = JSON.parse(Buffer.from(account.access.split('.')[1]!, 'base64url').toString()) as { exp: number };
    vi.useFakeTimers({ toFake: ['Date'], now: exp * 1000 });
    try {
      const res = await getMe(account.access);
      expectNotAuthenticated(res);
      expect(res.body.detail).toBe('The access token has expired.');
    } finally {
      vi.useRealTimers();
    }
    expect((await getMe(account.access)).status).toBe(200);
  });
});

describe('PATCH /api/auth/me', () => {
  it('updates the full name and answers the updated user', async () => {
    const account = await registerAccount();
    const res = await call(updateMe, 'PATCH', '/api/auth/me', {
      token: account.access,
      body: { full_name: '  New Name ', is_staff: true },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ full_name: 'New Name', is_staff: false });
    expect((await getMe(account.access)).body.full_name).toBe('New Name');
  });

  it('validates the body and requires a token', async () => {
    const account = await registerAccount();
    const res = await call(updateMe, 'PATCH', '/api/auth/me', { token: account.access, body: { full_name: '' } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'full_name', message: 'This field may not be blank.' }]);
    expectNotAuthenticated(await call(updateMe, 'PATCH', '/api/auth/me', { body: { full_name: 'X' } }));
  });
});

describe('token types', () => {
  it('never accepts an access token as a refresh token', async () => {
    const account = await registerAccount();
    const res = await call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh: account.access } });
    expectProblem(res, 401, 'invalid_refresh_token');
  });
});

describe('refresh on the wire', () => {
  it('rotates a live token in one named prepared statement, parsed once per connection', async () => {
    const account = await registerAccount();
    let refresh = account.refresh;
    for (let i = 0; i < 3; i++) {
      const res = await call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh } });
      expect(res.status).toBe(200);
      refresh = res.body.refresh;
    }
    // The pool holds one connection (DB_POOL_MAX=1): the statements it prepared are visible here.
    // An unnamed statement (drizzle's execute) costs two round trips per refresh instead of one.
    const prepared = await sql()`select statement from pg_prepared_statements
      where statement like '%with rotated as%' and statement not like '%pg_prepared_statements%'`;
    expect(prepared).toHaveLength(1);
  });
});
