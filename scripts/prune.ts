/** `npm run db:prune` — runs the retention job (lib/retention/prune.ts) once, now. */
import '../tools/local/load-env.js';
import { config } from '../lib/config.js';
import { closeSql } from '../lib/db/sql.js';
import { pruneExpiredRows } from '../lib/retention/prune.js';
import { describeDatabase, requireServices } from '../tools/local/services.js';

await requireServices({ redis: false });
try {
  const result = await pruneExpiredRows();
  for (const step of result.steps) console.log(`${step.name.padEnd(28)} ${step.deleted} deleted`);
  console.log(
    `Pruned ${describeDatabase(config.database.url)} in ${result.durationMs} ms (${result.batches} batches).`,
  );
} finally {
  await closeSql();
}
