import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { handler as jwks } from '../../functions/jwks.js';
import { signToken, verifyToken } from '../../lib/auth/jwt.js';
import { generatePrivateJwk } from '../../tools/auth/keys-generate.js';
import { buildKeyring } from '../../lib/auth/keys/keyring.js';
import { config, ConfigError, loadConfig } from '../../lib/config.js';
import { productionConfig } from '../helpers/production-config.js';
import { call } from '../helpers/http.js';
import { importFresh } from '../helpers/fresh.js';

const k1 = generatePrivateJwk('EdDSA', 'k1');
const k2 = generatePrivateJwk('EdDSA', 'k2');
const keysEnv = (...keys: object[]) => JSON.stringify(keys);

const production = productionConfig;

describe('signing key configuration', () => {
  it('stops cold start outside development without a key, naming the variable', () => {
    expect(() => production({})).toThrow(ConfigError);
    expect(() => production({})).toThrow(/JWT_PRIVATE_KEYS is required when JWT_ALGORITHM is EdDSA/);
    expect(production({ JWT_PRIVATE_KEYS: keysEnv(k1) }).jwt.keys.activeKid).toBe('k1');
    expect(production({ JWT_ALGORITHM: 'HS256' }).jwt.keys.keys).toEqual([]);
  });

  it('names a malformed JWT_PRIVATE_KEYS without echoing the key material', () => {
    const cases: [string, RegExp][] = [
      ['{not json', /JWT_PRIVATE_KEYS must be a JSON array of private JWKs \(it is not valid JSON\)/],
      ['[]', /JWT_PRIVATE_KEYS must be a non-empty JSON array/],
      [keysEnv({ ...k1, kid: undefined }), /JWT_PRIVATE_KEYS key 1 needs a "kid"/],
      [
        keysEnv({ kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB', d: 'x' }),
        /key 1 \(kid "r"\) must be an Ed25519 \(kty OKP\) or P-256 \(kty EC\) key/,
      ],
      [keysEnv({ ...k1, d: undefined }), /is not a private key/],
      [keysEnv({ ...k1, d: 'AAAA' }), /is malformed/],
      [keysEnv({ ...k1, x: k2.x }), /does not belong to its "d"/],
      [keysEnv(k1, { ...k2, kid: 'k1' }), /has two keys with kid "k1"/],
      [keysEnv({ ...k1, alg: 'ES256' }), /has "alg" ES256 but is a EdDSA key/],
    ];
    for (const [value, message] of cases) {
      let error: unknown;
      try {
        production({ JWT_PRIVATE_KEYS: value });
      } catch (e) {
        error = e;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(k1.d);
    }
  });

  it('requires JWT_ACTIVE_KID to name a configured key of JWT_ALGORITHM', () => {
    expect(() => production({ JWT_PRIVATE_KEYS: keysEnv(k1, k2) })).toThrow(/JWT_ACTIVE_KID is required/);
    expect(() => production({ JWT_PRIVATE_KEYS: keysEnv(k1, k2), JWT_ACTIVE_KID: 'k3' })).toThrow(
      /JWT_ACTIVE_KID names no key/,
    );
    expect(() => production({ JWT_PRIVATE_KEYS: keysEnv(k1), JWT_ALGORITHM: 'ES256' })).toThrow(
      /names a EdDSA key but JWT_ALGORITHM is ES256/,
    );
    expect(() => production({ JWT_ALGORITHM: 'HS256', JWT_ACCEPT_HS256: 'false' })).toThrow(
      /JWT_ACCEPT_HS256 cannot be false/,
    );
    expect(() => production({ JWT_ALGORITHM: 'RS256' })).toThrow(/JWT_ALGORITHM must be EdDSA, ES256 or HS256/);
  });

  it('derives the same development key pair in every process, and another for another SECRET_KEY', () => {
    const a = loadConfig({}).jwt.keys.keys[0]!;
    const b = loadConfig({}).jwt.keys.keys[0]!;
    expect(a.publicJwk).toEqual(b.publicJwk);
    expect(a.kid).toMatch(/^dev-eddsa-/);
    expect(loadConfig({ SECRET_KEY: 'x'.repeat(40) }).jwt.keys.keys[0]!.publicJwk.x).not.toBe(a.publicJwk.x);
    const es = loadConfig({ JWT_ALGORITHM: 'ES256' }).jwt.keys;
    expect(es.keys[0]!.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
  });

  it('npm run keys:generate prints one private JWK that JWT_PRIVATE_KEYS accepts', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/keys-generate.ts', '--alg', 'ES256'],
      { cwd: process.cwd() },
    );
    const jwk = JSON.parse(stdout);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof jwk.d).toBe('string');
    expect(production({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEYS: JSON.stringify([jwk]) }).jwt.keys.activeKid).toBe(
      jwk.kid,
    );
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes every configured public key with kid, alg and use, never a private member, cacheable', async () => {
    const res = await call(jwks, 'GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toEqual({ ...config.jwt.keys.keys[0]!.publicJwk });
    expect(res.body.keys[0]).toMatchObject({
      kid: config.jwt.keys.activeKid,
      alg: 'EdDSA',
      use: 'sig',
      kty: 'OKP',
      crv: 'Ed25519',
    });
    expect(res.rawBody).not.toMatch(/"d"/);

    const two = await importFresh<typeof import('../../functions/jwks.js')>('functions/jwks.ts', {
      JWT_PRIVATE_KEYS: keysEnv(k1, generatePrivateJwk('ES256', 'e1')),
      JWT_ACTIVE_KID: 'k1',
    });
    const both = await call(two.handler, 'GET', '/.well-known/jwks.json/');
    expect(both.body.keys.map((k: any) => [k.kid, k.alg])).toEqual([
      ['k1', 'EdDSA'],
      ['e1', 'ES256'],
    ]);
    expect(both.rawBody).not.toMatch(/"d"/);
  });

  it('is empty under HS256', async () => {
    const hs = await importFresh<typeof import('../../functions/jwks.js')>('functions/jwks.ts', {
      JWT_ALGORITHM: 'HS256',
    });
    expect((await call(hs.handler, 'GET', '/.well-known/jwks.json')).body).toEqual({ keys: [] });
  });
});

/** A deployment stage's keys, as its functions would import them. */
const stage = (env: Record<string, string>) =>
  buildKeyring(loadConfig({ ...env }).jwt.keys, loadConfig({ ...env }).secretKey);
const mint = (keys: Awaited<ReturnType<typeof stage>>) =>
  signToken(
    { type: 'access', sub: crypto.randomUUID(), jti: crypto.randomUUID(), sid: crypto.randomUUID() },
    600,
    undefined,
    keys,
  );
const verifies = async (token: string, keys: Awaited<ReturnType<typeof stage>>) =>
  (await verifyToken(token, 'access', keys)).ok;

describe('key rotation and the HS256 → EdDSA switch', () => {
  it('rotates without a failed request: publish, switch, drop', async () => {
    // During each deployment old and new containers serve side by side: a token minted by either
    // must verify in both.
    const stages = [
      await stage({ JWT_PRIVATE_KEYS: keysEnv(k1) }),
      await stage({ JWT_PRIVATE_KEYS: keysEnv(k1, k2), JWT_ACTIVE_KID: 'k1' }), // publish k2
      await stage({ JWT_PRIVATE_KEYS: keysEnv(k1, k2), JWT_ACTIVE_KID: 'k2' }), // sign with k2
    ];
    for (let i = 0; i + 1 < stages.length; i++) {
      for (const minted of [await mint(stages[i]!), await mint(stages[i + 1]!)]) {
        expect(await verifies(minted, stages[i]!)).toBe(true);
        expect(await verifies(minted, stages[i + 1]!)).toBe(true);
      }
    }
    // Once k1's longest token has expired, k1 is dropped: a token it signed no longer verifies.
    const dropped = await stage({ JWT_PRIVATE_KEYS: keysEnv(k2) });
    expect(await verifies(await mint(stages[0]!), dropped)).toBe(false);
    expect(await verifies(await mint(stages[2]!), dropped)).toBe(true);
  });

  it('switches HS256 → EdDSA logging nobody out, and retires HS256 with JWT_ACCEPT_HS256=false', async () => {
    const stages = [
      await stage({ JWT_ALGORITHM: 'HS256' }),
      await stage({ JWT_ALGORITHM: 'HS256', JWT_PRIVATE_KEYS: keysEnv(k1) }), // publish k1, still sign HS256
      await stage({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEYS: keysEnv(k1) }), // sign EdDSA, HS256 still verifies
    ];
    expect(decodeProtectedHeader(await mint(stages[1]!))).toEqual({ alg: 'HS256', typ: 'JWT' });
    for (let i = 0; i + 1 < stages.length; i++) {
      for (const minted of [await mint(stages[i]!), await mint(stages[i + 1]!)]) {
        expect(await verifies(minted, stages[i]!)).toBe(true);
        expect(await verifies(minted, stages[i + 1]!)).toBe(true);
      }
    }
    const retired = await stage({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEYS: keysEnv(k1), JWT_ACCEPT_HS256: 'false' });
    expect(await verifies(await mint(stages[0]!), retired)).toBe(false);
    expect(await verifies(await mint(stages[2]!), retired)).toBe(true);
  });
});
