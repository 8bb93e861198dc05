import { describe, expect, it } from 'vitest';
import { handler as changePassword } from '../../functions/auth-change-password.js';
import { handler as logout } from '../../functions/auth-logout.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { sql } from '../../lib/db/sql.js';
import { call, expectProblem, type Handler } from '../helpers/http.js';
import { freshHandler } from '../helpers/fresh.js';
import { forgeToken, tamper } from '../helpers/tokens.js';
import { login, registerAccount, STRONG_PASSWORD, type TestAccount } from '../helpers/users.js';

const refresh = (token: unknown, handler: Handler = refreshHandler) =>
  call(handler, 'POST', '/api/auth/refresh', { body: { refresh: token } });
const logoutWith = (token: unknown) => call(logout, 'POST', '/api/auth/logout', { body: { refresh: token } });

async function familyOf(userId: string) {
  return sql()`select family_id, rotated_at, revoked_at from refresh_tokens where user_id = ${userId} order by issued_at`;
}

describe('POST /api/auth/refresh', () => {
  it('exchanges a refresh token for a new pair', async () => {
    const account = await registerAccount();
    const res = await refresh(account.refresh);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access', 'expires_in', 'refresh', 'token_type']);
    expect(res.body.refresh).not.toBe(account.refresh);
    expect((await refresh(res.body.refresh)).status).toBe(200);
  });

  it('answers a retry of a just-rotated token with a new pair of the same family', async () => {
    const account = await registerAccount();
    const first = await refresh(account.refresh);
    const retry = await refresh(account.refresh);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    const rows = await familyOf(account.id);
    expect(new Set(rows.map((r) => r.family_id)).size).toBe(1);
    expect(rows).toHaveLength(3);
  });

  it('revokes the whole family when a rotated token is replayed after the grace window', async () => {
    const handler = await freshHandler('functions/auth-refresh.ts', { REFRESH_REUSE_GRACE_S: '0' });
    const account = await registerAccount();
    const rotated = await refresh(account.refresh, handler);
    expect(rotated.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const replay = await refresh(account.refresh, handler);
    expectProblem(replay, 401, 'invalid_refresh_token');
    // The thief's replay also kills the legitimate client's newer token.
    expect((await refresh(rotated.body.refresh, handler)).status).toBe(401);
    expect((await familyOf(account.id)).every((r) => r.revoked_at !== null)).toBe(true);
  });

  it('never answers 500 nor forks the family when 20 refreshes of one token race', async () => {
    const account = await registerAccount();
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(account.refresh)));
    for (const res of results) expect([200, 401]).toContain(res.status);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    const rows = await familyOf(account.id);
    expect(new Set(rows.map((r) => r.family_id)).size).toBe(1);
  });

  it('rejects tampered, expired, unknown and non-refresh tokens with 401 invalid_refresh_token', async () => {
    const account = await registerAccount();
    const attempts = [
      tamper(account.refresh),
      await forgeToken({ sub: account.id, type: 'refresh', expiresInS: -5 }),
      await forgeToken({ sub: account.id, type: 'refresh' }), // well signed, but never issued
      account.access,
      'garbage',
    ];
    for (const token of attempts) {
      const res = await refresh(token);
      expectProblem(res, 401, 'invalid_refresh_token');
    }
  });

  it('answers 400 validation_error without a refresh field', async () => {
    const res = await call(refreshHandler, 'POST', '/api/auth/refresh', { body: {} });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'refresh', message: 'This field is required.' }]);
  });

  it('stores only a hash of each refresh token id', async () => {
    const account = await registerAccount();
    const jti = JSON.parse(Buffer.from(account.refresh.split('.')[1]!, 'base64url').toString()).jti as string;
    const rows = await sql()`select * from refresh_tokens where user_id = ${account.id}`;
    expect(JSON.stringify(rows)).not.toContain(jti);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the liveness rule of a refresh token, on both rotation paths', () => {
  // Each condition alone, written straight to the database (a route would also end the session),
  // so that it is the only thing standing between the token and a new pair.
  const conditions: Record<string, (account: TestAccount) => Promise<unknown>> = {
    'the token is revoked': (a) => sql()`update refresh_tokens set revoked_at = now() where user_id = ${a.id}`,
    'the token has expired (its JWT has not)': (a) =>
      sql()`update refresh_tokens set expires_at = now() - interval '1 second' where user_id = ${a.id}`,
    'its session has ended': (a) => sql()`update sessions set revoked_at = now() where user_id = ${a.id}`,
    'its user is inactive': (a) => sql()`update users set is_active = false where id = ${a.id}`,
  };

  // A fresh token is exchanged by the one-statement rotation (and, refused there, by the
  // transaction); a retry of a just-rotated token only by the transaction. Either path accepting
  // what the other refuses fails one of the two.
  for (const [condition, apply] of Object.entries(conditions)) {
    it(`refuses a fresh and a just-rotated token when ${condition}`, async () => {
      const handler = await freshHandler('functions/auth-refresh.ts', { REFRESH_REUSE_GRACE_S: '300' });
      const [fresh, retried] = await Promise.all([registerAccount(), registerAccount()]);
      expect((await refresh(retried.refresh, handler)).status).toBe(200);
      await Promise.all([apply(fresh), apply(retried)]);
      for (const account of [fresh, retried]) {
        const res = await refresh(account.refresh, handler);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('invalid_refresh_token');
      }
      // Refused for being dead, not as a replay past the grace window.
      expect(
        await sql()`select 1 from security_events where type = 'refresh_reuse_detected' and user_id in ${sql()([fresh.id, retried.id])}`,
      ).toHaveLength(0);
    });
  }
});

describe('POST /api/auth/logout', () => {
  it('answers 204 and revokes the family', async () => {
    const account = await registerAccount();
    const rotated = await refresh(account.refresh);
    const res = await logoutWith(rotated.body.refresh);
    expect(res.status).toBe(204);
    expect(res.rawBody).toBe('');
    expect((await refresh(rotated.body.refresh)).status).toBe(401);
  });

  it('is idempotent: a revoked or expired token also gets 204', async () => {
    const account = await registerAccount();
    expect((await logoutWith(account.refresh)).status).toBe(204);
    expect((await logoutWith(account.refresh)).status).toBe(204);
    expect((await logoutWith(await forgeToken({ sub: account.id, type: 'refresh', expiresInS: -5 }))).status).toBe(204);
  });

  it('leaves the user’s other sessions alone', async () => {
    const account = await registerAccount();
    const other = await login(account.email, account.password);
    expect((await logoutWith(account.refresh)).status).toBe(204);
    expect((await refresh(other.body.refresh)).status).toBe(200);
  });

  it('answers 401 invalid_refresh_token to a malformed or forged token', async () => {
    const account = await registerAccount();
    for (const token of ['garbage', tamper(account.refresh), account.access]) {
      const res = await logoutWith(token);
      expectProblem(res, 401, 'invalid_refresh_token');
    }
  });
});

describe('POST /api/auth/change-password', () => {
  const NEW_PASSWORD = 'another-Strong-phrase-77';

  it('answers 204, swaps the password and revokes every refresh token', async () => {
    const account = await registerAccount();
    const second = await login(account.email, account.password);
    const res = await call(changePassword, 'POST', '/api/auth/change-password', {
      token: account.access,
      body: { current_password: account.password, new_password: NEW_PASSWORD },
    });
    expect(res.status).toBe(204);
    expect((await login(account.email, account.password)).status).toBe(401);
    expect((await login(account.email, NEW_PASSWORD)).status).toBe(200);
    expect((await refresh(account.refresh)).status).toBe(401);
    expect((await refresh(second.body.refresh)).status).toBe(401);
  });

  it('answers 400 on current_password when it is wrong, and keeps the old password', async () => {
    const account = await registerAccount();
    const res = await call(changePassword, 'POST', '/api/auth/change-password', {
      token: account.access,
      body: { current_password: 'not-my-Password-1', new_password: NEW_PASSWORD },
    });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['current_password']);
    expect((await login(account.email, account.password)).status).toBe(200);
  });

  it('applies the password policy to the new password, including similarity to the user', async () => {
    const account = await registerAccount({ fullName: 'Quentin Zarathustra' });
    const res = await call(changePassword, 'POST', '/api/auth/change-password', {
      token: account.access,
      body: { current_password: account.password, new_password: 'zarathustra' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'new_password', message: expect.stringMatching(/too similar to the full name/i) },
    ]);
  });

  it('requires an access token', async () => {
    const res = await call(changePassword, 'POST', '/api/auth/change-password', {
      body: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD },
    });
    expectProblem(res, 401, 'not_authenticated');
  });
});
