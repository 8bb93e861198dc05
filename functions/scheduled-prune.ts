/**
 * Scheduled (hourly, not an HTTP route: see serverless/functions.cjs) — the retention job:
 * deletes security events past AUDIT_RETENTION_DAYS and long-dead refresh tokens, in bounded
 * batches, stopping in time to return before the Lambda's timeout.
 */
import type { Context } from 'aws-lambda';
import { log } from '../lib/log.js';
import { pruneExpiredRows } from '../lib/retention/prune.js';

/** Time kept back from the Lambda's timeout to finish the last batch and log the summary. */
const MARGIN_MS = 15_000;

export const handler = async (_event: unknown, context: Context) => {
  const remaining = context.getRemainingTimeInMillis();
  const result = await pruneExpiredRows({ deadline: Date.now() + remaining - Math.min(MARGIN_MS, remaining / 4) });
  log.info('retention prune', { ...result });
  return result;
};
