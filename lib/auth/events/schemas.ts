/**
 * What the audit-log routes accept: pages like the admin user list's, and the staff filters.
 */
import * as z from 'zod/mini';
import { DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, wholeNumber } from '../../admin/schemas.js';
import { SECURITY_EVENT_TYPES } from './record.js';

const pagination = {
  page: z._default(wholeNumber(1, MAX_PAGE), 1),
  page_size: z._default(wholeNumber(1, MAX_PAGE_SIZE), DEFAULT_PAGE_SIZE),
};

/** `GET /api/auth/security-events?page=1&page_size=20` */
export const SecurityEventsQuery = z.object(pagination);

export type SecurityEventsInput = z.infer<typeof SecurityEventsQuery>;

const EventType = z.enum(SECURITY_EVENT_TYPES, {
  error: (issue) =>
    `"${String(issue.input)}" is not a valid event type. Use one of: ${SECURITY_EVENT_TYPES.join(', ')}.`,
});

/** `GET /api/admin/events?user_id=&type=&page=1&page_size=20` */
export const AdminEventsQuery = z.object({
  /** Only this user's events (the account they are about). */
  user_id: z.optional(z.guid('Must be a valid UUID.')),
  type: z.optional(EventType),
  ...pagination,
});

export type AdminEventsInput = z.infer<typeof AdminEventsQuery>;
