/** Social sign-in configuration (`OIDC_*`) and Apple's client-secret JWT. */
import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { importFresh } from '../helpers/fresh.js';
import { productionConfig } from '../helpers/production-config.js';

// Production needs signing keys; the shared secret is the simplest valid choice here.
const production = (env: Record<string, string>) => productionConfig({ JWT_ALGORITHM: 'HS256', ...env });

describe('OIDC configuration', () => {
  it('has no providers unless OIDC_PROVIDERS names some', () => {
    expect(loadConfig({}).oidc.providers.size).toBe(0);
  });

  it("knows Google's and Apple's issuers and what Apple needs (form_post, the name scope)", () => {
    const { providers } = production({
      OIDC_PROVIDERS: 'Google, apple',
      OIDC_GOOGLE_CLIENT_IDS: 'web.apps.googleusercontent.com, ios.apps.googleusercontent.com',
      OIDC_APPLE_CLIENT_IDS: 'com.example.web',
    }).oidc;
    expect(providers.get('google')).toMatchObject({
      issuer: 'https://accounts.google.com',
      clientIds: ['web.apps.googleusercontent.com', 'ios.apps.googleusercontent.com'],
      responseMode: 'query',
    });
    expect(providers.get('apple')).toMatchObject({
      issuer: 'https://appleid.apple.com',
      scopes: 'openid email name',
      responseMode: 'form_post',
    });
  });

  it('names the missing variable of a provider', () => {
    expect(() => production({ OIDC_PROVIDERS: 'google' })).toThrow(/OIDC_GOOGLE_CLIENT_IDS is required/);
    expect(() => production({ OIDC_PROVIDERS: 'okta', OIDC_OKTA_CLIENT_IDS: 'x' })).toThrow(
      /OIDC_OKTA_ISSUER is required/,
    );
    expect(() => production({ OIDC_PROVIDERS: 'apple', OIDC_APPLE_CLIENT_IDS: 'x', OIDC_APPLE_TEAM_ID: 'T' })).toThrow(
      /OIDC_APPLE_TEAM_ID, OIDC_APPLE_KEY_ID and OIDC_APPLE_PRIVATE_KEY go together/,
    );
    expect(() => production({ OIDC_PROVIDERS: 'bad-name' })).toThrow(/OIDC_PROVIDERS/);
  });

  it('accepts an http issuer only on loopback and never in production', () => {
    const local = { OIDC_PROVIDERS: 'dev', OIDC_DEV_ISSUER: 'http://127.0.0.1:4000', OIDC_DEV_CLIENT_IDS: 'x' };
    expect(loadConfig(local).oidc.providers.get('dev')?.issuer).toBe('http://127.0.0.1:4000');
    expect(() => loadConfig({ ...local, OIDC_DEV_ISSUER: 'http://idp.internal' })).toThrow(
      /OIDC_DEV_ISSUER must be an https/,
    );
    expect(() => production(local)).toThrow(/OIDC_DEV_ISSUER must be an https/);
  });

  it("needs this API's public URL for the web flow in production", () => {
    const web = {
      OIDC_PROVIDERS: 'google',
      OIDC_GOOGLE_CLIENT_IDS: 'x',
      OIDC_REDIRECT_URIS: 'https://app.example.com/auth/done',
    };
    expect(() => production(web)).toThrow(/OIDC_CALLBACK_BASE_URL is required/);
    expect(production({ ...web, OIDC_CALLBACK_BASE_URL: 'https://api.example.com/' }).oidc.callbackBaseUrl).toBe(
      'https://api.example.com',
    );
    expect(() => production({ ...web, OIDC_REDIRECT_URIS: '/relative' })).toThrow(/OIDC_REDIRECT_URIS/);
  });
});

describe("Apple's client secret", () => {
  it('is an ES256 JWT from the team to Apple for the web client, signed with the configured key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    // As an operator pastes a .p8 file into one variable: newlines escaped.
    const pem = (await exportPKCS8(privateKey)).replace(/\n/g, '\\n');
    const { clientSecret, providerNamed } = await importFresh<typeof import('../../lib/auth/oidc/providers.js')>(
      'lib/auth/oidc/providers.ts',
      {
        OIDC_PROVIDERS: 'apple',
        OIDC_APPLE_CLIENT_IDS: 'com.example.web,com.example.ios',
        OIDC_APPLE_TEAM_ID: 'TEAM123456',
        OIDC_APPLE_KEY_ID: 'KEY1234567',
        OIDC_APPLE_PRIVATE_KEY: pem,
      },
    );
    const secret = await clientSecret(providerNamed('apple'));
    const { payload, protectedHeader } = await jwtVerify(secret!, publicKey, {
      issuer: 'TEAM123456',
      audience: 'https://appleid.apple.com',
      subject: 'com.example.web',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'KEY1234567' });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(15_777_000);
    // Reused while it is fresh: not one signature per sign-in.
    expect(await clientSecret(providerNamed('apple'))).toBe(secret);
  });
});
