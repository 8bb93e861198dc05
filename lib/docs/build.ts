/**
 * The build step behind the documentation functions (never bundled into one): the source of two
 * modules that exist only inside a build (see lib/build/generated-modules.ts), holding files as
 * `EmbeddedFile`s (./embedded.ts).
 *
 * - `lib/docs/assets.generated.js`: Swagger UI's and ReDoc's scripts and stylesheet (from
 *   node_modules) and the Swagger UI initializer, under content-hashed names so browsers may cache
 *   them for a year. Imported by `functions/docs-pages.ts` only.
 * - `lib/openapi/spec.generated.js`: the committed `openapi.yaml`, and the same document as JSON.
 *   Imported by `functions/docs-spec.ts` only, so zod-openapi never reaches a Lambda.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { contentHash, embed } from './embedded.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

export const OPENAPI_YAML = `${root}openapi.yaml`;

/** Hashed names never change content: cache them for a year. */
const IMMUTABLE = { 'Cache-Control': 'public, max-age=31536000, immutable' };
/** The spec and the pages keep their URL across releases: revalidate (a cheap 304) each time. */
const REVALIDATE = { 'Cache-Control': 'no-cache' };

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

interface Source {
  /** A package file (resolved from node_modules) or an absolute path. */
  from: string;
  name: string;
  contentType: string;
  /** Exact replacements in the file; the build fails when one no longer matches (an upgrade changed it). */
  patches?: [string, string][];
}

/** The files the pages load, by the key the page code uses. */
const SOURCES = {
  swaggerUiJs: { from: 'swagger-ui-dist/swagger-ui-bundle.js', name: 'swagger-ui-bundle.js', contentType: JS },
  swaggerUiCss: { from: 'swagger-ui-dist/swagger-ui.css', name: 'swagger-ui.css', contentType: CSS },
  swaggerInitializer: { from: `${root}lib/docs/swagger-initializer.js`, name: 'swagger-initializer.js', contentType: JS },
  redocJs: {
    from: 'redoc/bundles/redoc.standalone.js',
    name: 'redoc.standalone.js',
    contentType: JS,
    // ReDoc's menu footer loads its vendor's logo from a CDN on every page view (the CSP would
    // block it, but the browser still tries): an empty inline image instead, and no request.
    patches: [['"https://cdn.redoc.ly/redoc/logo-mini.svg"', '"data:image/svg+xml,%3Csvg xmlns=\'http://www.w3.org/2000/svg\'/%3E"']],
  },
} as const satisfies Record<string, Source>;

function applyPatches(source: Source, content: string): string {
  for (const [from, to] of source.patches ?? []) {
    if (!content.includes(from)) throw new Error(`${source.from}: ${from} not found; re-check the patch after the upgrade`);
    content = content.replaceAll(from, to);
  }
  return content;
}

// The source maps are not shipped: without this, browser dev tools would ask for them and get 404s.
const withoutSourceMap = (content: string) => content.replace(/\n?\/[/*][#@] sourceMappingURL=[^\n]*\s*$/, '\n');

/** `swagger-ui.css` → `swagger-ui.<hash>.css`. */
const hashedName = (name: string, content: string) => name.replace(/(\.[a-z]+)$/, `.${contentHash(content).slice(0, 12)}$1`);

/** The keys of `DOCS_ASSETS`, for the module's type declaration. */
export type DocsAssetKey = keyof typeof SOURCES;

/** The files the modules embed, so a watcher can rebuild when one changes. */
export const DOCS_INPUTS = [OPENAPI_YAML, SOURCES.swaggerInitializer.from];

/** The source of `lib/docs/assets.generated.js`. */
export function docsAssetsModule(): string {
  const assets = Object.fromEntries(
    Object.entries(SOURCES).map(([key, source]: [string, Source]) => {
      const path = source.from.startsWith('/') ? source.from : require.resolve(source.from);
      const content = applyPatches(source, withoutSourceMap(readFileSync(path, 'utf8')));
      return [key, { name: hashedName(source.name, content), file: embed(content, source.contentType, IMMUTABLE) }];
    }),
  );
  return `export const DOCS_ASSETS = ${JSON.stringify(assets)};\n`;
}

/** The source of `lib/openapi/spec.generated.js`, from the committed `openapi.yaml`. */
export function specModule(): string {
  const yaml = readFileSync(OPENAPI_YAML, 'utf8');
  const json = `${JSON.stringify(parse(yaml), null, 2)}\n`;
  return [
    `export const OPENAPI_JSON = ${JSON.stringify(embed(json, 'application/json; charset=utf-8', REVALIDATE))};`,
    `export const OPENAPI_YAML = ${JSON.stringify(embed(yaml, 'application/yaml; charset=utf-8', REVALIDATE))};`,
    '',
  ].join('\n');
}
