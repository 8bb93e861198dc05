/** PATCH /api/auth/me — edit the signed-in user's profile (full name). */
import { authenticate } from '../lib/auth/authenticate.js';
import { UpdateMeBody } from '../lib/auth/schemas.js';
import { updateProfile } from '../lib/auth/users.js';
import { api, currentUser, json } from '../lib/http/api.js';

export const handler = api({ body: UpdateMeBody })
  .use(authenticate())
  .handler(async (event, context) => json(200, await updateProfile(currentUser(context), event.body)));
