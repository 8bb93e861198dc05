import { describe, expect, it } from 'vitest';
import { generatePrivateJwk } from '../../tools/auth/keys-generate.js';
import { ConfigError, loadConfig, parseRateLimit } from '../../lib/config.js';
import { productionConfig } from '../helpers/production-config.js';

const SIGNING_KEYS = JSON.stringify([generatePrivateJwk('EdDSA', 'k1')]);

const production = (env: Record<string, string>) => productionConfig({ JWT_PRIVATE_KEYS: SIGNING_KEYS, ...env });

describe('configuration', () => {
  it('runs a fresh clone with no environment at all, pointing at the local services', () => {
    const config = loadConfig({});
    expect(config.appEnv).toBe('development');
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/auth_service');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.email.sesEndpoint).toBe('http://127.0.0.1:8005');
    expect(config.jwt.accessTtlS).toBe(30 * 60);
    expect(config.jwt.refreshTtlS).toBe(7 * 86400);
    expect(config.rateLimits.login).toEqual({ limit: 5, windowS: 900 });
  });

  it('treats a deployed Lambda as production and refuses to start without SECRET_KEY', () => {
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'auth-health' })).toThrow(/SECRET_KEY is required/);
  });

  it('treats serverless-offline as development even though it sets AWS_LAMBDA_FUNCTION_NAME', () => {
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'auth-health', IS_OFFLINE: 'true' }).appEnv).toBe('development');
  });

  it('names a weak SECRET_KEY outside development', () => {
    expect(() => production({ SECRET_KEY: 'short' })).toThrow(ConfigError);
    expect(() => production({ SECRET_KEY: 'short' })).toThrow(/SECRET_KEY must be at least 32 characters/);
  });

  it('accepts a complete production configuration', () => {
    const config = production({});
    expect(config.isDevelopment).toBe(false);
    expect(config.email.sesEndpoint).toBeUndefined();
    expect(config.allowedHosts).toEqual([]);
  });

  it('requires a database, Redis, FRONTEND_URL and DEFAULT_FROM_EMAIL in production', () => {
    expect(() => production({ DATABASE_URL: '' })).toThrow(/DATABASE_URL is required/);
    expect(() => production({ REDIS_URL: '' })).toThrow(/REDIS_URL or UPSTASH_REDIS_REST_URL is required/);
    expect(() => production({ FRONTEND_URL: '' })).toThrow(/FRONTEND_URL is required/);
    expect(() => production({ DEFAULT_FROM_EMAIL: '' })).toThrow(/DEFAULT_FROM_EMAIL is required/);
  });

  it('builds the database URL from the Django DB_* variables when DATABASE_URL is not set', () => {
    const config = production({
      DATABASE_URL: '',
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
      DB_NAME: 'auth',
      DB_USER: 'app',
      DB_PASSWORD: 'p@ss word',
    });
    expect(config.database.url).toBe('postgres://app:p%40ss%20word@db.internal:6543/auth');
  });

  it('lets DATABASE_URL win over DB_*', () => {
    expect(production({ DB_HOST: 'ignored' }).database.url).toBe('postgres://app@db.internal:5432/auth');
  });

  it('lets Upstash REST win over REDIS_URL, and requires its token', () => {
    const config = production({ UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 't0k' });
    expect(config.redis.rest).toEqual({ url: 'https://eu1.upstash.io', token: 't0k' });
    expect(() => production({ UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io' })).toThrow(
      /UPSTASH_REDIS_REST_TOKEN is required/,
    );
  });

  it('drops the development REDIS_URL default when only Upstash is configured', () => {
    const config = loadConfig({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', UPSTASH_REDIS_REST_TOKEN: 'x' });
    expect(config.redis.url).toBeUndefined();
  });

  it('counts empty strings as unset (serverless.yml passes ${env:X, ""})', () => {
    expect(loadConfig({ ACCESS_TOKEN_LIFETIME_MIN: '' }).jwt.accessTtlS).toBe(1800);
  });

  it('names every invalid variable with what it expects', () => {
    expect(() => loadConfig({ BCRYPT_ROUNDS: 'twelve', RATE_LIMIT_LOGIN: '5 per minute' })).toThrow(
      /BCRYPT_ROUNDS must be a whole number.*RATE_LIMIT_LOGIN must be <count>\/<window>/,
    );
    expect(() => loadConfig({ BCRYPT_ROUNDS: '31' })).toThrow(/BCRYPT_ROUNDS must be at most 15/);
    expect(() => loadConfig({ APP_ENV: 'staging' })).toThrow(/APP_ENV must be development, test or production/);
  });

  it('parses rate limits with s, m, h and d windows, and off', () => {
    expect(parseRateLimit('5/15m')).toEqual({ limit: 5, windowS: 900 });
    expect(parseRateLimit('100/1m')).toEqual({ limit: 100, windowS: 60 });
    expect(parseRateLimit('3/h')).toEqual({ limit: 3, windowS: 3600 });
    expect(parseRateLimit('10/2d')).toEqual({ limit: 10, windowS: 172800 });
    expect(parseRateLimit('7/30s')).toEqual({ limit: 7, windowS: 30 });
    expect(parseRateLimit('OFF')).toBeNull();
    expect(parseRateLimit('0/1m')).toBeUndefined();
    expect(parseRateLimit('5/15x')).toBeUndefined();
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });
});

describe('documentation of the configuration', () => {
  it('lists every variable in .env.example and passes each one through serverless.yml', async () => {
    const { readFileSync } = await import('node:fs');
    const { CONFIG_VARIABLES } = await import('../../lib/config.js');
    const example = readFileSync('.env.example', 'utf8');
    const serverless = readFileSync('serverless.yml', 'utf8');
    // Set per function by serverless/functions.cjs (from lib/http/routes.json), not by the operator.
    const perFunction = new Set(['V8_TURBOFAN']);
    const functions = readFileSync('serverless/functions.cjs', 'utf8');
    const names = [...CONFIG_VARIABLES, 'APP_ENV', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'];
    for (const name of names) {
      expect(example, `.env.example lacks ${name}`).toMatch(new RegExp(`^${name}=`, 'm'));
      if (perFunction.has(name)) expect(functions, `serverless/functions.cjs lacks ${name}`).toContain(`${name}: `);
      else expect(serverless, `serverless.yml lacks ${name}`).toMatch(new RegExp(`^\\s+${name}: `, 'm'));
    }
  });
});
