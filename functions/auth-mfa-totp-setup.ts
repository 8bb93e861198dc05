/** POST /api/auth/mfa/totp/setup — a new TOTP secret to scan (pending until confirmed), after the password. */
import { authenticate } from '../lib/auth/authenticate.js';
import { setupTotp } from '../lib/auth/mfa/enrollment.js';
import { TotpSetupBody } from '../lib/auth/mfa/schemas.js';
import { api, currentUser, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: TotpSetupBody })
  .use(authenticate())
  .use(rateLimit('mfa'))
  .handler(async (event, context) => json(200, await setupTotp(currentUser(context), event.body.password)));
