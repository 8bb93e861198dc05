/** POST /api/auth/forgot-password — email a reset link; always 202, whatever the email. */
import { FORGOT_PASSWORD_DETAIL } from '../lib/auth/messages.js';
import { requestPasswordReset } from '../lib/auth/password-reset.js';
import { ForgotPasswordBody } from '../lib/auth/schemas.js';
import { api, clientOf, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: ForgotPasswordBody })
  // Without Redis no token can be stored: a 503 for every email is honest and reveals nothing.
  .use(rateLimit('forgotPassword', { failClosed: true }))
  .handler(async (event) => {
    await requestPasswordReset(event.body.email, clientOf(event));
    return json(202, { detail: FORGOT_PASSWORD_DETAIL });
  });
