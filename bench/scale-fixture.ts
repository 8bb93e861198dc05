/**
 * Fills a database with production-sized tables for `npm run bench -- --scale 1m`: N users, N
 * sessions and 10 × N refresh-token rows (one family of ten rotations per user: nine rotated, one live, with
 * timestamps spread over the refresh lifetime), generated inside Postgres with `generate_series`
 * (no rows cross the wire). Secondary indexes are dropped during the load and rebuilt afterwards
 * (several times faster than maintaining them row by row), then the tables are analysed so the
 * planner sees real statistics.
 */
import postgres from 'postgres';

/** `1m` → 1,000,000; `250k` → 250,000; `5000` → 5,000. */
export function parseScale(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(value.trim());
  if (!match) throw new Error(`--scale takes a count like 1m, 250k or 5000 (got "${value}")`);
  const factor = { '': 1, k: 1_000, m: 1_000_000 }[match[2]!.toLowerCase() as '' | 'k' | 'm'];
  return Math.round(Number(match[1]) * factor);
}

/** A real bcrypt hash (cost 4) of a password nobody uses: every fixture user can be looked up, none signs in. */
const FIXTURE_PASSWORD_HASH = '$2b$04$0CDOJ4Yx1pfDrxR8WXqWYOUQXd0lgkrZ3ZFlX7XcfH8EAp9rj9rdS';
const TOKENS_PER_USER = 10;

export interface FixtureReport {
  users: number;
  refreshTokens: number;
  seconds: { users: number; refreshTokens: number; indexes: number; analyze: number; total: number };
  sizes: Record<string, string>;
}

export async function loadScaleFixture(
  databaseUrl: string,
  users: number,
  log: (line: string) => void = () => {},
): Promise<FixtureReport> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  const started = performance.now();
  const lap = (() => {
    let last = performance.now();
    return () => {
      const now = performance.now();
      const seconds = (now - last) / 1000;
      last = now;
      return Math.round(seconds * 10) / 10;
    };
  })();
  try {
    await sql`set synchronous_commit = off`;
    await sql`set maintenance_work_mem = '512MB'`;
    await sql`set max_parallel_maintenance_workers = 2`;

    // Secondary indexes, rebuilt after the load (their definitions read back from the catalogue,
    // so this follows the migrations instead of repeating them).
    const indexes = await sql<{ name: string; definition: string }[]>`
      select indexname as name, indexdef as definition from pg_indexes
      where schemaname = 'public' and tablename in ('users', 'refresh_tokens', 'sessions')
        and indexname not in (select conname from pg_constraint where contype in ('p', 'u'))`;
    for (const index of indexes) await sql.unsafe(`drop index "${index.name}"`);
    // Foreign keys too: checked row by row they cost more than the rows; re-adding one validates
    // the whole table in one join.
    const foreignKeys = await sql<{ table: string; name: string; definition: string }[]>`
      select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
      where contype = 'f' and conrelid::regclass::text in ('users', 'refresh_tokens', 'sessions')`;
    for (const fk of foreignKeys) await sql.unsafe(`alter table ${fk.table} drop constraint "${fk.name}"`);

    log(`  users: ${users.toLocaleString('en')} rows`);
    await sql`
      insert into users (id, email, password, full_name, date_joined, last_login, email_verified)
      select
        md5('scale-user-' || g)::uuid,
        'scale-' || g || '@scale.example',
        ${FIXTURE_PASSWORD_HASH},
        'Scale User ' || g,
        now() - make_interval(secs => g),
        case when g % 3 = 0 then null else now() - make_interval(secs => g % 86400) end,
        g % 2 = 0
      from generate_series(1, ${users}::int) as g`;
    const usersS = lap();

    const tokens = users * TOKENS_PER_USER;
    log(`  refresh_tokens: ${tokens.toLocaleString('en')} rows`);
    // Row g is rotation (g % 10) of user (g / 10): rotations 0–8 rotated, 9 live. The family id is
    // derived from the user (one sign-in each), the parent from the previous row. Chunks of a million
    // rows, two at a time (one per core).
    const chunks: [number, number][] = [];
    for (let from = 0; from < tokens; from += 1_000_000) chunks.push([from, Math.min(from + 1_000_000, tokens) - 1]);
    await inParallel(
      databaseUrl,
      2,
      chunks,
      (own, [from, to]) => own`
      insert into refresh_tokens (id, token_hash, family_id, parent_id, user_id, issued_at, expires_at, rotated_at, revoked_at, created_ip, user_agent)
      select
        md5('scale-token-' || g)::uuid,
        encode(sha256(('scale-token-' || g)::bytea), 'hex'),
        md5('scale-family-' || (g / ${TOKENS_PER_USER}))::uuid,
        case when g % ${TOKENS_PER_USER} = 0 then null else md5('scale-token-' || (g - 1))::uuid end,
        md5('scale-user-' || (g / ${TOKENS_PER_USER} + 1))::uuid,
        issued,
        issued + interval '7 days',
        case when g % ${TOKENS_PER_USER} = ${TOKENS_PER_USER - 1} then null else issued + interval '30 minutes' end,
        null,
        '203.0.113.' || (g % 250 + 1),
        'Mozilla/5.0 (fixture)'
      from generate_series(${from}::int, ${to}::int) as g,
        lateral (select now() - make_interval(mins => (${TOKENS_PER_USER - 1} - g % ${TOKENS_PER_USER}) * 30 + (g / ${TOKENS_PER_USER}) % 1440)) as t(issued)`,
    );
    // One session per family (the sign-in the refresh tokens belong to), live, last used by the
    // family's newest rotation.
    await sql`
      insert into sessions (id, user_id, created_at, last_used_at, expires_at, ip, user_agent)
      select
        md5('scale-family-' || f)::uuid,
        md5('scale-user-' || (f + 1))::uuid,
        now() - make_interval(mins => ${(TOKENS_PER_USER - 1) * 30} + f % 1440),
        now() - make_interval(mins => f % 1440),
        now() - make_interval(mins => f % 1440) + interval '7 days',
        '203.0.113.' || (f % 250 + 1),
        'Mozilla/5.0 (fixture)'
      from generate_series(0, ${users - 1}::int) as f`;
    const tokensS = lap();

    log(`  rebuilding ${indexes.length} secondary indexes and ${foreignKeys.length} foreign keys`);
    await inParallel(databaseUrl, 2, indexes, (own, index) => own.unsafe(index.definition));
    for (const fk of foreignKeys)
      await sql.unsafe(`alter table ${fk.table} add constraint "${fk.name}" ${fk.definition}`);
    const indexesS = lap();
    await sql`vacuum analyze users`;
    await sql`vacuum analyze refresh_tokens`;
    await sql`vacuum analyze sessions`;
    const analyzeS = lap();

    const sizes = await sql<{ name: string; size: string }[]>`
      select relname as name, pg_size_pretty(pg_total_relation_size(oid)) as size from pg_class where relname in ('users', 'refresh_tokens', 'sessions')`;
    return {
      users,
      refreshTokens: tokens,
      seconds: {
        users: usersS,
        refreshTokens: tokensS,
        indexes: indexesS,
        analyze: analyzeS,
        total: Math.round((performance.now() - started) / 100) / 10,
      },
      sizes: Object.fromEntries(sizes.map((s) => [s.name, s.size])),
    };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Runs `work` over `items` on `connections` connections of their own (Postgres works on each in parallel). */
async function inParallel<T>(
  databaseUrl: string,
  connections: number,
  items: T[],
  work: (sql: postgres.Sql, item: T) => Promise<unknown>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(connections, items.length) }, async () => {
      const own = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      try {
        await own`set synchronous_commit = off`;
        await own`set maintenance_work_mem = '256MB'`;
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(own, item);
      } finally {
        await own.end({ timeout: 1 });
      }
    }),
  );
}
