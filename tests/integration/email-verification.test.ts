/**
 * Email verification end to end: real handlers, real Redis and Postgres, and the emails as the
 * local SES emulator received them.
 */
import { Redis as IORedis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as resendAsStaff } from '../../functions/admin-user-resend-verification.js';
import { handler as updateHandler } from '../../functions/admin-user-update.js';
import { handler as listHandler } from '../../functions/admin-users-list.js';
import { handler as forgotHandler } from '../../functions/auth-forgot-password.js';
import { handler as meHandler } from '../../functions/auth-me.js';
import { handler as resetHandler } from '../../functions/auth-reset-password.js';
import { handler as verifyHandler } from '../../functions/auth-verify-email.js';
import { handler as resendHandler } from '../../functions/auth-verify-email-resend.js';
import { config } from '../../lib/config.js';
import { sql } from '../../lib/db/sql.js';
import { createAccount } from '../helpers/admin.js';
import { freshHandler } from '../helpers/fresh.js';
import { call, expectProblem, type Handler, randomIp, type TestResponse } from '../helpers/http.js';
import { resetTokenFor, sentTo, sentWithSubject, VERIFY_SUBJECT, verificationTokenFor } from '../helpers/mailbox.js';
import { captureOutput } from '../helpers/log-capture.js';
import { closedPort } from '../helpers/ports.js';
import { login, registerAccount, STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

const RESENT = 'If an account with this email awaits verification, a new verification link has been sent.';
const verify = (token: unknown, handler: Handler = verifyHandler) =>
  call(handler, 'POST', '/api/auth/verify-email', { body: { token } });
const resend = (email: string, handler: Handler = resendHandler, sourceIp?: string) =>
  call(handler, 'POST', '/api/auth/verify-email/resend', { body: { email }, sourceIp });
const me = (token: string) => call(meHandler, 'GET', '/api/auth/me', { token });
const events = (userId: string) =>
  sql()<{ type: string; actor_id: string | null; details: Record<string, unknown>; ip: string | null }[]>`
    select type, actor_id, details, ip from security_events where user_id = ${userId} order by created_at`;
const verifiedInDatabase = async (userId: string) =>
  (await sql()<{ v: boolean }[]>`select email_verified as v from users where id = ${userId}`)[0]?.v;

const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.quit());

describe('registration', () => {
  it('answers an unverified user and sends a real verification email: text and HTML, the link on FRONTEND_URL, the expiry', async () => {
    const account = await registerAccount({ fullName: 'Ada Byron' });
    expect((await me(account.access)).body.email_verified).toBe(false);
    const [email, ...others] = await sentWithSubject(account.email, VERIFY_SUBJECT);
    expect(others).toHaveLength(0);
    expect(email!.from).toBe(config.email.from);
    expect(email!.body.text).toContain('Hi Ada Byron,');
    expect(email!.body.text).toMatch(new RegExp(`${config.frontendUrl}/verify-email\\?token=[A-Za-z0-9_-]{64}\\n`));
    expect(email!.body.text).toContain('expires in 2 days');
    expect(email!.body.html).toMatch(/<a href="[^"]*\/verify-email\?token=[A-Za-z0-9_-]{64}"/);
    expect(email!.body.html).toContain('Verify email address');
  });

  it('stores only a SHA-256 of the token in Redis, with EMAIL_VERIFICATION_TOKEN_TTL_H', async () => {
    const account = await registerAccount();
    const token = await verificationTokenFor(account.email);
    const key = `${config.redis.keyPrefix}verify-email:${account.id}`;
    const stored = await redis.get(key);
    expect(stored).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(stored).not.toContain(token);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(48 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(48 * 3600);
  });

  it.each([
    ['SES is down', async () => ({ SES_ENDPOINT: `http://127.0.0.1:${await closedPort()}` })],
    ['Redis is down', async () => ({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })],
  ])(
    'still answers 201 when %s, logging the failure with the request id and without the email or a token',
    async (_what, env) => {
      const handler = await freshHandler('functions/auth-register.ts', { ...(await env()), LOG_LEVEL: 'error' });
      const email = uniqueEmail('noses');
      let res: TestResponse | undefined;
      const output = await captureOutput(async () => {
        res = await call(handler, 'POST', '/api/auth/register', {
          body: { email, password: STRONG_PASSWORD, full_name: 'Ann Lee' },
        });
      });
      expect(res!.status, JSON.stringify(res!.body)).toBe(201);
      expect(res!.body.user.email_verified).toBe(false);
      const line = output.split('\n').find((l) => l.includes('verification email failed'));
      expect(line, output).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ request_id: res!.headers['x-request-id'], user_id: res!.body.user.id });
      expect(output).not.toContain(email);
      expect(output).not.toMatch(/token=|[A-Za-z0-9_-]{64}/);
      expect(await sentTo(email)).toHaveLength(0);
    },
  );
});

describe('POST /api/auth/verify-email', () => {
  it('completes the whole flow from the inbox: 200, the user is verified, the event is recorded, the link works once', async () => {
    const account = await registerAccount();
    const token = await verificationTokenFor(account.email);
    const res = await verify(token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ detail: 'Email verified.' });
    expect(res.rawBody).not.toContain(token);
    expect((await me(account.access)).body.email_verified).toBe(true);
    const recorded = (await events(account.id)).filter((e) => e.type === 'email_verified');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ actor_id: null, details: { method: 'link' } });
    expect(recorded[0]!.ip).not.toBeNull();

    const again = await verify(token);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({
      code: 'invalid_token',
      detail: 'The verification link is invalid or has expired.',
    });
  });

  it('gives exactly one success when a token is used twice at once', async () => {
    const account = await registerAccount();
    const token = await verificationTokenFor(account.email);
    const results = await Promise.all([verify(token), verify(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(results.find((r) => r.status === 400)!.body.code).toBe('invalid_token');
    expect((await events(account.id)).filter((e) => e.type === 'email_verified')).toHaveLength(1);
  });

  it('answers 400 invalid_token to unknown, malformed and expired tokens, validation_error without one', async () => {
    const account = await registerAccount();
    const token = await verificationTokenFor(account.email);
    for (const bad of [
      '',
      'abc',
      'A'.repeat(64),
      `${token.slice(0, 63)}!`,
      `${token.slice(0, 40)}${'A'.repeat(24)}`,
      42,
    ]) {
      const res = await verify(bad);
      expect(res.status, String(bad)).toBe(400);
      expect(res.body.code, String(bad)).toBe(typeof bad === 'number' ? 'validation_error' : 'invalid_token');
    }
    const missing = await call(verifyHandler, 'POST', '/api/auth/verify-email', { body: {} });
    expect(missing.body.errors).toEqual([{ field: 'token', message: 'This field is required.' }]);

    // Expire it the way time would: the key's TTL runs out.
    await redis.pexpire(`${config.redis.keyPrefix}verify-email:${account.id}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await verify(token)).body.code).toBe('invalid_token');
    expect(await verifiedInDatabase(account.id)).toBe(false);
  });

  it('refuses the link of an account deactivated since', async () => {
    const account = await registerAccount();
    const token = await verificationTokenFor(account.email);
    await sql()`update users set is_active = false where id = ${account.id}`;
    expect((await verify(token)).body.code).toBe('invalid_token');
    expect(await verifiedInDatabase(account.id)).toBe(false);
  });

  it('answers 503 when Redis is down', async () => {
    const handler = await freshHandler('functions/auth-verify-email.ts', {
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
    });
    const res = await verify('A'.repeat(64), handler);
    expectProblem(res, 503, 'service_unavailable');
  });
});

describe('POST /api/auth/verify-email/resend', () => {
  it('answers 202 with one body for unverified, verified, inactive and unknown emails, and mails only the unverified one', async () => {
    const [unverified, verified, inactive] = [
      await registerAccount(),
      await registerAccount(),
      await registerAccount(),
    ];
    await sql()`update users set email_verified = true where id = ${verified.id}`;
    await sql()`update users set is_active = false where id = ${inactive.id}`;
    const unknown = uniqueEmail('ghost');
    const responses = [];
    for (const email of [unverified.email, verified.email, inactive.email, unknown])
      responses.push(await resend(email));
    for (const res of responses) {
      expect(res.status).toBe(202);
      expect(res.rawBody).toBe(JSON.stringify({ detail: RESENT }));
    }
    // One email each from registration; the resend added one for the unverified account only.
    expect(await sentWithSubject(unverified.email, VERIFY_SUBJECT)).toHaveLength(2);
    expect(await sentWithSubject(verified.email, VERIFY_SUBJECT)).toHaveLength(1);
    expect(await sentWithSubject(inactive.email, VERIFY_SUBJECT)).toHaveLength(1);
    expect(await sentTo(unknown)).toHaveLength(0);
  });

  it('replaces the earlier link: only the newest one works', async () => {
    const account = await registerAccount();
    const first = await verificationTokenFor(account.email);
    await resend(` ${account.email.toUpperCase()} `);
    const second = await verificationTokenFor(account.email);
    expect(second).not.toBe(first);
    expect((await verify(first)).body.code).toBe('invalid_token');
    expect((await verify(second)).status).toBe(200);
  });

  it('is rate limited per client IP and email (RATE_LIMIT_VERIFY_EMAIL)', async () => {
    const handler = await freshHandler('functions/auth-verify-email-resend.ts', { RATE_LIMIT_VERIFY_EMAIL: '2/1h' });
    const ip = randomIp();
    const email = uniqueEmail('limited');
    expect((await resend(email, handler, ip)).status).toBe(202);
    expect((await resend(email, handler, ip)).status).toBe(202);
    const limited = await resend(email, handler, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect((await resend(uniqueEmail('other'), handler, ip)).status).toBe(202);
  });

  it('waits for the minimum response time whatever the email (anti-enumeration floor)', async () => {
    const handler = await freshHandler('functions/auth-verify-email-resend.ts', {
      VERIFY_EMAIL_RESEND_MIN_RESPONSE_MS: '300',
    });
    const account = await registerAccount();
    for (const email of [account.email, uniqueEmail('ghost')]) {
      const started = performance.now();
      expect((await resend(email, handler)).status).toBe(202);
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    }
  });

  it('answers 400 validation_error to a malformed email', async () => {
    const res = await resend('not-an-email');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'email', message: 'Enter a valid email address.' }]);
  });
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  const strictLogin = async () =>
    await freshHandler('functions/auth-login.ts', { REQUIRE_EMAIL_VERIFICATION: 'true', RATE_LIMIT_LOGIN: 'off' });
  const loginWith = (handler: Handler, email: string, password: string) =>
    call(handler, 'POST', '/api/auth/login', { body: { email, password } });
  const sessionCount = async (userId: string) =>
    (await sql()<{ n: number }[]>`select count(*)::int as n from refresh_tokens where user_id = ${userId}`)[0]!.n;

  it('answers the right password of an unverified account 403 email_not_verified and issues nothing; a wrong one stays 401', async () => {
    const handler = await strictLogin();
    const account = await registerAccount();
    const sessions = await sessionCount(account.id);
    const refused = await loginWith(handler, account.email, account.password);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'email_not_verified', status: 403 });
    expect(refused.rawBody).not.toMatch(/access|refresh|eyJ/);
    expect(await sessionCount(account.id)).toBe(sessions);

    const wrong = await loginWith(handler, account.email, 'wrong-Password-1');
    expectProblem(wrong, 401, 'invalid_credentials');

    expect((await verify(await verificationTokenFor(account.email))).status).toBe(200);
    const allowed = await loginWith(handler, account.email, account.password);
    expect(allowed.status).toBe(200);
    expect(allowed.body.user.email_verified).toBe(true);
  });

  it('lets an account in once a password reset proved the address', async () => {
    const handler = await strictLogin();
    const account = await registerAccount();
    expect(
      (await call(forgotHandler, 'POST', '/api/auth/forgot-password', { body: { email: account.email } })).status,
    ).toBe(202);
    const newPassword = 'brand-New-secret-phrase-5';
    const reset = await call(resetHandler, 'POST', '/api/auth/reset-password', {
      body: { token: await resetTokenFor(account.email), new_password: newPassword },
    });
    expect(reset.status).toBe(200);
    expect(await verifiedInDatabase(account.id)).toBe(true);
    expect((await events(account.id)).filter((e) => e.type === 'email_verified').map((e) => e.details)).toEqual([
      { method: 'password_reset' },
    ]);
    expect((await loginWith(handler, account.email, newPassword)).status).toBe(200);
  });

  it('changes nothing for unverified accounts when false (the default)', async () => {
    const account = await registerAccount();
    expect((await login(account.email, account.password)).status).toBe(200);
  });
});

describe('admin', () => {
  const patch = (token: string, id: string, body: unknown) =>
    call(updateHandler, 'PATCH', `/api/admin/users/${id}`, { token, pathParameters: { id }, body });
  const resendFor = (token: string, id: string) =>
    call(resendAsStaff, 'POST', `/api/admin/users/${id}/resend-verification`, { token, pathParameters: { id } });

  it('marks an email verified (PATCH email_verified: true), recording admin_user_updated and email_verified', async () => {
    const staff = await createAccount('staff');
    const user = await registerAccount();
    const res = await patch(staff.access, user.id, { email_verified: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.email_verified).toBe(true);
    const byStaff = async () => (await events(user.id)).filter((e) => e.actor_id !== null);
    const recorded = await byStaff();
    expect(recorded.map((e) => e.type).sort()).toEqual(['admin_user_updated', 'email_verified']);
    expect(recorded.every((e) => e.actor_id === staff.id)).toBe(true);
    expect(recorded.find((e) => e.type === 'admin_user_updated')!.details).toEqual({
      fields: ['email_verified'],
      email_verified: { from: false, to: true },
    });
    // Again: nothing changes, nothing more is recorded.
    expect((await patch(staff.access, user.id, { email_verified: true })).status).toBe(200);
    expect(await byStaff()).toHaveLength(2);
  });

  it('refuses email_verified: false, and leaves a superuser to superusers', async () => {
    const staff = await createAccount('staff');
    const user = await registerAccount();
    const res = await patch(staff.access, user.id, { email_verified: false });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'email_verified', message: 'Only true is accepted: an address can be marked verified, not unverified.' },
    ]);
    const superuser = await createAccount('superuser');
    expect((await patch(staff.access, superuser.id, { email_verified: true })).body.code).toBe('permission_denied');
    expect((await resendFor(staff.access, superuser.id)).body.code).toBe('permission_denied');
  });

  it('filters the user list by email_verified', async () => {
    const staff = await createAccount('staff');
    const tag = `evf${Date.now().toString(36)}`;
    const [verified, unverified] = [
      await registerAccount({ email: uniqueEmail(`${tag}a`) }),
      await registerAccount({ email: uniqueEmail(`${tag}b`) }),
    ];
    await sql()`update users set email_verified = true where id = ${verified.id}`;
    const list = (query: Record<string, string>) =>
      call(listHandler, 'GET', '/api/admin/users', { token: staff.access, query: { search: tag, ...query } });
    expect((await list({ email_verified: 'true' })).body.results.map((u: { id: string }) => u.id)).toEqual([
      verified.id,
    ]);
    expect((await list({ email_verified: 'false' })).body.results.map((u: { id: string }) => u.id)).toEqual([
      unverified.id,
    ]);
    expect((await list({})).body.count).toBe(2);
    const bad = await list({ email_verified: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'email_verified', message: 'Must be true or false.' }]);
  });

  it('resends the verification email (202; the new link replaces the old), and refuses verified and inactive users', async () => {
    const staff = await createAccount('staff');
    const user = await registerAccount();
    const first = await verificationTokenFor(user.email);
    const res = await resendFor(staff.access, user.id);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ detail: 'Verification email sent.' });
    const second = await verificationTokenFor(user.email);
    expect(second).not.toBe(first);
    expect((await verify(first)).status).toBe(400);
    expect((await verify(second)).status).toBe(200);

    const again = await resendFor(staff.access, user.id);
    expect(again.status).toBe(400);
    expect(again.body.errors).toEqual([
      { field: 'email_verified', message: 'This email address is already verified.' },
    ]);
    const inactive = await registerAccount();
    await sql()`update users set is_active = false where id = ${inactive.id}`;
    expect((await resendFor(staff.access, inactive.id)).body.errors).toEqual([
      { field: 'is_active', message: 'The account is inactive: activate it first.' },
    ]);
    expect((await resendFor(staff.access, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await resendFor(user.access, user.id)).status).toBe(403);
  });

  it('answers 503 to staff when SES is down', async () => {
    const handler = await freshHandler('functions/admin-user-resend-verification.ts', {
      SES_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
      LOG_LEVEL: 'error',
    });
    const staff = await createAccount('staff');
    const user = await registerAccount();
    const res = await captureOutput(async () => {
      const answer = await call(handler, 'POST', `/api/admin/users/${user.id}/resend-verification`, {
        token: staff.access,
        pathParameters: { id: user.id },
      });
      expect(answer.status).toBe(503);
    });
    expect(res).not.toContain(user.email);
  });
});
