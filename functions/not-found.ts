/**
 * The catch-all (`$default` route): every request no other route took. Unknown paths get 404,
 * known paths with a wrong method 405 with `Allow`, and CORS preflights for known paths 204.
 */
import { api, noContent } from '../lib/http/api.js';
import { preflightHeaders } from '../lib/http/cors.js';
import { problems } from '../lib/http/problem.js';
import { matchPath } from '../lib/http/routes.js';

export const handler = api().handler(async (event) => {
  const { allow } = matchPath(event.rawPath);
  if (allow.length === 0) throw problems.notFound('No route matches this path.');
  const method = event.requestContext.http.method;
  if (method === 'OPTIONS')
    return noContent({ Allow: [...allow, 'OPTIONS'].join(', '), ...preflightHeaders(event.headers.origin, allow) });
  throw problems.methodNotAllowed(allow);
});
