/** GET /health — readiness: Postgres and Redis checked with short timeouts; 503 when one is down. */
import { checkHealth } from '../lib/health.js';
import { api, json } from '../lib/http/api.js';

export const handler = api().handler(async () => {
  const report = await checkHealth();
  if (report.status === 'ok') return json(200, report);
  // The contract's health shape, sent as problem+json like every other 5xx (its string `status`
  // replaces the problem's numeric one; `code` and `title` still tell generic clients what it is).
  return json(503, { type: 'about:blank', title: 'Service Unavailable', code: 'service_unavailable', detail: 'A dependency is unavailable.', ...report }, { 'Content-Type': 'application/problem+json' });
});
