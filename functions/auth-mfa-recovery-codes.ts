/** POST /api/auth/mfa/recovery-codes — a new set of recovery codes (the old set dies), after the password and a code. */
import { authenticate } from '../lib/auth/authenticate.js';
import { regenerateRecoveryCodes } from '../lib/auth/mfa/enrollment.js';
import { MfaReauthBody } from '../lib/auth/mfa/schemas.js';
import { api, currentUser, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: MfaReauthBody })
  .use(authenticate())
  .use(rateLimit('mfa'))
  .handler(async (event, context) => json(200, await regenerateRecoveryCodes(currentUser(context), event.body)));
