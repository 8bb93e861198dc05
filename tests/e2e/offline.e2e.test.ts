import { describe, expect, it } from 'vitest';
import { useOfflineStack } from '../helpers/offline.js';

const stack = useOfflineStack();

describe('end to end through serverless offline', () => {
  it('answers GET /health and /health/ with every dependency ok', async () => {
    for (const path of ['/health', '/health/']) {
      const res = await fetch(`${stack.server.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(await res.json()).toMatchObject({
        status: 'ok',
        checks: { database: { status: 'ok' }, redis: { status: 'ok' } },
      });
    }
  });

  it('answers an unknown route with problem+json 404 and a wrong method with 405', async () => {
    const missing = await fetch(`${stack.server.url}/api/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404, code: 'not_found' });

    const wrong = await fetch(`${stack.server.url}/health/live/`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  // serverless-offline is patched (patches/, docs/local-development.md) so that these match what
  // API Gateway does deployed.
  it('passes a JSON-string body to the function raw, as API Gateway does: 400 validation_error', async () => {
    const res = await fetch(`${stack.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"text"',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'validation_error', errors: [{ field: 'body' }] });
  });

  it("adds no CORS headers of its own: a foreign Origin gets none, an allowed one gets the function's", async () => {
    const foreign = await fetch(`${stack.server.url}/health/live`, { headers: { origin: 'https://evil.example' } });
    const preflight = await fetch(`${stack.server.url}/api/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    for (const res of [foreign, preflight]) {
      expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-allow-'))).toEqual([]);
    }
    const allowed = await fetch(`${stack.server.url}/health/live`, { headers: { origin: 'http://localhost:5173' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('sends a 204 with no body and no content type', async () => {
    const res = await fetch(`${stack.server.url}/api/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('content-type')).toBeNull();
    expect(await res.text()).toBe('');
  });
});
