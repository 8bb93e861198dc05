/** The web sign-in flow driven end to end against the test provider (tests/helpers/oidc-provider.ts). */
import { expect } from 'vitest';
import { call, httpEvent, invoke } from './http.js';
import { APP_REDIRECT_URI, SERVICE_BASE_URL, type TestProvider } from './oidc-provider.js';

export type OidcHandlers = typeof import('./oidc-handlers.js');

/** Runs the web flow up to the app's redirect: authorize, the provider's login, the callback. */
export async function webFlow(
  idp: TestProvider,
  routes: OidcHandlers,
  login: string,
  options: { provider?: string; appState?: string; abort?: boolean; appleUser?: string } = {},
) {
  const provider = options.provider ?? 'test';
  const start = await call(routes.authorize, 'GET', `/api/auth/oidc/${provider}/authorize`, {
    query: { redirect_uri: APP_REDIRECT_URI, ...(options.appState ? { state: options.appState } : {}) },
    pathParameters: { provider },
  });
  expect(start.status, JSON.stringify(start.body)).toBe(302);
  const authorizationUrl = new URL(start.headers.location!);
  const answer = await idp.signInAtProvider(authorizationUrl.toString(), login, { abort: options.abort });
  const callbackPath = `/api/auth/oidc/${provider}/callback`;
  let event;
  if (answer.kind === 'redirect') {
    expect(`${answer.url.origin}${answer.url.pathname}`).toBe(`${SERVICE_BASE_URL}${callbackPath}`);
    event = httpEvent('GET', callbackPath, {
      query: Object.fromEntries(answer.url.searchParams),
      pathParameters: { provider },
    });
  } else {
    expect(answer.action).toBe(`${SERVICE_BASE_URL}${callbackPath}`);
    // Apple adds the user's name to its form post on the first authorization only.
    const fields = options.appleUser ? { ...answer.fields, user: options.appleUser } : answer.fields;
    event = httpEvent('POST', callbackPath, {
      rawBody: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      pathParameters: { provider },
    });
  }
  const back = await invoke(routes.callback, event);
  return {
    authorizationUrl,
    answer,
    event,
    back,
    backUrl: back.headers.location ? new URL(back.headers.location) : undefined,
  };
}
