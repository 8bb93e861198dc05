/** Drizzle over the shared postgres.js client: the query builder every `lib/` module uses. */
import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import * as schema from './schema.js';
import { sql } from './sql.js';

let bound: { client: postgres.Sql; database: ReturnType<typeof drizzle<typeof schema>> } | undefined;

export function db() {
  const client = sql();
  // A new pool after an overrun (lib/deadline.ts) or closeSql(): rebind to it.
  if (bound?.client !== client) bound = { client, database: drizzle(preparedStatements(client), { schema }) };
  return bound.database;
}

/**
 * The client drizzle runs its queries through, with every query sent as a named prepared
 * statement. Drizzle asks postgres.js for an unnamed statement unless a query was given a name,
 * and postgres.js sends an unnamed statement with parameters in two round trips (Parse/Describe
 * first, to learn the parameter types, then Bind/Execute). A named one is described once per
 * connection and costs one round trip from then on: an insert, an update, a transaction's every
 * statement. Our queries have fixed shapes, so each connection prepares a bounded set.
 * `DB_PREPARE=false` (a transaction-mode pooler) still wins: postgres.js prepares nothing then.
 */
function preparedStatements(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      switch (property) {
        case 'unsafe':
          return (query: string, parameters?: never[], options?: postgres.UnsafeQueryOptions) =>
            target.unsafe(query, parameters, { ...options, prepare: true });
        // Transactions and savepoints hand drizzle a client of their own: the same for it.
        case 'begin':
        case 'savepoint':
          return (...args: unknown[]) => {
            const run = args.pop() as (inner: postgres.Sql) => unknown;
            const method = Reflect.get(target, property, target) as (...a: unknown[]) => unknown;
            return method.call(target, ...args, (inner: postgres.Sql) => run(preparedStatements(inner)));
          };
        default:
          return Reflect.get(target, property, receiver);
      }
    },
  });
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
