/**
 * The bearer-token guard. Every authenticated route loads the user and the token's session
 * afresh, so a deactivated or deleted user's, or an ended session's, still-unexpired access token
 * stops working at once (one prepared statement, one round trip).
 */
import type { ApiMiddleware } from '../http/api.js';
import { problems } from '../http/problem.js';
import { type TokenClaims, verifyToken } from './jwt.js';
import { findSessionUser } from './sessions/lookup.js';

const BEARER = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i;

/**
 * Access tokens this instance has already verified, by their exact text. A client presents the
 * same token for its whole lifetime, and its signature, issuer and audience give the same answer
 * every time (the keys are fixed for the life of the process), so a warm instance checks them
 * once. That saves the signature check (EdDSA runs on libuv's thread pool: a hand-off to another
 * thread and back on every request, which a busy CPU delays). Only tokens that verified get in,
 * so junk cannot crowd it; expiry is checked on every use; the user and session are still read
 * from the database on every request, which is what ends a token early.
 */
const verified = new Map<string, TokenClaims>();
/** ~0.6 KB a token: at most ~0.6 MB. A Lambda instance rarely sees this many live tokens. */
const MAX_VERIFIED = 1000;

async function accessClaims(
  token: string,
): Promise<{ ok: true; claims: TokenClaims } | { ok: false; expired: boolean }> {
  const known = verified.get(token);
  if (known) {
    if (known.exp > Date.now() / 1000) return { ok: true, claims: known };
    verified.delete(token);
    return { ok: false, expired: true };
  }
  const result = await verifyToken(token, 'access');
  if (!result.ok) return { ok: false, expired: result.reason === 'expired' };
  // Oldest first: a Map iterates in insertion order.
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(token, result.claims);
  return result;
}

/** Requires a valid access token of an active user (`staff: true`: of a staff user). */
export function authenticate<B, Q>(options: { staff?: boolean } = {}): ApiMiddleware<B, Q> {
  return {
    before: async (request) => {
      const token = BEARER.exec(request.event.headers?.authorization ?? '')?.[1];
      if (!token) throw problems.notAuthenticated();
      const checked = await accessClaims(token);
      if (!checked.ok) throw problems.notAuthenticated(checked.expired ? 'The access token has expired.' : undefined);
      const found = await findSessionUser(checked.claims.sub, checked.claims.sid);
      const user = found?.user;
      // biome-ignore lint/complexity/useOptionalChain: `!user ||` is what narrows `found` for the next line.
      if (!user || !user.isActive) throw problems.notAuthenticated('The account is inactive or no longer exists.');
      if (!found.sessionLive) throw problems.notAuthenticated('The session has ended.');
      if (options.staff && !user.isStaff) throw problems.permissionDenied('Staff access is required.');
      request.context.auth = { user, sessionId: checked.claims.sid };
    },
  };
}
