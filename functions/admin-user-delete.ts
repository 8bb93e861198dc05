/** DELETE /api/admin/users/{id} — staff: delete an account and end its sessions. */
import { targetUserId } from '../lib/admin/schemas.js';
import { deleteUser } from '../lib/admin/users.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate({ staff: true }))
  .handler(async (event, context) => {
    await deleteUser(currentUser(context), targetUserId(event), clientOf(event));
    return noContent();
  });
