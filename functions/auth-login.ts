/** POST /api/auth/login — email and password for the user and a token pair. */
import { login } from '../lib/auth/login.js';
import { LoginBody } from '../lib/auth/schemas.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: LoginBody })
  .use(rateLimit('loginIp', 'login'))
  .handler(async (event) => json(200, await login(event.body, clientOf(event))));
