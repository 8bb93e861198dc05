/** The audit log for staff (`GET /api/admin/events`): everyone's events, filtered by user and type. */
import { listSecurityEvents } from '../auth/events/list.js';
import type { SecurityEventPage } from '../auth/responses.js';
import type { AdminEventsInput } from '../auth/events/schemas.js';

export function listEvents(query: AdminEventsInput): Promise<SecurityEventPage> {
  return listSecurityEvents({ userId: query.user_id, type: query.type }, query);
}
