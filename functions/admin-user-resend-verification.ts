/** POST /api/admin/users/{id}/resend-verification — staff: email the user a new verification link. Any body is ignored. */
import { targetUserId } from '../lib/admin/schemas.js';
import { resendUserVerification } from '../lib/admin/verification.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { VERIFICATION_SENT_DETAIL } from '../lib/auth/messages.js';
import { api, currentUser, json } from '../lib/http/api.js';

export const handler = api()
  .use(authenticate({ staff: true }))
  .handler(async (event, context) => {
    await resendUserVerification(currentUser(context), targetUserId(event));
    return json(202, { detail: VERIFICATION_SENT_DETAIL });
  });
