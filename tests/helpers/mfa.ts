/** Two-factor accounts for tests: TOTP turned on through the real routes, codes computed here. */
import { Secret, TOTP } from 'otpauth';
import { expect } from 'vitest';
import { handler as confirmHandler } from '../../functions/auth-mfa-totp-confirm.js';
import { handler as setupHandler } from '../../functions/auth-mfa-totp-setup.js';
import { call } from './http.js';
import { registerAccount, type TestAccount } from './users.js';

/**
 * The code an authenticator app shows `steps` periods from now. The service accepts one step
 * either side, and never a step at or below one it already accepted for the user: a test that
 * needs a second TOTP success uses `codeAt(secret, 1)` after `codeAt(secret, 0)`.
 */
export function codeAt(secret: string, steps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + steps * 30_000,
  });
}

export interface MfaAccount extends TestAccount {
  secret: string;
  recoveryCodes: string[];
}

/** Starts TOTP setup for an account; answers the secret. */
export async function setupTotp(account: TestAccount): Promise<string> {
  const res = await call(setupHandler, 'POST', '/api/auth/mfa/totp/setup', {
    token: account.access,
    body: { password: account.password },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.secret;
}

/**
 * A fresh account with TOTP on. Confirmation used the current step's code, so the next TOTP
 * success needs `codeAt(secret, 1)`.
 */
export async function registerMfaAccount(account?: TestAccount): Promise<MfaAccount> {
  const registered = account ?? (await registerAccount());
  const secret = await setupTotp(registered);
  const res = await call(confirmHandler, 'POST', '/api/auth/mfa/totp/confirm', {
    token: registered.access,
    body: { code: codeAt(secret) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...registered, secret, recoveryCodes: res.body.recovery_codes };
}
