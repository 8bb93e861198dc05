/** POST /api/auth/mfa/totp/confirm — a current code turns TOTP on; answers the first recovery codes. */
import { authenticate } from '../lib/auth/authenticate.js';
import { confirmTotp } from '../lib/auth/mfa/enrollment.js';
import { TotpConfirmBody } from '../lib/auth/mfa/schemas.js';
import { api, clientOf, currentUser, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: TotpConfirmBody })
  .use(authenticate())
  .use(rateLimit('mfa'))
  .handler(async (event, context) =>
    json(200, await confirmTotp(currentUser(context), event.body.code, clientOf(event))),
  );
