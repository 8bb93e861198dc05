import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../tools/db/migrate.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';

const created: string[] = [];
const newDatabase = (label: string) => {
  const url = uniqueDatabaseUrl(process.env.DATABASE_URL!, label);
  created.push(url);
  return url;
};

async function tables(url: string): Promise<string[]> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows =
      await client`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
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
    const results = await Promise.allSettled([
      migrateDatabase(url),
      migrateDatabase(url),
      migrateDatabase(url),
      migrateDatabase(url),
    ]);
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
      await expect(
        client`insert into users (email, password, full_name) values ('ANN@example.com', 'x', 'Ann')`,
      ).rejects.toMatchObject({ code: '23505' });
    } finally {
      await client.end();
    }
  });
});

/**
 * Every column, constraint and index of the public schema, as Postgres itself describes them, so
 * two databases can be compared whatever built them.
 */
async function catalogue(url: string): Promise<string[]> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const columns = await client`
      select table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
        || ' null=' || is_nullable || ' default=' || coalesce(column_default, '-') as line
      from information_schema.columns where table_schema = 'public'`;
    const constraints = await client`
      select conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) as line
      from pg_constraint where connamespace = 'public'::regnamespace`;
    const indexes = await client`select indexdef as line from pg_indexes where schemaname = 'public'`;
    return [...columns, ...constraints, ...indexes].map((r) => r.line as string).sort();
  } finally {
    await client.end();
  }
}

describe('the migrations and lib/db/schema.ts', () => {
  // drizzle-kit runs as the developer runs it, from the project's own binary.
  const drizzleKit = (args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(process.execPath, ['node_modules/drizzle-kit/bin.cjs', ...args], {
      cwd: process.cwd(),
      env: { ...process.env, ...env },
      timeout: 60_000,
    });

  it('build exactly the schema that lib/db/schema.ts declares (columns, constraints, indexes)', async () => {
    const migrated = newDatabase('drift_migrated');
    await migrateDatabase(migrated);
    const declared = newDatabase('drift_declared');
    await migrateDatabase(declared); // creates the database; the push below then finds nothing to add only if they agree
    const empty = postgres(declared, { max: 1, onnotice: () => {} });
    await empty.unsafe('drop schema public cascade; create schema public');
    await empty.end();
    await drizzleKit(['push', '--force'], { DATABASE_URL: declared });
    expect(await catalogue(declared)).toEqual(await catalogue(migrated));
  });

  it('leave drizzle-kit generate nothing to write: drizzle/meta holds the latest snapshot', async () => {
    const out = mkdtempSync(join(tmpdir(), 'drizzle-generate-'));
    try {
      cpSync('drizzle', out, { recursive: true });
      const { stdout, stderr } = await drizzleKit([
        'generate',
        '--dialect',
        'postgresql',
        '--schema',
        'lib/db/schema.ts',
        '--out',
        relative(process.cwd(), out),
      ]); // drizzle-kit prefixes './' to the path
      expect(stdout + stderr).toContain('No schema changes');
      expect(
        readdirSync(out)
          .filter((f) => f.endsWith('.sql'))
          .sort(),
      ).toEqual(
        readdirSync('drizzle')
          .filter((f) => f.endsWith('.sql'))
          .sort(),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
