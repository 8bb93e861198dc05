/** POST /api/auth/mfa/totp/disable — TOTP off, after the password and a current TOTP or recovery code. */
import { authenticate } from '../lib/auth/authenticate.js';
import { disableTotp } from '../lib/auth/mfa/enrollment.js';
import { MfaReauthBody } from '../lib/auth/mfa/schemas.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: MfaReauthBody })
  .use(authenticate())
  .use(rateLimit('mfa'))
  .handler(async (event, context) => {
    await disableTotp(currentUser(context), event.body, clientOf(event));
    return noContent();
  });
