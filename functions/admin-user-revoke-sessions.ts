/** POST /api/admin/users/{id}/revoke-sessions — staff: sign a user out everywhere. Any body is ignored. */
import { targetUserId } from '../lib/admin/schemas.js';
import { revokeUserSessions } from '../lib/admin/users.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate({ staff: true }))
  .handler(async (event, context) => {
    await revokeUserSessions(currentUser(context), targetUserId(event), clientOf(event));
    return noContent();
  });
