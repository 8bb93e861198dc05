/** GET /api/auth/oidc/{provider}/authorize — web: redirect to the provider (code flow, PKCE, state, nonce). */
import { providerNamed } from '../lib/auth/oidc/providers.js';
import { AuthorizeQuery } from '../lib/auth/oidc/schemas.js';
import { authorize } from '../lib/auth/oidc/web-flow.js';
import { api, redirect } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ query: AuthorizeQuery })
  .use(rateLimit('oidc'))
  .handler(async (event) => redirect(await authorize(providerNamed(event.pathParameters?.provider), event.query)));
