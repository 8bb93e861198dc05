/** TOTP secrets, recovery codes and MFA tokens through the real functions: none reaches a log line. */
import { describe, expect, it } from 'vitest';
import { freshHandler } from '../helpers/fresh.js';
import { call, randomIp } from '../helpers/http.js';
import { captureOutput } from '../helpers/log-capture.js';
import { codeAt } from '../helpers/mfa.js';
import { registerAccount } from '../helpers/users.js';

describe('what never reaches a log', () => {
  it('the secret, the otpauth URL, recovery codes, mfa tokens and codes stay out of the output, even at debug level', async () => {
    const env = { LOG_LEVEL: 'debug', DEBUG: 'true' };
    const load = (file: string) => freshHandler(`functions/${file}.ts`, env);
    const [setup, confirm, login, loginMfa, regenerate] = await Promise.all(
      ['auth-mfa-totp-setup', 'auth-mfa-totp-confirm', 'auth-login', 'auth-login-mfa', 'auth-mfa-recovery-codes'].map(
        load,
      ),
    );
    const account = await registerAccount();
    const seen: string[] = [];
    const output = await captureOutput(async () => {
      const s = await call(setup!, 'POST', '/api/auth/mfa/totp/setup', {
        token: account.access,
        body: { password: account.password },
      });
      seen.push(s.body.secret, s.body.otpauth_url);
      const c = await call(confirm!, 'POST', '/api/auth/mfa/totp/confirm', {
        token: account.access,
        body: { code: codeAt(s.body.secret) },
      });
      seen.push(...c.body.recovery_codes);
      const l = await call(login!, 'POST', '/api/auth/login', {
        body: { email: account.email, password: account.password },
        sourceIp: randomIp(),
      });
      seen.push(l.body.mfa_token);
      const wrong = await call(loginMfa!, 'POST', '/api/auth/login/mfa', {
        body: { mfa_token: l.body.mfa_token, code: 'zzzz-zzzz-zzzz' },
      });
      expect(wrong.status).toBe(401);
      const m = await call(loginMfa!, 'POST', '/api/auth/login/mfa', {
        body: { mfa_token: l.body.mfa_token, code: c.body.recovery_codes[0] },
      });
      expect(m.status).toBe(200);
      const r = await call(regenerate!, 'POST', '/api/auth/mfa/recovery-codes', {
        token: account.access,
        body: { password: account.password, code: c.body.recovery_codes[1] },
      });
      seen.push(...r.body.recovery_codes);
    });
    expect(seen.length).toBeGreaterThan(20);
    for (const value of seen) expect(output).not.toContain(value);
    expect(output).not.toContain('zzzz-zzzz-zzzz');
  });
});
