/**
 * Key rotation for TOTP secrets: re-seals every secret that another key sealed with the current
 * key (`npm run mfa:reencrypt`). Each row is updated only if it still holds what was read, so a
 * setup or reset running meanwhile is never overwritten; running it twice is harmless.
 */
import { and, eq, notLike } from 'drizzle-orm';
import { db } from '../../lib/db/index.js';
import { mfaTotp } from '../../lib/db/schema.js';
import { openSecret, sealingKeyId, sealSecret } from '../../lib/auth/mfa/secret-box.js';

export async function reencryptSecrets(batchSize = 500): Promise<{ reencrypted: number; keyId: string }> {
  const keyId = sealingKeyId();
  let reencrypted = 0;
  for (;;) {
    const stale = await db()
      .select({ userId: mfaTotp.userId, secret: mfaTotp.secret })
      .from(mfaTotp)
      .where(notLike(mfaTotp.secret, `v1.${keyId}.%`))
      .limit(batchSize);
    if (stale.length === 0) return { reencrypted, keyId };
    for (const row of stale) {
      const sealed = sealSecret(openSecret(row.secret, row.userId), row.userId);
      const updated = await db()
        .update(mfaTotp)
        .set({ secret: sealed })
        .where(and(eq(mfaTotp.userId, row.userId), eq(mfaTotp.secret, row.secret)))
        .returning({ userId: mfaTotp.userId });
      reencrypted += updated.length;
    }
  }
}
