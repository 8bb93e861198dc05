/**
 * The one step that embeds files into the Lambda bundles. The `*.generated.js` modules (the admin
 * page, the documentation assets, the OpenAPI document) exist only inside a build: every bundler
 * that loads our code produces them from their sources as it goes, so no step has to run first and
 * no generated file can be stale. Each is listed once in {@link GENERATED_MODULES} and written the
 * same way: its exports as JSON literals ({@link generatedModuleSource}).
 *
 * serverless-esbuild (`serverless package|deploy|offline`, through serverless/esbuild-plugins.cjs)
 * and `npm run bench` use {@link generatedModulesEsbuild}; vitest uses {@link generatedModulesVite}.
 * tsc reads their types from the committed `*.generated.d.ts` next to each import.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin as EsbuildPlugin } from 'esbuild';
import {
  ADMIN_PAGE_HTML,
  adminPageExports,
  DOCS_ASSET_INPUTS,
  docsAssetsExports,
  OPENAPI_YAML,
  openApiSpecExports,
} from './sources.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface GeneratedModule {
  /** Its exports, read from the sources now. */
  exports: () => Record<string, unknown>;
  /** The files it is made from, so a watcher rebuilds when one changes. */
  inputs: string[];
}

/** By path from the project root, as the importing code names them (`.js`). */
export const GENERATED_MODULES: Readonly<Record<string, GeneratedModule>> = {
  'lib/admin/page.generated.js': { exports: adminPageExports, inputs: [ADMIN_PAGE_HTML] },
  'lib/docs/assets.generated.js': { exports: docsAssetsExports, inputs: DOCS_ASSET_INPUTS },
  'lib/openapi/spec.generated.js': { exports: openApiSpecExports, inputs: [OPENAPI_YAML] },
};

/** A module's JavaScript: one `export const` per export, its value as a JSON literal. */
export function generatedModuleSource(module: GeneratedModule): string {
  return Object.entries(module.exports())
    .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};\n`)
    .join('');
}

const GENERATED = /\.generated\.js$/;

/** The generated module at this path, if it is one of ours (else the import resolves as usual). */
const generatedModule = (absolutePath: string): GeneratedModule | undefined =>
  GENERATED_MODULES[relative(root, absolutePath).split('\\').join('/')];

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
        return { contents: generatedModuleSource(module), loader: 'js', watchFiles: module.inputs };
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
      const module = generatedModule(id);
      return module ? generatedModuleSource(module) : null;
    },
  };
}
