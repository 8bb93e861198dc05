import { defineConfig } from 'vitest/config';
import { generatedModulesVite } from './tools/build/generated-modules.js';

export default defineConfig({
  // The `*.generated.js` modules are built from their sources, as in the Lambda bundles.
  plugins: [generatedModulesVite()],
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    setupFiles: ['tests/helpers/setup-env.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The machine has 2 cores; bcrypt-heavy and browser tests fight for them.
    maxWorkers: 2,
  },
});
