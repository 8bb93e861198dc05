/**
 * RFC 9457 problem details: the one error type every handler and guard throws. Each problem knows
 * its HTTP status and the contract's machine-readable `code`; `lib/http/api.ts` maps it to a
 * response in exactly one place.
 */
import type { FieldError, Health } from './responses.js';

export type { FieldError };

/** The contract's stable error codes, with their HTTP status. */
export const PROBLEM_STATUS = {
  validation_error: 400,
  invalid_json: 400,
  invalid_token: 400,
  not_authenticated: 401,
  invalid_credentials: 401,
  invalid_refresh_token: 401,
  email_not_verified: 403,
  invalid_mfa_code: 401,
  invalid_mfa_token: 401,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  email_taken: 409,
  mfa_already_enabled: 409,
  mfa_not_enabled: 409,
  account_exists: 409,
  last_sign_in_method: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class Problem extends Error {
  override name = 'Problem';
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      /** RFC 9457 extension members, sent after the standard ones (so one may take a standard one's place). */
      members?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.status = PROBLEM_STATUS[code];
    this.title = TITLES[this.status] ?? 'Error';
  }

  /** The response body (`application/problem+json`). */
  toJSON(requestId?: string): Record<string, unknown> {
    return {
      type: 'about:blank',
      title: this.title,
      status: this.status,
      code: this.code,
      detail: this.detail,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
      ...(requestId && this.status >= 500 ? { request_id: requestId } : {}),
      ...this.options.members,
    };
  }
}

/** Factories for the problems the contract names, with the wording clients see. */
export const problems = {
  validation: (errors: FieldError[], detail = 'Request body is invalid.') =>
    new Problem('validation_error', detail, { errors }),
  invalidJson: () => new Problem('invalid_json', 'Request body is not valid JSON.'),
  notAuthenticated: (detail = 'Authentication credentials were not provided or are invalid.') =>
    new Problem('not_authenticated', detail, { headers: { 'WWW-Authenticate': 'Bearer' } }),
  invalidCredentials: () => new Problem('invalid_credentials', 'No active account found with the given credentials.'),
  invalidRefreshToken: () => new Problem('invalid_refresh_token', 'The refresh token is invalid, expired or revoked.'),
  invalidResetToken: () => new Problem('invalid_token', 'The password reset link is invalid or has expired.'),
  invalidVerificationToken: () => new Problem('invalid_token', 'The verification link is invalid or has expired.'),
  permissionDenied: (detail = 'You do not have permission to perform this action.') =>
    new Problem('permission_denied', detail),
  notFound: (detail = 'Not found.') => new Problem('not_found', detail),
  emailTaken: () => new Problem('email_taken', 'An account with this email already exists.'),
  emailNotVerified: () => new Problem('email_not_verified', 'Verify your email address before signing in.'),
  invalidMfaCode: () => new Problem('invalid_mfa_code', 'The authentication code is invalid or has already been used.'),
  invalidMfaToken: () => new Problem('invalid_mfa_token', 'The sign-in attempt has expired. Sign in again.'),
  mfaAlreadyEnabled: () => new Problem('mfa_already_enabled', 'Two-factor authentication is already enabled.'),
  mfaNotEnabled: () => new Problem('mfa_not_enabled', 'Two-factor authentication is not enabled.'),
  accountExists: () =>
    new Problem(
      'account_exists',
      'An account with this email already exists. Sign in with your password, then link this provider.',
    ),
  lastSignInMethod: () => new Problem('last_sign_in_method', 'This is the only way left to sign in to this account.'),
  methodNotAllowed: (allow: string[]) =>
    new Problem('method_not_allowed', 'Method not allowed on this route.', { headers: { Allow: allow.join(', ') } }),
  payloadTooLarge: (maxBytes: number) =>
    new Problem('payload_too_large', `Request body must be at most ${maxBytes} bytes.`),
  unsupportedMediaType: () => new Problem('unsupported_media_type', 'Request body must be sent as application/json.'),
  internal: () =>
    new Problem('internal_error', 'An unexpected error occurred. Quote the request id when reporting it.'),
  unavailable: () => new Problem('service_unavailable', 'The service is temporarily unavailable. Try again shortly.'),
  /**
   * `GET /health` with a dependency down: the contract's health report in a problem body, its
   * string `status` in place of the numeric one (the HTTP status still says 503).
   */
  dependencyUnavailable: (report: Health) =>
    new Problem('service_unavailable', 'A dependency is unavailable.', { members: report }),
};
