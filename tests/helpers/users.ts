/** Accounts for tests, created through the real routes. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { handler as loginHandler } from '../../functions/auth-login.js';
import { handler as registerHandler } from '../../functions/auth-register.js';
import { call } from './http.js';

/** An email no other test uses. */
export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 8)}@example.com`;

/** A password that passes the policy. */
/** The fields of a user resource, sorted: what register, login, /me and the admin routes answer. */
export const USER_RESOURCE_KEYS = [
  'date_joined',
  'email',
  'email_verified',
  'full_name',
  'id',
  'is_active',
  'is_staff',
  'is_superuser',
  'last_login',
  'mfa_enabled',
];

export const STRONG_PASSWORD = 'correct-Horse-battery-42';

export interface TestAccount {
  email: string;
  password: string;
  fullName: string;
  id: string;
  access: string;
  refresh: string;
}

/** Registers a fresh account and returns its credentials and first token pair. */
export async function registerAccount(
  overrides: { email?: string; password?: string; fullName?: string } = {},
): Promise<TestAccount> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? STRONG_PASSWORD;
  const fullName = overrides.fullName ?? 'Test Person';
  const res = await call(registerHandler, 'POST', '/api/auth/register', {
    body: { email, password, full_name: fullName },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return {
    email: res.body.user.email,
    password,
    fullName,
    id: res.body.user.id,
    access: res.body.access,
    refresh: res.body.refresh,
  };
}

/** Logs in and returns the response. */
export const login = (email: string, password: string, sourceIp?: string) =>
  call(loginHandler, 'POST', '/api/auth/login', { body: { email, password }, sourceIp });
