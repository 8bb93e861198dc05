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
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export { schema };
