import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { handler as notFound } from '../../functions/not-found.js';
import { api, json } from '../../lib/http/api.js';
import { DependencyError } from '../../lib/dependencies.js';
import { problems } from '../../lib/http/problem.js';
import { call, expectProblem, httpEvent, invoke } from '../helpers/http.js';

const Body = z.object({
  email: z.string().check(z.email('Enter a valid email address.')),
  name: z.string().check(z.minLength(2, 'Too short.'), z.regex(/^[a-z]+$/, 'Lower-case letters only.')),
  address: z.optional(z.object({ city: z.string() })),
});

const echo = api({ body: Body }).handler(async (event) => json(200, { received: event.body }));
const crash = api().handler(async () => {
  throw new Error('boom: password=hunter2 at db.query (SELECT * FROM users)');
});
const databaseDown = api().handler(async () => {
  throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
});
const redisDown = api().handler(async () => {
  throw new DependencyError('redis', new Error('timed out'));
});
const denied = api().handler(async () => {
  throw problems.permissionDenied();
});

const valid = { email: 'ann@example.com', name: 'ann' };

describe('the HTTP layer', () => {
  it('passes a valid body to the handler and ignores unknown fields', async () => {
    const res = await call(echo, 'POST', '/x', { body: { ...valid, admin: true } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ received: valid });
  });

  it('answers 400 invalid_json to a body that is not JSON', async () => {
    const res = await call(echo, 'POST', '/x', {
      rawBody: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'invalid_json');
  });

  it('answers 400 invalid_json to an empty body sent as JSON', async () => {
    const res = await call(echo, 'POST', '/x', { rawBody: '', headers: { 'content-type': 'application/json' } });
    expectProblem(res, 400, 'invalid_json');
  });

  it('answers 415 to a body with a non-JSON content type', async () => {
    const res = await call(echo, 'POST', '/x', {
      rawBody: 'email=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('accepts a JSON content type with a charset', async () => {
    const res = await call(echo, 'POST', '/x', {
      rawBody: JSON.stringify(valid),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.status).toBe(200);
  });

  it('answers 413 to a body over 16 KiB, before parsing it', async () => {
    const res = await call(echo, 'POST', '/x', {
      rawBody: `{"pad":"${'a'.repeat(16 * 1024)}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('measures a base64-encoded body by its decoded size', async () => {
    const event = httpEvent('POST', '/x', {
      rawBody: Buffer.from(JSON.stringify(valid)).toString('base64'),
      headers: { 'content-type': 'application/json' },
    });
    event.isBase64Encoded = true;
    expect((await invoke(echo, event)).status).toBe(200);
  });

  it('lists every failed rule, one entry each, with nested fields joined by dots', async () => {
    const res = await call(echo, 'POST', '/x', { body: { email: 'nope', name: 'A', address: { city: 3 } } });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'email', message: 'Enter a valid email address.' },
        { field: 'name', message: 'Too short.' },
        { field: 'name', message: 'Lower-case letters only.' },
        { field: 'address.city', message: 'Must be a string.' },
      ]),
    );
    expect(res.body.errors).toHaveLength(4);
  });

  it('names each missing field when there is no body at all', async () => {
    const res = await call(echo, 'POST', '/x');
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors).toEqual([
      { field: 'email', message: 'This field is required.' },
      { field: 'name', message: 'This field is required.' },
    ]);
  });

  it('rejects a JSON body that is not an object', async () => {
    const res = await call(echo, 'POST', '/x', { body: ['ann@example.com'] });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors[0].field).toBe('body');
  });

  it('answers 500 internal_error with a request id and nothing internal', async () => {
    const res = await call(crash, 'GET', '/x');
    expectProblem(res, 500, 'internal_error');
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
    expect(res.rawBody).not.toMatch(/boom|hunter2|SELECT|at db/);
  });

  it('answers 503 service_unavailable when the database or Redis is down', async () => {
    expectProblem(await call(databaseDown, 'GET', '/x'), 503, 'service_unavailable');
    const res = await call(redisDown, 'GET', '/x');
    expectProblem(res, 503, 'service_unavailable');
    expect(res.rawBody).not.toMatch(/timed out/);
  });

  it('puts a request id, security headers and no-store on every response, errors included', async () => {
    for (const res of [await call(echo, 'POST', '/x', { body: valid }), await call(denied, 'GET', '/x')]) {
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
  });

  it('allows CORS for an origin in ALLOWED_HOSTS and not for others', async () => {
    const allowed = await call(echo, 'POST', '/x', { body: valid, headers: { origin: 'http://localhost:5173' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(allowed.headers['access-control-expose-headers']).toContain('Retry-After');
    const other = await call(echo, 'POST', '/x', { body: valid, headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the catch-all route', () => {
  it('answers 404 not_found to an unknown path', async () => {
    expectProblem(await call(notFound, 'GET', '/api/nothing-here'), 404, 'not_found');
  });

  it('answers 405 with Allow to a known path with a wrong method, with or without the slash', async () => {
    for (const path of ['/health', '/health/']) {
      const res = await call(notFound, 'DELETE', path);
      expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe('GET');
    }
  });

  it('answers a CORS preflight for a known path from an allowed origin: 204, no body, no content type', async () => {
    const res = await call(notFound, 'OPTIONS', '/health', {
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' },
    });
    expect(res.status).toBe(204);
    expect(res.rawBody).toBe('');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(res.headers['access-control-allow-methods']).toBe('GET, OPTIONS');
    expect(res.headers['access-control-allow-headers']).toContain('Authorization');
  });
});
