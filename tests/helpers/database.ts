import postgres from 'postgres';

/** A database name unique to this call, on the same server as `baseUrl`. */
export function uniqueDatabaseUrl(baseUrl: string, label: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/auth_test_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  return url.toString();
}

/** Drops the database at `url` (disconnecting anyone still on it). */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    await client.unsafe(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
  } finally {
    await client.end({ timeout: 1 });
  }
}
