/** POST /api/auth/logout — revoke the session (refresh-token family) of a refresh token. */
import { LogoutBody } from '../lib/auth/schemas.js';
import { revokeFamilyOfToken } from '../lib/auth/sessions.js';
import { api, clientOf, noContent } from '../lib/http/api.js';

export const handler = api({ body: LogoutBody }).handler(async (event) => {
  await revokeFamilyOfToken(event.body.refresh, clientOf(event));
  return noContent();
});
