/**
 * Generates the modules that embed static files into the Lambda bundles (Swagger UI and ReDoc
 * assets, the admin page). They are gitignored build products, so npm's pre-hooks run this before
 * `dev`, `test`, `typecheck` and `package`: a fresh clone needs no extra step.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

for (const script of ['docs-assets.ts', 'generate-admin-page.ts']) {
  execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))], { stdio: 'inherit' });
}
