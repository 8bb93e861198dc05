import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as deleteHandler } from '../../functions/admin-user-delete.js';
import { handler as getHandler } from '../../functions/admin-user-get.js';
import { handler as revokeHandler } from '../../functions/admin-user-revoke-sessions.js';
import { handler as updateHandler } from '../../functions/admin-user-update.js';
import { handler as listHandler } from '../../functions/admin-users-list.js';
import { handler as meHandler } from '../../functions/auth-me.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { ADMIN_USER_ORDERINGS } from '../../lib/admin/schemas.js';
import { sql } from '../../lib/db/sql.js';
import { createAccount, type Role } from '../helpers/admin.js';
import { freshHandler } from '../helpers/fresh.js';
import { call, expectProblem, type Handler, type RequestOptions, type TestResponse } from '../helpers/http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { login, USER_RESOURCE_KEYS } from '../helpers/users.js';

const onUser =
  (handler: Handler, method: string, suffix = '') =>
  (token: string | undefined, id: string, options: RequestOptions = {}) =>
    call(handler, method, `/api/admin/users/${id}${suffix}`, { token, pathParameters: { id }, ...options });

const admin = {
  list: (token: string | undefined, query?: Record<string, string>) =>
    call(listHandler, 'GET', '/api/admin/users', { token, query }),
  get: onUser(getHandler, 'GET'),
  patch: (token: string | undefined, id: string, body: unknown) => onUser(updateHandler, 'PATCH')(token, id, { body }),
  delete: onUser(deleteHandler, 'DELETE'),
  revokeSessions: onUser(revokeHandler, 'POST', '/revoke-sessions'),
};

const refresh = (token: string) => call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh: token } });
const me = (token: string) => call(meHandler, 'GET', '/api/auth/me', { token });

/** A tag no other test's users carry, to search for this test's users only. */
const uniqueTag = () => `t${randomBytes(5).toString('hex')}`;

describe('admin API permissions', () => {
  type Actor = 'anonymous' | Role;
  type Target = 'user' | 'staff' | 'superuser' | 'self';
  type Expected = Partial<Record<Actor, number>>;
  const actions: Record<string, (token: string | undefined, id: string) => Promise<TestResponse>> = {
    get: (token, id) => admin.get(token, id),
    'patch full_name': (token, id) => admin.patch(token, id, { full_name: 'Renamed Person' }),
    deactivate: (token, id) => admin.patch(token, id, { is_active: false }),
    'grant staff': (token, id) => admin.patch(token, id, { is_staff: true }),
    'revoke staff': (token, id) => admin.patch(token, id, { is_staff: false }),
    delete: (token, id) => admin.delete(token, id),
    'revoke sessions': (token, id) => admin.revokeSessions(token, id),
  };
  const denied = { anonymous: 401, user: 403 };
  // [action, target, expected status per actor]
  const matrix: Array<[keyof typeof actions, Target, Expected]> = [
    ['get', 'user', { ...denied, staff: 200, superuser: 200 }],
    ['get', 'superuser', { ...denied, staff: 200, superuser: 200 }],
    ['patch full_name', 'user', { ...denied, staff: 200, superuser: 200 }],
    ['patch full_name', 'superuser', { ...denied, staff: 403, superuser: 200 }],
    ['patch full_name', 'self', { user: 403, staff: 200, superuser: 200 }],
    ['deactivate', 'user', { ...denied, staff: 200, superuser: 200 }],
    ['deactivate', 'superuser', { ...denied, staff: 403, superuser: 200 }],
    ['deactivate', 'self', { user: 403, staff: 403, superuser: 403 }],
    ['grant staff', 'user', { ...denied, staff: 403, superuser: 200 }],
    ['revoke staff', 'staff', { ...denied, staff: 403, superuser: 200 }],
    ['revoke staff', 'superuser', { ...denied, staff: 403, superuser: 200 }],
    ['revoke staff', 'self', { user: 403, staff: 403, superuser: 403 }],
    ['delete', 'user', { ...denied, staff: 204, superuser: 204 }],
    ['delete', 'superuser', { ...denied, staff: 403, superuser: 204 }],
    ['delete', 'self', { user: 403, staff: 403, superuser: 403 }],
    ['revoke sessions', 'user', { ...denied, staff: 204, superuser: 204 }],
    ['revoke sessions', 'superuser', { ...denied, staff: 403, superuser: 204 }],
    ['revoke sessions', 'self', { user: 403, staff: 204, superuser: 204 }],
  ];
  const cases = matrix.flatMap(([action, target, expected]) =>
    (Object.entries(expected) as Array<[Actor, number]>).map(([actor, status]) => ({ action, target, actor, status })),
  );

  it.each(cases)('$actor · $action · $target → $status', async ({ action, target, actor, status }) => {
    const actorAccount = actor === 'anonymous' ? undefined : await createAccount(actor);
    const targetId = target === 'self' ? actorAccount!.id : (await createAccount(target)).id;
    const res = await actions[action]!(actorAccount?.access, targetId);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    if (status === 401) expect(res.body.code).toBe('not_authenticated');
    if (status === 403) expect(res.body.code).toBe('permission_denied');
    if (status === 204) expect(res.rawBody).toBe('');
  });

  it.each([
    ['anonymous', 401, 'not_authenticated'],
    ['user', 403, 'permission_denied'],
    ['staff', 200, undefined],
    ['superuser', 200, undefined],
  ] as const)('GET /api/admin/users as %s → %i', async (actor, status, code) => {
    const token = actor === 'anonymous' ? undefined : (await createAccount(actor)).access;
    const res = await admin.list(token);
    expect(res.status).toBe(status);
    if (code) expect(res.body.code).toBe(code);
    if (status === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('leaves the target unchanged when an action is refused', async () => {
    const staff = await createAccount('staff');
    const superuser = await createAccount('superuser');
    const before = (await admin.get(staff.access, superuser.id)).body;
    expectProblem(
      await admin.patch(staff.access, superuser.id, { full_name: 'Hijacked', is_active: false }),
      403,
      'permission_denied',
    );
    expectProblem(await admin.delete(staff.access, superuser.id), 403, 'permission_denied');
    expectProblem(await admin.revokeSessions(staff.access, superuser.id), 403, 'permission_denied');
    expect((await admin.get(staff.access, superuser.id)).body).toEqual(before);
    expect((await refresh(superuser.refresh)).status).toBe(200);
  });

  it('refuses a staff member any is_staff field, even one that changes nothing', async () => {
    const staff = await createAccount('staff');
    const other = await createAccount('staff');
    expectProblem(await admin.patch(staff.access, other.id, { is_staff: true }), 403, 'permission_denied');
    expectProblem(await admin.patch(staff.access, staff.id, { is_staff: true }), 403, 'permission_denied');
  });

  it('answers 401 to a staff member who was deactivated, and 403 to one whose staff access was revoked', async () => {
    const superuser = await createAccount('superuser');
    const [deactivated, demoted] = [await createAccount('staff'), await createAccount('staff')];
    expect((await admin.patch(superuser.access, deactivated.id, { is_active: false })).status).toBe(200);
    expect((await admin.patch(superuser.access, demoted.id, { is_staff: false })).status).toBe(200);
    expectProblem(await admin.list(deactivated.access), 401, 'not_authenticated');
    expectProblem(await admin.list(demoted.access), 403, 'permission_denied');
  });
});

describe('GET /api/admin/users', () => {
  it('answers a page of User objects with count, page and page_size', async () => {
    const staff = await createAccount('staff');
    const res = await admin.list(staff.access, { search: staff.email });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ count: 1, page: 1, page_size: 20, results: [expect.any(Object)] });
    expect(Object.keys(res.body.results[0]).sort()).toEqual(USER_RESOURCE_KEYS);
    expect(res.body.results[0]).toMatchObject({
      id: staff.id,
      email: staff.email,
      is_staff: true,
      is_superuser: false,
    });
    expect(res.rawBody).not.toMatch(/\$2[aby]\$/);
  });

  it('lists everyone without a search, newest first by default', async () => {
    const staff = await createAccount('staff');
    const res = await admin.list(staff.access, { page_size: '100' });
    expect(res.body.count).toBeGreaterThanOrEqual(1);
    const joined = res.body.results.map((u: { date_joined: string }) => u.date_joined);
    expect(joined).toEqual([...joined].sort().reverse());
  });

  describe('search', () => {
    it('matches the email or the full name, case-insensitively', async () => {
      const staff = await createAccount('staff');
      const tag = uniqueTag();
      const byEmail = await createAccount('user', { email: `mail-${tag}@example.com`, fullName: 'Nobody Special' });
      const byName = await createAccount('user', { fullName: `Zoë Ångström ${tag}` });
      const ids = async (search: string) =>
        (await admin.list(staff.access, { search })).body.results.map((u: { id: string }) => u.id).sort();
      expect(await ids(tag.toUpperCase())).toEqual([byEmail.id, byName.id].sort());
      expect(await ids(`MAIL-${tag.toUpperCase()}@EXAMPLE`)).toEqual([byEmail.id]);
      expect(await ids(`zoë ångström ${tag}`)).toEqual([byName.id]);
      expect(await ids(`  ${tag}  `)).toHaveLength(2);
    });

    it('treats %, _ and \\ as literal characters, not LIKE wildcards', async () => {
      const staff = await createAccount('staff');
      const tag = uniqueTag();
      const names = {
        percent: `${tag} 50% off`,
        fifty: `${tag} 50x off`,
        underscore: `${tag}_under`,
        xunder: `${tag}Xunder`,
        backslash: `${tag}\\back`,
        back: `${tag}back`,
      };
      const accounts = Object.fromEntries(
        await Promise.all(
          Object.entries(names).map(
            async ([key, fullName]) => [key, await createAccount('user', { fullName })] as const,
          ),
        ),
      );
      const found = async (search: string) =>
        (await admin.list(staff.access, { search })).body.results.map((u: { full_name: string }) => u.full_name).sort();
      expect(await found(`${tag} 50%`)).toEqual([names.percent]);
      expect(await found(`${tag}_u`)).toEqual([names.underscore]);
      expect(await found(`${tag}\\b`)).toEqual([names.backslash]);
      expect(await found(`${tag}%`)).toEqual([]);
      expect(Object.keys(accounts)).toHaveLength(6);
    });
  });

  describe('pagination', () => {
    it('pages through every match once, and answers an empty page past the end with the total count', async () => {
      const staff = await createAccount('staff');
      const tag = uniqueTag();
      const created = await Promise.all(
        Array.from({ length: 5 }, (_, i) => createAccount('user', { fullName: `Pager ${i} ${tag}` })),
      );
      // Same join instant for all: only the id tie-breaker keeps the pages stable.
      await sql()`update users set date_joined = '2026-01-01T00:00:00Z' where full_name like ${`%${tag}`}`;
      const page = (n: number) => admin.list(staff.access, { search: tag, page: String(n), page_size: '2' });
      const pages = [await page(1), await page(2), await page(3)];
      expect(pages.map((p) => p.body.results.length)).toEqual([2, 2, 1]);
      for (const [i, p] of pages.entries()) expect(p.body).toMatchObject({ count: 5, page: i + 1, page_size: 2 });
      const seen = pages.flatMap((p) => p.body.results.map((u: { id: string }) => u.id));
      expect(new Set(seen).size).toBe(5);
      expect(seen.sort()).toEqual(created.map((a) => a.id).sort());

      const past = await page(4);
      expect(past.status).toBe(200);
      expect(past.body).toEqual({ count: 5, page: 4, page_size: 2, results: [] });
      expect((await admin.list(staff.access, { search: tag, page: '1000000' })).body).toMatchObject({
        count: 5,
        results: [],
      });
    });

    it.each([
      [{ page_size: '0' }, 'page_size', 'Ensure this value is greater than or equal to 1.'],
      [{ page_size: '101' }, 'page_size', 'Ensure this value is less than or equal to 100.'],
      [{ page: '0' }, 'page', 'Ensure this value is greater than or equal to 1.'],
      [{ page: '-1' }, 'page', 'A valid integer is required.'],
      [{ page: 'two' }, 'page', 'A valid integer is required.'],
      [{ page: '1.5' }, 'page', 'A valid integer is required.'],
      [{ page_size: 'ten' }, 'page_size', 'A valid integer is required.'],
      [{ page: '99999999999' }, 'page', 'Ensure this value is less than or equal to 2147483647.'],
    ])('answers 400 validation_error for %o', async (query, field, message) => {
      const staff = await createAccount('staff');
      const res = await admin.list(staff.access, query);
      expectProblem(res, 400, 'validation_error');
      expect(res.body.errors).toEqual([{ field, message }]);
    });

    it('accepts the bounds page_size=1 and page_size=100', async () => {
      const staff = await createAccount('staff');
      for (const size of [1, 100]) {
        const res = await admin.list(staff.access, { page_size: String(size) });
        expect(res.status).toBe(200);
        expect(res.body.page_size).toBe(size);
        expect(res.body.results.length).toBeLessThanOrEqual(size);
      }
    });
  });

  describe('ordering', () => {
    it.each(ADMIN_USER_ORDERINGS)('orders by %s, never-logged-in users last', async (ordering) => {
      const staff = await createAccount('staff');
      const tag = uniqueTag();
      // Letters in a different order per field, so that each ordering gives its own sequence.
      const rows = [
        {
          key: 'a',
          email: `c-${tag}@example.com`,
          name: `bravo ${tag}`,
          joined: '2026-03-01T00:00:00.000Z',
          login: '2026-05-01T00:00:00.000Z',
        },
        {
          key: 'b',
          email: `a-${tag}@example.com`,
          name: `delta ${tag}`,
          joined: '2026-01-01T00:00:00.000Z',
          login: null,
        },
        {
          key: 'c',
          email: `d-${tag}@example.com`,
          name: `alpha ${tag}`,
          joined: '2026-04-01T00:00:00.000Z',
          login: '2026-02-01T00:00:00.000Z',
        },
        {
          key: 'd',
          email: `b-${tag}@example.com`,
          name: `charlie ${tag}`,
          joined: '2026-02-01T00:00:00.000Z',
          login: '2026-07-01T00:00:00.000Z',
        },
      ];
      for (const row of rows) {
        const account = await createAccount('user', { email: row.email, fullName: row.name });
        await sql()`update users set date_joined = ${row.joined}, last_login = ${row.login} where id = ${account.id}`;
      }
      const field = ordering.replace(/^-/, '') as 'email' | 'full_name' | 'date_joined' | 'last_login';
      const value = (r: (typeof rows)[number]) =>
        ({ email: r.email, full_name: r.name, date_joined: r.joined, last_login: r.login })[field];
      const descending = ordering.startsWith('-');
      const expected = [...rows]
        .sort((x, y) => {
          const [a, b] = [value(x), value(y)];
          if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
          return descending ? b.localeCompare(a) : a.localeCompare(b);
        })
        .map((r) => r.email);

      const res = await admin.list(staff.access, { search: tag, ordering });
      expect(res.status).toBe(200);
      expect(res.body.results.map((u: { email: string }) => u.email)).toEqual(expected);
    });

    it.each(['bogus', 'password', '-id', 'email,full_name', ''])(
      'answers 400 validation_error on ordering for %j',
      async (ordering) => {
        const staff = await createAccount('staff');
        const res = await admin.list(staff.access, { ordering });
        expectProblem(res, 400, 'validation_error');
        expect(res.body.errors).toEqual([
          { field: 'ordering', message: expect.stringContaining('is not a valid ordering') },
        ]);
      },
    );
  });
});

describe('GET|PATCH|DELETE /api/admin/users/{id}', () => {
  it('answers 404 not_found for an unknown or malformed id, on every route', async () => {
    const superuser = await createAccount('superuser');
    for (const id of [randomUUID(), 'not-a-uuid', "1' or '1'='1", '']) {
      expectProblem(await admin.get(superuser.access, id), 404, 'not_found');
      expectProblem(await admin.patch(superuser.access, id, { full_name: 'X' }), 404, 'not_found');
      expectProblem(await admin.delete(superuser.access, id), 404, 'not_found');
      expectProblem(await admin.revokeSessions(superuser.access, id), 404, 'not_found');
    }
  });

  it('GET answers the User object', async () => {
    const staff = await createAccount('staff');
    const target = await createAccount('user');
    const res = await admin.get(staff.access, target.id);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(USER_RESOURCE_KEYS);
    expect(res.body).toMatchObject({ id: target.id, email: target.email, is_active: true });
  });

  it('PATCH answers the updated User and changes only the fields given', async () => {
    const superuser = await createAccount('superuser');
    const target = await createAccount('user', { fullName: 'Before Name' });
    const renamed = await admin.patch(superuser.access, target.id, {
      full_name: '  After Name  ',
      email: 'ignored@example.com',
      is_superuser: true,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      id: target.id,
      email: target.email,
      full_name: 'After Name',
      is_active: true,
      is_staff: false,
      is_superuser: false,
    });
    const granted = await admin.patch(superuser.access, target.id, { is_staff: true, is_active: true });
    expect(granted.body).toMatchObject({ full_name: 'After Name', is_staff: true, is_active: true });
    expect((await admin.get(superuser.access, target.id)).body).toEqual(granted.body);
  });

  it('PATCH without any known field answers 400 validation_error instead of silently changing nothing', async () => {
    const staff = await createAccount('staff');
    const target = await createAccount('user');
    for (const body of [{}, { is_activ: false }]) {
      const res = await admin.patch(staff.access, target.id, body);
      expectProblem(res, 400, 'validation_error');
      expect(res.body.errors).toEqual([
        { field: 'body', message: 'Provide at least one of: full_name, is_active, is_staff, email_verified.' },
      ]);
    }
    const none = await onUser(updateHandler, 'PATCH')(staff.access, target.id);
    expectProblem(none, 400, 'validation_error');
  });

  it('PATCH validates each field', async () => {
    const staff = await createAccount('staff');
    const target = await createAccount('user');
    const res = await admin.patch(staff.access, target.id, { full_name: '   ', is_active: 'no', is_staff: null });
    expectProblem(res, 400, 'validation_error');
    expect(res.body.errors).toEqual([
      { field: 'full_name', message: 'This field may not be blank.' },
      { field: 'is_active', message: 'Must be true or false.' },
      { field: 'is_staff', message: 'This field may not be null.' },
    ]);
  });

  it('a deactivated user can no longer refresh, and their unexpired access token gets 401 on /me', async () => {
    const staff = await createAccount('staff');
    const target = await createAccount('user');
    expect((await me(target.access)).status).toBe(200);
    const res = await admin.patch(staff.access, target.id, { is_active: false });
    expect(res.status).toBe(200);
    expect(res.body.is_active).toBe(false);
    expectProblem(await refresh(target.refresh), 401, 'invalid_refresh_token');
    expectProblem(await me(target.access), 401, 'not_authenticated');
    expectProblem(await login(target.email, target.password), 401, 'invalid_credentials');
    const revoked =
      await sql()`select count(*)::int as live from refresh_tokens where user_id = ${target.id} and revoked_at is null`;
    expect(revoked[0]!.live).toBe(0);

    expect((await admin.patch(staff.access, target.id, { is_active: true })).body.is_active).toBe(true);
    expect((await login(target.email, target.password)).status).toBe(200);
  });

  it('a deleted user is gone: 404 for staff, 401 for their refresh and access tokens', async () => {
    const staff = await createAccount('staff');
    const target = await createAccount('user');
    const res = await admin.delete(staff.access, target.id);
    expect(res.status).toBe(204);
    expectProblem(await admin.get(staff.access, target.id), 404, 'not_found');
    expectProblem(await admin.delete(staff.access, target.id), 404, 'not_found');
    expectProblem(await refresh(target.refresh), 401, 'invalid_refresh_token');
    expectProblem(await me(target.access), 401, 'not_authenticated');
    expect(await sql()`select 1 from refresh_tokens where user_id = ${target.id}`).toHaveLength(0);
  });
});

describe('POST /api/admin/users/{id}/revoke-sessions', () => {
  it('revokes every refresh token of the user, with or without a body', async () => {
    const staff = await createAccount('staff');
    const target = await createAccount('user');
    const second = await login(target.email, target.password);
    expect((await admin.revokeSessions(staff.access, target.id)).status).toBe(204);
    expectProblem(await refresh(target.refresh), 401, 'invalid_refresh_token');
    expectProblem(await refresh(second.body.refresh), 401, 'invalid_refresh_token');
    // Their sessions ended, so their access tokens stop at once too.
    expect((await me(target.access)).status).toBe(401);

    const third = await login(target.email, target.password);
    expect((await admin.revokeSessions(staff.access, target.id, { body: {} })).status).toBe(204);
    expectProblem(await refresh(third.body.refresh), 401, 'invalid_refresh_token');
    expect((await admin.revokeSessions(staff.access, target.id, { rawBody: '' })).status).toBe(204);
  });
});

describe('audit log', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one "admin action" line per change, naming actor, target and changes, without secrets', async () => {
    const fresh = (path: string) => freshHandler(path, { LOG_LEVEL: 'info' });
    const [update, remove, revoke] = [
      await fresh('functions/admin-user-update.ts'),
      await fresh('functions/admin-user-delete.ts'),
      await fresh('functions/admin-user-revoke-sessions.ts'),
    ];
    const staff = await createAccount('staff');
    const target = await createAccount('user', { fullName: 'Audit Target' });
    const logs = captureLogs();
    await onUser(update, 'PATCH')(staff.access, target.id, { body: { full_name: 'Secret Name', is_active: false } });
    await onUser(revoke, 'POST', '/revoke-sessions')(staff.access, target.id);
    await onUser(remove, 'DELETE')(staff.access, target.id);
    logs.restore();

    const audits = logs.lines().filter((entry) => entry.message === 'admin action');
    expect(audits).toEqual([
      expect.objectContaining({
        level: 'info',
        action: 'user.update',
        actor_id: staff.id,
        target_id: target.id,
        changes: { full_name: 'changed', is_active: { from: true, to: false }, sessions_revoked: 1 },
      }),
      expect.objectContaining({
        action: 'user.revoke_sessions',
        actor_id: staff.id,
        target_id: target.id,
        changes: { sessions_revoked: 0 },
      }),
      expect.objectContaining({
        action: 'user.delete',
        actor_id: staff.id,
        target_id: target.id,
        changes: { deleted: true, sessions_revoked: 0 },
      }),
    ]);
    const text = logs.text();
    for (const secret of [staff.access, target.refresh, target.password, 'Secret Name'])
      expect(text).not.toContain(secret);
  });
});
