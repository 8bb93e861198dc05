/**
 * Scans text (a stored row as JSON, a response body) for anything secret: the known values of a
 * test (passwords, tokens, hashes, names, emails) and the shapes secrets have whatever their value.
 */
import { expect } from 'vitest';

const SECRET_SHAPES: Array<[string, RegExp]> = [
  ['a JWT', /eyJ[\w-]{8,}\.[\w-]{8,}/],
  ['a bcrypt hash', /\$2[aby]\$\d\d\$/],
  ['a Django hash', /(pbkdf2_sha256|bcrypt_sha256|argon2|scrypt)\$/],
  ['a SHA-256 digest', /\b[a-f0-9]{64}\b/i],
  ['a base32 (TOTP) secret', /\b[A-Z2-7]{16,}\b/],
];

/** Fails when `text` contains any of `known` (case-insensitively) or looks like it holds a secret. */
export function expectNoSecrets(text: string, known: Record<string, string | undefined>, where: string): void {
  for (const [what, value] of Object.entries(known)) {
    if (value) expect(text.toLowerCase().includes(value.toLowerCase()), `${where} contains the ${what}`).toBe(false);
  }
  for (const [what, shape] of SECRET_SHAPES)
    expect(shape.test(text), `${where} contains ${what}: ${text.slice(0, 400)}`).toBe(false);
}
