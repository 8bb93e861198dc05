/** GET /api/admin/users — staff: search, order and page through the accounts. */
import { AdminUserListQuery } from '../lib/admin/schemas.js';
import { listUsers } from '../lib/admin/users.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, json } from '../lib/http/api.js';

export const handler = api({ query: AdminUserListQuery })
  .use(authenticate({ staff: true }))
  .handler(async (event) => json(200, await listUsers(event.query)));
