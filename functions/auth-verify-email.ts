/** POST /api/auth/verify-email — the token from the verification link marks the email verified. */
import { VerifyEmailBody } from '../lib/auth/schemas.js';
import { EMAIL_VERIFIED_DETAIL } from '../lib/auth/messages.js';
import { verifyEmail } from '../lib/auth/verification/verify.js';
import { api, clientOf, json } from '../lib/http/api.js';

// No rate limit: a token holds 256 random bits (nothing to guess), and a request sends no email.
export const handler = api({ body: VerifyEmailBody }).handler(async (event) => {
  await verifyEmail(event.body.token, clientOf(event));
  return json(200, { detail: EMAIL_VERIFIED_DETAIL });
});
