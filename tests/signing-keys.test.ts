import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as jwks } from '../functions/jwks.js';
import { signToken, verifyToken } from '../lib/auth/jwt.js';
import { generatePrivateJwk } from '../tools/auth/keys-generate.js';
import { buildKeyring } from '../lib/auth/keys/keyring.js';
import { config, ConfigError, loadConfig } from '../lib/config.js';
import { productionConfig } from './helpers/production-config.js';
import { call, httpEvent, invoke } from './helpers/http.js';
import { importFresh } from './helpers/fresh.js';
import { registerAccount } from './helpers/users.js';

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
      [keysEnv({ kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB', d: 'x' }), /key 1 \(kid "r"\) must be an Ed25519 \(kty OKP\) or P-256 \(kty EC\) key/],
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
    expect(() => production({ JWT_PRIVATE_KEYS: keysEnv(k1, k2), JWT_ACTIVE_KID: 'k3' })).toThrow(/JWT_ACTIVE_KID names no key/);
    expect(() => production({ JWT_PRIVATE_KEYS: keysEnv(k1), JWT_ALGORITHM: 'ES256' })).toThrow(/names a EdDSA key but JWT_ALGORITHM is ES256/);
    expect(() => production({ JWT_ALGORITHM: 'HS256', JWT_ACCEPT_HS256: 'false' })).toThrow(/JWT_ACCEPT_HS256 cannot be false/);
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
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/keys-generate.ts', '--alg', 'ES256'], { cwd: process.cwd() });
    const jwk = JSON.parse(stdout);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof jwk.d).toBe('string');
    expect(production({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEYS: JSON.stringify([jwk]) }).jwt.keys.activeKid).toBe(jwk.kid);
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes every configured public key with kid, alg and use, never a private member, cacheable', async () => {
    const res = await call(jwks, 'GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toEqual({ ...config.jwt.keys.keys[0]!.publicJwk });
    expect(res.body.keys[0]).toMatchObject({ kid: config.jwt.keys.activeKid, alg: 'EdDSA', use: 'sig', kty: 'OKP', crv: 'Ed25519' });
    expect(res.rawBody).not.toMatch(/"d"/);

    const two = await importFresh<typeof import('../functions/jwks.js')>('functions/jwks.ts', { JWT_PRIVATE_KEYS: keysEnv(k1, generatePrivateJwk('ES256', 'e1')), JWT_ACTIVE_KID: 'k1' });
    const both = await call(two.handler, 'GET', '/.well-known/jwks.json/');
    expect(both.body.keys.map((k: any) => [k.kid, k.alg])).toEqual([['k1', 'EdDSA'], ['e1', 'ES256']]);
    expect(both.rawBody).not.toMatch(/"d"/);
  });

  it('is empty under HS256', async () => {
    const hs = await importFresh<typeof import('../functions/jwks.js')>('functions/jwks.ts', { JWT_ALGORITHM: 'HS256' });
    expect((await call(hs.handler, 'GET', '/.well-known/jwks.json')).body).toEqual({ keys: [] });
  });

  it('puts alg, kid and typ in every token header', async () => {
    const account = await registerAccount();
    expect(decodeProtectedHeader(account.access)).toEqual({ alg: 'EdDSA', kid: config.jwt.keys.activeKid, typ: 'JWT' });
    expect(decodeProtectedHeader(account.refresh)).toEqual({ alg: 'EdDSA', kid: config.jwt.keys.activeKid, typ: 'JWT' });
  });
});

/** A deployment stage's keys, as its functions would import them. */
const stage = (env: Record<string, string>) => buildKeyring(loadConfig({ ...env }).jwt.keys, loadConfig({ ...env }).secretKey);
const mint = (keys: Awaited<ReturnType<typeof stage>>) =>
  signToken({ type: 'access', sub: crypto.randomUUID(), jti: crypto.randomUUID(), sid: crypto.randomUUID() }, 600, undefined, keys);
const verifies = async (token: string, keys: Awaited<ReturnType<typeof stage>>) => (await verifyToken(token, 'access', keys)).ok;

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

  it('keeps an HS256 session working through the real functions after the switch: /me, then refresh into EdDSA', async () => {
    const before = { JWT_ALGORITHM: 'HS256' };
    const after = { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEYS: keysEnv(k1) };
    const account = await registerAccount();
    const old = await importFresh<typeof import('../lib/auth/sessions.js')>('lib/auth/sessions.ts', before);
    const pair = await old.issueTokenPair(account.id, { ip: '127.0.0.1' });
    expect(decodeProtectedHeader(pair.access).alg).toBe('HS256');
    const me = (await importFresh<typeof import('../functions/auth-me.js')>('functions/auth-me.ts', after)).handler;
    const refresh = (await importFresh<typeof import('../functions/auth-refresh.js')>('functions/auth-refresh.ts', after)).handler;
    expect((await call(me, 'GET', '/api/auth/me', { token: pair.access })).status).toBe(200);
    const rotated = await call(refresh, 'POST', '/api/auth/refresh', { body: { refresh: pair.refresh } });
    expect(rotated.status).toBe(200);
    expect(decodeProtectedHeader(rotated.body.access)).toEqual({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' });
    expect((await call(me, 'GET', '/api/auth/me', { token: rotated.body.access })).status).toBe(200);
  });
});

describe('verifying from another service with the JWKS alone', () => {
  let server: ReturnType<typeof createServer>;
  let jwksUrl: string;

  beforeAll(async () => {
    // The jwks function behind a plain HTTP server: what API Gateway does for it.
    server = createServer(async (req, res) => {
      const result = await invoke(jwks, httpEvent('GET', req.url ?? '/'));
      res.writeHead(result.status, result.headers).end(result.rawBody);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // What another team's service runs (docs/signing-keys-and-sessions.md has the same example).
  const VERIFIER = `
    import { createRemoteJWKSet, jwtVerify } from 'jose';
    const [url, issuer, audience, ...tokens] = process.argv.slice(1);
    const JWKS = createRemoteJWKSet(new URL(url));
    for (const token of tokens) {
      try {
        const { payload } = await jwtVerify(token, JWKS, { issuer, audience });
        if (payload.type !== 'access') throw new Error('not an access token');
        console.log(JSON.stringify({ ok: true, sub: payload.sub }));
      } catch (error) {
        console.log(JSON.stringify({ ok: false, error: error.code ?? error.message }));
      }
    }`;

  it('a separate Node process verifies an access token with createRemoteJWKSet, and refuses the rest', async () => {
    const account = await registerAccount();
    const tampered = `${account.access.slice(0, -4)}AAAA`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', VERIFIER, jwksUrl, config.jwt.issuer, config.jwt.audience, account.access, account.refresh, tampered],
      { cwd: process.cwd() },
    );
    const results = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(results[0]).toEqual({ ok: true, sub: account.id });
    expect(results[1]).toEqual({ ok: false, error: 'not an access token' });
    expect(results[2].ok).toBe(false);
  });
});
