/**
 * The request budget. Postgres over a hung or slowed network never answers and never errors:
 * without a bound, a request waits for the Lambda timeout (10 s) and then dies without a response
 * the client can act on. The HTTP layer starts a clock per request (`REQUEST_DEADLINE_MS`); when
 * it runs out, every dependency that registered here abandons its in-flight work (the database
 * pool closes its connections), the pending calls reject, and the request answers 503.
 *
 * A registry, not an import of the database client, so functions that never touch Postgres do
 * not load postgres.js for it.
 */
const overrunHandlers = new Set<() => void>();

/** Registers what to abandon when a request overruns its budget. */
export function onRequestOverrun(handler: () => void): void {
  overrunHandlers.add(handler);
}

/** Starts a request's clock; call the returned function when the request has its response. */
export function startRequestClock(budgetMs: number): () => void {
  const timer = setTimeout(() => {
    for (const handler of overrunHandlers) handler();
  }, budgetMs);
  timer.unref?.();
  return () => clearTimeout(timer);
}
