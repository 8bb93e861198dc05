/**
 * CI's size budget: fails when any function's deployment zip exceeds its budget. Sizes are
 * deterministic, so this is a check; timings are not, so they live in `npm run bench`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every API function's budget. */
export const BUDGET_BYTES = 250 * 1024;
/**
 * The docs function carries Swagger UI and ReDoc themselves (the contract wants them served with
 * no CDN); those assets alone are ~700 KB compressed, so it has its own, explicit budget.
 */
export const BUDGET_OVERRIDES: Record<string, number> = { docsPages: 1536 * 1024 };

const dir = process.argv[2] ?? '.serverless';
const zips = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.zip')) : [];
if (zips.length === 0) {
  console.error(`No function zips in ${dir}: run \`npm run package\` first.`);
  process.exit(1);
}
let failed = false;
for (const zip of zips.sort()) {
  const name = zip.replace(/\.zip$/, '');
  const size = statSync(join(dir, zip)).size;
  const budget = BUDGET_OVERRIDES[name] ?? BUDGET_BYTES;
  const ok = size <= budget;
  failed ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'OVER'} ${name.padEnd(28)} ${(size / 1024).toFixed(1).padStart(8)} KB  (budget ${budget / 1024} KB)`,
  );
}
if (failed) {
  console.error('\nA function is over its size budget: keep dependencies it does not use out of its bundle.');
  process.exit(1);
}
