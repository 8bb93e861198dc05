/** DELETE /api/auth/sessions — end every session of the caller except the current one. */
import { authenticate } from '../lib/auth/authenticate.js';
import { endOtherSessions } from '../lib/auth/sessions/manage.js';
import { api, clientOf, currentSessionId, currentUser, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api()
  .use(rateLimit('sessions'))
  .use(authenticate())
  .handler(async (event, context) =>
    json(200, await endOtherSessions(currentUser(context).id, currentSessionId(context), clientOf(event))),
  );
