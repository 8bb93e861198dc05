/**
 * What our code costs beyond password hashing, without a fake hasher in the service: a pass at the
 * lowest cost BCRYPT_ROUNDS accepts (bcryptjs takes ~1 ms there, with a small spread), minus that
 * same bcrypt work timed alone between the route's iterations in the same process.
 */
import type { LatencyResult } from './routes.js';

export const OVERHEAD_ROUNDS = 4;

/** A route's p50 in a pass minus the p50 of the bcrypt work it does, timed alone in the same pass. */
export function beyondHashing(pass: LatencyResult, route: string): number {
  return (pass.routes[route]?.p50 ?? Number.NaN) - (pass.hashingByRoute[route]?.p50 ?? 0);
}
