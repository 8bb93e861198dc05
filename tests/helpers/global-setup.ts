/**
 * Once per `npm test`: a fresh database of our own (so runs never collide), migrated; the local
 * SES emulator on a free port; both removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import '../../tools/local/load-env.js';
import { freePort } from './ports.js';

export default async function setup(project: TestProject) {
  process.env.APP_ENV = 'test';
  const { config } = await import('../../lib/config.js');
  const { requireServices } = await import('../../tools/local/services.js');
  const { migrateDatabase } = await import('../../tools/db/migrate.js');
  const { startSesEmulator } = await import('../../tools/local/ses-local.js');
  await requireServices();

  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const url = new URL(config.database.url);
  url.pathname = `/auth_test_${runId}`;
  const databaseUrl = url.toString();
  await migrateDatabase(databaseUrl);

  const sesPort = await freePort();
  const ses = await startSesEmulator('127.0.0.1', sesPort);

  project.provide('databaseUrl', databaseUrl);
  project.provide('sesEndpoint', `http://127.0.0.1:${sesPort}`);
  project.provide('runId', runId);

  return async () => {
    ses?.kill();
    const { dropDatabase } = await import('./database.js');
    await dropDatabase(databaseUrl);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    sesEndpoint: string;
    runId: string;
  }
}
