/** POST /api/admin/users/{id}/reset-mfa — staff: turn a user's two-factor authentication off (lost device). Any body is ignored. */
import { targetUserId } from '../lib/admin/schemas.js';
import { resetUserMfa } from '../lib/admin/mfa.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate({ staff: true }))
  .handler(async (event, context) => {
    await resetUserMfa(currentUser(context), targetUserId(event), clientOf(event));
    return noContent();
  });
