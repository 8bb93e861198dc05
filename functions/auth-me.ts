/** GET /api/auth/me — the signed-in user. */
import { authenticate } from '../lib/auth/authenticate.js';
import { serializeUser } from '../lib/auth/users.js';
import { api, currentUser, json } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate())
  .handler(async (_event, context) => json(200, serializeUser(currentUser(context))));
