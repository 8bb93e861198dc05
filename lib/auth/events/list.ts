/**
 * Reading the audit log: one page of events, newest first, for the signed-in user's own view
 * (`GET /api/auth/security-events`) and the staff's (`GET /api/admin/events`). Each filter is
 * served by an index in the read's order (`created_at DESC, id DESC`), so a page costs an index
 * range scan, not a sort of the user's (or everyone's) history.
 */
import { and, count, desc, eq, type SQL } from 'drizzle-orm';
import { db } from '../../db/index.js';
import { type SecurityEventRow, securityEvents } from '../../db/schema.js';
import type { SecurityEventPage, SecurityEventResource } from '../responses.js';
import type { SecurityEventType } from './record.js';

export function serializeSecurityEvent(row: SecurityEventRow): SecurityEventResource {
  return {
    id: row.id,
    // The column is a plain varchar, but only recordSecurityEvent writes it, with a SecurityEventType.
    type: row.type as SecurityEventType,
    created_at: row.createdAt.toISOString(),
    user_id: row.userId,
    actor_id: row.actorId,
    ip: row.ip,
    user_agent: row.userAgent,
    details: row.details,
  };
}

export interface EventFilter {
  /** The account the events are about. */
  userId?: string;
  type?: SecurityEventType;
}

/** One page of events matching `filter`, newest first; ties (one statement's events) by id. */
export async function listSecurityEvents(
  filter: EventFilter,
  paging: { page: number; page_size: number },
): Promise<SecurityEventPage> {
  const conditions: SQL[] = [];
  if (filter.userId) conditions.push(eq(securityEvents.userId, filter.userId));
  if (filter.type) conditions.push(eq(securityEvents.type, filter.type));
  const where = conditions.length ? and(...conditions) : undefined;
  const [rows, [total]] = await Promise.all([
    db()
      .select()
      .from(securityEvents)
      .where(where)
      .orderBy(desc(securityEvents.createdAt), desc(securityEvents.id))
      .limit(paging.page_size)
      .offset((paging.page - 1) * paging.page_size),
    db().select({ count: count() }).from(securityEvents).where(where),
  ]);
  return {
    count: total?.count ?? 0,
    page: paging.page,
    page_size: paging.page_size,
    results: rows.map(serializeSecurityEvent),
  };
}

/** The signed-in user's own events. */
export function listOwnSecurityEvents(
  userId: string,
  paging: { page: number; page_size: number },
): Promise<SecurityEventPage> {
  return listSecurityEvents({ userId }, paging);
}
