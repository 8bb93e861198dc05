/** DELETE /api/admin/users/{id}/sessions/{session_id} — staff: end one session of a user. */
import { targetUserId } from '../lib/admin/schemas.js';
import { endUserSession } from '../lib/admin/sessions.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api()
  .use(rateLimit('sessions'))
  .use(authenticate({ staff: true }))
  .handler(async (event, context) => {
    await endUserSession(
      currentUser(context),
      targetUserId(event),
      event.pathParameters?.session_id ?? '',
      clientOf(event),
    );
    return noContent();
  });
