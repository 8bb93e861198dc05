/**
 * GET|POST /api/auth/oidc/{provider}/callback — the provider's redirect (a form post under
 * `response_mode=form_post`, as Apple sends it): on to the app with a one-time code or an error.
 */
import { providerNamed } from '../lib/auth/oidc/providers.js';
import { callback, callbackParams } from '../lib/auth/oidc/web-flow.js';
import { api, redirect } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api()
  .use(rateLimit('oidc'))
  .handler(async (event) =>
    redirect(await callback(providerNamed(event.pathParameters?.provider), callbackParams(event))),
  );
