/** POST /api/auth/change-password — new password after the current one; signs out every session. */
import { changePassword } from '../lib/auth/account.js';
import { authenticate } from '../lib/auth/authenticate.js';
import { ChangePasswordBody } from '../lib/auth/schemas.js';
import { api, clientOf, currentUser, noContent } from '../lib/http/api.js';

export const handler = api({ body: ChangePasswordBody })
  .use(authenticate())
  .handler(async (event, context) => {
    await changePassword(currentUser(context), event.body, clientOf(event));
    return noContent();
  });
