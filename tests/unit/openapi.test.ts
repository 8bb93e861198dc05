/**
 * openapi.yaml: committed as generated, describing exactly the routes the service deploys with the
 * guards their route files declare, valid for Redocly's recommended rules, served as committed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { handler as docsSpec } from '../../functions/docs-spec.js';
import routes from '../../lib/http/routes.json' with { type: 'json' };
import { openApiYaml } from '../../tools/openapi/document.js';
import { documentedRoutes, expectMatchesSpec, spec } from '../helpers/contract.js';
import { call } from '../helpers/http.js';

const run = promisify(execFile);
const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
const table = routes as Record<string, { handler: string; routes: string[] }>;

type Operation = {
  security?: unknown[];
  requestBody?: unknown;
  parameters?: { in: string }[];
  responses: Record<string, any>;
  description: string;
};
const operation = (route: string): Operation => {
  const [method, path] = route.split(' ') as [string, string];
  return spec.paths[path][method.toLowerCase()];
};
/** Each deployed route with the source of its route file. */
const routeFiles = Object.values(table).flatMap((fn) => {
  const source = readFileSync(new URL(`../../${fn.handler.replace(/\.handler$/, '.ts')}`, import.meta.url), 'utf8');
  return fn.routes.map((route) => ({ route, source }));
});
const routesWhere = (test: (source: string) => boolean) =>
  routeFiles
    .filter((r) => test(r.source))
    .map((r) => r.route)
    .sort();
const operationsWhere = (test: (op: Operation) => boolean) =>
  documentedRoutes()
    .filter((route) => test(operation(route)))
    .sort();

describe('openapi.yaml', () => {
  it('is what the code generates', () => {
    expect(committed === openApiYaml(), 'openapi.yaml is out of date: run `npm run openapi` and commit it').toBe(true);
  });

  it('documents every route of lib/http/routes.json, and no other', () => {
    const deployed = Object.values(table)
      .flatMap((fn) => fn.routes)
      .sort();
    expect(documentedRoutes().sort()).toEqual(deployed);
  });

  it('passes `redocly lint` (recommended rules) without errors', async () => {
    const result = await run('node_modules/.bin/redocly', ['lint', 'openapi.yaml', '--format=stylish'], {
      env: { ...process.env, NO_COLOR: '1' },
    }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`redocly lint failed:\n${error.stdout}\n${error.stderr}`);
    });
    // Warnings pass (exit 0) and are printed; errors fail the command, and so this test.
    expect(result.stderr).toMatch(/Your API description is valid/);
  }, 60_000);
});

describe('each operation documents what its route file declares', () => {
  it('a bearer token (401 with WWW-Authenticate) exactly where the route authenticates', () => {
    expect(operationsWhere((op) => (op.security?.length ?? 0) > 0)).toEqual(
      routesWhere((s) => /\.use\(authenticate\(/.test(s)),
    );
    for (const route of operationsWhere((op) => (op.security?.length ?? 0) > 0)) {
      expect(operation(route).responses['401'], route).toEqual({ $ref: '#/components/responses/NotAuthenticated' });
    }
  });

  it('403 permission_denied exactly where the route requires staff', () => {
    // (Other 403s, such as login's email_not_verified, are the route's own problems.)
    const permissionDenied = (op: Operation) => op.responses['403']?.$ref === '#/components/responses/PermissionDenied';
    expect(operationsWhere(permissionDenied)).toEqual(routesWhere((s) => /authenticate\(\{ staff: true \}\)/.test(s)));
  });

  it('a JSON body (with 400, 413 and 415) exactly where the route parses one', () => {
    // A JSON body: the OIDC callback's form post is parsed by its own code, not the JSON chain.
    const withBody = operationsWhere(
      (op) =>
        (op.requestBody as { content?: Record<string, unknown> } | undefined)?.content?.['application/json'] !==
        undefined,
    );
    expect(withBody).toEqual(routesWhere((s) => /api\(\{[^)]*\bbody:/.test(s)));
    for (const route of withBody)
      expect(Object.keys(operation(route).responses), route).toEqual(expect.arrayContaining(['400', '413', '415']));
  });

  it('query parameters exactly where the route validates a query string', () => {
    expect(operationsWhere((op) => op.parameters?.some((p) => p.in === 'query') ?? false)).toEqual(
      routesWhere((s) => /api\(\{[^)]*\bquery:/.test(s)),
    );
  });

  it('429 and RateLimit-* headers exactly where the route is rate limited', () => {
    const limited = operationsWhere((op) => '429' in op.responses);
    expect(limited).toEqual(routesWhere((s) => /\.use\(rateLimit\(/.test(s)));
    for (const route of limited) {
      // A success is a 2xx, or the 302 of a redirecting route (social sign-in).
      const success = Object.entries(operation(route).responses).find(([status]) => /^(2|302)/.test(status))![1];
      expect(Object.keys(success.headers), route).toEqual(
        expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']),
      );
    }
    expect(spec.components.responses.RateLimited.headers['Retry-After']).toBeDefined();
  });

  it('500, X-Request-Id on every response, and the trailing-slash form', () => {
    for (const route of documentedRoutes()) {
      const op = operation(route);
      expect(op.responses['500'], route).toEqual({ $ref: '#/components/responses/InternalError' });
      expect(op.description, route).toContain(`\`${route.split(' ')[1]}/\``);
      for (const [status, response] of Object.entries(op.responses)) {
        const resolved = response.$ref ? spec.components.responses[response.$ref.split('/').pop()] : response;
        expect(resolved.headers?.['X-Request-Id'], `${route} ${status}`).toBeDefined();
      }
    }
  });
});

describe('the spec function', () => {
  it('serves the committed openapi.yaml, and the same document as JSON', async () => {
    const yaml = await call(docsSpec, 'GET', '/api/openapi.yaml');
    expect(yaml.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(yaml.rawBody).toBe(committed);
    const json = await call(docsSpec, 'GET', '/api/openapi.json/');
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.body).toEqual(parse(committed));
  });
});

describe('expectMatchesSpec', () => {
  const user = {
    id: '7c0e4f0a-3b1d-4c52-9a57-2f6f1c9d8e21',
    email: 'ann@example.com',
    full_name: 'Ann Lee',
    is_active: true,
    is_staff: false,
    is_superuser: false,
    date_joined: '2026-11-24T10:00:00.000Z',
    last_login: null,
    email_verified: false,
    mfa_enabled: false,
  };
  const ok = (body: unknown, headers: Record<string, string> = {}) => ({
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r', ...headers },
    body,
  });

  it('accepts a documented response', () => {
    expectMatchesSpec('GET', '/api/auth/me', ok(user));
  });

  it('rejects an undocumented status, field, content type or missing required header', () => {
    expect(() => expectMatchesSpec('GET', '/api/auth/me', { ...ok(user), status: 418 })).toThrow(/does not document/);
    expect(() => expectMatchesSpec('GET', '/api/auth/me', ok({ ...user, password: 'bcrypt$...' }))).toThrow(
      /additional properties/,
    );
    expect(() => expectMatchesSpec('GET', '/api/auth/me', ok({ ...user, last_login: 'yesterday' }))).toThrow(
      /date-time/,
    );
    expect(() => expectMatchesSpec('GET', '/api/auth/me', ok(user, { 'content-type': 'text/html' }))).toThrow(
      /not documented/,
    );
    expect(() =>
      expectMatchesSpec('GET', '/api/auth/me', { ...ok(user), headers: { 'content-type': 'application/json' } }),
    ).toThrow(/X-Request-Id/);
  });

  it('holds a problem to the codes of its route and status', () => {
    const problem = (code: string) => ({
      status: 401,
      headers: { 'content-type': 'application/problem+json', 'x-request-id': 'r' },
      body: { type: 'about:blank', title: 'Unauthorized', status: 401, code, detail: 'No.' },
    });
    expectMatchesSpec('POST', '/api/auth/login', problem('invalid_credentials'));
    expect(() => expectMatchesSpec('POST', '/api/auth/login', problem('not_authenticated'))).toThrow(/constant/);
  });

  it('allows only the generic 404 for unknown paths and 405 for undocumented methods', () => {
    expect(() => expectMatchesSpec('GET', '/nowhere', ok({}))).toThrow(/generic 404/);
    expect(() => expectMatchesSpec('PUT', '/health', ok({}))).toThrow(/generic 405/);
  });
});
