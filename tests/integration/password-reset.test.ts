import { afterAll, describe, expect, it } from 'vitest';
import { handler as forgot } from '../../functions/auth-forgot-password.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { handler as reset } from '../../functions/auth-reset-password.js';
import { config } from '../../lib/config.js';
import { sql } from '../../lib/db/sql.js';
import { call, expectProblem, type Handler } from '../helpers/http.js';
import { freshHandler, importFresh } from '../helpers/fresh.js';
import { resetTokenFor, sentTo, sentWithSubject } from '../helpers/mailbox.js';
import { captureOutput } from '../helpers/log-capture.js';
import { closedPort, stallingServer } from '../helpers/ports.js';
import { login, registerAccount, uniqueEmail } from '../helpers/users.js';
import { Redis as IORedis } from 'ioredis';

const NEW_PASSWORD = 'brand-New-secret-phrase-5';
const DETAIL = 'If an account exists for this email, a reset link has been sent.';
const forgotPassword = (email: unknown, handler: Handler = forgot) =>
  call(handler, 'POST', '/api/auth/forgot-password', { body: { email } });
const resetWith = (token: unknown, password = NEW_PASSWORD, handler: Handler = reset) =>
  call(handler, 'POST', '/api/auth/reset-password', { body: { token, new_password: password } });

const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.quit());

describe('POST /api/auth/forgot-password', () => {
  it('answers 202 with the same body for active, unknown and inactive emails', async () => {
    const active = await registerAccount();
    const inactive = await registerAccount();
    await sql()`update users set is_active = false where id = ${inactive.id}`;
    const unknown = uniqueEmail('ghost');
    const responses = [
      await forgotPassword(active.email),
      await forgotPassword(unknown),
      await forgotPassword(inactive.email),
    ];
    for (const res of responses) {
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ detail: DETAIL });
    }
    // (Registration sent each account a verification email: only reset emails count here.)
    expect(await sentWithSubject(active.email, 'Reset your password')).toHaveLength(1);
    expect(await sentTo(unknown)).toHaveLength(0);
    expect(await sentWithSubject(inactive.email, 'Reset your password')).toHaveLength(0);
  });

  it('sends a real product email: text and HTML, the link on FRONTEND_URL, the expiry, from DEFAULT_FROM_EMAIL', async () => {
    const account = await registerAccount({ fullName: 'Ada Byron' });
    await forgotPassword(`  ${account.email.toUpperCase()} `);
    const [email] = await sentWithSubject(account.email, 'Reset your password');
    expect(email!.from).toBe(config.email.from);
    expect(email!.subject).toBe('Reset your password');
    expect(email!.body.text).toContain('Hi Ada Byron,');
    expect(email!.body.text).toMatch(new RegExp(`${config.frontendUrl}/reset-password\\?token=[A-Za-z0-9_-]{64}`));
    expect(email!.body.text).toContain('expires in 1 hour');
    expect(email!.body.text).toMatch(/didn't ask for this/);
    expect(email!.body.html).toContain('<a href="');
    expect(email!.body.html).toContain('reset-password?token=');
  });

  it('answers 400 validation_error to a malformed email, and nothing is sent', async () => {
    const res = await forgotPassword('not-an-email');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'email', message: 'Enter a valid email address.' }]);
  });

  it('stores only a hash of the token in Redis, with the configured TTL', async () => {
    const account = await registerAccount();
    await forgotPassword(account.email);
    const token = await resetTokenFor(account.email);
    const keys = await redis.keys(`${config.redis.keyPrefix}pwreset:*`);
    const values = await Promise.all(keys.map((k) => redis.get(k)));
    expect(values.join(' ')).not.toContain(token);
    const key = `${config.redis.keyPrefix}pwreset:${account.id}`;
    expect(await redis.get(key)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('still answers 202 when SES fails, and logs the error with the request id', async () => {
    const handler = await freshHandler('functions/auth-forgot-password.ts', {
      SES_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
      LOG_LEVEL: 'error',
    });
    const account = await registerAccount();
    let res: Awaited<ReturnType<typeof forgotPassword>> | undefined;
    const output = await captureOutput(async () => {
      res = await forgotPassword(account.email, handler);
    });
    expect(res!.status).toBe(202);
    expect(res!.body).toEqual({ detail: DETAIL });
    const line = output.split('\n').find((l) => l.includes('password reset email failed'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).request_id).toBe(res!.headers['x-request-id']);
  });

  it('answers 503 quickly for every email when Redis is down', async () => {
    const handler = await freshHandler('functions/auth-forgot-password.ts', {
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
    });
    const account = await registerAccount();
    for (const email of [account.email, uniqueEmail('ghost')]) {
      const started = performance.now();
      const res = await forgotPassword(email, handler);
      expectProblem(res, 503, 'service_unavailable');
      expect(performance.now() - started).toBeLessThan(3000);
    }
  });

  it('waits for the minimum response time whatever the email (anti-enumeration floor)', async () => {
    const handler = await freshHandler('functions/auth-forgot-password.ts', {
      FORGOT_PASSWORD_MIN_RESPONSE_MS: '300',
    });
    const account = await registerAccount();
    for (const email of [account.email, uniqueEmail('ghost')]) {
      const started = performance.now();
      expect((await forgotPassword(email, handler)).status).toBe(202);
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    }
  });
});

describe('POST /api/auth/reset-password', () => {
  it('completes the whole flow: email, reset, new password works, old password and sessions do not', async () => {
    const account = await registerAccount();
    await forgotPassword(account.email);
    const token = await resetTokenFor(account.email);
    const res = await resetWith(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ detail: 'Password has been reset.' });
    expect((await login(account.email, NEW_PASSWORD)).status).toBe(200);
    expect((await login(account.email, account.password)).status).toBe(401);
    expect(
      (await call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh: account.refresh } })).status,
    ).toBe(401);
    const notices = (await sentTo(account.email)).filter((e) => e.subject === 'Your password was changed');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body.text).not.toContain('token=');
  });

  it('accepts a token only once', async () => {
    const account = await registerAccount();
    await forgotPassword(account.email);
    const token = await resetTokenFor(account.email);
    expect((await resetWith(token)).status).toBe(200);
    const again = await resetWith(token, 'yet-Another-phrase-88');
    expectProblem(again, 400, 'invalid_token');
  });

  it('gives exactly one success when a token is used twice at once', async () => {
    const account = await registerAccount();
    await forgotPassword(account.email);
    const token = await resetTokenFor(account.email);
    const results = await Promise.all([resetWith(token), resetWith(token, 'other-Strong-phrase-31')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(results.find((r) => r.status === 400)!.body.code).toBe('invalid_token');
  });

  it('invalidates the earlier token when a second reset is requested', async () => {
    const account = await registerAccount();
    await forgotPassword(account.email);
    const first = await resetTokenFor(account.email);
    await forgotPassword(account.email);
    const second = await resetTokenFor(account.email);
    expect(second).not.toBe(first);
    expect((await resetWith(first)).body.code).toBe('invalid_token');
    expect((await resetWith(second)).status).toBe(200);
  });

  it('keeps the token usable after a password-policy failure', async () => {
    const account = await registerAccount();
    await forgotPassword(account.email);
    const token = await resetTokenFor(account.email);
    const weak = await resetWith(token, 'password');
    expectProblem(weak, 400, 'validation_error');
    expect(weak.body.errors).toEqual([{ field: 'new_password', message: 'This password is too common.' }]);
    expect((await resetWith(token)).status).toBe(200);
  });

  it('rejects an expired token', async () => {
    const fresh = await importFresh<{
      forgot: typeof import('../../functions/auth-forgot-password.js');
      reset: typeof import('../../functions/auth-reset-password.js');
    }>('tests/helpers/reset-handlers.ts', { PASSWORD_RESET_TOKEN_TTL_MIN: '1' });
    const account = await registerAccount();
    await forgotPassword(account.email, fresh.forgot.handler);
    const token = await resetTokenFor(account.email);
    // Expire it the way time would: the key's TTL runs out.
    await redis.pexpire(`${config.redis.keyPrefix}pwreset:${account.id}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await resetWith(token, NEW_PASSWORD, fresh.reset.handler);
    expectProblem(res, 400, 'invalid_token');
  });

  it('answers 400 invalid_token to unknown and malformed tokens, validation_error without one', async () => {
    for (const token of ['', 'abc', 'A'.repeat(64), `${'x'.repeat(63)}!`]) {
      const res = await resetWith(token);
      expectProblem(res, 400, 'invalid_token');
    }
    const missing = await call(reset, 'POST', '/api/auth/reset-password', { body: { new_password: NEW_PASSWORD } });
    expectProblem(missing, 400, 'validation_error');
    expect(missing.body.errors).toEqual([{ field: 'token', message: 'This field is required.' }]);
  });

  it('answers 503 in well under 3 s when Redis is down or stalls', async () => {
    const stall = await stallingServer();
    try {
      for (const url of [`redis://127.0.0.1:${await closedPort()}`, `redis://127.0.0.1:${stall.port}`]) {
        const handler = await freshHandler('functions/auth-reset-password.ts', { REDIS_URL: url });
        const started = performance.now();
        const res = await resetWith('A'.repeat(64), NEW_PASSWORD, handler);
        expectProblem(res, 503, 'service_unavailable');
        expect(performance.now() - started).toBeLessThan(2500);
      }
    } finally {
      await stall.close();
    }
  });

  it('never writes the token into a log line or a response', async () => {
    const account = await registerAccount();
    let token = '';
    const output = await captureOutput(async () => {
      const requested = await forgotPassword(account.email);
      token = await resetTokenFor(account.email);
      expect(requested.rawBody).not.toContain(token);
      const done = await resetWith(token);
      expect(done.rawBody).not.toContain(token);
    });
    expect(token).toHaveLength(64);
    expect(output).not.toContain(token);
  });
});
