/** `npm run db:migrate` — creates the database if needed and applies every pending migration. */
import '../tools/local/load-env.js';
import { config } from '../lib/config.js';
import { migrateDatabase } from '../tools/db/migrate.js';
import { describeDatabase, requireServices } from '../tools/local/services.js';

await requireServices({ redis: false });
const started = performance.now();
const { created } = await migrateDatabase(config.database.url);
console.log(
  `${created ? 'Created and migrated' : 'Migrated'} ${describeDatabase(config.database.url)} in ${Math.round(performance.now() - started)} ms.`,
);
