/** GET /api/docs (Swagger UI) · GET /api/redoc (ReDoc) · GET /api/docs/assets/{file} — the docs, with no CDN. */
import { serveEmbedded } from '../lib/docs/embedded.js';
import { docsAsset, redocPage, swaggerUiPage } from '../lib/docs/pages.js';
import { api } from '../lib/http/api.js';
import { problems } from '../lib/http/problem.js';
import { normalizePath } from '../lib/http/routes.js';

export const handler = api().handler(async (event) => {
  const path = normalizePath(event.rawPath);
  if (path === '/api/docs') return serveEmbedded(event, swaggerUiPage);
  if (path === '/api/redoc') return serveEmbedded(event, redocPage);
  const asset = docsAsset(event.pathParameters?.file ?? path.split('/').pop());
  if (!asset) throw problems.notFound('No such documentation file.');
  return serveEmbedded(event, asset);
});
