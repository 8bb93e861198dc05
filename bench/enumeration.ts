/**
 * The enumeration-timing comparisons' settings, shared by bench/run.ts (the table) and
 * bench/routes.ts (the measurement). Kept apart from bench/routes.ts, which runs on import.
 */
import routeTable from '../lib/http/routes.json' with { type: 'json' };

/** Samples of each kind in a comparison (the goal needs at least 50). */
export const ENUMERATION_SAMPLES = 60;

/** The goal: the medians of the two kinds of request differ by less than this. */
export const ENUMERATION_GOAL_MS = 5;

/**
 * The contract's resend-verification route. Its comparison runs as soon as routes.json serves it:
 * the function is looked up by this route, so nothing here changes when the route lands.
 */
export const RESEND_VERIFICATION_ROUTE = 'POST /api/auth/verify-email/resend';

/** The function (serverless name) serving `route` in lib/http/routes.json, if any. */
export function functionServing(route: string): string | undefined {
  return Object.entries(routeTable as Record<string, { routes: string[] }>).find(([, fn]) =>
    fn.routes.includes(route),
  )?.[0];
}
