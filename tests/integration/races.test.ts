/**
 * Concurrent requests that must come out exact: one winner where the contract allows one, never
 * a 500, nothing forked.
 */
import { describe, expect, it } from 'vitest';
import { handler as adminUpdateHandler } from '../../functions/admin-user-update.js';
import { handler as changePasswordHandler } from '../../functions/auth-change-password.js';
import { handler as forgotPasswordHandler } from '../../functions/auth-forgot-password.js';
import { handler as meHandler } from '../../functions/auth-me.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { handler as registerHandler } from '../../functions/auth-register.js';
import { handler as resetPasswordHandler } from '../../functions/auth-reset-password.js';
import { sql } from '../../lib/db/sql.js';
import { createAccount } from '../helpers/admin.js';
import { call, expectProblem } from '../helpers/http.js';
import { resetTokenFor } from '../helpers/mailbox.js';
import { login, registerAccount, STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();
const count = (responses: { status: number }[], status: number) => responses.filter((r) => r.status === status).length;
const times = <T>(n: number, run: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => run(i)));

describe('races', () => {
  it('50 registrations of one email at once: one 201, 49 409 email_taken, one account', async () => {
    const email = uniqueEmail('race');
    const responses = await times(50, () =>
      call(registerHandler, 'POST', '/api/auth/register', {
        body: { email, password: STRONG_PASSWORD, full_name: 'Racer' },
      }),
    );
    expect(count(responses, 201), String(statuses(responses))).toBe(1);
    expect(count(responses, 409)).toBe(49);
    for (const res of responses.filter((r) => r.status === 409)) expect(res.body.code).toBe('email_taken');
    const rows = await sql()`select id from users where email = ${email}`;
    expect(rows).toHaveLength(1);
  });

  it('20 refreshes of one token at once: all 200 within the grace window, one family, no 5xx', async () => {
    const account = await registerAccount();
    const responses = await times(20, () =>
      call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh: account.refresh } }),
    );
    expect(
      statuses(responses).every((s) => s === 200),
      String(statuses(responses)),
    ).toBe(true);
    const families = await sql()<
      { family_id: string }[]
    >`select distinct family_id from refresh_tokens where user_id = ${account.id}`;
    expect(families).toHaveLength(1);
  });

  it('20 uses of one reset token at once: one 200, 19 400 invalid_token', async () => {
    const account = await registerAccount();
    await call(forgotPasswordHandler, 'POST', '/api/auth/forgot-password', { body: { email: account.email } });
    const token = await resetTokenFor(account.email);
    const responses = await times(20, (i) =>
      call(resetPasswordHandler, 'POST', '/api/auth/reset-password', {
        body: { token, new_password: `reset-Phrase-number-${i}x` },
      }),
    );
    expect(count(responses, 200), String(statuses(responses))).toBe(1);
    expect(count(responses, 400)).toBe(19);
    for (const res of responses.filter((r) => r.status === 400)) expect(res.body.code).toBe('invalid_token');
  });

  it('20 password changes at once: one 204, the others 400 on current_password, and the winner’s password stands', async () => {
    const account = await registerAccount();
    const responses = await times(20, (i) =>
      call(changePasswordHandler, 'POST', '/api/auth/change-password', {
        token: account.access,
        body: { current_password: account.password, new_password: `changed-Phrase-number-${i}x` },
      }),
    );
    expect(count(responses, 204), String(statuses(responses))).toBe(1);
    for (const res of responses.filter((r) => r.status !== 204)) {
      expectProblem(res, 400, 'validation_error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['current_password']);
    }
    const winner = responses.findIndex((r) => r.status === 204);
    expect((await login(account.email, `changed-Phrase-number-${winner}x`)).status).toBe(200);
    expect((await login(account.email, account.password)).status).toBe(401);
  });

  it('logins racing an admin deactivation: no 5xx, and no token from any of them works afterwards', async () => {
    const admin = await createAccount('staff');
    const account = await registerAccount();
    const [deactivated, ...logins] = await Promise.all([
      call(adminUpdateHandler, 'PATCH', `/api/admin/users/${account.id}`, {
        token: admin.access,
        pathParameters: { id: account.id },
        body: { is_active: false },
      }),
      ...Array.from({ length: 10 }, () => login(account.email, account.password)),
    ]);
    expect(deactivated!.status).toBe(200);
    for (const res of logins) expect([200, 401]).toContain(res.status);
    for (const res of [...logins.filter((r) => r.status === 200).map((r) => r.body), account]) {
      expect((await call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh: res.refresh } })).status).toBe(
        401,
      );
      expect((await call(meHandler, 'GET', '/api/auth/me', { token: res.access })).status).toBe(401);
    }
  });
});
