/**
 * The `GET /admin` response. Every build embeds lib/admin/admin-page.html as
 * `./page.generated.js` (tools/build/generated-modules.ts), and its CSP is computed once
 * per cold start: a page whose hashes do not match its own code fails loudly at the first
 * request instead of rendering without its script.
 */
import type { ApiResult } from '../http/api.js';
import { adminPageCsp } from './page-csp.js';
import { ADMIN_PAGE_HTML } from './page.generated.js';

const headers = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': adminPageCsp(ADMIN_PAGE_HTML),
  // The page changes with each deploy and the CSP hashes with it: never serve a stale copy.
  'Cache-Control': 'no-store',
});

export function adminPage(): ApiResult {
  return { statusCode: 200, headers: { ...headers }, body: ADMIN_PAGE_HTML };
}
