/** GET /health/live — liveness: the function runs; touches no dependency. */
import { api, json } from '../lib/http/api.js';

export const handler = api().handler(async () => json(200, { status: 'ok' }));
