/**
 * `npm run mfa:reencrypt` — after adding a new first key to MFA_ENCRYPTION_KEY (or setting it for
 * the first time), re-seals every TOTP secret with it; then the older keys can be removed.
 */
import '../tools/local/load-env.js';
import { reencryptSecrets } from '../tools/auth/mfa-reencrypt.js';
import { closeSql } from '../lib/db/sql.js';

try {
  const { reencrypted, keyId } = await reencryptSecrets();
  console.log(`Re-encrypted ${reencrypted} TOTP secret(s) with key ${keyId}.`);
} finally {
  await closeSql();
}
