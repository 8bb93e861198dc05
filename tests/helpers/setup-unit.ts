/**
 * The unit project has no services: each address is a closed port, so a unit test that reaches
 * for the database, Redis or SES fails at once (it belongs in tests/integration) instead of
 * passing only on machines where they happen to run.
 */
const CLOSED = '127.0.0.1:1';

process.env.DATABASE_URL = `postgres://postgres@${CLOSED}/no_database_in_unit_tests`;
process.env.REDIS_URL = `redis://${CLOSED}`;
delete process.env.UPSTASH_REDIS_REST_URL;
delete process.env.UPSTASH_REDIS_REST_TOKEN;
process.env.SES_ENDPOINT = `http://${CLOSED}`;
