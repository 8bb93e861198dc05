/** Unstorable text in the User-Agent header, which is stored with each session: the sign-in flow still works. */
import { describe, expect, it } from 'vitest';
import { handler as login } from '../../functions/auth-login.js';
import { handler as refresh } from '../../functions/auth-refresh.js';
import { handler as register } from '../../functions/auth-register.js';
import { call } from '../helpers/http.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

describe('unstorable text in the User-Agent header (stored with each session)', () => {
  const agents = ['curl/8\u0000', 'agent \ud800', `${'a'.repeat(511)}😀`];

  it('register, login and refresh succeed with such an agent', async () => {
    for (const agent of agents) {
      const headers = { 'user-agent': agent };
      const email = uniqueEmail('agent');
      const registered = await call(register, 'POST', '/api/auth/register', {
        body: { email, password: STRONG_PASSWORD, full_name: 'Agent Test' },
        headers,
      });
      expect(registered.status, registered.rawBody).toBe(201);
      const loggedIn = await call(login, 'POST', '/api/auth/login', {
        body: { email, password: STRONG_PASSWORD },
        headers,
      });
      expect(loggedIn.status, loggedIn.rawBody).toBe(200);
      const refreshed = await call(refresh, 'POST', '/api/auth/refresh', {
        body: { refresh: loggedIn.body.refresh },
        headers,
      });
      expect(refreshed.status, refreshed.rawBody).toBe(200);
    }
  });
});
