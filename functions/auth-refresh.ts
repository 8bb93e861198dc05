/** POST /api/auth/refresh — rotate a refresh token into a new token pair. */
import { RefreshBody } from '../lib/auth/schemas.js';
import { rotateRefreshToken } from '../lib/auth/sessions.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: RefreshBody })
  .use(rateLimit('refresh'))
  .handler(async (event) => json(200, await rotateRefreshToken(event.body.refresh, clientOf(event))));
