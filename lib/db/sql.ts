/**
 * The one postgres.js connection pool of this process. Created lazily at first use and kept in
 * module scope, so a warm Lambda reuses its connection across invocations instead of paying a
 * TCP + auth handshake per request.
 */
import postgres from 'postgres';
import { config } from '../config.js';

let client: postgres.Sql | undefined;

/** The shared postgres.js client (drizzle runs on top of it: see `lib/db/index.ts`). */
export function sql(): postgres.Sql {
  client ??= postgres(config.database.url, {
    // One Lambda instance serves one request at a time: a larger pool only holds idle
    // connections that count against max_connections across thousands of instances.
    max: config.database.poolMax,
    connect_timeout: config.database.connectTimeoutS,
    // A transaction-mode pooler hands each transaction to any server connection: a statement
    // prepared on one is unknown on the next ("prepared statement … does not exist").
    prepare: config.database.prepare,
    // Close connections the instance no longer needs before a frozen Lambda leaves them dangling.
    idle_timeout: 60,
    max_lifetime: 30 * 60,
    onnotice: () => {},
    connection: { application_name: 'auth-service' },
  });
  return client;
}

/** Closes the pool (scripts and tests; a Lambda never needs to). */
export async function closeSql(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.end({ timeout: 1 });
}
