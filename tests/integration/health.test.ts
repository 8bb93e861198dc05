import { afterAll, describe, expect, it } from 'vitest';
import { handler as live } from '../../functions/health-live.js';
import { handler as health } from '../../functions/health.js';
import { closedPort, stallingServer } from '../helpers/ports.js';
import { call } from '../helpers/http.js';
import { freshHandler, importFresh } from '../helpers/fresh.js';
import packageJson from '../../package.json' with { type: 'json' };

type HealthModule = typeof import('../../functions/health.js');
const stalls: Array<{ close: () => Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(stalls.map((s) => s.close()));
});

async function healthWith(env: Record<string, string>) {
  const mod = await importFresh<HealthModule>('functions/health.ts', env);
  const started = performance.now();
  const res = await call(mod.handler, 'GET', '/health');
  return { res, elapsedMs: performance.now() - started };
}

describe('GET /health/live', () => {
  it('answers ok without touching any dependency', async () => {
    const handler = await freshHandler('functions/health-live.ts', {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/none`,
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
    });
    const res = await call(handler, 'GET', '/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect((await call(live, 'GET', '/health/live/')).status).toBe(200);
  });
});

describe('GET /health', () => {
  it('reports both dependencies ok with their latency and the version', async () => {
    const res = await call(health, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'ok', latency_ms: expect.any(Number) },
        redis: { status: 'ok', latency_ms: expect.any(Number) },
      },
      version: packageJson.version,
    });
  });

  it('answers 503 naming the database when Postgres refuses connections', async () => {
    const { res, elapsedMs } = await healthWith({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/none`,
    });
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      type: 'about:blank',
      title: 'Service Unavailable',
      code: 'service_unavailable',
      detail: 'A dependency is unavailable.',
      status: 'error',
      checks: { database: { status: 'error' }, redis: { status: 'ok' } },
      version: packageJson.version,
    });
    expect(elapsedMs).toBeLessThan(3000);
  });

  it('answers 503 naming Redis when Redis refuses connections', async () => {
    const { res } = await healthWith({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      status: 'error',
      checks: { database: { status: 'ok' }, redis: { status: 'error' } },
    });
  });

  it('answers within 3 s when both dependencies accept connections but never answer', async () => {
    const pg = await stallingServer();
    const redis = await stallingServer();
    stalls.push(pg, redis);
    const { res, elapsedMs } = await healthWith({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pg.port}/none`,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      status: 'error',
      checks: { database: { status: 'error' }, redis: { status: 'error' } },
    });
    expect(elapsedMs).toBeLessThan(3000);
  });
});
