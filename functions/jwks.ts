/**
 * GET /.well-known/jwks.json — the public signing keys, for services that verify our access
 * tokens without a secret. Kept tiny: no database, no Redis, no schemas.
 */
import { publicJwks } from '../lib/auth/keys/jwks.js';
import { config } from '../lib/config.js';
import { api, json } from '../lib/http/api.js';

// Built once per cold start: the keys only change with a deployment.
const body = publicJwks(config.jwt.keys);

export const handler = api().handler(async () => json(200, body, { 'Cache-Control': 'public, max-age=300' }));
