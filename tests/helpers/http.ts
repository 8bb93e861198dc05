/**
 * Builds API Gateway HTTP API (payload v2) events the way the gateway sends them, and invokes a
 * function's handler in-process, returning the response with its body parsed.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { expect } from 'vitest';

export interface RequestOptions {
  body?: unknown;
  /** A raw body string, sent as-is (for invalid JSON, odd content types...). */
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  token?: string;
  sourceIp?: string;
  pathParameters?: Record<string, string>;
}

/** A random client IP, so rate limits of one test never trip another. */
export const randomIp = () => `10.${rand255()}.${rand255()}.${rand255()}`;
const rand255 = () => Math.floor(Math.random() * 254) + 1;

export function httpEvent(method: string, path: string, options: RequestOptions = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'user-agent': 'vitest', ...lowerCase(options.headers ?? {}) };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString,
    headers,
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: options.sourceIp ?? randomIp(),
        userAgent: headers['user-agent']!,
      },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export function lambdaContext(): Context {
  const awsRequestId = randomUUID();
  return {
    awsRequestId,
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export interface TestResponse<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
  rawBody: string;
}

/** A Lambda handler as our functions export it (`functions/*.ts`). */
export type Handler = (event: any, context: any) => Promise<any>;

/** Calls a handler with an event and returns the response (headers lower-cased, JSON parsed). */
export async function invoke<T = any>(handler: Handler, event: APIGatewayProxyEventV2): Promise<TestResponse<T>> {
  const result = await handler(event, lambdaContext());
  const headers = lowerCase(result.headers ?? {});
  const rawBody: string = result.body ?? '';
  let body: any = rawBody;
  if (/json/.test(headers['content-type'] ?? '') && rawBody) body = JSON.parse(rawBody);
  return { status: result.statusCode, headers, body, rawBody };
}

/** Shorthand: `call(handler, 'POST', '/api/auth/login', { body })`. */
export const call = <T = any>(handler: Handler, method: string, path: string, options?: RequestOptions) =>
  invoke<T>(handler, httpEvent(method, path, options));

/**
 * The response is RFC 9457 problem+json with this status and contract `code` (the headers are
 * checked where the response has them: an in-process call does, a parsed body alone does not).
 */
export function expectProblem(
  response: { status: number; headers?: Record<string, string>; body: any },
  status: number,
  code: string,
): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  if (response.headers) expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.body).toMatchObject({
    type: 'about:blank',
    status,
    code,
    title: expect.any(String),
    detail: expect.any(String),
  });
}
