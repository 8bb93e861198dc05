/**
 * The documentation pages in a real browser (Debian's chromium through playwright-core) against
 * the real local stack: they render every operation, "Authorize" + "Try it out" reach the API,
 * nothing is fetched from another host, and the pages' CSP blocks nothing they need.
 * Screenshots go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser } from '../helpers/browser.js';
import { useOfflineStack } from '../helpers/offline.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

const stack = useOfflineStack({
  env: { RATE_LIMIT_REGISTER: 'off', RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_LOGIN_IP: 'off' },
  browser: true,
});
let context: BrowserContext;
let access: string;
/** Every URL the pages asked for. */
const requested: string[] = [];

/** Runs in each page before its own scripts (a string: the project compiles without DOM types). */
const RECORD_CSP_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
`;

beforeAll(async () => {
  const email = uniqueEmail('docs');
  const registered = await fetch(`${stack.server.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: STRONG_PASSWORD, full_name: 'Docs Reader' }),
  });
  expect(registered.status).toBe(201);
  const login = await fetch(`${stack.server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: STRONG_PASSWORD }),
  });
  expect(login.status).toBe(200);
  ({ access } = (await login.json()) as { access: string });

  context = await stack.browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.on('request', (request) => requested.push(request.url()));
  await context.addInitScript({ content: RECORD_CSP_VIOLATIONS });
  mkdirSync(ARTIFACTS, { recursive: true });
});

const cspViolations = (page: Page) => page.evaluate<string[]>('window.cspViolations');

describeInBrowser('the documentation pages in a browser', () => {
  it('Swagger UI renders every operation, and "Try it out" on GET /api/auth/me answers 200 with the authorized token', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.server.url}/api/docs`);

    const login = page.locator('.opblock-post', {
      has: page.locator('.opblock-summary-path', { hasText: /^\/api\/auth\/login$/ }),
    });
    await expect.poll(() => login.count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.locator('.opblock').count()).toBeGreaterThanOrEqual(20);
    expect(await login.locator('.opblock-summary-description').innerText()).toBe('Sign in with email and password');

    await page.locator('button.authorize').first().click();
    const modal = page.locator('.modal-ux');
    await modal.locator('input').first().fill(access);
    await modal.locator('button.authorize').click();
    await modal.locator('button.btn-done').click();

    const me = page.locator('#operations-Auth-getMe');
    await me.locator('.opblock-summary').click();
    await me.locator('button.try-out__btn').click();
    await me.locator('button.execute').click();
    const status = me.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(() => status.innerText(), { timeout: 20_000 }).toBe('200');
    expect(await me.locator('.live-responses-table .microlight').first().innerText()).toContain(
      '"full_name": "Docs Reader"',
    );

    await status.scrollIntoViewIfNeeded();
    await page.screenshot({ path: new URL('swagger-ui.png', ARTIFACTS).pathname, fullPage: false });
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  }, 90_000);

  it('ReDoc renders every operation with no script or style blocked', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.server.url}/api/redoc`);
    await expect
      .poll(() => page.getByText('Sign in with email and password').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-section-id^="operation/"]').count()).toBeGreaterThanOrEqual(20);
    expect(await page.locator('[data-section-id="operation/login"]').innerText()).toContain('/api/auth/login');

    await page.screenshot({ path: new URL('redoc.png', ARTIFACTS).pathname, fullPage: false });
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  }, 90_000);

  it('are served gzip-compressed through the local server, with and without the trailing slash', async () => {
    const html = await fetch(`${stack.server.url}/api/docs/`);
    expect(html.status).toBe(200);
    const script = /src="(\/api\/docs\/assets\/swagger-ui-bundle\.[0-9a-f]+\.js)"/.exec(await html.text())?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.server.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(await asset.text()).toContain('SwaggerUIBundle');
  });

  it('fetched nothing from any host but the service', () => {
    expect(requested.length).toBeGreaterThan(0);
    const foreign = requested.filter((url) => {
      const { protocol, hostname } = new URL(url);
      return !['data:', 'blob:'].includes(protocol) && !['127.0.0.1', 'localhost'].includes(hostname);
    });
    expect(foreign).toEqual([]);
  });
});
