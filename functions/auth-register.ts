/** POST /api/auth/register — create an account; answers with the user and a token pair. */
import { register } from '../lib/auth/account.js';
import { RegisterBody } from '../lib/auth/schemas.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: RegisterBody })
  .use(rateLimit('register'))
  .handler(async (event) => json(201, await register(event.body, clientOf(event))));
