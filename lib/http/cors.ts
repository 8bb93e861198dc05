/**
 * CORS from ALLOWED_HOSTS (the Django setting, kept as the allow-list). An entry may be a full
 * origin (`https://app.example.com`), a host (`app.example.com`, any scheme and port), a Django
 * suffix pattern (`.example.com`: the domain and its subdomains), or `*` (any origin).
 */
import { config } from '../config.js';

const EXPOSED = 'X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, WWW-Authenticate';

/** Whether a browser on `origin` may call the API. */
export function isAllowedOrigin(origin: string, allowed: readonly string[] = config.allowedHosts): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    if (entry === '*') return true;
    if (entry.includes('://')) return entry.replace(/\/+$/, '') === url.origin;
    if (entry.startsWith('.')) return url.hostname === entry.slice(1) || url.hostname.endsWith(entry);
    return url.hostname === entry;
  });
}

/** The CORS headers for an actual (non-preflight) response. */
export function corsHeaders(origin: string | undefined): Record<string, string> {
  if (!origin || !isAllowedOrigin(origin)) return {};
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSED, Vary: 'Origin' };
}

/** The extra headers answering a preflight (`OPTIONS`) for an allowed origin. */
export function preflightHeaders(origin: string | undefined, methods: readonly string[]): Record<string, string> {
  if (!origin || !isAllowedOrigin(origin)) return {};
  return {
    ...corsHeaders(origin),
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
  };
}
