/** PATCH /api/admin/users/{id} — staff: rename, activate or deactivate; superusers: grant or revoke staff. */
import { AdminUserPatchBody, targetUserId } from '../lib/admin/schemas.js';
import { updateUser } from '../lib/admin/users.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, clientOf, currentUser, json } from '../lib/http/api.js';

export const handler = api({ body: AdminUserPatchBody })
  .use(authenticate({ staff: true }))
  .handler(async (event, context) =>
    json(200, await updateUser(currentUser(context), targetUserId(event), event.body, clientOf(event))),
  );
