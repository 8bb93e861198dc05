import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../tools/db/migrate.js';
import { dropDatabase, uniqueDatabaseUrl } from './helpers/database.js';

const created: string[] = [];
const newDatabase = (label: string) => {
  const url = uniqueDatabaseUrl(process.env.DATABASE_URL!, label);
  created.push(url);
  return url;
};

async function tables(url: string): Promise<string[]> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await client`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
    return rows.map((r) => r.table_name as string);
  } finally {
    await client.end();
  }
}

async function appliedMigrations(url: string): Promise<number> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client`select count(*)::int as n from drizzle.__drizzle_migrations`;
    return row!.n as number;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all(created.map(dropDatabase));
});

describe('db:migrate', () => {
  it('creates a missing database and applies every migration', async () => {
    const url = newDatabase('fresh');
    expect(await migrateDatabase(url)).toEqual({ created: true });
    expect(await tables(url)).toContain('users');
  });

  it('is a no-op on an up-to-date database', async () => {
    const url = newDatabase('rerun');
    await migrateDatabase(url);
    const before = await appliedMigrations(url);
    expect(await migrateDatabase(url)).toEqual({ created: false });
    expect(await appliedMigrations(url)).toBe(before);
  });

  it('is safe when several run at once on a database that does not exist yet', async () => {
    const url = newDatabase('concurrent');
    const results = await Promise.allSettled([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.created)).toHaveLength(1);
    expect(await tables(url)).toContain('users');
  });

  it('enforces one account per email whatever its case', async () => {
    const url = newDatabase('unique');
    await migrateDatabase(url);
    const client = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await client`insert into users (email, password, full_name) values ('ann@example.com', 'x', 'Ann')`;
      await expect(client`insert into users (email, password, full_name) values ('ANN@example.com', 'x', 'Ann')`).rejects.toMatchObject({ code: '23505' });
    } finally {
      await client.end();
    }
  });
});
