/**
 * `npm run openapi`: regenerates openapi.yaml from the route schemas (lib/openapi/document.ts),
 * then the module that serves it. Commit openapi.yaml with the change that caused it:
 * `tests/openapi.test.ts` fails while the committed file differs from what the code generates.
 */
import { writeFileSync } from 'node:fs';
import { OPENAPI_YAML, writeSpecModule } from '../lib/docs/build.js';
import { openApiYaml } from '../lib/openapi/document.js';

writeFileSync(OPENAPI_YAML, openApiYaml());
writeSpecModule();
console.log('Wrote openapi.yaml.');
