/**
 * Failures of the services we depend on (Postgres, Redis, SES): down, refusing, or too slow.
 * The clients (`lib/db`, `lib/redis.ts`, `lib/email`) raise them without knowing about HTTP;
 * `lib/http/api.ts` answers every one with the contract's 503, in one place.
 */

/** Which dependency failed: named in logs, never in a response. */
export type Dependency = 'database' | 'redis' | 'email';

/** A dependency is down or too slow: the request cannot be served now, through no fault of its own. */
export class DependencyError extends Error {
  override name = 'DependencyError';
  constructor(
    readonly dependency: Dependency,
    cause: unknown,
  ) {
    super(`${dependency} unavailable`, { cause });
  }
}

/** `error` as a {@link DependencyError} of `dependency` (kept as is when it already is one). */
export const dependencyFailure = (dependency: Dependency, error: unknown): DependencyError =>
  error instanceof DependencyError ? error : new DependencyError(dependency, error);

/** Rejects with a {@link DependencyError} when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, dependency: Dependency): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyError(dependency, new Error(`timed out after ${ms} ms`))), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
