import { createHash } from 'node:crypto';
import { Redis as IORedis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as resetMfaHandler } from '../../functions/admin-user-reset-mfa.js';
import { handler as loginMfaHandler } from '../../functions/auth-login-mfa.js';
import { handler as meHandler } from '../../functions/auth-me.js';
import { handler as recoveryCodesHandler } from '../../functions/auth-mfa-recovery-codes.js';
import { handler as confirmHandler } from '../../functions/auth-mfa-totp-confirm.js';
import { handler as disableHandler } from '../../functions/auth-mfa-totp-disable.js';
import { handler as setupHandler } from '../../functions/auth-mfa-totp-setup.js';
import { config } from '../../lib/config.js';
import { sql } from '../../lib/db/sql.js';
import { createAccount } from '../helpers/admin.js';
import { call, expectProblem, randomIp } from '../helpers/http.js';
import { codeAt, registerMfaAccount, setupTotp } from '../helpers/mfa.js';
import { login, registerAccount, type TestAccount } from '../helpers/users.js';

const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.quit());

const setup = (account: TestAccount, password = account.password) =>
  call(setupHandler, 'POST', '/api/auth/mfa/totp/setup', { token: account.access, body: { password } });
const confirm = (account: TestAccount, code: string) =>
  call(confirmHandler, 'POST', '/api/auth/mfa/totp/confirm', { token: account.access, body: { code } });
const disable = (account: TestAccount, body: { password: string; code: string }) =>
  call(disableHandler, 'POST', '/api/auth/mfa/totp/disable', { token: account.access, body });
const regenerate = (account: TestAccount, body: { password: string; code: string }) =>
  call(recoveryCodesHandler, 'POST', '/api/auth/mfa/recovery-codes', { token: account.access, body });
const loginMfa = (mfaToken: string, code: string) =>
  call(loginMfaHandler, 'POST', '/api/auth/login/mfa', { body: { mfa_token: mfaToken, code }, sourceIp: randomIp() });
const me = (access: string) => call(meHandler, 'GET', '/api/auth/me', { token: access });
const resetMfa = (staff: TestAccount, id: string) =>
  call(resetMfaHandler, 'POST', `/api/admin/users/${id}/reset-mfa`, { token: staff.access, pathParameters: { id } });

/** Logs in with the password (the first step) and answers the `mfa_token`. */
async function challenge(account: TestAccount): Promise<string> {
  const res = await login(account.email, account.password, randomIp());
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.mfa_required).toBe(true);
  return res.body.mfa_token;
}

const events = (userId: string, type: string) =>
  sql()`select type, actor_id, details from security_events where user_id = ${userId} and type = ${type} order by created_at`;

const challengeKey = (token: string) =>
  `${config.redis.keyPrefix}mfa:login:${createHash('sha256').update(token).digest('hex')}`;

describe('TOTP setup and confirmation', () => {
  it('answers the secret and an otpauth:// URL naming the issuer and the email, and keeps only ciphertext', async () => {
    const account = await registerAccount();
    const res = await setup(account);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['otpauth_url', 'secret']);
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(res.body.otpauth_url);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/${config.mfa.issuer}:${account.email}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      issuer: config.mfa.issuer,
      secret: res.body.secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });

    const [row] = await sql()`select secret, confirmed_at from mfa_totp where user_id = ${account.id}`;
    expect(row!.confirmed_at).toBeNull();
    expect(row!.secret).toMatch(/^v1\.[0-9a-f]{8}\./);
    const raw = Buffer.from(res.body.secret.replace(/=+$/, ''), 'utf8');
    expect(row!.secret).not.toContain(res.body.secret);
    expect(row!.secret).not.toContain(raw.toString('hex'));
    // Pending: not on until confirmed.
    expect((await me(account.access)).body.mfa_enabled).toBe(false);
    expect((await login(account.email, account.password, randomIp())).body.access).toBeDefined();
  });

  it('refuses a wrong password with validation_error on password', async () => {
    const account = await registerAccount();
    const res = await setup(account, 'wrong-Password-1');
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['password']);
  });

  it('replaces a pending secret when called again: only the newest one confirms', async () => {
    const account = await registerAccount();
    const first = await setupTotp(account);
    const second = await setupTotp(account);
    expect(second).not.toBe(first);
    const stale = await confirm(account, codeAt(first));
    expect(stale.status).toBe(400);
    expect(stale.body.errors).toEqual([expect.objectContaining({ field: 'code' })]);
    expect((await confirm(account, codeAt(second))).status).toBe(200);
  });

  it('refuses a wrong code, and confirming without a setup, with validation_error on code', async () => {
    const account = await registerAccount();
    const nothing = await confirm(account, '123456');
    expect(nothing.status).toBe(400);
    expect(nothing.body.errors).toEqual([expect.objectContaining({ field: 'code' })]);
    const secret = await setupTotp(account);
    const wrong = await confirm(account, codeAt(secret) === '000000' ? '000001' : '000000');
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([expect.objectContaining({ field: 'code' })]);
    expect((await me(account.access)).body.mfa_enabled).toBe(false);
  });

  it('turns TOTP on with 10 distinct single-use recovery codes, records mfa_enabled, and then refuses setup with 409', async () => {
    const account = await registerMfaAccount();
    expect(account.recoveryCodes).toHaveLength(10);
    expect(new Set(account.recoveryCodes).size).toBe(10);
    for (const code of account.recoveryCodes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    expect((await me(account.access)).body.mfa_enabled).toBe(true);
    const stored = await sql()`select code_hash from mfa_recovery_codes where user_id = ${account.id}`;
    expect(stored).toHaveLength(10);
    expect(JSON.stringify(stored)).not.toContain(account.recoveryCodes[0]!.replaceAll('-', ''));
    expect(await events(account.id, 'mfa_enabled')).toEqual([
      { type: 'mfa_enabled', actor_id: null, details: { method: 'totp' } },
    ]);

    const again = await setup(account);
    expectProblem(again, 409, 'mfa_already_enabled');
    expect((await confirm(account, codeAt(account.secret, 1))).body.code).toBe('mfa_already_enabled');
  });
});

describe('signing in with TOTP on', () => {
  it('login answers a challenge instead of tokens; login/mfa with a code signs in like login does', async () => {
    const account = await registerMfaAccount();
    const res = await login(account.email, account.password, randomIp());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      mfa_required: true,
      mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      methods: ['totp', 'recovery_code'],
    });

    const done = await loginMfa(res.body.mfa_token, codeAt(account.secret, 1));
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.user).toMatchObject({ id: account.id, mfa_enabled: true });
    expect(done.body.user.last_login).not.toBeNull();
    expect(done.body.token_type).toBe('Bearer');
    expect((await me(done.body.access)).status).toBe(200);
    const [session] = await sql()`select count(*)::int as n from refresh_tokens where user_id = ${account.id}`;
    expect(session!.n).toBe(2); // registration's and this sign-in's
    expect(await events(account.id, 'login')).toEqual([expect.objectContaining({ details: { method: 'totp' } })]);
  });

  it('a wrong password is still the plain 401 invalid_credentials', async () => {
    const account = await registerMfaAccount();
    const res = await login(account.email, 'wrong-Password-1', randomIp());
    expectProblem(res, 401, 'invalid_credentials');
  });

  it('keeps only a digest of the mfa_token in Redis, for 5 minutes', async () => {
    const account = await registerMfaAccount();
    const token = await challenge(account);
    const key = challengeKey(token);
    expect(await redis.ttl(key)).toBeGreaterThan(290);
    expect(await redis.ttl(key)).toBeLessThanOrEqual(300);
    const keys = await redis.keys(`${config.redis.keyPrefix}mfa:login:*`);
    expect(keys.join(' ')).not.toContain(token);
    expect(JSON.stringify(await redis.hgetall(key))).not.toContain(token);
  });

  it('an accepted code is refused afterwards (replay), and an mfa_token works once', async () => {
    const account = await registerMfaAccount();
    const code = codeAt(account.secret, 1);
    const first = await challenge(account);
    expect((await loginMfa(first, code)).status).toBe(200);
    const reused = await loginMfa(first, code);
    expectProblem(reused, 401, 'invalid_mfa_token');
    const replay = await loginMfa(await challenge(account), code);
    expectProblem(replay, 401, 'invalid_mfa_code');
    // An earlier step's code, still inside the drift window, is refused too once a later one was accepted.
    expect((await loginMfa(await challenge(account), codeAt(account.secret, 0))).body.code).toBe('invalid_mfa_code');
  });

  it('the same code sent twice at once (two sign-ins) lets exactly one through', async () => {
    const account = await registerMfaAccount();
    const code = codeAt(account.secret, 1);
    const [a, b] = await Promise.all([challenge(account), challenge(account)]);
    const results = await Promise.all([loginMfa(a, code), loginMfa(b, code)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(results.find((r) => r.status === 401)!.body.code).toBe('invalid_mfa_code');
  });

  it('one mfa_token sent twice at once lets exactly one through', async () => {
    const account = await registerMfaAccount();
    const token = await challenge(account);
    const results = await Promise.all([
      loginMfa(token, codeAt(account.secret, 1)),
      loginMfa(token, codeAt(account.secret, 1)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('each recovery code works once, typed in any case, with or without dashes', async () => {
    const account = await registerMfaAccount();
    const [code] = account.recoveryCodes as [string];
    const first = await loginMfa(await challenge(account), code.toUpperCase().replaceAll('-', ' '));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(await events(account.id, 'login')).toEqual([
      expect.objectContaining({ details: { method: 'recovery_code' } }),
    ]);
    const again = await loginMfa(await challenge(account), code);
    expectProblem(again, 401, 'invalid_mfa_code');
    const [used] =
      await sql()`select count(*)::int as n from mfa_recovery_codes where user_id = ${account.id} and used_at is not null`;
    expect(used!.n).toBe(1);
  });

  it('one recovery code sent twice at once lets exactly one through', async () => {
    const account = await registerMfaAccount();
    const [a, b] = await Promise.all([challenge(account), challenge(account)]);
    const results = await Promise.all([loginMfa(a, account.recoveryCodes[1]!), loginMfa(b, account.recoveryCodes[1]!)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('5 wrong codes kill the mfa_token: then even the right code gets invalid_mfa_token', async () => {
    const account = await registerMfaAccount();
    const token = await challenge(account);
    const right = codeAt(account.secret, 1);
    const wrong = right === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) {
      const res = await loginMfa(token, i % 2 ? wrong : 'zzzz-zzzz-zzzz');
      expectProblem(res, 401, 'invalid_mfa_code');
    }
    const after = await loginMfa(token, right);
    expectProblem(after, 401, 'invalid_mfa_token');
    const failures = await events(account.id, 'login_failed');
    expect(failures).toHaveLength(5); // the dead token names no user: nothing to record
    expect(failures[0]!.details).toEqual({ step: 'mfa', method: 'recovery_code', reason: 'invalid_mfa_code' });
    // The right code was not spent by the dead token: a new sign-in still takes it.
    expect((await loginMfa(await challenge(account), right)).status).toBe(200);
  });

  it('an expired mfa_token gets invalid_mfa_token', async () => {
    const account = await registerMfaAccount();
    const token = await challenge(account);
    await redis.pexpire(challengeKey(token), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await loginMfa(token, codeAt(account.secret, 1));
    expectProblem(res, 401, 'invalid_mfa_token');
  });

  it('unknown, blank or malformed mfa_tokens get invalid_mfa_token; a missing one is validation_error', async () => {
    for (const token of ['', 'nope', 'A'.repeat(43)])
      expect((await loginMfa(token, '123456')).body.code).toBe('invalid_mfa_token');
    const missing = await call(loginMfaHandler, 'POST', '/api/auth/login/mfa', { body: { code: '123456' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'mfa_token' })]);
  });

  it('a challenge dies with the account: deactivated between the steps', async () => {
    const account = await registerMfaAccount();
    const token = await challenge(account);
    await sql()`update users set is_active = false where id = ${account.id}`;
    expect((await loginMfa(token, codeAt(account.secret, 1))).body.code).toBe('invalid_mfa_token');
  });
});

describe('disabling TOTP and new recovery codes', () => {
  it('disable needs the password and a code (each wrong one named), then TOTP is off and login gives tokens again', async () => {
    const account = await registerMfaAccount();
    const bad = await disable(account, {
      password: 'wrong-Password-1',
      code: '000000' === codeAt(account.secret, 1) ? '000001' : '000000',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['password', 'code']);
    // A right recovery code with a wrong password is not spent.
    expect((await disable(account, { password: 'wrong-Password-1', code: account.recoveryCodes[0]! })).status).toBe(
      400,
    );
    const [unused] =
      await sql()`select count(*)::int as n from mfa_recovery_codes where user_id = ${account.id} and used_at is null`;
    expect(unused!.n).toBe(10);

    expect((await disable(account, { password: account.password, code: codeAt(account.secret, 1) })).status).toBe(204);
    expect((await me(account.access)).body.mfa_enabled).toBe(false);
    expect(await sql()`select 1 from mfa_totp where user_id = ${account.id}`).toHaveLength(0);
    expect(await sql()`select 1 from mfa_recovery_codes where user_id = ${account.id}`).toHaveLength(0);
    expect(await events(account.id, 'mfa_disabled')).toEqual([
      expect.objectContaining({ details: { method: 'totp' } }),
    ]);
    expect((await login(account.email, account.password, randomIp())).body.access).toBeDefined();

    const off = await disable(account, { password: account.password, code: '123456' });
    expectProblem(off, 409, 'mfa_not_enabled');
  });

  it('disable takes a recovery code too', async () => {
    const account = await registerMfaAccount();
    expect((await disable(account, { password: account.password, code: account.recoveryCodes[3]! })).status).toBe(204);
  });

  it('recovery-codes answers a new set; the old set stops working', async () => {
    const account = await registerMfaAccount();
    const res = await regenerate(account, { password: account.password, code: account.recoveryCodes[0]! });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.recovery_codes).toHaveLength(10);
    expect(res.body.recovery_codes).not.toContain(account.recoveryCodes[1]);
    expect((await loginMfa(await challenge(account), account.recoveryCodes[1]!)).body.code).toBe('invalid_mfa_code');
    expect((await loginMfa(await challenge(account), res.body.recovery_codes[0])).status).toBe(200);
    const wrong = await regenerate(account, { password: account.password, code: account.recoveryCodes[2]! });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([expect.objectContaining({ field: 'code' })]);
  });

  it('recovery-codes answers 409 mfa_not_enabled while TOTP is off', async () => {
    const account = await registerAccount();
    const res = await regenerate(account, { password: account.password, code: '123456' });
    expectProblem(res, 409, 'mfa_not_enabled');
  });
});

describe('admin reset of TOTP', () => {
  it("staff turn a user's TOTP off (recorded as admin_mfa_reset), and the user signs in with the password alone", async () => {
    const staff = await createAccount('staff');
    const account = await registerMfaAccount();
    expect((await resetMfa(staff, account.id)).status).toBe(204);
    expect((await me(account.access)).body.mfa_enabled).toBe(false);
    expect((await login(account.email, account.password, randomIp())).body.access).toBeDefined();
    expect(await events(account.id, 'admin_mfa_reset')).toEqual([
      { type: 'admin_mfa_reset', actor_id: staff.id, details: { mfa_was_enabled: true } },
    ]);
    // And the user can set it up again.
    expect((await setup(account)).status).toBe(200);
  });

  it('follows the admin rules: a superuser target needs a superuser, nobody resets their own, non-staff are refused', async () => {
    const staff = await createAccount('staff');
    const superuser = await createAccount('superuser');
    const other = await createAccount('superuser');
    await registerMfaAccount(other);
    expect((await resetMfa(staff, other.id)).status).toBe(403);
    expect((await me(other.access)).body.mfa_enabled).toBe(true);
    expect((await resetMfa(superuser, other.id)).status).toBe(204);
    expect((await resetMfa(staff, staff.id)).status).toBe(403);
    const user = await registerAccount();
    expect((await resetMfa(user, staff.id)).body.code).toBe('permission_denied');
    expect((await resetMfa(staff, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
