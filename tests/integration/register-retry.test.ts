/**
 * A registration whose INSERT commits after the request gave up (503) must not lock its owner
 * out: the client's retry with the same email and password answers 201, once.
 *
 * A trigger makes Postgres commit late, only for this file's emails: the request's budget
 * (REQUEST_DEADLINE_MS=2000 here) runs out while the INSERT is still running (4 s, under this
 * file's 8 s statement timeout), so the request answers 503 and the server then commits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.REQUEST_DEADLINE_MS = '2000';
process.env.DB_STATEMENT_TIMEOUT_MS = '8000';
const { handler: registerHandler } = await import('../../functions/auth-register.js');
const { handler: meHandler } = await import('../../functions/auth-me.js');
const { sql } = await import('../../lib/db/sql.js');
const { call, expectProblem } = await import('../helpers/http.js');
const { STRONG_PASSWORD, uniqueEmail } = await import('../helpers/users.js');

const PREFIX = 'slow-commit-';

beforeAll(async () => {
  // A warm process: the first request's cold imports and connections must not eat the budget.
  for (let attempt = 0; attempt < 5; attempt++) if ((await register(uniqueEmail('warm-up'))).status === 201) break;
  await sql().unsafe(`
    create or replace function test_slow_commit() returns trigger language plpgsql as $$
    begin perform pg_sleep(4); return new; end $$;
    create trigger test_slow_commit after insert on users for each row
      when (new.email like '${PREFIX}%') execute function test_slow_commit();`);
});
afterAll(async () => {
  await sql().unsafe('drop trigger if exists test_slow_commit on users; drop function if exists test_slow_commit();');
});

const register = (email: string, password = STRONG_PASSWORD) =>
  call(registerHandler, 'POST', '/api/auth/register', { body: { email, password, full_name: 'Retry Person' } });

async function committedUser(email: string): Promise<{ id: string; sessions: number } | undefined> {
  for (let i = 0; i < 50; i++) {
    const [row] = await sql()<{ id: string; sessions: number }[]>`
      select u.id, (select count(*)::int from refresh_tokens t where t.user_id = u.id) as sessions from users u where u.email = ${email}`;
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

describe('register retried after a 503', () => {
  it('the same email and password answer 201 once (a new session); a wrong password or a second retry get 409', async () => {
    const email = uniqueEmail(PREFIX.slice(0, -1));
    const first = await register(email);
    expectProblem(first, 503, 'service_unavailable');

    const committed = await committedUser(email);
    expect(committed, 'the first attempt committed after its 503').toBeDefined();
    expect(committed!.sessions).toBe(1);

    expect((await register(email, 'some-Other-phrase-55')).status).toBe(409);
    const retry = await register(email);
    expect(retry.status, retry.rawBody).toBe(201);
    expect(retry.body.user.id).toBe(committed!.id);
    expect((await call(meHandler, 'GET', '/api/auth/me', { token: retry.body.access })).status).toBe(200);

    const again = await register(email);
    expectProblem(again, 409, 'email_taken');
    expect((await committedUser(email))!.sessions).toBe(2);
  });

  it('a registration that did not fail stays 409 for a duplicate, even with the same password', async () => {
    const email = uniqueEmail('no-failure');
    expect((await register(email)).status).toBe(201);
    expect((await register(email)).status).toBe(409);
  });
});
