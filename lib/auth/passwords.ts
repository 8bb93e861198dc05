/**
 * Password hashing and verification. New hashes are bcrypt at `BCRYPT_ROUNDS`; hashes imported
 * from the Django service are verified in their own format and flagged for re-hashing, so users
 * move to bcrypt at their next login without noticing.
 */
import bcrypt from 'bcryptjs';
import { config } from '../config.js';
import { offTheClock } from '../deadline.js';
import { isDjangoHash, verifyDjangoPassword } from './django-hashers.js';

const BCRYPT_PREFIX = /^\$2[aby]\$(\d{2})\$/;

// Off the request's dependency budget (lib/deadline.ts): hashing is CPU, not waiting.
const hasher = {
  hash: (password: string) => offTheClock(() => bcrypt.hash(password, config.bcryptRounds)),
  compare: (password: string, stored: string) => offTheClock(() => bcrypt.compare(password, stored)),
};

/** Hashes a password for storage. */
export function hashPassword(password: string): Promise<string> {
  return hasher.hash(password);
}

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash is a legacy format or a lower cost than configured: store a new one. */
  needsRehash: boolean;
}

/**
 * A bcrypt hash at the configured cost that no password matches. Comparing against it costs the
 * same as a real comparison, which is the point: login for an unknown email must take as long as
 * for a wrong password. bcrypt's work depends only on the cost, not on the salt or digest.
 */
const dummyHash = () => `$2b$${String(config.bcryptRounds).padStart(2, '0')}$${'C'.repeat(53)}`;

/** Verifies `password` against a stored hash (bcrypt, or Django's formats); `null` runs a dummy comparison. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<PasswordCheck> {
  if (!stored) {
    await hasher.compare(password, dummyHash());
    return { ok: false, needsRehash: false };
  }
  const bcryptCost = BCRYPT_PREFIX.exec(stored);
  if (bcryptCost) {
    const ok = await hasher.compare(password, stored);
    return { ok, needsRehash: ok && Number(bcryptCost[1]) < config.bcryptRounds };
  }
  if (isDjangoHash(stored)) {
    const ok = await offTheClock(() => verifyDjangoPassword(password, stored));
    // An unusable or unsupported Django hash fails fast: pay the bcrypt cost anyway, so timing
    // does not tell imported accounts apart.
    if (!ok) await hasher.compare(password, dummyHash());
    return { ok, needsRehash: ok };
  }
  await hasher.compare(password, dummyHash());
  return { ok: false, needsRehash: false };
}
