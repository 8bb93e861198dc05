/** POST /api/auth/login/mfa — the second step of signing in: the `mfa_token` from login and a code. */
import { completeMfaLogin } from '../lib/auth/mfa/login.js';
import { LoginMfaBody } from '../lib/auth/mfa/schemas.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: LoginMfaBody })
  .use(rateLimit('mfa'))
  .handler(async (event) => json(200, await completeMfaLogin(event.body, clientOf(event))));
