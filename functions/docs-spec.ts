/** GET /api/openapi.json · GET /api/openapi.yaml — the OpenAPI 3.1 document (the repository's openapi.yaml). */
import { serveEmbedded } from '../lib/docs/embedded.js';
import { api } from '../lib/http/api.js';
import { normalizePath } from '../lib/http/routes.js';
import { OPENAPI_JSON, OPENAPI_YAML } from '../lib/openapi/spec.generated.js';

export const handler = api().handler(async (event) =>
  serveEmbedded(event, normalizePath(event.rawPath).endsWith('.yaml') ? OPENAPI_YAML : OPENAPI_JSON),
);
