/**
 * What each generated module holds (tools/build/generated-modules.ts writes them): the values a
 * Lambda imports, read from their source files at build time. Each function returns the module's
 * exports; none of this code is bundled into a function.
 *
 * - `lib/admin/page.generated.js`: `lib/admin/admin-page.html`, byte for byte.
 * - `lib/docs/assets.generated.js`: Swagger UI's and ReDoc's scripts and stylesheet (from
 *   node_modules) and the Swagger UI initializer, as `EmbeddedFile`s (lib/docs/embedded.ts) under content-hashed
 *   names so browsers may cache them for a year. Imported by `functions/docs-pages.ts` only.
 * - `lib/openapi/spec.generated.js`: the committed `openapi.yaml`, and the same document as JSON.
 *   Imported by `functions/docs-spec.ts` only, so zod-openapi never reaches a Lambda.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { adminPageCsp } from '../../lib/admin/page-csp.js';
import type { DocsAssetKey } from '../../lib/docs/assets.generated.js';
import { contentHash, embed } from '../../lib/docs/embedded.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

export const OPENAPI_YAML = `${root}openapi.yaml`;
export const ADMIN_PAGE_HTML = `${root}lib/admin/admin-page.html`;
const SWAGGER_INITIALIZER = `${root}lib/docs/swagger-initializer.js`;

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
  swaggerInitializer: { from: SWAGGER_INITIALIZER, name: 'swagger-initializer.js', contentType: JS },
  redocJs: {
    from: 'redoc/bundles/redoc.standalone.js',
    name: 'redoc.standalone.js',
    contentType: JS,
    // ReDoc's menu footer loads its vendor's logo from a CDN on every page view (the CSP would
    // block it, but the browser still tries): an empty inline image instead, and no request.
    patches: [
      [
        '"https://cdn.redoc.ly/redoc/logo-mini.svg"',
        '"data:image/svg+xml,%3Csvg xmlns=\'http://www.w3.org/2000/svg\'/%3E"',
      ],
    ],
  },
} as const satisfies Record<DocsAssetKey, Source>;

function applyPatches(source: Source, content: string): string {
  for (const [from, to] of source.patches ?? []) {
    if (!content.includes(from))
      throw new Error(`${source.from}: ${from} not found; re-check the patch after the upgrade`);
    content = content.replaceAll(from, to);
  }
  return content;
}

// The source maps are not shipped: without this, browser dev tools would ask for them and get 404s.
const withoutSourceMap = (content: string) => content.replace(/\n?\/[/*][#@] sourceMappingURL=[^\n]*\s*$/, '\n');

/** `swagger-ui.css` → `swagger-ui.<hash>.css`. */
const hashedName = (name: string, content: string) =>
  name.replace(/(\.[a-z]+)$/, `.${contentHash(content).slice(0, 12)}$1`);

/** `lib/admin/page.generated.js`: the page byte for byte (its CSP hashes are computed from it). */
export function adminPageExports() {
  const html = readFileSync(ADMIN_PAGE_HTML, 'utf8');
  adminPageCsp(html); // throws, failing the build, when the page's inline blocks are not as the CSP expects
  return { ADMIN_PAGE_HTML: html };
}

/** The files of `lib/docs/assets.generated.js` that can change without an npm upgrade. */
export const DOCS_ASSET_INPUTS = [SWAGGER_INITIALIZER];

/** `lib/docs/assets.generated.js`. */
export function docsAssetsExports() {
  const assets = Object.fromEntries(
    Object.entries(SOURCES).map(([key, source]: [string, Source]) => {
      const path = source.from.startsWith('/') ? source.from : require.resolve(source.from);
      const content = applyPatches(source, withoutSourceMap(readFileSync(path, 'utf8')));
      return [key, { name: hashedName(source.name, content), file: embed(content, source.contentType, IMMUTABLE) }];
    }),
  );
  return { DOCS_ASSETS: assets };
}

/** `lib/openapi/spec.generated.js`, from the committed `openapi.yaml`. */
export function openApiSpecExports() {
  const yaml = readFileSync(OPENAPI_YAML, 'utf8');
  const json = `${JSON.stringify(parse(yaml), null, 2)}\n`;
  return {
    OPENAPI_JSON: embed(json, 'application/json; charset=utf-8', REVALIDATE),
    OPENAPI_YAML: embed(yaml, 'application/yaml; charset=utf-8', REVALIDATE),
  };
}
