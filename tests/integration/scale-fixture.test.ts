import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScaleFixture, parseScale } from '../../bench/scale-fixture.js';
import { migrateDatabase } from '../../tools/db/migrate.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';

const url = uniqueDatabaseUrl(process.env.DATABASE_URL!, 'scale');
afterAll(() => dropDatabase(url));

describe('the scale fixture (npm run bench -- --scale 1m)', () => {
  it('reads counts like 1m, 250k and 5000', () => {
    expect(parseScale('1m')).toBe(1_000_000);
    expect(parseScale('250k')).toBe(250_000);
    expect(parseScale('1.5k')).toBe(1_500);
    expect(parseScale('5000')).toBe(5_000);
    expect(() => parseScale('lots')).toThrow(/--scale/);
  });

  it('loads users with ten refresh tokens each, one live per family, and restores every index and foreign key', async () => {
    await migrateDatabase(url);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const catalogue = () => sql`
        select (select count(*)::int from pg_indexes where schemaname = 'public') as indexes,
               (select count(*)::int from pg_constraint where contype = 'f') as foreign_keys`;
      const [before] = await catalogue();
      const report = await loadScaleFixture(url, 1_000);
      expect(report).toMatchObject({ users: 1_000, refreshTokens: 10_000 });
      const [counts] = await sql`
        select (select count(*)::int from users) as users,
               (select count(*)::int from refresh_tokens) as tokens,
               (select count(*)::int from refresh_tokens where rotated_at is null) as live,
               (select count(distinct family_id)::int from refresh_tokens) as families,
               (select count(*)::int from sessions s join refresh_tokens t on t.family_id = s.id and t.rotated_at is null and t.user_id = s.user_id) as sessions,
               (select count(*)::int from refresh_tokens t left join users u on u.id = t.user_id where u.id is null) as orphans`;
      expect(counts).toEqual({
        users: 1_000,
        tokens: 10_000,
        live: 1_000,
        families: 1_000,
        sessions: 1_000,
        orphans: 0,
      });
      expect(await catalogue()).toEqual([before]);
    } finally {
      await sql.end();
    }
  });
});
