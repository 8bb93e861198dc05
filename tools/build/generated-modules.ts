/**
 * The modules that embed files into the Lambda bundles (`*.generated.js`: the admin page, the
 * documentation assets, the OpenAPI document) exist only inside a build: every bundler that loads
 * our code produces them from their sources as it goes, so no step has to run first and no
 * generated file can be stale. serverless-esbuild (`serverless package|deploy|offline`, through
 * serverless/esbuild-plugins.cjs) and `npm run bench` use {@link generatedModulesEsbuild}; vitest
 * uses {@link generatedModulesVite}. tsc reads their types from the committed `*.generated.d.ts`.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin as EsbuildPlugin } from 'esbuild';
import { adminPageCsp } from '../../lib/admin/page-csp.js';
import { DOCS_INPUTS, docsAssetsModule, OPENAPI_YAML, specModule } from './sources.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN_PAGE_HTML = `${root}lib/admin/admin-page.html`;

/** The source of `lib/admin/page.generated.js`: the page byte for byte (its CSP hashes are computed from it). */
function adminPageModule(): string {
  const html = readFileSync(ADMIN_PAGE_HTML, 'utf8');
  adminPageCsp(html); // throws, failing the build, when the page's inline blocks are not as the CSP expects
  return `export const ADMIN_PAGE_HTML = ${JSON.stringify(html)};\n`;
}

interface GeneratedModule {
  source: () => string;
  /** The files it is made from. */
  inputs: string[];
}

/** By path from the project root, as the importing code names them (`.js`). */
const MODULES: Record<string, GeneratedModule> = {
  'lib/admin/page.generated.js': { source: adminPageModule, inputs: [ADMIN_PAGE_HTML] },
  'lib/docs/assets.generated.js': { source: docsAssetsModule, inputs: DOCS_INPUTS },
  'lib/openapi/spec.generated.js': { source: specModule, inputs: [OPENAPI_YAML] },
};

const GENERATED = /\.generated\.js$/;

/** The generated module at this path, if it is one of ours (else the import resolves as usual). */
const generatedModule = (absolutePath: string): GeneratedModule | undefined => MODULES[relative(root, absolutePath).split('\\').join('/')];

/** The esbuild plugin: resolves `*.generated.js` imports to modules built from their sources. */
export function generatedModulesEsbuild(): EsbuildPlugin {
  return {
    name: 'generated-modules',
    setup(build) {
      build.onResolve({ filter: GENERATED }, (args) => {
        const path = resolve(args.resolveDir, args.path);
        return generatedModule(path) ? { path, namespace: 'generated' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'generated' }, (args) => {
        const module = generatedModule(args.path)!;
        return { contents: module.source(), loader: 'js', watchFiles: module.inputs };
      });
    },
  };
}

/** The same for vitest (a Vite plugin; typed structurally so this file needs no Vite import). */
export function generatedModulesVite() {
  return {
    name: 'generated-modules',
    enforce: 'pre' as const,
    resolveId(source: string, importer: string | undefined) {
      if (!GENERATED.test(source) || !importer) return null;
      const path = resolve(dirname(importer), source);
      return generatedModule(path) ? path : null;
    },
    load(id: string) {
      return generatedModule(id)?.source() ?? null;
    },
  };
}
