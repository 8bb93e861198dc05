/**
 * Dependency checks for `GET /health`. Each check has its own short deadline and they run in
 * parallel, so the whole answer comes back within ~1 s even when a dependency accepts
 * connections but never answers (the contract's "never hangs past 3 s").
 */
import { config } from './config.js';
import { sql } from './db/sql.js';
import { type Dependency, withTimeout } from './dependencies.js';
import type { Health, HealthCheck } from './http/responses.js';
import { redis } from './redis.js';

export const CHECK_TIMEOUT_MS = 1000;

async function timed(dependency: Dependency, check: () => Promise<unknown>): Promise<HealthCheck> {
  const started = performance.now();
  let status: HealthCheck['status'] = 'ok';
  try {
    await withTimeout(check(), CHECK_TIMEOUT_MS, dependency);
  } catch {
    status = 'error';
  }
  return { status, latency_ms: Math.round((performance.now() - started) * 100) / 100 };
}

/** Checks Postgres and Redis; `status` is `error` when either is down or slow. */
export async function checkHealth(): Promise<Health> {
  const [database, cache] = await Promise.all([
    timed('database', () => sql()`select 1`),
    timed('redis', () => redis().ping()),
  ]);
  const status = database.status === 'ok' && cache.status === 'ok' ? 'ok' : 'error';
  return { status, checks: { database, redis: cache }, version: config.version };
}
