/** DELETE /api/auth/sessions/{id} — end one of the caller's sessions (its tokens stop at once). */
import { authenticate } from '../lib/auth/authenticate.js';
import { endOwnSession } from '../lib/auth/sessions/manage.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api()
  .use(rateLimit('sessions'))
  .use(authenticate())
  .handler(async (event, context) => {
    await endOwnSession(currentUser(context).id, event.pathParameters?.id ?? '', clientOf(event));
    return noContent();
  });
