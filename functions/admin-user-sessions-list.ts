/** GET /api/admin/users/{id}/sessions — staff: a user's live sessions. */
import { targetUserId } from '../lib/admin/schemas.js';
import { listUserSessions } from '../lib/admin/sessions.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, currentSessionId, json } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate({ staff: true }))
  .handler(async (event, context) => json(200, await listUserSessions(currentSessionId(context), targetUserId(event))));
