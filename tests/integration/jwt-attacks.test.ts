/**
 * The JWT attack table: every row is a token an attacker could present, and every one must get
 * 401 problem+json — `not_authenticated` (with `WWW-Authenticate: Bearer`) as an access token,
 * `invalid_refresh_token` as a refresh token.
 */
import { createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as me } from '../../functions/auth-me.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { config } from '../../lib/config.js';
import { sql } from '../../lib/db/sql.js';
import { call, expectProblem } from '../helpers/http.js';
import { forgeToken, tamper, unsignedToken, withHeader, withPayload } from '../helpers/tokens.js';
import { registerAccount, type TestAccount } from '../helpers/users.js';

let account: TestAccount;
let deleted: TestAccount;
const rows: [string, () => Promise<string> | string][] = [];
const row = (name: string, token: () => Promise<string> | string) => rows.push([name, token]);

const activeKid = () => config.jwt.keys.activeKid!;
const publicJwk = () => config.jwt.keys.keys[0]!.publicJwk;
/** The service's public key as an attacker would fetch it, in the forms HMAC confusion tries. */
const publicPem = () =>
  createPublicKey({ key: { ...publicJwk() }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;

beforeAll(async () => {
  [account, deleted] = await Promise.all([registerAccount(), registerAccount()]);
  await sql()`delete from users where id = ${deleted.id}`;
});

// Sanity: the forge itself is sound, so each row fails for its own reason.
describe('the forge', () => {
  it('makes a token the service accepts when nothing is wrong with it', async () => {
    expect((await call(me, 'GET', '/api/auth/me', { token: await forgeToken({ sub: account.id }) })).status).toBe(200);
  });
});

row('alg none', () => unsignedToken(account.id));
row('alg none with our kid', () => withHeader(unsignedToken(account.id), { kid: activeKid() }));
row(
  'alg "NONE" on a real token, signature stripped',
  () => `${withHeader(account.access, { alg: 'NONE' }).split('.').slice(0, 2).join('.')}.`,
);
row('tampered signature', () => tamper(account.access));
row('forged payload under the real signature', () => withPayload(account.access, { sub: crypto.randomUUID() }));
row('HS256 keyed with our public key (PEM), our kid', () =>
  forgeToken({
    sub: account.id,
    alg: 'HS256',
    key: new TextEncoder().encode(publicPem()),
    header: { kid: activeKid() },
  }),
);
row('HS256 keyed with our public key (PEM), no kid', () =>
  forgeToken({ sub: account.id, alg: 'HS256', key: new TextEncoder().encode(publicPem()) }),
);
row('HS256 keyed with our public key (raw x)', () =>
  forgeToken({ sub: account.id, alg: 'HS256', key: Buffer.from(publicJwk().x, 'base64url') }),
);
row('HS256 keyed with the JWK JSON', () =>
  forgeToken({ sub: account.id, alg: 'HS256', key: new TextEncoder().encode(JSON.stringify(publicJwk())) }),
);
row('HS256 with a guessed secret', () => forgeToken({ sub: account.id, secret: 'another-secret-another-secret-xx' }));
row("RS256 with the attacker's key and our kid", async () =>
  forgeToken({
    sub: account.id,
    alg: 'RS256',
    key: (await generateKeyPair('RS256')).privateKey,
    header: { kid: activeKid() },
  }),
);
row("EdDSA with the attacker's key and our kid", async () =>
  forgeToken({
    sub: account.id,
    alg: 'EdDSA',
    key: (await generateKeyPair('EdDSA')).privateKey,
    header: { kid: activeKid() },
  }),
);
row("ES256 with the attacker's key and our kid", async () =>
  forgeToken({
    sub: account.id,
    alg: 'ES256',
    key: (await generateKeyPair('ES256')).privateKey,
    header: { kid: activeKid() },
  }),
);
row('our token relabelled ES256', () => withHeader(account.access, { alg: 'ES256' }));
row('kid unknown', () => withHeader(account.access, { kid: 'retired-2020' }));
row('kid path traversal', () => withHeader(account.access, { kid: '../../../../dev/null' }));
row('kid SQL injection', () => withHeader(account.access, { kid: "' union select 'secret' --" }));
row('kid not a string', () => withHeader(account.access, { kid: { $ne: null } }));
row('kid removed from an EdDSA token', () => withHeader(account.access, { kid: undefined }));
row("jku to the attacker's JWKS", async () => {
  const { privateKey } = await generateKeyPair('EdDSA');
  return forgeToken({
    sub: account.id,
    alg: 'EdDSA',
    key: privateKey,
    header: { kid: 'evil', jku: 'https://attacker.example/jwks.json' },
  });
});
row("jwk embedding the attacker's key", async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  return forgeToken({ sub: account.id, alg: 'EdDSA', key: privateKey, header: { jwk: await exportJWK(publicKey) } });
});
row("jwk embedding the attacker's key, with our kid", async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  return forgeToken({
    sub: account.id,
    alg: 'EdDSA',
    key: privateKey,
    header: { kid: activeKid(), jwk: await exportJWK(publicKey) },
  });
});
row("x5u to the attacker's certificate", () =>
  withHeader(account.access, { x5u: 'https://attacker.example/cert.pem' }),
);
row('x5c on an otherwise valid token', () => forgeToken({ sub: account.id, header: { x5c: ['MIIB'] } }));
row('jku on an otherwise valid token', () =>
  forgeToken({ sub: account.id, header: { jku: 'https://attacker.example/jwks.json' } }),
);
row('typ at+jwt', () => forgeToken({ sub: account.id, typ: 'at+jwt' }));
row('wrong iss', () => forgeToken({ sub: account.id, iss: 'someone-else' }));
row('wrong aud', () => forgeToken({ sub: account.id, aud: 'another-app' }));
row('type id', () => forgeToken({ sub: account.id, type: 'id' }));
row('expired', () => forgeToken({ sub: account.id, expiresInS: -5 }));
row('not yet valid (nbf in an hour)', () => forgeToken({ sub: account.id, notBeforeInS: 3600 }));
row('a refresh token used as access', () => account.refresh);
row("a deleted user's token", () => deleted.access);
row('8 KB token (a valid signature over a huge claim)', () =>
  forgeToken({ sub: account.id, header: { pad: 'x'.repeat(8 * 1024) } }),
);
row('8 KB of garbage', () => `${'A'.repeat(4096)}.${'B'.repeat(4096)}.C`);

describe('the JWT attack table: every row is 401 problem+json', () => {
  it.each(rows.map(([name, token]) => ({ name, token })))('$name', async ({ token }) => {
    const res = await call(me, 'GET', '/api/auth/me', { token: await token() });
    expectProblem(res, 401, 'not_authenticated');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.rawBody).not.toMatch(/stack|at \w+ \(|JWS|JWT[A-Z]/);
  });

  it('an access token used as a refresh token, and a refresh token of a deleted user, are 401 invalid_refresh_token', async () => {
    for (const token of [
      account.access,
      deleted.refresh,
      await forgeToken({ sub: account.id, type: 'refresh', notBeforeInS: 3600 }),
    ]) {
      const res = await call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh: token } });
      expectProblem(res, 401, 'invalid_refresh_token');
    }
  });
});
