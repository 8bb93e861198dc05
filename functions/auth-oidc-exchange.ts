/** POST /api/auth/oidc/exchange — web: the one-time code from the callback for the user and a token pair. */
import { ExchangeBody } from '../lib/auth/oidc/schemas.js';
import { exchange } from '../lib/auth/oidc/web-flow.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: ExchangeBody })
  .use(rateLimit('oidc'))
  .handler(async (event) => {
    const { created: _created, ...signedIn } = await exchange(event.body.code, clientOf(event));
    return json(200, signedIn);
  });
