/**
 * The documentation pages: Swagger UI (`/api/docs`) and ReDoc (`/api/redoc`), both reading
 * `/api/openapi.json` and loading only files this service serves, so they work with no internet
 * access and their Content-Security-Policy can forbid every other origin.
 */
import { DOCS_ASSETS } from './assets.generated.js';
import { embed, type EmbeddedFile } from './embedded.js';

const ASSETS_PATH = '/api/docs/assets';
const SPEC_URL = '/api/openapi.json';
const TITLE = 'Auth service API';

const assetUrl = (key: keyof typeof DOCS_ASSETS) => `${ASSETS_PATH}/${DOCS_ASSETS[key].name}`;

const csp = (styleSrc: string, extra: string[] = []) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${styleSrc}`,
    ...extra,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

const page = (head: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${head}
</head>
<body>
${body}
</body>
</html>
`;

/** Swagger UI: its initializer is a file of its own, so no inline script or style is needed. */
export const swaggerUiPage: EmbeddedFile = embed(
  page(
    `<title>${TITLE} · Swagger UI</title>\n<link rel="stylesheet" href="${assetUrl('swaggerUiCss')}">`,
    `<div id="swagger-ui"></div>\n<script src="${assetUrl('swaggerUiJs')}"></script>\n<script src="${assetUrl('swaggerInitializer')}"></script>`,
  ),
  'text/html; charset=utf-8',
  { 'Content-Security-Policy': csp("'self'"), 'Cache-Control': 'no-cache' },
);

/**
 * ReDoc: styled-components injects its styles at run time, hence `'unsafe-inline'` for styles
 * (scripts stay `'self'` only), and its search index runs in a worker it builds from its own code
 * as a `blob:` URL. No web-font link: system fonts, and no request to a font CDN.
 */
export const redocPage: EmbeddedFile = embed(
  page(
    `<title>${TITLE} · ReDoc</title>`,
    `<redoc spec-url="${SPEC_URL}"></redoc>\n<script src="${assetUrl('redocJs')}"></script>`,
  ),
  'text/html; charset=utf-8',
  { 'Content-Security-Policy': csp("'self' 'unsafe-inline'", ['worker-src blob:']), 'Cache-Control': 'no-cache' },
);

const byName = new Map<string, EmbeddedFile>(Object.values(DOCS_ASSETS).map((asset) => [asset.name, asset.file]));

/** A page asset by its hashed file name, or `undefined`. */
export const docsAsset = (name: string | undefined): EmbeddedFile | undefined => (name ? byName.get(name) : undefined);
