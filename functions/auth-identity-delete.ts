/** DELETE /api/auth/identities/{id} — unlink a provider, unless it is the last way to sign in. */
import { authenticate } from '../lib/auth/authenticate.js';
import { unlinkIdentity } from '../lib/auth/oidc/identities.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate())
  .handler(async (event, context) => {
    await unlinkIdentity(currentUser(context), event.pathParameters?.id ?? '', clientOf(event));
    return noContent();
  });
