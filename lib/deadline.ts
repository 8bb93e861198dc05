/**
 * The request budget. Postgres over a hung or slowed network never answers and never errors:
 * without a bound, a request waits for the Lambda timeout (10 s) and then dies without a response
 * the client can act on. The HTTP layer starts a clock per request (`REQUEST_DEADLINE_MS`); when
 * it runs out, every dependency that registered here abandons its in-flight work (the database
 * pool closes its connections), the pending calls reject, and the request answers 503.
 *
 * The budget is for waiting on dependencies: CPU-bound work run through {@link offTheClock}
 * (password hashing, 0.3–0.5 s at bcrypt cost 12, more on a starved CPU) extends every running
 * clock by its duration, so a slow hash never drops a healthy pool.
 *
 * A registry, not an import of the database client, so functions that never touch Postgres do
 * not load postgres.js for it.
 */
const overrunHandlers = new Set<() => void>();

/** Milliseconds spent in {@link offTheClock} work since the process started. */
let creditedMs = 0;

/** {@link offTheClock} work running now. */
let inProgress = 0;

/** Whether the current request ran out of budget: its later dependency calls fail at once. */
let overran = false;

/** True once the current request has overrun its budget (until it has its response). */
export const requestOverran = () => overran;

/** Registers what to abandon when a request overruns its budget. */
export function onRequestOverrun(handler: () => void): void {
  overrunHandlers.add(handler);
}

/**
 * Runs CPU-bound work that must not count against the budget. Concurrent requests (tests, local
 * servers) all get the credit: the clock errs on the late side, never on the early one.
 */
export async function offTheClock<T>(work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  inProgress++;
  try {
    return await work();
  } finally {
    inProgress--;
    creditedMs += performance.now() - started;
  }
}

/** Starts a request's clock; call the returned function when the request has its response. */
export function startRequestClock(budgetMs: number): () => void {
  overran = false;
  let creditSeen = creditedMs;
  let timer: NodeJS.Timeout;
  const arm = (ms: number) => {
    timer = setTimeout(() => {
      // Hashing now: look again once it is done (its whole duration is credited then).
      if (inProgress > 0) return arm(25);
      const credit = creditedMs - creditSeen;
      creditSeen = creditedMs;
      if (credit > 0) return arm(credit);
      overran = true;
      for (const handler of overrunHandlers) handler();
    }, ms);
    timer.unref?.();
  };
  arm(budgetMs);
  return () => {
    clearTimeout(timer);
    overran = false;
  };
}
