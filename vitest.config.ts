import { defineConfig } from 'vitest/config';
import { generatedModulesVite } from './tools/build/generated-modules.js';

/**
 * Three projects (docs/testing.md): `unit` needs no service and gets none (its setup points the
 * database, Redis and SES at a closed port, so a test that reaches for one fails instead of
 * passing by luck); `integration` and `e2e` share the global setup that prepares a database of
 * their own and the SES emulator. A test file still at the top of tests/ (not yet sorted
 * into a folder) runs as integration or e2e, with services, so it never silently stops running.
 */
const withServices = {
  globalSetup: ['tests/helpers/global-setup.ts'],
  setupFiles: ['tests/helpers/setup-env.ts', 'tests/helpers/setup-services.ts'],
};
const E2E_AT_TOP = ['tests/*.e2e.test.ts', 'tests/*-browser.test.ts'];

export default defineConfig({
  // The `*.generated.js` modules are built from their sources, as in the Lambda bundles.
  plugins: [generatedModulesVite()],
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The machine has 2 cores; bcrypt-heavy and browser tests fight for them.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          setupFiles: ['tests/helpers/setup-env.ts', 'tests/helpers/setup-unit.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/*.test.ts'],
          exclude: E2E_AT_TOP,
          ...withServices,
        },
      },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts', ...E2E_AT_TOP], ...withServices } },
    ],
  },
});
