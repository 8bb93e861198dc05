/**
 * `npm run dev` — the whole local stack in one command: checks Postgres and Redis, applies
 * migrations, starts the SES emulator (http://localhost:8005) and serverless-offline on
 * http://localhost:3000 (no stage prefix), rebuilding functions on edit.
 */
import '../tools/local/load-env.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { config } from '../lib/config.js';
import { migrateDatabase } from '../tools/db/migrate.js';
import { startSesEmulator } from '../tools/local/ses-local.js';
import { describeDatabase, requireServices } from '../tools/local/services.js';

await requireServices();
await migrateDatabase(config.database.url);
console.log(`Database ${describeDatabase(config.database.url)} is migrated.`);

let ses: Awaited<ReturnType<typeof startSesEmulator>>;
if (config.email.sesEndpoint) {
  const endpoint = new URL(config.email.sesEndpoint);
  if (['127.0.0.1', 'localhost'].includes(endpoint.hostname)) {
    ses = await startSesEmulator(
      endpoint.hostname === 'localhost' ? '127.0.0.1' : endpoint.hostname,
      Number(endpoint.port || 80),
    );
    console.log(`Local SES inbox: http://localhost:${endpoint.port || 80}/ ${ses ? '(started)' : '(already running)'}`);
  }
}

const serverless = fileURLToPath(new URL('../node_modules/.bin/serverless', import.meta.url));
const offline = spawn(serverless, ['offline', 'start', ...process.argv.slice(2)], {
  stdio: 'inherit',
  // The functions read the same environment this script resolved (shell, then .env, then defaults).
  env: { ...process.env, APP_ENV: process.env.APP_ENV ?? 'development' },
});

const stop = (code: number) => {
  ses?.kill();
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    offline.kill(signal);
  });
}
offline.on('exit', (code) => stop(code ?? 0));
