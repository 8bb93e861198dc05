/** GET /api/auth/sessions — the caller's live sessions, newest first. */
import { authenticate } from '../lib/auth/authenticate.js';
import { listSessions } from '../lib/auth/sessions/manage.js';
import { api, currentSessionId, currentUser, json } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate())
  .handler(async (_event, context) =>
    json(200, await listSessions(currentUser(context).id, currentSessionId(context))),
  );
