/**
 * The /admin page in a real browser (Debian's chromium through playwright-core) against the real
 * local stack (serverless offline, Postgres, Redis): what a staff member clicks, and what the
 * API then does to the user they clicked on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { sql } from '../../lib/db/sql.js';
import { createAccount } from '../helpers/admin.js';
import { codeAt, registerMfaAccount } from '../helpers/mfa.js';
import { describeInBrowser } from '../helpers/browser.js';
import { useOfflineStack } from '../helpers/offline.js';
import type { TestAccount } from '../helpers/users.js';

const ARTIFACTS = 'test-artifacts';

// Every sign-in here comes from 127.0.0.1: keep the login limits out of this test's way.
const stack = useOfflineStack({ env: { RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_LOGIN_IP: 'off' }, browser: true });

/** Each function's first request is a cold start (esbuild bundle + imports): allow for it. */
const EVENTUALLY = { timeout: 20_000 };

const uniqueTag = () => `b${randomBytes(5).toString('hex')}`;

/** A page on /admin that records every script error and CSP violation it meets. */
async function openAdmin(): Promise<{ page: Page; problems: string[] }> {
  const page = await stack.browser.newPage({ viewport: { width: 1360, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[134]/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${stack.server.url}/admin`);
  return { page, problems };
}

/**
 * Opens a user's detail and waits until it has settled: the server's copy shown and the sessions and
 * events sections loaded. Until then the panel re-renders and grows, so a click can land on a button
 * that has just moved.
 */
async function openUserDetail(page: Page, row: Locator) {
  await row.click();
  await page.locator('[data-testid="user-detail"][data-fresh="true"]').waitFor(EVENTUALLY);
  for (const testId of ['sessions-list', 'detail-events']) {
    await expect.poll(() => page.getByTestId(testId).textContent(), EVENTUALLY).not.toMatch(/Loading/);
  }
}

async function signIn(page: Page, account: TestAccount): Promise<void> {
  await page.getByTestId('login-email').fill(account.email);
  await page.getByTestId('login-password').fill(account.password);
  await page.getByTestId('login-submit').click();
}

const meStatus = async (access: string) =>
  (await fetch(`${stack.server.url}/api/auth/me`, { headers: { authorization: `Bearer ${access}` } })).status;
const refreshStatus = async (refresh: string) =>
  (
    await fetch(`${stack.server.url}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh }),
    })
  ).status;

describeInBrowser('GET /admin', () => {
  it('serves the page as HTML under a CSP that allows exactly its own inline script and style', async () => {
    for (const path of ['/admin', '/admin/']) {
      const res = await fetch(`${stack.server.url}${path}`);
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

describeInBrowser('the admin page in a browser', () => {
  it("lets staff sign in, find a user and deactivate them; that user's access token then gets 401", async () => {
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
    await openUserDetail(page, row);
    await expect.poll(() => page.getByTestId('user-detail').textContent(), EVENTUALLY).toContain(target.email);
    await expect.poll(() => page.getByTestId('detail-identities').textContent(), EVENTUALLY).toContain('google');

    await page.getByTestId('action-deactivate').click();
    await expect
      .poll(() => page.getByTestId('status-message').textContent(), EVENTUALLY)
      .toBe(`Deactivated ${target.email}.`);
    await page.getByTestId('action-activate').waitFor(EVENTUALLY);

    expect(await meStatus(target.access)).toBe(401);
    expect(await refreshStatus(target.refresh)).toBe(401);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("lists a user's live sessions in the detail and ends one; that session's access token then gets 401", async () => {
    const tag = uniqueTag();
    const staff = await createAccount('staff');
    const target = await createAccount('user', { fullName: `Session Target ${tag}` });
    expect(await meStatus(target.access)).toBe(200);

    const { page, problems } = await openAdmin();
    await signIn(page, staff);
    await page.getByTestId('user-row').first().waitFor(EVENTUALLY);
    await page.getByTestId('user-search').fill(tag);
    const row = page.locator(`[data-testid="user-row"][data-email="${target.email}"]`);
    await row.waitFor(EVENTUALLY);
    await openUserDetail(page, row);
    const sessionRows = page.getByTestId('session-row');
    await expect.poll(() => sessionRows.count(), EVENTUALLY).toBe(1);
    expect(await page.getByTestId('sessions-list').textContent()).toContain('vitest');
    await page.getByTestId('action-end-session').click();
    await expect
      .poll(() => page.getByTestId('status-message').textContent(), EVENTUALLY)
      .toBe(`Session ended for ${target.email}.`);
    await expect.poll(() => page.getByTestId('sessions-list').textContent(), EVENTUALLY).toContain('No live sessions.');
    expect(await meStatus(target.access)).toBe(401);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('tells a non-staff account it is not staff, keeps it on the sign-in form and ends the session it opened', async () => {
    const user = await createAccount('user');
    const liveSessions = async () =>
      (await sql()`select count(*)::int as n from refresh_tokens where user_id = ${user.id} and revoked_at is null`)[0]!
        .n;
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
  it("signs in a staff member with two-factor on through the code step, and resets another user's two-factor", async () => {
    const tag = uniqueTag();
    const staff = await registerMfaAccount(await createAccount('staff'));
    const target = await registerMfaAccount(await createAccount('user', { fullName: `Browser MFA ${tag}` }));

    const { page, problems } = await openAdmin();
    await signIn(page, staff);
    await page.getByTestId('login-mfa-code').waitFor(EVENTUALLY);
    await page.getByTestId('login-mfa-code').fill('zzzz-zzzz-zzzz');
    await page.getByTestId('login-mfa-submit').click();
    await expect
      .poll(() => page.getByTestId('login-error').textContent(), EVENTUALLY)
      .toContain('invalid or has already been used');
    await page.getByTestId('login-mfa-code').fill(codeAt(staff.secret, 1));
    await page.getByTestId('login-mfa-submit').click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent(), EVENTUALLY).toBe(staff.email);

    await page.getByTestId('user-search').fill(tag);
    const row = page.locator(`[data-testid="user-row"][data-email="${target.email}"]`);
    await row.waitFor(EVENTUALLY);
    await openUserDetail(page, row);
    await expect
      .poll(() => page.getByTestId('detail-mfa-status').textContent(), EVENTUALLY)
      .toBe('On (authenticator app).');
    await page.getByTestId('action-reset-mfa').click();
    await expect
      .poll(() => page.getByTestId('status-message').textContent(), EVENTUALLY)
      .toBe(`Two-factor authentication turned off for ${target.email}.`);
    await expect.poll(() => page.getByTestId('detail-mfa-status').textContent(), EVENTUALLY).toBe('Off.');
    expect((await sql()`select mfa_enabled from users where id = ${target.id}`)[0]!.mfa_enabled).toBe(false);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets staff filter unverified users, send one a verification email and mark their email verified', async () => {
    const tag = uniqueTag();
    const staff = await createAccount('staff');
    const target = await createAccount('user', { fullName: `Unverified ${tag}` });
    const inbox = async () => {
      const { emails } = (await (await fetch(`${process.env.SES_ENDPOINT}/store`)).json()) as {
        emails: { subject: string; destination: { to: string[] } }[];
      };
      return emails.filter((e) => e.destination.to.includes(target.email) && e.subject === 'Verify your email address')
        .length;
    };

    const { page, problems } = await openAdmin();
    await signIn(page, staff);
    await page.getByTestId('user-row').first().waitFor(EVENTUALLY);
    await page.getByTestId('user-verified-filter').selectOption('false');
    await page.getByTestId('user-search').fill(tag);
    const row = page.locator(`[data-testid="user-row"][data-email="${target.email}"]`);
    await row.waitFor(EVENTUALLY);
    expect(await row.getByTestId('badge-unverified').textContent()).toBe('Unverified');
    await openUserDetail(page, row);
    await expect
      .poll(() => page.getByTestId('email-verified-status').textContent(), EVENTUALLY)
      .toBe('Email not verified.');

    await page.getByTestId('action-resend-verification').click();
    await expect
      .poll(() => page.getByTestId('status-message').textContent(), EVENTUALLY)
      .toBe(`Verification email sent to ${target.email}.`);
    await expect.poll(inbox, EVENTUALLY).toBe(1);

    await page.getByTestId('action-mark-verified').click();
    await expect
      .poll(() => page.getByTestId('email-verified-status').textContent(), EVENTUALLY)
      .toBe('Email verified.');
    expect((await sql()`select email_verified from users where id = ${target.id}`)[0]!.email_verified).toBe(true);
    await page.getByTestId('user-verified-filter').selectOption('true');
    await expect.poll(() => row.getByTestId('badge-unverified').count(), EVENTUALLY).toBe(0);
    await row.waitFor(EVENTUALLY);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describeInBrowser('security events on the admin page', () => {
  it("shows a user's recent events in their detail, and everyone's events filtered by type", async () => {
    const tag = uniqueTag();
    const staff = await createAccount('staff');
    const target = await createAccount('user', { fullName: `Events Target ${tag}` });
    // A failed sign-in of the target: the event staff should see.
    const failed = await fetch(`${stack.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: target.email, password: 'wrong-Password-1' }),
    });
    expect(failed.status).toBe(401);

    const { page, problems } = await openAdmin();
    await signIn(page, staff);
    await page.getByTestId('event-row').first().waitFor(EVENTUALLY);
    await page.getByTestId('events-type').selectOption('login_failed');
    await expect
      .poll(
        async () => [
          ...new Set(
            await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type'))),
          ),
        ],
        EVENTUALLY,
      )
      .toEqual(['login_failed']);

    await page.getByTestId('user-search').fill(tag);
    const row = page.locator(`[data-testid="user-row"][data-email="${target.email}"]`);
    await row.waitFor(EVENTUALLY);
    await openUserDetail(page, row);
    const recent = page.locator('[data-testid="detail-event"][data-type="login_failed"]');
    await recent.waitFor(EVENTUALLY);
    expect(await recent.textContent()).toContain('reason: wrong_password');
    expect(await page.getByTestId('detail-events').textContent()).not.toContain(target.email);

    await page.getByTestId('detail-events-all').click();
    await expect.poll(() => page.getByTestId('events-user-filter').textContent(), EVENTUALLY).toContain(target.email);
    await expect.poll(() => page.getByTestId('events-count').textContent(), EVENTUALLY).toBe('1 event');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/admin-events.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
