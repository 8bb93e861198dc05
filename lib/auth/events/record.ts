/**
 * Writing the audit log (the contract's "Security events"). A flow records its event in the same
 * statement or transaction as the change it records: pass the transaction, or use
 * {@link securityEventInsert} as a CTE of the flow's own statement, so that the event costs no
 * extra round trip on the hot path and never exists without its change (or the change without it).
 */
import { db, type Transaction } from '../../db/index.js';
import { securityEvents } from '../../db/schema.js';

/** Every event type the service records. */
export const SECURITY_EVENT_TYPES = [
  'register',
  'login',
  'login_failed',
  'logout',
  'refresh_reuse_detected',
  'password_changed',
  'password_reset_requested',
  'password_reset',
  'email_verified',
  'mfa_enabled',
  'mfa_disabled',
  'session_revoked',
  'identity_linked',
  'identity_unlinked',
  'admin_user_updated',
  'admin_user_deleted',
  'admin_sessions_revoked',
  'admin_mfa_reset',
] as const;

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** A flag an event changed (`admin_user_updated`: `{ "is_active": { "from": true, "to": false } }`). */
export interface FlagChange {
  from: boolean;
  to: boolean;
}

/**
 * Non-secret facts about an event: ids, methods, reasons, field names, counts, flag changes.
 * Never a password, token, hash, secret, email or name (the user's id identifies them).
 */
export type SecurityEventDetails = Record<string, string | number | boolean | null | string[] | FlagChange>;

export interface SecurityEvent {
  type: SecurityEventType;
  /** The account the event is about. */
  userId?: string | null;
  /** Who did it, when not the user themselves (staff). */
  actorId?: string | null;
  /** The caller, as API Gateway saw it. */
  client?: { ip?: string; userAgent?: string };
  details?: SecurityEventDetails;
}

/** The row for an event (for a caller building its own multi-row statement). */
export function securityEventRow(event: SecurityEvent): typeof securityEvents.$inferInsert {
  return {
    type: event.type,
    userId: event.userId ?? null,
    actorId: event.actorId ?? null,
    ip: event.client?.ip?.slice(0, 64) ?? null,
    userAgent: event.client?.userAgent?.slice(0, 512) ?? null,
    details: event.details ?? {},
  };
}

type Executor = Pick<Transaction, 'insert'>;

/** The insert of one or more events: await it, or wrap it in `db().$with(...)` as a CTE. */
export function securityEventInsert(events: SecurityEvent | SecurityEvent[], executor: Executor = db()) {
  const rows = (Array.isArray(events) ? events : [events]).map(securityEventRow);
  return executor.insert(securityEvents).values(rows);
}

/**
 * The insert as a CTE (`recorded`) for a flow's own statement: `db().with(started, recorded).update(...)`
 * writes the change and its event in one round trip. Postgres runs a data-modifying CTE even when
 * the main statement does not read it.
 */
export function securityEventCte(events: SecurityEvent | SecurityEvent[]) {
  return db()
    .$with('recorded')
    .as(securityEventInsert(events).returning({ id: securityEvents.id }));
}

/** Records events (in `executor`'s transaction when one is passed). */
export async function recordSecurityEvent(
  events: SecurityEvent | SecurityEvent[],
  executor: Executor = db(),
): Promise<void> {
  await securityEventInsert(events, executor);
}
