/**
 * `serverless package` — the CLI binary itself, in a fresh copy of the repository (tracked files
 * only: no generated module, no build folder, no npm script run first), as a new user runs it.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import routes from '../../lib/http/routes.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'auth-package-'));

/** The repository's files as a clone has them (plus uncommitted ones), sharing node_modules. */
function freshCopy(name: string): string {
  const dir = join(scratch, name);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

interface Run {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs `serverless package` in `cwd`; after `timeoutMs` kills it and everything it started. */
function serverlessPackage(cwd: string, timeoutMs: number): Promise<Run> {
  const started = Date.now();
  const child = spawn('node_modules/.bin/serverless', ['package'], {
    cwd,
    env: { ...process.env, APP_ENV: '' },
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

let fresh: string;
let packaged: Run;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

beforeAll(async () => {
  fresh = freshCopy('fresh');
  packaged = await serverlessPackage(fresh, 170_000);
  if (packaged.code === 0)
    template = JSON.parse(
      readFileSync(join(fresh, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
    );
}, 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true, maxRetries: 5 }));

const apiRoutes = () =>
  Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
    .map((r) => ({ key: r.Properties.RouteKey as string, target: JSON.stringify(r.Properties.Target) }));

describe('serverless package', () => {
  it('works in a fresh copy with nothing generated beforehand', () => {
    expect(existsSync(join(fresh, 'lib/admin/page.generated.ts'))).toBe(false);
    expect(packaged.output.slice(-2000)).toMatch(/Service packaged/);
    expect(packaged.code).toBe(0);
  });

  const declared = Object.entries(routes as Record<string, { routes: string[] }>).flatMap(([fn, def]) =>
    def.routes.map((route) => ({ fn, route })),
  );

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
    for (const name of [...Object.keys(routes), 'notFound', 'scheduledPrune'])
      expect(statSync(join(fresh, '.serverless', `${name}.zip`)).size).toBeGreaterThan(1000);
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
  it('switches TurboFan off only in the functions routes.json names, none of which bundles bcryptjs', () => {
    const off = Object.entries(routes as Record<string, { turbofan?: boolean }>)
      .filter(([, fn]) => fn.turbofan === false)
      .map(([name]) => name);
    expect(off).toEqual(expect.arrayContaining(['authMe', 'authRefresh']));
    for (const name of Object.keys(routes)) {
      const variables =
        template.Resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`]!.Properties.Environment.Variables;
      expect(variables.V8_TURBOFAN, name).toBe(off.includes(name) ? 'false' : undefined);
      // The function's own variable is added to the provider's, not instead of them.
      expect(variables, name).toHaveProperty('DATABASE_URL');
    }
    // bcryptjs' own error text: in a login bundle, and in none that runs without TurboFan (12x slower).
    const BCRYPTJS = 'Illegal number of rounds';
    expect(bundleText('authLogin').includes(BCRYPTJS)).toBe(true);
    for (const name of off) expect(bundleText(name).includes(BCRYPTJS), `${name} bundles bcryptjs`).toBe(false);
  });
});

/** The function's bundled `.mjs`, read out of its zip through the central directory. */
function bundleText(name: string): string {
  const zip = readFileSync(join(fresh, '.serverless', `${name}.zip`));
  let entry = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])); // end of central directory
  const entries = zip.readUInt16LE(entry + 10);
  entry = zip.readUInt32LE(entry + 16);
  for (let i = 0; i < entries; i++) {
    const nameLength = zip.readUInt16LE(entry + 28);
    const local = zip.readUInt32LE(entry + 42);
    if (zip.toString('utf8', entry + 46, entry + 46 + nameLength).endsWith('.mjs')) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + zip.readUInt32LE(entry + 20));
      return (zip.readUInt16LE(entry + 10) === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
  }
  throw new Error(`${name}.zip: no .mjs entry`);
}

describe('serverless package with a broken build', () => {
  it('prints the error and exits non-zero within 30 s instead of hanging', async () => {
    const broken = freshCopy('broken');
    const handler = join(broken, 'functions/health.ts');
    writeFileSync(handler, `import './does-not-exist.js';\n${readFileSync(handler, 'utf8')}`);
    const run = await serverlessPackage(broken, 60_000);
    expect(run.output).toMatch(/Could not resolve "\.\/does-not-exist\.js"/);
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(30_000);
  }, 70_000);
});
