/** GET /api/admin/users/{id}/identities — staff: the sign-in providers linked to an account. */
import { targetUserId } from '../lib/admin/schemas.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { listUserIdentities } from '../lib/auth/oidc/identities.js';
import { api, json } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate({ staff: true }))
  .handler(async (event) => json(200, await listUserIdentities(targetUserId(event))));
