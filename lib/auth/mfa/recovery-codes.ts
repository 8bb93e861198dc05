/**
 * Recovery codes: 10 per set, 12 characters of Crockford base32 (60 random bits) shown as
 * `xxxx-xxxx-xxxx`. Only SHA-256 over the user id and the normalised code is stored (the user id
 * salts it, so one precomputed table cannot serve every account); each code is spent by one
 * conditional UPDATE, so two concurrent uses of one code give exactly one success.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Transaction } from '../../db/index.js';
import { mfaRecoveryCodes } from '../../db/schema.js';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 12;

/**
 * A code as typed: case, spaces and dashes do not matter, and the letters Crockford base32 leaves
 * out read as the digits they look like (o → 0, i and l → 1). `undefined` when it cannot be one.
 */
export function normalizeRecoveryCode(code: string): string | undefined {
  const plain = code
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
  return plain.length === LENGTH && [...plain].every((c) => ALPHABET.includes(c)) ? plain : undefined;
}

const hashCode = (userId: string, normalized: string) =>
  createHash('sha256').update(`${userId}:${normalized}`).digest('hex');

/** A fresh set: the codes to show once, and the rows to store. */
export function newRecoveryCodes(userId: string): { codes: string[]; rows: (typeof mfaRecoveryCodes.$inferInsert)[] } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 32 symbols: one byte's low 5 bits pick one without bias.
    const plain = [...randomBytes(LENGTH)].map((byte) => ALPHABET[byte & 31]).join('');
    return `${plain.slice(0, 4)}-${plain.slice(4, 8)}-${plain.slice(8)}`;
  });
  return { codes, rows: codes.map((code) => ({ userId, codeHash: hashCode(userId, normalizeRecoveryCode(code)!) })) };
}

/** Replaces the user's whole set (the old codes die) inside the caller's transaction. */
export async function replaceRecoveryCodes(userId: string, tx: Transaction): Promise<string[]> {
  const { codes, rows } = newRecoveryCodes(userId);
  await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
  await tx.insert(mfaRecoveryCodes).values(rows);
  return codes;
}

/** Spends one unused code of the user; `false` when it is unknown or already used. */
export async function spendRecoveryCode(userId: string, code: string, tx: Transaction): Promise<boolean> {
  const normalized = normalizeRecoveryCode(code);
  if (!normalized) return false;
  const spent = await tx
    .update(mfaRecoveryCodes)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(mfaRecoveryCodes.userId, userId),
        eq(mfaRecoveryCodes.codeHash, hashCode(userId, normalized)),
        isNull(mfaRecoveryCodes.usedAt),
      ),
    )
    .returning({ id: mfaRecoveryCodes.id });
  return spent.length === 1;
}
