/** GET /health — readiness: Postgres and Redis checked with short timeouts; 503 when one is down. */
import { checkHealth } from '../lib/health.js';
import { api, json, problemResponse } from '../lib/http/api.js';
import { problems } from '../lib/http/problem.js';

export const handler = api().handler(async () => {
  const report = await checkHealth();
  if (report.status === 'ok') return json(200, report);
  // Sent, not thrown: a probe's failure is its answer, not an error of this request to log.
  return problemResponse(problems.dependencyUnavailable(report));
});
