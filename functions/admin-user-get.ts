/** GET /api/admin/users/{id} — staff: one account. */
import { targetUserId } from '../lib/admin/schemas.js';
import { getUser } from '../lib/admin/users.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, json } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate({ staff: true }))
  .handler(async (event) => json(200, await getUser(targetUserId(event))));
