/**
 * The bodies the HTTP layer itself answers with: problem details and the health probes, as
 * zod/mini schemas. The OpenAPI document is generated from them; the service imports them only as
 * types (`import type`), so no bundle carries them: what a handler sends is typed by
 * {@link z.infer} of these schemas, and `tests/integration/contract.test.ts` checks real responses against
 * the document.
 */
import * as z from 'zod/mini';
import { PROBLEM_STATUS, type ProblemCode } from './problem.js';

/** One failed validation rule: `field` is the dotted path of the input field. */
export const FieldError = z.object({ field: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

export const PROBLEM_CODES = Object.keys(PROBLEM_STATUS) as [ProblemCode, ...ProblemCode[]];

/** RFC 9457 problem details with the contract's `code`. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.enum(PROBLEM_CODES),
  detail: z.string(),
  errors: z.optional(z.array(FieldError)),
  request_id: z.optional(z.string()),
});

/** One dependency's check in `GET /health`. */
export const HealthCheck = z.object({
  status: z.enum(['ok', 'error']),
  latency_ms: z.number().check(z.nonnegative()),
});
export type HealthCheck = z.infer<typeof HealthCheck>;

const healthShape = {
  checks: z.object({ database: HealthCheck, redis: HealthCheck }),
  version: z.string(),
};

/** `GET /health` when every dependency answered. */
export const HealthReport = z.object({ status: z.literal('ok'), ...healthShape });

/**
 * `GET /health` when a dependency is down: the health shape with problem+json's `type`, `title`,
 * `code` and `detail` (its string `status` takes the place of the problem's numeric one).
 */
export const HealthUnavailable = z.object({
  type: z.string(),
  title: z.string(),
  code: z.literal('service_unavailable'),
  detail: z.string(),
  status: z.literal('error'),
  ...healthShape,
});

/** What the checks found: the whole 200 body, or the health members of the 503's. */
export type Health =
  | z.infer<typeof HealthReport>
  | Pick<z.infer<typeof HealthUnavailable>, 'status' | keyof typeof healthShape>;

/** `GET /health/live`. */
export const Liveness = z.object({ status: z.literal('ok') });
