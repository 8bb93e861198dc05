/** The integration and e2e projects: the database and SES emulator the global setup prepared. */
import { inject } from 'vitest';

process.env.DATABASE_URL = inject('databaseUrl');
process.env.SES_ENDPOINT = inject('sesEndpoint');
