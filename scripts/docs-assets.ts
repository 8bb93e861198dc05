/**
 * `npm run docs:assets` (and before `dev`, `test`, `typecheck`, `package`): writes the gitignored
 * modules the documentation functions embed: Swagger UI and ReDoc assets, and openapi.yaml.
 */
import { writeDocsAssets, writeSpecModule } from '../lib/docs/build.js';

const wrote = [writeDocsAssets() && 'lib/docs/assets.generated.ts', writeSpecModule() && 'lib/openapi/spec.generated.ts'].filter(Boolean);
console.log(wrote.length ? `Docs assets: wrote ${wrote.join(', ')}.` : 'Docs assets: up to date.');
