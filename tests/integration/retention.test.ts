/**
 * The retention job (lib/retention/prune.ts) against real Postgres: what goes, what stays, in
 * batches no larger than asked, and a refresh_tokens table that stays bounded under steady use.
 *
 * The job deletes across the whole (shared) test database, so every run here either looks at
 * rows far older than anything another test writes, or replays the past through `now`.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { handler as scheduledPrune } from '../../functions/scheduled-prune.js';
import { config } from '../../lib/config.js';
import { sql } from '../../lib/db/sql.js';
import { PRUNE_STEPS, pruneExpiredRows } from '../../lib/retention/prune.js';
import { createAccount } from '../helpers/admin.js';
import { lambdaContext } from '../helpers/http.js';

const DAY_MS = 86_400_000;
const daysAgo = (days: number, from = Date.now()) => new Date(from - days * DAY_MS);
const securityEventsStep = PRUNE_STEPS.filter((s) => s.name === 'security_events');

/** Inserts `n` events about `userId` created at `at`. */
async function insertEvents(userId: string, at: Date, n: number): Promise<void> {
  await sql()`
    insert into security_events (type, user_id, created_at, details)
    select 'login', ${userId}::uuid, ${at.toISOString()}::timestamptz, '{}'::jsonb from generate_series(1, ${n})`;
}

const eventsOf = async (userId: string) =>
  (await sql()`select created_at from security_events where user_id = ${userId}`).map(
    (r) => new Date(r.created_at as string),
  );

describe('security events', () => {
  it('go once older than AUDIT_RETENTION_DAYS; younger ones stay', async () => {
    const userId = randomUUID();
    const retentionDays = config.auditRetentionS / 86400;
    expect(retentionDays).toBe(365);
    await insertEvents(userId, daysAgo(retentionDays + 1), 3);
    await insertEvents(userId, daysAgo(retentionDays - 1), 2);
    const result = await pruneExpiredRows();
    expect(result.complete).toBe(true);
    expect(result.steps.find((s) => s.name === 'security_events')!.deleted).toBeGreaterThanOrEqual(3);
    const left = await eventsOf(userId);
    expect(left).toHaveLength(2);
    for (const at of left) expect(at.getTime()).toBeGreaterThan(daysAgo(retentionDays).getTime());
  });

  it('go in batches of at most batchSize rows, one statement each', async () => {
    const userId = randomUUID();
    await insertEvents(userId, daysAgo(800), 25);
    const result = await pruneExpiredRows({ batchSize: 10, steps: securityEventsStep });
    expect(result.steps).toEqual([{ name: 'security_events', deleted: 25 }]);
    // 10 + 10 + 5: the short batch says there is nothing left.
    expect(result.batches).toBe(3);
    expect(await eventsOf(userId)).toHaveLength(0);
  });

  it('stops starting batches at the deadline, leaving the rest for the next run', async () => {
    const userId = randomUUID();
    await insertEvents(userId, daysAgo(900), 5);
    const stopped = await pruneExpiredRows({ batchSize: 2, deadline: Date.now() - 1, steps: securityEventsStep });
    expect(stopped).toMatchObject({ complete: false, batches: 0 });
    expect(await eventsOf(userId)).toHaveLength(5);
    expect((await pruneExpiredRows({ batchSize: 2, steps: securityEventsStep })).complete).toBe(true);
    expect(await eventsOf(userId)).toHaveLength(0);
  });
});

describe('refresh tokens', () => {
  /** A family of `n` tokens: a login at `start`, then one refresh every `everyMs`, each rotating its parent. */
  async function simulateRefreshes(userId: string, start: Date, n: number, everyMs: number): Promise<void> {
    const lifetimeMs = config.jwt.refreshTtlS * 1000;
    await sql()`
      insert into refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at, rotated_at)
      select md5(random()::text) || md5(random()::text), ${randomUUID()}::uuid, ${userId}::uuid,
             t, t + ${lifetimeMs} * interval '1 millisecond', t + ${everyMs} * interval '1 millisecond'
      from (select ${start.toISOString()}::timestamptz + i * ${everyMs} * interval '1 millisecond' as t
            from generate_series(0, ${n - 1}) as i) as issued`;
  }
  const tokensOf = async (userId: string) =>
    Number((await sql()`select count(*) from refresh_tokens where user_id = ${userId}`)[0]!.count);

  it('stay bounded while a client refreshes every 30 minutes for five weeks, pruned hourly', async () => {
    const { id: userId } = await createAccount('user');
    const lifetimeDays = config.jwt.refreshTtlS / 86400;
    expect(lifetimeDays).toBe(7);
    const perDay = 48;
    // Replayed far in the past: the cutoffs never reach another test's rows.
    const origin = daysAgo(400).getTime();
    const counts: number[] = [];
    for (let day = 0; day < 35; day++) {
      await simulateRefreshes(userId, new Date(origin + day * DAY_MS), perDay, DAY_MS / perDay);
      for (let hour = 1; hour <= 24; hour += 6)
        await pruneExpiredRows({ now: new Date(origin + day * DAY_MS + hour * 3_600_000) });
      counts.push(await tokensOf(userId));
    }
    // A token is kept while it can be presented (one lifetime) and one lifetime more; no longer.
    const bound = perDay * (2 * lifetimeDays + 1);
    expect(Math.max(...counts)).toBeLessThanOrEqual(bound);
    // Without the job the table would hold every token ever issued.
    expect(35 * perDay).toBeGreaterThan(2 * bound);
    // Steady state: the last two weeks hold about the same number of rows.
    expect(counts.at(-1)! - counts.at(-8)!).toBeLessThanOrEqual(perDay);
  }, 120_000);

  it('keep live tokens, and revoked or expired ones for one lifetime after', async () => {
    const { id: userId } = await createAccount('user');
    const now = Date.now();
    const lifetimeMs = config.jwt.refreshTtlS * 1000;
    const row = (label: string, issuedAgoMs: number, revokedAgoMs: number | null) => ({
      token_hash: `${label}:${randomUUID()}`,
      family_id: randomUUID(),
      user_id: userId,
      issued_at: new Date(now - issuedAgoMs).toISOString(),
      expires_at: new Date(now - issuedAgoMs + lifetimeMs).toISOString(),
      revoked_at: revokedAgoMs === null ? null : new Date(now - revokedAgoMs).toISOString(),
    });
    const rows = [
      row('live', DAY_MS, null),
      row('revoked-recently', DAY_MS, DAY_MS / 2),
      row('revoked-long-ago', 9 * DAY_MS, 8 * DAY_MS),
      row('expired-recently', 10 * DAY_MS, null),
      row('expired-long-ago', 15 * DAY_MS, null),
    ];
    await sql()`insert into refresh_tokens ${sql()(rows)}`;
    await pruneExpiredRows();
    // (createAccount's own session, a live token, is left out by its unlabelled hash.)
    const left = await sql()`select token_hash from refresh_tokens where user_id = ${userId} and token_hash like '%:%'`;
    expect(left.map((r) => (r.token_hash as string).split(':')[0]).sort()).toEqual([
      'expired-recently',
      'live',
      'revoked-recently',
    ]);
  });
});

describe('sessions', () => {
  it('go one lifetime after they expired (every token of theirs has gone by then); live ones stay', async () => {
    const { id: userId } = await createAccount('user');
    const now = Date.now();
    const lifetimeMs = config.jwt.refreshTtlS * 1000;
    const session = (expiresAgoMs: number, revoked: boolean) => ({
      id: randomUUID(),
      user_id: userId,
      created_at: new Date(now - expiresAgoMs - lifetimeMs).toISOString(),
      last_used_at: new Date(now - expiresAgoMs - lifetimeMs).toISOString(),
      expires_at: new Date(now - expiresAgoMs).toISOString(),
      revoked_at: revoked ? new Date(now - expiresAgoMs - lifetimeMs).toISOString() : null,
    });
    const [live, expiredRecently, expiredLongAgo, endedLongAgo] = [
      session(-DAY_MS, false),
      session(DAY_MS, false),
      session(lifetimeMs + DAY_MS, false),
      session(lifetimeMs + DAY_MS, true),
    ];
    await sql()`insert into sessions ${sql()([live, expiredRecently, expiredLongAgo, endedLongAgo])}`;
    await pruneExpiredRows();
    const left =
      await sql()`select id from sessions where id in ${sql()([live.id, expiredRecently.id, expiredLongAgo.id, endedLongAgo.id])}`;
    expect(left.map((r) => r.id).sort()).toEqual([live.id, expiredRecently.id].sort());
  });
});

describe('how the job runs', () => {
  it('the scheduled Lambda prunes and returns its summary', async () => {
    const userId = randomUUID();
    await insertEvents(userId, daysAgo(1000), 2);
    const result = await scheduledPrune({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext());
    expect(result.complete).toBe(true);
    expect(result.steps.map((s) => s.name)).toEqual(PRUNE_STEPS.map((s) => s.name));
    expect(await eventsOf(userId)).toHaveLength(0);
  });

  it('`npm run db:prune` prunes the configured database and prints what it deleted', async () => {
    const userId = randomUUID();
    await insertEvents(userId, daysAgo(1000), 2);
    const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['scripts/prune.ts'], {
      env: { ...process.env },
    });
    expect(stdout).toMatch(/security_events\s+\d+ deleted/);
    expect(stdout).toMatch(/Pruned .* in \d+ ms/);
    expect(await eventsOf(userId)).toHaveLength(0);
  });
});
