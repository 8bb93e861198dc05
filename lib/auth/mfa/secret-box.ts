/**
 * TOTP secrets at rest: AES-256-GCM, bound to their user (the user id is the additional
 * authenticated data, so a ciphertext copied onto another account does not decrypt).
 *
 * Stored form: `v1.<key id>.<iv>.<ciphertext+tag>` (base64url parts). The key id is the first
 * 8 hex digits of SHA-256 over the key, so a secret names the key that sealed it and keys can be
 * rotated: `MFA_ENCRYPTION_KEY` lists keys, the first seals, every listed key opens. When it is
 * unset the key is derived from `SECRET_KEY` with HKDF-SHA256; that derived key also always opens,
 * so setting `MFA_ENCRYPTION_KEY` later needs no migration (`npm run mfa:reencrypt` moves every
 * secret to the newest key, after which older keys can be dropped).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { config } from '../../config.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface Key {
  id: string;
  bytes: Buffer;
}

const keyOf = (bytes: Buffer): Key => ({ id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes });

/** The key derived from SECRET_KEY (the default, and always accepted for opening). */
export function derivedKey(secretKey: string = config.secretKey): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, '', 'auth-service/mfa/totp-secret/v1', 32));
}

let keyring: { sealing: Key; opening: Map<string, Key> } | undefined;

function keys() {
  if (!keyring) {
    const configured = (config.mfa.encryptionKeys ?? []).map((bytes) => keyOf(Buffer.from(bytes)));
    const derived = keyOf(derivedKey());
    const all = [...configured, derived];
    keyring = { sealing: all[0]!, opening: new Map(all.map((key) => [key.id, key])) };
  }
  return keyring;
}

/** Encrypts a secret for `userId` with the current key. */
export function sealSecret(secret: Uint8Array, userId: string): string {
  const key = keys().sealing;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv).setAAD(Buffer.from(userId));
  const body = Buffer.concat([cipher.update(secret), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, key.id, iv.toString('base64url'), body.toString('base64url')].join('.');
}

/** Decrypts a stored secret; throws when it is malformed, for another user, or under an unknown key. */
export function openSecret(sealed: string, userId: string): Buffer {
  const [version, keyId, iv, body] = sealed.split('.');
  const key = keyId ? keys().opening.get(keyId) : undefined;
  if (version !== VERSION || !key || !iv || !body)
    throw new Error(`MFA secret of user ${userId} is sealed with an unknown key or format`);
  const data = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(userId));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
}

/** The id of the key that seals new secrets (for the re-encryption's report). */
export const sealingKeyId = () => keys().sealing.id;
