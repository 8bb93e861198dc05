/**
 * Runs in every test worker, of every project, before any test file imports `lib/`: the test
 * configuration that needs no service. Where the services are, setup-services.ts adds their
 * addresses; in the unit project, setup-unit.ts points them at a closed port.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

process.env.APP_ENV = 'test';
process.env.DB_POOL_MAX ??= '10';
// Cheap hashes keep the suite fast; the cost factor itself is measured by `npm run bench`.
process.env.BCRYPT_ROUNDS ??= '4';
// A namespace per worker run, so parallel runs never see each other's keys.
process.env.REDIS_KEY_PREFIX = `test:${inject('runId') ?? randomBytes(3).toString('hex')}:`;
process.env.LOG_LEVEL ??= 'error';
// The anti-enumeration floor is tested on its own; elsewhere it would only slow the suite.
process.env.FORGOT_PASSWORD_MIN_RESPONSE_MS ??= '0';
process.env.VERIFY_EMAIL_RESEND_MIN_RESPONSE_MS ??= '0';
// One Lambda serves one request; a test process serves dozens at once on a loaded 2-core machine,
// where a pool queue alone can pass the 2 s dependency budget and drop the pool shared by all.
// tests/integration/faults.test.ts runs with the real default.
process.env.REQUEST_DEADLINE_MS ??= '10000';
