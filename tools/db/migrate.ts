/**
 * Applies the committed drizzle migrations: creates the database if it is missing, then migrates
 * under a Postgres advisory lock so that two deploys (or two `npm run dev`) running at once
 * cannot race on the migrations table. Idempotent: an up-to-date database is a no-op.
 */
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** An arbitrary constant shared by every migrator of this service ("auth" in ASCII). */
const MIGRATION_LOCK_ID = 0x61757468;

const quiet = { onnotice: () => {}, connect_timeout: 5 } as const;

/** Creates the database named in `url` when it does not exist (safe if two processes race). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = postgres(admin.toString(), { ...quiet, max: 1 });
  try {
    const [row] = await client`select 1 as found from pg_database where datname = ${name}`;
    if (row) return false;
    try {
      await client.unsafe(`create database "${name.replaceAll('"', '""')}"`);
      return true;
    } catch (error) {
      // 42P04 duplicate_database, 23505: another process created it between our check and create.
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  } finally {
    await client.end({ timeout: 1 });
  }
}

/** Brings the database at `url` up to date with `drizzle/`. */
export async function migrateDatabase(url: string): Promise<{ created: boolean }> {
  const created = await ensureDatabase(url);
  // One connection: the advisory lock is held by the session that runs the migrations.
  const client = postgres(url, { ...quiet, max: 1 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  } finally {
    await client.end({ timeout: 1 });
  }
  return { created };
}
