/** GET /api/auth/security-events — the signed-in user's audit log, newest first, a page at a time. */
import { authenticate } from '../lib/auth/authenticate.js';
import { listOwnSecurityEvents } from '../lib/auth/events/list.js';
import { SecurityEventsQuery } from '../lib/auth/events/schemas.js';
import { api, currentUser, json } from '../lib/http/api.js';

export const handler = api({ query: SecurityEventsQuery })
  .use(authenticate())
  .handler(async (event, context) => json(200, await listOwnSecurityEvents(currentUser(context).id, event.query)));
