/** POST /api/auth/oidc/{provider}/id-token — native apps: a provider's ID token for the user and a token pair. */
import { providerNamed } from '../lib/auth/oidc/providers.js';
import { IdTokenBody } from '../lib/auth/oidc/schemas.js';
import { signInWithIdToken } from '../lib/auth/oidc/sign-in.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: IdTokenBody })
  .use(rateLimit('oidc'))
  .handler(async (event) => {
    const { created, ...signedIn } = await signInWithIdToken(
      providerNamed(event.pathParameters?.provider),
      event.body,
      clientOf(event),
    );
    return json(created ? 201 : 200, signedIn);
  });
