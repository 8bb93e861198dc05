/**
 * The bearer-token guard. Every authenticated route loads the user and the token's session
 * afresh, so a deactivated or deleted user's, or an ended session's, still-unexpired access token
 * stops working at once (one prepared statement, one round trip).
 */
import type { ApiMiddleware } from '../http/api.js';
import { problems } from '../http/problem.js';
import { verifyToken } from './jwt.js';
import { findSessionUser } from './sessions/lookup.js';

const BEARER = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i;

/** Requires a valid access token of an active user (`staff: true`: of a staff user). */
export function authenticate<B, Q>(options: { staff?: boolean } = {}): ApiMiddleware<B, Q> {
  return {
    before: async (request) => {
      const token = BEARER.exec(request.event.headers?.authorization ?? '')?.[1];
      if (!token) throw problems.notAuthenticated();
      const verified = await verifyToken(token, 'access');
      if (!verified.ok) throw problems.notAuthenticated(verified.reason === 'expired' ? 'The access token has expired.' : undefined);
      const found = await findSessionUser(verified.claims.sub, verified.claims.sid);
      const user = found?.user;
      // biome-ignore lint/complexity/useOptionalChain: `!user ||` is what narrows `found` for the next line.
      if (!user || !user.isActive) throw problems.notAuthenticated('The account is inactive or no longer exists.');
      if (!found.sessionLive) throw problems.notAuthenticated('The session has ended.');
      if (options.staff && !user.isStaff) throw problems.permissionDenied('Staff access is required.');
      request.context.auth = { user, sessionId: verified.claims.sid };
    },
  };
}
