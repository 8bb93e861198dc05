/** GET /api/admin/events — staff: everyone's security events, by user and type, newest first. */
import { listEvents } from '../lib/admin/events.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { AdminEventsQuery } from '../lib/auth/events/schemas.js';
import { api, json } from '../lib/http/api.js';

export const handler = api({ query: AdminEventsQuery })
  .use(authenticate({ staff: true }))
  .handler(async (event) => json(200, await listEvents(event.query)));
