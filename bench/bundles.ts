/**
 * The built Lambda bundles: packaging (`serverless package`), unpacking each function's zip into
 * `bench/.build/<fn>/` (inside the project, so `@aws-sdk/*`, which the bundles leave to the Lambda
 * runtime, resolves from node_modules), cold import timing, and the source-mapped builds that
 * `--profile` uses to attribute CPU time and bytes to packages.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { generatedModulesEsbuild } from '../tools/build/generated-modules.js';
import { median } from './stats.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = join(ROOT, 'bench', '.build');
export const PACKAGE_DIR = join(BUILD_DIR, 'package');

export interface BuiltFunction {
  /** The serverless function name (`authLogin`). */
  name: string;
  zipBytes: number;
  /** Absolute path of the unpacked `functions/<file>.mjs`. */
  bundle: string;
  bundleBytes: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `npm run package -- --package <dir>`; retried when another `serverless package` in the tree collides with it.
 */
export async function packageFunctions(outDir = PACKAGE_DIR, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    rmSync(outDir, { recursive: true, force: true });
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('npm', ['run', '--silent', 'package', '--', '--package', outDir], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('close', (code) => resolve({ code, output }));
    });
    if (result.code === 0 && zipsIn(outDir).length > 0) return;
    if (attempt >= attempts) throw new Error(`npm run package failed:\n${result.output}`);
    process.stderr.write(
      `  serverless package failed (attempt ${attempt}; another build running?), retrying in 20 s\n`,
    );
    await sleep(20_000);
  }
}

const zipsIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.zip'))
        .sort()
    : [];

/** Unpacks every function zip of `packageDir` into `bench/.build/<fn>/`. */
export function unpackFunctions(packageDir = PACKAGE_DIR): BuiltFunction[] {
  const hasUnzip = spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;
  return zipsIn(packageDir).map((zip) => {
    const name = zip.replace(/\.zip$/, '');
    const zipPath = join(packageDir, zip);
    const dest = join(BUILD_DIR, name);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    if (hasUnzip) {
      const result = spawnSync('unzip', ['-o', '-q', zipPath, '-d', dest], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`unzip ${zip} failed: ${result.stderr}`);
    } else {
      unzipInto(readFileSync(zipPath), dest);
    }
    const functionsDir = join(dest, 'functions');
    const mjs = existsSync(functionsDir) ? readdirSync(functionsDir).filter((f) => f.endsWith('.mjs')) : [];
    if (mjs.length !== 1) throw new Error(`${zip}: expected one functions/*.mjs, found ${mjs.length}`);
    const bundle = join(functionsDir, mjs[0]!);
    return { name, zipBytes: statSync(zipPath).size, bundle, bundleBytes: statSync(bundle).size };
  });
}

/** A minimal unzip (stored and deflated entries), for machines without the `unzip` CLI. */
function unzipInto(zip: Buffer, dest: string): void {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip file');
  const entries = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const next = offset + 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    const local = zip.readUInt32LE(offset + 42);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    const target = join(dest, name);
    if (relative(dest, target).startsWith('..')) throw new Error(`zip entry escapes its folder: ${name}`);
    if (name.endsWith('/')) mkdirSync(target, { recursive: true });
    else {
      mkdirSync(dirname(target), { recursive: true });
      if (method !== 0 && method !== 8) throw new Error(`zip entry ${name}: unsupported compression method ${method}`);
      writeFileSync(target, method === 8 ? inflateRawSync(data) : data);
    }
    offset = next;
  }
}

/**
 * Milliseconds to `import()` each bundle in a fresh `node` (median of `runs`), timed inside the
 * process: the function's own share of a cold start, without Node's boot. Runs go round-robin
 * over the bundles, so a burst of load from elsewhere spreads over all of them.
 */
export function coldImportMs(
  bundles: readonly string[],
  env: NodeJS.ProcessEnv,
  runs: number,
): { median: number; runs: number[] }[] {
  const times = bundles.map(() => [] as number[]);
  for (let run = 0; run < runs; run++) {
    for (const [index, bundle] of bundles.entries()) {
      const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(performance.now() - t);`;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      const value = Number(result.stdout.trim().split('\n').at(-1));
      if (result.status !== 0 || !Number.isFinite(value)) {
        throw new Error(
          `cold import of ${relative(ROOT, bundle)} failed (exit ${result.status}): ${result.stderr.slice(0, 2000)}`,
        );
      }
      times[index]!.push(value);
    }
  }
  return times.map((t) => ({ median: median(t), runs: t }));
}

/** serverless.yml's `custom.esbuild`: the options serverless-esbuild builds every function with. */
function serverlessEsbuildOptions(): Record<string, unknown> {
  const doc = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
    custom?: { esbuild?: Record<string, unknown> };
  };
  const options = doc.custom?.esbuild;
  if (!options) throw new Error('serverless.yml has no custom.esbuild');
  return options;
}

export interface ProfileBuild {
  name: string;
  /** The unminified, source-mapped bundle (same options otherwise) for CPU profiles. */
  bundle: string;
  /** Bytes each package contributes to the production (minified) bundle. */
  composition: { category: string; bytes: number }[];
}

/**
 * Builds the given functions the way serverless.yml does, twice: minified with a metafile (which
 * package the bytes come from) and unminified with a source map next to it (which package the
 * CPU time goes to; line-level samples map to one source per line only without minification).
 */
export async function buildForProfile(functions: { name: string; handler: string }[]): Promise<ProfileBuild[]> {
  const esbuild = await import('esbuild');
  const sls = serverlessEsbuildOptions();
  // serverless-esbuild passes its other keys (packager, nativeZip, exclude…) to nobody but itself.
  const passThrough = [
    'format',
    'platform',
    'target',
    'mainFields',
    'banner',
    'footer',
    'legalComments',
    'define',
    'loader',
    'conditions',
    'keepNames',
    'treeShaking',
    'inject',
    'alias',
    'charset',
    'drop',
    'pure',
    'external',
  ];
  const common = {
    ...Object.fromEntries(passThrough.filter((key) => key in sls).map((key) => [key, sls[key]])),
    bundle: true,
    external: [...((sls.external as string[] | undefined) ?? []), ...((sls.exclude as string[] | undefined) ?? [])],
    absWorkingDir: ROOT,
    logLevel: 'silent' as const,
    plugins: [generatedModulesEsbuild()],
  };
  const builds: ProfileBuild[] = [];
  for (const fn of functions) {
    const entry = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`;
    const outfile = join(BUILD_DIR, 'profile', fn.name, entry.replace(/\.ts$/, '.mjs'));
    const minified = await esbuild.build({
      ...common,
      entryPoints: [entry],
      outfile: `${outfile}.min.mjs`,
      minify: Boolean(sls.minify),
      metafile: true,
      write: false,
    });
    await esbuild.build({ ...common, entryPoints: [entry], outfile, minify: false, sourcemap: 'external' });
    const bytes = new Map<string, number>();
    for (const output of Object.values(minified.metafile.outputs)) {
      for (const [path, input] of Object.entries(output.inputs)) {
        const category = sourceCategory(path);
        bytes.set(category, (bytes.get(category) ?? 0) + input.bytesInOutput);
      }
    }
    const composition = [...bytes].map(([category, b]) => ({ category, bytes: b })).sort((a, b) => b.bytes - a.bytes);
    builds.push({ name: fn.name, bundle: outfile, composition });
  }
  return builds;
}

/** What importing each dependency costs on its own, bundled like the functions (for `--profile`). */
const DEPENDENCIES: Record<string, string> = {
  '(empty bundle)': '',
  'lib/config.ts (zod/mini)': "import { config } from '../../../lib/config.ts'; globalThis.keep = config;",
  '@middy/core + error handler + JSON parser':
    "import a from '@middy/core'; import b from '@middy/http-error-handler'; import c from '@middy/http-json-body-parser'; globalThis.keep = [a, b, c];",
  jose: "import { SignJWT, jwtVerify } from 'jose'; globalThis.keep = [SignJWT, jwtVerify];",
  postgres: "import postgres from 'postgres'; globalThis.keep = postgres;",
  'drizzle-orm + postgres + lib/db/schema.ts':
    "import { drizzle } from 'drizzle-orm/postgres-js'; import * as schema from '../../../lib/db/schema.ts'; globalThis.keep = [drizzle, schema];",
  ioredis: "import { Redis } from 'ioredis'; globalThis.keep = Redis;",
  '@upstash/redis': "import { Redis } from '@upstash/redis'; globalThis.keep = Redis;",
  '@upstash/ratelimit + @upstash/redis':
    "import { Ratelimit } from '@upstash/ratelimit'; import { Redis } from '@upstash/redis'; globalThis.keep = [Ratelimit, Redis];",
  bcryptjs: "import bcrypt from 'bcryptjs'; globalThis.keep = bcrypt;",
  'fxa-common-password-list (data)':
    "import list from 'fxa-common-password-list/src/encoded-passwords.js'; globalThis.keep = list;",
  '@aws-sdk/client-ses (external: from node_modules)':
    "import { SESClient } from '@aws-sdk/client-ses'; globalThis.keep = SESClient;",
};

/** Cold import (median of `runs`) of each dependency alone, minus nothing: compare with the empty bundle's row. */
export async function dependencyImportCosts(
  env: NodeJS.ProcessEnv,
  runs: number,
): Promise<{ dependency: string; ms: number }[]> {
  const esbuild = await import('esbuild');
  const sls = serverlessEsbuildOptions();
  const dir = join(BUILD_DIR, 'dependencies');
  mkdirSync(dir, { recursive: true });
  const bundles: string[] = [];
  for (const [index, code] of Object.values(DEPENDENCIES).entries()) {
    const entry = join(dir, `dependency-${index}.ts`);
    writeFileSync(entry, code);
    const outfile = join(dir, `dependency-${index}.mjs`);
    await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: Boolean(sls.minify),
      format: 'esm',
      platform: 'node',
      target: sls.target as string,
      mainFields: sls.mainFields as string[],
      external: (sls.exclude as string[] | undefined) ?? [],
      banner: sls.banner as Record<string, string>,
      logLevel: 'silent',
    });
    bundles.push(outfile);
  }
  const times = coldImportMs(bundles, env, runs);
  return Object.keys(DEPENDENCIES).map((dependency, i) => ({ dependency, ms: times[i]!.median }));
}

/** `node_modules/@scope/pkg/x.js` → `@scope/pkg`; `lib/auth/jwt.ts` → `ours (lib, functions)`. */
export function sourceCategory(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  if (at >= 0) {
    const [first, second] = path.slice(at + 'node_modules/'.length).split('/');
    // drizzle-orm publishes source maps whose sources point at `../src/`, outside its package.
    if (first === 'src') return 'drizzle-orm';
    return first!.startsWith('@') ? `${first}/${second}` : first!;
  }
  if (/(^|\/)(lib|functions)\//.test(path) || path.endsWith('package.json')) return 'ours (lib, functions)';
  return path;
}
