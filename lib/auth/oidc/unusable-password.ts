/** Accounts made by social sign-in have no password until forgot-password sets one. */
import { randomBytes } from 'node:crypto';

/**
 * Django's unusable-password marker (`!` + random text): no password verifies against it (the
 * password verifier refuses it after the same bcrypt work as a wrong password), and
 * forgot-password replaces it like any other hash.
 */
export const unusablePassword = () => `!${randomBytes(30).toString('base64url')}`;

/** Whether a stored password can ever verify (false for social-only accounts). */
export const hasUsablePassword = (stored: string) => !stored.startsWith('!');
