import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OfflineServer, startOffline } from './helpers/offline.js';

let server: OfflineServer;
beforeAll(async () => {
  server = await startOffline();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('end to end through serverless offline', () => {
  it('answers GET /health and /health/ with every dependency ok', async () => {
    for (const path of ['/health', '/health/']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(await res.json()).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' }, redis: { status: 'ok' } } });
    }
  });

  it('answers an unknown route with problem+json 404 and a wrong method with 405', async () => {
    const missing = await fetch(`${server.url}/api/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404, code: 'not_found' });

    const wrong = await fetch(`${server.url}/health/live/`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});
