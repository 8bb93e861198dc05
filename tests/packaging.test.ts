import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import routes from '../lib/http/routes.json' with { type: 'json' };

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'auth-package-'));
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

beforeAll(async () => {
  await run('node_modules/.bin/serverless', ['package', '--package', out], { env: { ...process.env, APP_ENV: '' } });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

const apiRoutes = () =>
  Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
    .map((r) => ({ key: r.Properties.RouteKey as string, target: JSON.stringify(r.Properties.Target) }));

describe('serverless package', () => {
  const declared = Object.entries(routes as Record<string, { routes: string[] }>).flatMap(([fn, def]) => def.routes.map((route) => ({ fn, route })));

  it('deploys every route both with and without the trailing slash, to the same function', () => {
    const byKey = new Map(apiRoutes().map((r) => [r.key, r.target]));
    for (const { route } of declared) {
      expect(byKey.has(route), route).toBe(true);
      expect(byKey.has(`${route}/`), `${route}/`).toBe(true);
      expect(byKey.get(`${route}/`)).toBe(byKey.get(route));
    }
  });

  it('declares no route twice (one silently replacing the other)', () => {
    const keys = apiRoutes().map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(declared.length * 2 + 1);
  });

  it('sends everything else to the catch-all ($default)', () => {
    expect(apiRoutes().map((r) => r.key)).toContain('$default');
  });

  it('builds one zip per function on nodejs22.x', () => {
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBe(Object.keys(routes).length + 2);
    for (const fn of functions) expect(fn.Properties.Runtime).toBe('nodejs22.x');
    for (const name of [...Object.keys(routes), 'notFound', 'scheduledPrune']) expect(statSync(join(out, `${name}.zip`)).size).toBeGreaterThan(1000);
  });

  it('runs the retention job hourly on a schedule, with no HTTP route', () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(rules[0]!.Properties.State).toBe('ENABLED');
    expect(JSON.stringify(rules[0]!.Properties.Targets)).toContain('ScheduledPruneLambdaFunction');
    const prune = template.Resources.ScheduledPruneLambdaFunction!;
    expect(prune.Properties.Timeout).toBe(300);
    expect(prune.Properties.Environment.Variables).toHaveProperty('AUDIT_RETENTION_DAYS');
    expect(JSON.stringify(apiRoutes())).not.toContain('ScheduledPrune');
  });
});
