/**
 * Signing keys in use, with a database behind the functions: the headers of issued tokens, an
 * HS256 session carried across the switch to EdDSA, and another service verifying with the JWKS.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as jwks } from '../../functions/jwks.js';
import { generatePrivateJwk } from '../../tools/auth/keys-generate.js';
import { config } from '../../lib/config.js';
import { freshHandler, importFresh } from '../helpers/fresh.js';
import { call, httpEvent, invoke } from '../helpers/http.js';
import { registerAccount } from '../helpers/users.js';

const k1 = generatePrivateJwk('EdDSA', 'k1');
const keysEnv = (...keys: object[]) => JSON.stringify(keys);

describe('tokens the service issues', () => {
  it('puts alg, kid and typ in every token header', async () => {
    const account = await registerAccount();
    expect(decodeProtectedHeader(account.access)).toEqual({ alg: 'EdDSA', kid: config.jwt.keys.activeKid, typ: 'JWT' });
    expect(decodeProtectedHeader(account.refresh)).toEqual({
      alg: 'EdDSA',
      kid: config.jwt.keys.activeKid,
      typ: 'JWT',
    });
  });
});

describe('the HS256 → EdDSA switch through the real functions', () => {
  it('keeps an HS256 session working through the real functions after the switch: /me, then refresh into EdDSA', async () => {
    const before = { JWT_ALGORITHM: 'HS256' };
    const after = { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEYS: keysEnv(k1) };
    const account = await registerAccount();
    const old = await importFresh<typeof import('../../lib/auth/sessions.js')>('lib/auth/sessions.ts', before);
    const pair = await old.issueTokenPair(account.id, { ip: '127.0.0.1' });
    expect(decodeProtectedHeader(pair.access).alg).toBe('HS256');
    const me = await freshHandler('functions/auth-me.ts', after);
    const refresh = await freshHandler('functions/auth-refresh.ts', after);
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
      [
        '--input-type=module',
        '-e',
        VERIFIER,
        jwksUrl,
        config.jwt.issuer,
        config.jwt.audience,
        account.access,
        account.refresh,
        tampered,
      ],
      { cwd: process.cwd() },
    );
    const results = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(results[0]).toEqual({ ok: true, sub: account.id });
    expect(results[1]).toEqual({ ok: false, error: 'not an access token' });
    expect(results[2].ok).toBe(false);
  });
});
