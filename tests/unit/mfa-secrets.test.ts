import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { importFresh } from '../helpers/fresh.js';

type SecretBox = typeof import('../../lib/auth/mfa/secret-box.js');
const box = (MFA_ENCRYPTION_KEY?: string) =>
  importFresh<SecretBox>('lib/auth/mfa/secret-box.ts', { MFA_ENCRYPTION_KEY });
const newKey = () => randomBytes(32).toString('base64');

describe('TOTP secrets at rest', () => {
  it('are AES-256-GCM ciphertext that opens only for the user it was sealed for', async () => {
    const { sealSecret, openSecret } = await box();
    const secret = randomBytes(20);
    const user = randomUUID();
    const sealed = sealSecret(secret, user);
    expect(sealed).not.toContain(secret.toString('hex'));
    expect(sealed).not.toBe(sealSecret(secret, user)); // a fresh IV each time
    expect(openSecret(sealed, user).equals(secret)).toBe(true);
    expect(() => openSecret(sealed, randomUUID())).toThrow();
    const [v, kid, iv, body] = sealed.split('.') as [string, string, string, string];
    const flipped = `${body.slice(0, -2)}${body.at(-2) === 'A' ? 'B' : 'A'}${body.at(-1)}`;
    expect(() => openSecret([v, kid, iv, flipped].join('.'), user)).toThrow();
  });

  it('rotate: the first MFA_ENCRYPTION_KEY seals, every listed key (and the SECRET_KEY-derived one) opens, a dropped key does not', async () => {
    const user = randomUUID();
    const secret = randomBytes(20);
    const [oldKey, nextKey] = [newKey(), newKey()];
    const derived = (await box()).sealSecret(secret, user);
    const underOld = (await box(oldKey)).sealSecret(secret, user);
    expect(underOld.split('.')[1]).not.toBe(derived.split('.')[1]);

    const rotated = await box(`${nextKey},${oldKey}`);
    expect(rotated.openSecret(underOld, user).equals(secret)).toBe(true);
    expect(rotated.openSecret(derived, user).equals(secret)).toBe(true);
    const underNext = rotated.sealSecret(secret, user);
    expect(underNext.split('.')[1]).toBe(rotated.sealingKeyId());
    expect(underNext.split('.')[1]).not.toBe(underOld.split('.')[1]);

    const dropped = await box(nextKey);
    expect(() => dropped.openSecret(underOld, user)).toThrow(/unknown key/);
    expect(dropped.openSecret(underNext, user).equals(secret)).toBe(true);
  });

  it('MFA_ENCRYPTION_KEY must be 32-byte base64 keys; the error names the variable', () => {
    const base = { APP_ENV: 'test', SECRET_KEY: 'x'.repeat(40) };
    expect(() => loadConfig({ ...base, MFA_ENCRYPTION_KEY: 'short' })).toThrow(
      /MFA_ENCRYPTION_KEY must be base64 keys of 32 bytes/,
    );
    expect(() =>
      loadConfig({ ...base, MFA_ENCRYPTION_KEY: `${newKey()},${randomBytes(16).toString('base64')}` }),
    ).toThrow(/MFA_ENCRYPTION_KEY/);
    const ok = loadConfig({ ...base, MFA_ENCRYPTION_KEY: `${newKey()}, ${randomBytes(32).toString('base64url')}` });
    expect(ok.mfa.encryptionKeys).toHaveLength(2);
    expect(loadConfig(base).mfa).toEqual({ issuer: 'auth-service', encryptionKeys: undefined });
    expect(loadConfig({ ...base, MFA_ISSUER: 'Acme' }).mfa.issuer).toBe('Acme');
  });
});
