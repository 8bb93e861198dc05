/** The request budget (lib/deadline.ts) and the early-timeout path of the HTTP layer. */
import { describe, expect, it } from 'vitest';
import { offTheClock, onRequestOverrun, requestOverran, startRequestClock } from '../../lib/deadline.js';
import { api, json } from '../../lib/http/api.js';
import { httpEvent, lambdaContext } from '../helpers/http.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the request budget', () => {
  it('abandons dependency work when a request overruns, and not before', async () => {
    let overruns = 0;
    onRequestOverrun(() => overruns++);
    const stop = startRequestClock(100);
    await sleep(50);
    expect(overruns).toBe(0);
    await sleep(150);
    expect(overruns).toBe(1);
    expect(requestOverran()).toBe(true);
    stop();
    expect(requestOverran()).toBe(false);
  });

  it('does not count CPU work run off the clock (password hashing)', async () => {
    let overruns = 0;
    onRequestOverrun(() => overruns++);
    const stop = startRequestClock(100);
    await offTheClock(() => sleep(150));
    expect(overruns).toBe(0);
    await sleep(200);
    expect(overruns).toBe(1);
    stop();
  });
});

describe('the Lambda timeout', () => {
  it('answers 503 service_unavailable just before it, never a 500 or an error body', async () => {
    const handler = api().handler(async () => {
      await sleep(2000);
      return json(200, {});
    });
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 600 };
    const started = performance.now();
    const response = await handler(httpEvent('GET', '/slow') as never, context as never);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body as string).code).toBe('service_unavailable');
  });
});
