/**
 * The one middy chain every HTTP function is built on. A route file reads:
 *
 * ```ts
 * export const handler = api({ body: LoginBody })
 *   .use(rateLimit('loginIp', 'login'))
 *   .handler(async (event) => json(200, await login(event.body)));
 * ```
 *
 * The chain, in order: request id + logging context → response headers (security, CORS,
 * no-store) → problem+json for every error → body guards (16 KiB, JSON content type) → JSON
 * parsing → zod validation. Guards a route adds with `.use()` (authentication, rate limits)
 * run after validation: the contract checks a body's shape before anything else.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { config } from '../config.js';
import '../jit.js';
import type { UserRow } from '../db/schema.js';
import { startRequestClock } from '../deadline.js';
import { log, setLogContext } from '../log.js';
import { corsHeaders } from './cors.js';
import { DependencyError } from '../dependencies.js';
import { Problem, problems } from './problem.js';
import { isUnstorableText, toStorableText, validate } from './validation.js';

/** The contract's request body limit. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface ApiEvent<TBody = unknown, TQuery = unknown> extends Omit<APIGatewayProxyEventV2, 'body'> {
  /** The validated body (the route's `body` schema), or the raw body on routes without one. */
  body: TBody;
  /** The validated query string (the route's `query` schema). */
  query: TQuery;
}

export interface ApiContext extends Context {
  requestId: string;
  /** The signed-in user, set by the `authenticate()` guard. */
  auth?: { user: UserRow; sessionId?: string };
}

export type ApiResult = APIGatewayProxyStructuredResultV2 & { headers?: Record<string, string> };

type Request<TBody, TQuery> = middy.Request<ApiEvent<TBody, TQuery>, ApiResult, Error, ApiContext>;
export type ApiMiddleware<TBody = unknown, TQuery = unknown> = MiddlewareObj<
  ApiEvent<TBody, TQuery>,
  ApiResult,
  Error,
  ApiContext
>;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { 'Content-Type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) };
}

/** The signed-in user on a route guarded by `authenticate()`. */
export function currentUser(context: ApiContext): UserRow {
  if (!context.auth) throw new Error('currentUser() on a route without authenticate()');
  return context.auth.user;
}

/** The session (`sid`) of the presented access token; undefined for a token from before sessions. */
export function currentSessionId(context: ApiContext): string | undefined {
  return context.auth?.sessionId;
}

/** The longest `User-Agent` kept (the `user_agent` columns are varchar(512)). */
const MAX_USER_AGENT = 512;

/**
 * The caller's address and agent: API Gateway's `sourceIp`, never a client-supplied header. The
 * agent is stored as sent, minus what Postgres cannot store: a header is not worth a 400.
 */
export function clientOf(event: ApiEvent<unknown, unknown>): { ip: string; userAgent?: string } {
  const userAgent = event.headers?.['user-agent'];
  return {
    ip: event.requestContext.http.sourceIp,
    userAgent: userAgent === undefined ? undefined : toStorableText(userAgent, MAX_USER_AGENT),
  };
}

/** A 302 to `location` (the social sign-in redirects). */
export function redirect({ location }: { location: string }): ApiResult {
  return { statusCode: 302, headers: { Location: location }, body: '' };
}

/** An empty 204 response. */
export function noContent(headers: Record<string, string> = {}): ApiResult {
  return { statusCode: 204, headers, body: '' };
}

/** The response for a thrown {@link Problem}. */
export function problemResponse(problem: Problem, requestId?: string): ApiResult {
  return {
    statusCode: problem.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...problem.options.headers },
    body: JSON.stringify(problem.toJSON(requestId)),
  };
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Each request's budget clock (lib/deadline.ts), stopped when its response is ready. */
const clocks = new WeakMap<object, () => void>();

/**
 * Request id in logs and the response; security, CORS and caching headers on every response; the
 * request's time budget.
 */
const requestScope = <B, Q>(): ApiMiddleware<B, Q> => {
  const finish = (request: Request<B, Q>) => {
    clocks.get(request.context)?.();
    const response = request.response;
    if (!response) return;
    const headers = (response.headers ??= {});
    // Responses carry tokens or personal data: never let a proxy or browser cache keep them.
    headers['Cache-Control'] ??= 'no-store';
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers[name] ??= value;
    const { Vary: varyOrigin, ...cors } = corsHeaders(request.event.headers?.origin);
    // Merge, not replace: a handler may vary on other headers too (the docs on Accept-Encoding).
    if (varyOrigin) headers.Vary = headers.Vary ? `${headers.Vary}, ${varyOrigin}` : varyOrigin;
    Object.assign(headers, cors, { 'X-Request-Id': request.context.requestId });
  };
  return {
    before: (request) => {
      // The Lambda request id is the one CloudWatch prints on START/END lines: logs correlate by it.
      const requestId = request.context.awsRequestId || request.event.requestContext?.requestId || crypto.randomUUID();
      request.context.requestId = requestId;
      setLogContext({ request_id: requestId, route: request.event.routeKey });
      clocks.set(request.context, startRequestClock(config.requestDeadlineMs));
    },
    after: finish,
    onError: finish,
  };
};

const isMiddyHttpError = (error: unknown): error is { statusCode: number; cause?: { package?: string } } =>
  typeof error === 'object' && error !== null && typeof (error as { statusCode?: unknown }).statusCode === 'number';

/** Turns any thrown error into the contract's problem+json; nothing internal reaches the client. */
export function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof DependencyError) return problems.unavailable();
  if (isMiddyHttpError(error)) {
    if (error.statusCode === 415) return problems.unsupportedMediaType();
    // The JSON parser's 422s: malformed JSON, or a forbidden __proto__ key.
    if (error.statusCode === 422 && error.cause?.package === '@middy/http-json-body-parser')
      return problems.invalidJson();
  }
  if (isConnectionFailure(error)) return problems.unavailable();
  // middy's early timeout, just before the Lambda's own: the request outlived every budget.
  if (error instanceof Error && error.name === 'TimeoutError') return problems.unavailable();
  return problems.internal();
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P03',
  '53300', // admin shutdown, cannot connect now, too many connections
  '57014', // query_canceled: DB_STATEMENT_TIMEOUT_MS ran out
]);

/** A postgres.js or socket error that means "the database is not there", not "our bug". */
function isConnectionFailure(error: unknown): boolean {
  for (let e: unknown = error, i = 0; e && typeof e === 'object' && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    if (e instanceof AggregateError && e.errors.some(isConnectionFailure)) return true;
  }
  return false;
}

const problemJson = <B, Q>(): ApiMiddleware<B, Q> => ({
  onError: (request) => {
    const problem = toProblem(request.error);
    if (problem.status >= 500) {
      log.error(problem.status === 503 ? 'dependency unavailable' : 'unhandled error', { error: request.error });
    }
    request.response = problemResponse(problem, request.context.requestId);
  },
});

/** Size and content-type guards that must run before middy's JSON parser sees the body. */
const bodyGuard = <B, Q>(): ApiMiddleware<B, Q> => ({
  before: (request) => {
    const { event } = request;
    const raw = event.body as unknown as string | undefined;
    const bytes = raw ? (event.isBase64Encoded ? Buffer.from(raw, 'base64').length : Buffer.byteLength(raw)) : 0;
    if (bytes > MAX_BODY_BYTES) throw problems.payloadTooLarge(MAX_BODY_BYTES);
    const contentType = event.headers?.['content-type'];
    // No body and no content type: validate as `{}` so missing fields are named one by one.
    if (bytes === 0 && !contentType) (event as { body: unknown }).body = {};
  },
});

const jsonBody = <B, Q>(): ApiMiddleware<B, Q> => {
  const parser = httpJsonBodyParser() as unknown as ApiMiddleware<B, Q>;
  return {
    before: (request) => {
      if (typeof request.event.body === 'object' && request.event.body !== null) return; // set by bodyGuard
      return parser.before!(request);
    },
  };
};

const validation = <B, Q>(body?: z.ZodMiniType, query?: z.ZodMiniType): ApiMiddleware<B, Q> => ({
  before: (request) => {
    if (body) (request.event as { body: unknown }).body = validate(body, request.event.body);
    if (query) {
      (request.event as { query: unknown }).query = validate(
        query,
        request.event.queryStringParameters ?? {},
        'Query string is invalid.',
      );
    }
    // A `{id}` with text no stored row can have names nothing, as any unknown id: 404, before a lookup.
    // Not on the catch-all ($default): deployed it has no path parameters (serverless offline
    // fills `proxy` for it), and it answers by the path's shape (404 or 405), not by a lookup.
    const declared = request.event.routeKey === '$default' ? {} : (request.event.pathParameters ?? {});
    if (Object.values(declared).some((value) => value !== undefined && isUnstorableText(value))) {
      throw problems.notFound();
    }
  },
});

export interface ApiOptions<TBody extends z.ZodMiniType | undefined, TQuery extends z.ZodMiniType | undefined> {
  /** The JSON body this route accepts; routes without one ignore any body. */
  body?: TBody;
  /** The query string parameters this route accepts. */
  query?: TQuery;
}

type Infer<T> = T extends z.ZodMiniType ? z.infer<T> : undefined;

/** Starts a route's middy chain with the shared HTTP layer; add guards with `.use()`. */
export function api<
  TBody extends z.ZodMiniType | undefined = undefined,
  TQuery extends z.ZodMiniType | undefined = undefined,
>(options: ApiOptions<TBody, TQuery> = {}) {
  type B = Infer<TBody>;
  type Q = Infer<TQuery>;
  // Answer 503 half a second before the Lambda timeout kills the invocation without a response
  // (serverless-offline would even answer that as HTTP 200 with an error body).
  const chain = middy<ApiEvent<B, Q>, ApiResult, Error, ApiContext>({ timeoutEarlyInMillis: 500 })
    // Last line of defence only: problemJson always sets a response, so this never fires in practice.
    .use(httpErrorHandler({ logger: false }) as unknown as ApiMiddleware<B, Q>)
    .use(requestScope<B, Q>())
    .use(problemJson<B, Q>());
  if (options.body) chain.use(bodyGuard<B, Q>()).use(jsonBody<B, Q>());
  chain.use(validation<B, Q>(options.body, options.query));
  return chain;
}
