/**
 * Retention: rows the service no longer needs are deleted by one job, run hourly by a scheduled
 * Lambda (`functions/scheduled-prune.ts`) and on demand by `npm run db:prune`.
 *
 * Each table's rule is a {@link PruneStep} in {@link PRUNE_STEPS}: a table with an `id` primary
 * key, a timestamp column, and how long a row is kept past that timestamp. To prune another
 * table, add a step (and an index on its column, so that finding a batch stays cheap).
 *
 * Rows go in bounded batches, each its own statement and transaction: `DELETE … WHERE id IN
 * (SELECT id … LIMIT n)`. No lock is held longer than one batch, so logins and refreshes writing
 * the same tables never wait behind a long delete, and a run cut short by the Lambda timeout has
 * still committed everything it deleted.
 */
import { sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { config } from '../config.js';
import { db } from '../db/index.js';
import { refreshTokens, securityEvents, sessions } from '../db/schema.js';

export interface PruneStep {
  /** What the step deletes, as the run's summary names it. */
  name: string;
  table: PgTable & { id: PgColumn };
  /** A row goes once this timestamp is older than {@link keepS} (rows where it is null stay). */
  column: PgColumn;
  /** Seconds a row is kept after `column`. */
  keepS: () => number;
}

/** Every retention rule, run in this order. */
export const PRUNE_STEPS: PruneStep[] = [
  {
    name: 'security_events',
    table: securityEvents,
    column: securityEvents.createdAt,
    keepS: () => config.auditRetentionS,
  },
  // A refresh token is refused once expired or revoked; its row is kept one more lifetime for
  // the sessions' history and investigations, then goes.
  {
    name: 'refresh_tokens (expired)',
    table: refreshTokens,
    column: refreshTokens.expiresAt,
    keepS: () => config.jwt.refreshTtlS,
  },
  {
    name: 'refresh_tokens (revoked)',
    table: refreshTokens,
    column: refreshTokens.revokedAt,
    keepS: () => config.jwt.refreshTtlS,
  },
  // A session's `expires_at` follows its newest refresh token, and an ended session's tokens stop
  // being refreshed: once it is a lifetime in the past, every token of the session has gone too.
  {
    name: 'sessions (expired)',
    table: sessions,
    column: sessions.expiresAt,
    keepS: () => config.jwt.refreshTtlS,
  },
];

/** Rows per DELETE: small enough that one batch holds its locks for milliseconds. */
export const DEFAULT_BATCH_SIZE = 5000;

export interface PruneOptions {
  /** The moment cutoffs are computed from (tests replay the past with it). */
  now?: Date;
  batchSize?: number;
  /** Epoch milliseconds after which no new batch starts (the Lambda's remaining time). */
  deadline?: number;
  steps?: PruneStep[];
}

export interface PruneResult {
  /** Rows deleted by each step that ran (a list: the log redacts keys that look like `token`). */
  steps: Array<{ name: string; deleted: number }>;
  batches: number;
  /** False when the deadline stopped the run before every step ran out of rows. */
  complete: boolean;
  durationMs: number;
}

/** Deletes one batch of a step's expired rows; returns how many went. */
async function deleteBatch(step: PruneStep, cutoff: Date, limit: number): Promise<number> {
  const { table, column } = step;
  const result = await db().execute(sql`
    delete from ${table} where ${table.id} in (
      select ${table.id} from ${table} where ${column} < ${cutoff.toISOString()}::timestamptz limit ${limit})`);
  return result.count;
}

/** Runs every step until it has no expired rows left, or until the deadline. */
export async function pruneExpiredRows(options: PruneOptions = {}): Promise<PruneResult> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const result: PruneResult = { steps: [], batches: 0, complete: true, durationMs: 0 };
  for (const step of options.steps ?? PRUNE_STEPS) {
    const cutoff = new Date(now.getTime() - step.keepS() * 1000);
    const done = { name: step.name, deleted: 0 };
    result.steps.push(done);
    for (;;) {
      if (Date.now() >= deadline) {
        result.complete = false;
        break;
      }
      const count = await deleteBatch(step, cutoff, batchSize);
      result.batches++;
      done.deleted += count;
      if (count < batchSize) break;
    }
    if (!result.complete) break;
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}
