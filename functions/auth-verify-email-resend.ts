/** POST /api/auth/verify-email/resend — a new verification link; always 202, whatever the email. */
import { ResendVerificationBody } from '../lib/auth/schemas.js';
import { VERIFICATION_RESENT_DETAIL } from '../lib/auth/messages.js';
import { resendVerificationEmail } from '../lib/auth/verification/send.js';
import { api, json } from '../lib/http/api.js';
import { rateLimit } from '../lib/rate-limit.js';

export const handler = api({ body: ResendVerificationBody })
  // Without Redis no token can be stored: a 503 for every email is honest and reveals nothing.
  .use(rateLimit('verifyEmail', { failClosed: true }))
  .handler(async (event) => {
    await resendVerificationEmail(event.body.email);
    return json(202, { detail: VERIFICATION_RESENT_DETAIL });
  });
