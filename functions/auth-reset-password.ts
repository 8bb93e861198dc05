/** POST /api/auth/reset-password — a new password with the emailed token. */
import { RESET_PASSWORD_DETAIL } from '../lib/auth/messages.js';
import { resetPassword } from '../lib/auth/password-reset-confirm.js';
import { ResetPasswordBody } from '../lib/auth/schemas.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: ResetPasswordBody })
  .use(rateLimit('resetPassword', { failClosed: true }))
  .handler(async (event) => {
    await resetPassword(event.body.token, event.body.new_password, clientOf(event));
    return json(200, { detail: RESET_PASSWORD_DETAIL });
  });
