/** GET /api/auth/identities — the signed-in user's linked sign-in providers. */
import { authenticate } from '../lib/auth/authenticate.js';
import { listIdentities } from '../lib/auth/oidc/identities.js';
import { api, currentUser, json } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate())
  .handler(async (_event, context) => json(200, await listIdentities(currentUser(context))));
