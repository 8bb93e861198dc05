/**
 * The /admin page in a real browser (Debian's chromium through playwright-core) against the real
 * local stack (serverless offline, Postgres, Redis): what a staff member clicks, and what the
 * API then does to the user they clicked on.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../lib/db/sql.js';
import { createAccount } from './helpers/admin.js';
import { type OfflineServer, startOffline } from './helpers/offline.js';
import type { TestAccount } from './helpers/users.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = 'test-artifacts';

let server: OfflineServer;
let browser: Browser;

beforeAll(async () => {
  // The page is embedded at build time; serverless-offline bundles whatever the generator wrote.
  await promisify(execFile)('node_modules/.bin/tsx', ['scripts/generate-admin-page.ts']);
  // Every sign-in here comes from 127.0.0.1: keep the login limits out of this test's way.
  [server, browser] = await Promise.all([
    startOffline({ RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_LOGIN_IP: 'off' }),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Each function's first request is a cold start (esbuild bundle + imports): allow for it. */
const EVENTUALLY = { timeout: 20_000 };

const uniqueTag = () => `b${randomBytes(5).toString('hex')}`;

/** A page on /admin that records every script error and CSP violation it meets. */
async function openAdmin(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[134]/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${server.url}/admin`);
  return { page, problems };
}

async function signIn(page: Page, account: TestAccount): Promise<void> {
  await page.getByTestId('login-email').fill(account.email);
  await page.getByTestId('login-password').fill(account.password);
  await page.getByTestId('login-submit').click();
}

const meStatus = async (access: string) =>
  (await fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${access}` } })).status;
const refreshStatus = async (refresh: string) =>
  (await fetch(`${server.url}/api/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh }) })).status;

describe('GET /admin', () => {
  it('serves the page as HTML under a CSP that allows exactly its own inline script and style', async () => {
    for (const path of ['/admin', '/admin/']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      const hash = (re: RegExp) => createHash('sha256').update(re.exec(html)![1]!).digest('base64');
      const csp = res.headers.get('content-security-policy')!.split('; ');
      expect(csp).toEqual([
        "default-src 'none'",
        `script-src 'sha256-${hash(/<script>([\s\S]*?)<\/script>/)}'`,
        `style-src 'sha256-${hash(/<style>([\s\S]*?)<\/style>/)}'`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ]);
    }
  });
});

describe('the admin page in a browser', () => {
  it('lets staff sign in, find a user and deactivate them; that user\'s access token then gets 401', async () => {
    const tag = uniqueTag();
    const staff = await createAccount('staff');
    const target = await createAccount('user', { fullName: `Browser Target ${tag}` });
    expect(await meStatus(target.access)).toBe(200);
    // A linked sign-in provider, as social sign-in leaves one: the detail lists it.
    await sql()`insert into user_identities (user_id, provider, subject, email) values (${target.id}, 'google', ${uniqueTag()}, ${target.email})`;

    const { page, problems } = await openAdmin();
    await signIn(page, staff);
    await expect.poll(() => page.getByTestId('signed-in-as').textContent(), EVENTUALLY).toBe(staff.email);
    await page.getByTestId('user-row').first().waitFor(EVENTUALLY);
    await expect.poll(() => page.getByTestId('page-info').textContent(), EVENTUALLY).toMatch(/^Page 1 of \d+$/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/admin-users.png`, fullPage: true });

    await page.getByTestId('user-search').fill(tag.toUpperCase());
    const row = page.locator(`[data-testid="user-row"][data-email="${target.email}"]`);
    await row.waitFor(EVENTUALLY);
    await expect.poll(() => page.getByTestId('user-row').count(), EVENTUALLY).toBe(1);
    await row.click();
    await expect.poll(() => page.getByTestId('user-detail').textContent(), EVENTUALLY).toContain(target.email);
    await expect.poll(() => page.getByTestId('detail-identities').textContent(), EVENTUALLY).toContain('google');

    await page.getByTestId('action-deactivate').click();
    await expect.poll(() => page.getByTestId('status-message').textContent(), EVENTUALLY).toBe(`Deactivated ${target.email}.`);
    await page.getByTestId('action-activate').waitFor(EVENTUALLY);

    expect(await meStatus(target.access)).toBe(401);
    expect(await refreshStatus(target.refresh)).toBe(401);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('tells a non-staff account it is not staff, keeps it on the sign-in form and ends the session it opened', async () => {
    const user = await createAccount('user');
    const liveSessions = async () =>
      (await sql()`select count(*)::int as n from refresh_tokens where user_id = ${user.id} and revoked_at is null`)[0]!.n;
    const before = await liveSessions();

    const { page, problems } = await openAdmin();
    await signIn(page, user);
    await expect.poll(() => page.getByTestId('login-error').textContent(), EVENTUALLY).toContain('not staff');
    expect(await page.getByTestId('app-view').isHidden()).toBe(true);
    expect(await page.getByTestId('signed-in-as').isHidden()).toBe(true);
    await expect.poll(liveSessions, EVENTUALLY).toBe(before);
    expect(problems).toEqual([]);
    await page.close();
  });
});
