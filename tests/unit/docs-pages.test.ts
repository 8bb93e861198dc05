/**
 * The documentation function's HTTP behaviour: pages with their own CSP, hashed assets cached for
 * a year, gzip when accepted, 304 on a matching ETag. (The pages working in a browser, offline,
 * is tests/docs-browser.test.ts.)
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/docs-pages.js';
import { DOCS_ASSETS } from '../../lib/docs/assets.generated.js';
import { acceptsGzip } from '../../lib/docs/embedded.js';
import { call, expectProblem, httpEvent, lambdaContext } from '../helpers/http.js';

interface RawResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/** The Lambda result itself (`call()` hides `isBase64Encoded`). */
const raw = (path: string, headers: Record<string, string> = {}) =>
  (handler as unknown as (event: unknown, context: unknown) => Promise<RawResult>)(
    httpEvent('GET', path, {
      headers,
      pathParameters: path.startsWith('/api/docs/assets/') ? { file: path.split('/').pop()! } : undefined,
    }),
    lambdaContext(),
  );

describe('GET /api/docs and /api/redoc', () => {
  it('serve Swagger UI under a CSP that allows nothing but the service itself', async () => {
    for (const path of ['/api/docs', '/api/docs/']) {
      const res = await call(handler, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(res.rawBody).not.toMatch(/https?:\/\//);
      for (const asset of [DOCS_ASSETS.swaggerUiJs, DOCS_ASSETS.swaggerUiCss, DOCS_ASSETS.swaggerInitializer]) {
        expect(res.rawBody).toContain(`/api/docs/assets/${asset.name}`);
      }
    }
  });

  it('serve ReDoc with inline styles allowed (styled-components) but scripts from the service only', async () => {
    const res = await call(handler, 'GET', '/api/redoc');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self';");
    expect(res.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline';");
    expect(res.rawBody).toContain(`<redoc spec-url="/api/openapi.json">`);
    expect(res.rawBody).toContain(`/api/docs/assets/${DOCS_ASSETS.redocJs.name}`);
    expect(res.rawBody).not.toMatch(/https?:\/\//);
  });
});

describe('GET /api/docs/assets/{file}', () => {
  const bundle = DOCS_ASSETS.swaggerUiJs.name;

  it('sends gzip as-is to clients that accept it, with a year of caching', async () => {
    const res = await raw(`/api/docs/assets/${bundle}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(res.headers).toMatchObject({
      'Content-Encoding': 'gzip',
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
      Vary: 'Accept-Encoding',
    });
    const plain = await raw(`/api/docs/assets/${bundle}`);
    expect(plain.isBase64Encoded).toBeFalsy();
    expect(plain.headers['Content-Encoding']).toBeUndefined();
    expect(gunzipSync(Buffer.from(res.body, 'base64')).toString('utf8')).toBe(plain.body);
    expect(plain.body).toContain('SwaggerUIBundle');
    expect(plain.body).not.toContain('sourceMappingURL');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await raw(`/api/docs/assets/${bundle}`);
    const etag = first.headers.ETag!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const again = await raw(`/api/docs/assets/${bundle}`, { 'if-none-match': ifNoneMatch });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.ETag).toBe(etag);
    }
    expect((await raw(`/api/docs/assets/${bundle}`, { 'if-none-match': '"stale"' })).statusCode).toBe(200);
  });

  it('knows only the hashed names', async () => {
    const res = await call(handler, 'GET', '/api/docs/assets/swagger-ui-bundle.js', {
      pathParameters: { file: 'swagger-ui-bundle.js' },
    });
    expectProblem(res, 404, 'not_found');
  });
});

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['br, gzip;q=0.5', true],
    ['*', true],
    ['GZIP', true],
    ['gzip;q=0', false],
    ['identity', false],
    ['', false],
  ])('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
