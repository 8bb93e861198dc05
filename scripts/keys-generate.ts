/**
 * `npm run keys:generate [-- --alg ES256] [--kid NAME]` — prints a new private JWK for
 * JWT_PRIVATE_KEYS (on stdout, one line, nothing else, so it can be piped). Add it to the array,
 * deploy, then point JWT_ACTIVE_KID at it: docs/signing-keys-and-sessions.md.
 */
import { parseArgs } from 'node:util';
import { generatePrivateJwk } from '../tools/auth/keys-generate.js';

const { values } = parseArgs({
  options: {
    alg: { type: 'string', default: 'EdDSA' },
    kid: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'Usage: npm run keys:generate [-- --alg EdDSA|ES256] [--kid NAME]\nPrints a new private JWK (JSON) for JWT_PRIVATE_KEYS.',
  );
  process.exit(0);
}
if (values.alg !== 'EdDSA' && values.alg !== 'ES256') {
  console.error(`--alg must be EdDSA or ES256 (got "${values.alg}")`);
  process.exit(2);
}
console.log(JSON.stringify(generatePrivateJwk(values.alg, values.kid)));
