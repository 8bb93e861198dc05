/** Drizzle over the shared postgres.js client: the query builder every `lib/` module uses. */
import { drizzle } from 'drizzle-orm/postgres-js';
import * as schema from './schema.js';
import { sql } from './sql.js';

let instance: ReturnType<typeof drizzle<typeof schema>> | undefined;

export function db() {
  const client = sql();
  // A new pool after an overrun (lib/deadline.ts) or closeSql(): rebind to it.
  if (instance?.$client !== client) instance = drizzle(client, { schema });
  return instance;
}

export type Database = ReturnType<typeof db>;

/**
 * A query built once per pool (a named prepared statement): the getter returns the current pool's
 * copy, rebuilt after the pool was replaced (lib/deadline.ts drops it after an overrun), since a
 * statement bound to an ended pool would fail forever.
 */
export function perPool<T>(build: (database: Database) => T): () => T {
  let current: { database: Database; value: T } | undefined;
  return () => {
    const database = db();
    if (current?.database !== database) current = { database, value: build(database) };
    return current.value;
  };
}
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export { schema };
