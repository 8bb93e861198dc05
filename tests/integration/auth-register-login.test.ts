import { describe, expect, it } from 'vitest';
import { handler as registerHandler } from '../../functions/auth-register.js';
import { call, expectProblem } from '../helpers/http.js';
import { login, registerAccount, STRONG_PASSWORD, uniqueEmail, USER_RESOURCE_KEYS } from '../helpers/users.js';
import { sql } from '../../lib/db/sql.js';

const register = (body: unknown) => call(registerHandler, 'POST', '/api/auth/register', { body });
describe('POST /api/auth/register', () => {
  it('creates the account and answers 201 with the user and a token pair', async () => {
    const email = uniqueEmail('reg');
    const res = await register({ email, password: STRONG_PASSWORD, full_name: '  Ann Lee ' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.user).sort()).toEqual(USER_RESOURCE_KEYS);
    expect(res.body.user).toMatchObject({
      email,
      full_name: 'Ann Lee',
      is_active: true,
      is_staff: false,
      is_superuser: false,
      last_login: null,
    });
    expect(res.body.user.date_joined).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 1800 });
    expect(res.body.access.split('.')).toHaveLength(3);
    expect(res.body.refresh.split('.')).toHaveLength(3);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('stores the email trimmed and lower-cased', async () => {
    const local = uniqueEmail('Case');
    const res = await register({ email: `  ${local.toUpperCase()} `, password: STRONG_PASSWORD, full_name: 'Ann' });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(local.toLowerCase());
  });

  it('answers 409 email_taken for an email that exists in another case', async () => {
    const { email } = await registerAccount();
    const res = await register({ email: email.toUpperCase(), password: STRONG_PASSWORD, full_name: 'Ann' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'email_taken', status: 409 });
  });

  it('gives exactly one 201 and 409 for the rest when 20 registrations of one email race', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => register({ email, password: STRONG_PASSWORD, full_name: 'Racer' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it('names every missing or wrongly typed field', async () => {
    const res = await register({ email: 42, full_name: null });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors).toEqual([
      { field: 'email', message: 'Must be a string.' },
      { field: 'password', message: 'This field is required.' },
      { field: 'full_name', message: 'This field may not be null.' },
    ]);
  });

  it('rejects an invalid email and a blank or too long full name', async () => {
    const res = await register({ email: 'not-an-email', password: STRONG_PASSWORD, full_name: 'x'.repeat(151) });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'email', message: 'Enter a valid email address.' },
      { field: 'full_name', message: 'Ensure this field has no more than 150 characters.' },
    ]);
    const blank = await register({ email: uniqueEmail(), password: STRONG_PASSWORD, full_name: '   ' });
    expect(blank.body.errors).toEqual([{ field: 'full_name', message: 'This field may not be blank.' }]);
  });

  it('applies the password policy with one entry per failed rule and creates nothing', async () => {
    const email = uniqueEmail();
    const res = await register({ email, password: '12345678', full_name: 'Ann' });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'password', message: 'This password is too common.' },
        { field: 'password', message: 'This password is entirely numeric.' },
      ]),
    );
    expect(res.body.errors).toHaveLength(2);
    const short = await register({ email, password: 'xQ7!', full_name: 'Ann' });
    expect(short.body.errors).toEqual([
      { field: 'password', message: 'This password is too short. It must contain at least 8 characters.' },
    ]);
    const common = await register({ email, password: 'PassWord1', full_name: 'Ann' });
    expect(common.body.errors).toEqual([{ field: 'password', message: 'This password is too common.' }]);
    expect((await login(email, '12345678')).status).toBe(401);
  });

  it('refuses a password over 72 bytes instead of truncating it', async () => {
    const res = await register({ email: uniqueEmail(), password: `Aa1-${'é'.repeat(35)}`, full_name: 'Ann' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { message: string }) => e.message).join(' ')).toMatch(/72 bytes/);
  });

  it('stores a bcrypt hash, never the password', async () => {
    const account = await registerAccount();
    const [row] = await sql()`select password from users where id = ${account.id}`;
    expect(row!.password).toMatch(/^\$2[aby]\$\d\d\$/);
    expect(row!.password).not.toContain(account.password);
  });
});

describe('POST /api/auth/login', () => {
  it('answers 200 with the user (last_login set) and a token pair', async () => {
    const account = await registerAccount();
    const before = Date.now();
    const res = await login(`  ${account.email.toUpperCase()}`, account.password);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.user).sort()).toEqual(USER_RESOURCE_KEYS);
    expect(new Date(res.body.user.last_login).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 1800 });
    expect(typeof res.body.access).toBe('string');
    expect(typeof res.body.refresh).toBe('string');
  });

  it('gives the same 401 body for an unknown email, a wrong password and an inactive account', async () => {
    const account = await registerAccount();
    const inactive = await registerAccount();
    await sql()`update users set is_active = false where id = ${inactive.id}`;
    const responses = [
      await login(uniqueEmail('nobody'), account.password),
      await login(account.email, 'wrong-Password-99'),
      await login(inactive.email, inactive.password),
      await login('not-even-an-email', 'whatever'),
    ];
    for (const res of responses) {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe('application/problem+json');
    }
    const bodies = new Set(responses.map((r) => r.rawBody));
    expect(bodies.size).toBe(1);
    expect(responses[0]!.body.code).toBe('invalid_credentials');
  });

  it('answers 400 validation_error to a missing or wrongly typed field', async () => {
    const { handler } = await import('../../functions/auth-login.js');
    const res = await call(handler, 'POST', '/api/auth/login', { body: { email: 'a@example.com', password: 123 } });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors).toEqual([{ field: 'password', message: 'Must be a string.' }]);
  });
});
