/** GET /health — readiness: Postgres and Redis checked with short timeouts; 503 when one is down. */
import { checkHealth } from '../lib/health.js';
import { api, json } from '../lib/http/api.js';

export const handler = api().handler(async () => {
  const report = await checkHealth();
  return json(report.status === 'ok' ? 200 : 503, report);
});
