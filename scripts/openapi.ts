/**
 * `npm run openapi`: regenerates openapi.yaml from the route schemas (tools/openapi/document.ts);
 * every build embeds it from there. Commit openapi.yaml with the change that caused it:
 * `tests/unit/openapi.test.ts` fails while the committed file differs from what the code generates.
 */
import { writeFileSync } from 'node:fs';
import { OPENAPI_YAML } from '../tools/build/sources.js';
import { openApiYaml } from '../tools/openapi/document.js';

writeFileSync(OPENAPI_YAML, openApiYaml());
console.log('Wrote openapi.yaml.');
