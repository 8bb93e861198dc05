/**
 * The one postgres.js connection pool of this process. Created lazily at first use and kept in
 * module scope, so a warm Lambda reuses its connection across invocations instead of paying a
 * TCP + auth handshake per request.
 */
import postgres from 'postgres';
import { config } from '../config.js';
import { onRequestOverrun, requestOverran } from '../deadline.js';
import { DependencyError } from '../dependencies.js';

let client: postgres.Sql | undefined;

/** The name this service's connections carry in `pg_stat_activity`. */
export const APPLICATION_NAME = 'auth-service';

/** The shared postgres.js client (drizzle runs on top of it: see `lib/db/index.ts`). */
export function sql(): postgres.Sql {
  // The budget is spent: a query started now could hang past it again, unbounded.
  if (requestOverran()) throw new DependencyError('database', new Error('request deadline passed'));
  client ??= postgres(config.database.url, {
    // One Lambda instance serves one request at a time: a larger pool only holds idle
    // connections that count against max_connections across thousands of instances.
    max: config.database.poolMax,
    connect_timeout: config.database.connectTimeoutS,
    // A transaction-mode pooler hands each transaction to any server connection: a statement
    // prepared on one is unknown on the next ("prepared statement … does not exist").
    prepare: config.database.prepare,
    // Close connections the instance no longer needs before a frozen Lambda leaves them dangling.
    idle_timeout: config.database.idleTimeoutS,
    max_lifetime: 30 * 60,
    onnotice: () => {},
    // No array-type lookup per new connection: one round trip less on a cold start, and
    // postgres.js runs it outside any caller's promise, so a connection dying during it was an
    // unhandled rejection (which ends a Lambda runtime). No column or parameter here is an array.
    fetch_types: false,
    connection: {
      application_name: APPLICATION_NAME,
      // Behind a transaction-mode pooler (DB_PREPARE=false) these are not sent: PgBouncer refuses
      // unknown startup parameters, and a pooled server connection would not keep them anyway. Set
      // them on the database role there (docs/connection-poolers.md); the request deadline
      // (lib/deadline.ts) bounds every route either way.
      ...(config.database.prepare
        ? {
            // The server cancels a statement (a lock wait included) that runs past this: 503, not a hang.
            statement_timeout: config.database.statementTimeoutMs,
            // A transaction whose client vanished mid-way (a cut connection, a killed Lambda) releases
            // its row locks after this instead of blocking that user until the server notices.
            idle_in_transaction_session_timeout: config.database.statementTimeoutMs * 2,
          }
        : {}),
    },
  });
  return client;
}

/**
 * A request that overran its budget drops the pool: the hung connection is destroyed (its
 * pending query rejects, so the request answers 503) and the next request connects afresh, so
 * the function recovers without a restart.
 */
onRequestOverrun(() => {
  const current = client;
  if (!current) return;
  client = undefined;
  void current.end({ timeout: 0 }).catch(() => {});
});

/** Closes the pool (scripts and tests; a Lambda never needs to). */
export async function closeSql(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.end({ timeout: 1 });
}
