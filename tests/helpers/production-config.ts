/** The configuration a deployed function would parse, for tests of production-only rules. */
import { loadConfig } from '../../lib/config.js';

/** Every variable production requires, with `env` on top (an empty string unsets one). */
export const PRODUCTION_ENV: Record<string, string> = {
  APP_ENV: 'production',
  SECRET_KEY: 'p'.repeat(40),
  DATABASE_URL: 'postgres://app@db.internal:5432/auth',
  REDIS_URL: 'redis://cache.internal:6379',
  FRONTEND_URL: 'https://app.example.com',
  DEFAULT_FROM_EMAIL: 'no-reply@example.com',
};

/** Parses a production configuration: `PRODUCTION_ENV` with `env` on top. */
export const productionConfig = (env: Record<string, string>) => loadConfig({ ...PRODUCTION_ENV, ...env });
