/** Accounts of each role for admin tests, created straight in the database (as the CLI does). */
import { hashPassword } from '../../lib/auth/passwords.js';
import { issueTokenPair } from '../../lib/auth/sessions.js';
import { createUser } from '../../lib/auth/users.js';
import { STRONG_PASSWORD, type TestAccount, uniqueEmail } from './users.js';

export type Role = 'user' | 'staff' | 'superuser';

/**
 * Creates an account with `role` and a first session (token pair), issued directly rather than
 * through the login route, so that admin tests never depend on the login rate limits.
 */
export async function createAccount(
  role: Role,
  overrides: { email?: string; fullName?: string } = {},
): Promise<TestAccount> {
  const fullName = overrides.fullName ?? `Test ${role}`;
  const user = await createUser({
    email: overrides.email ?? uniqueEmail(role),
    fullName,
    passwordHash: await hashPassword(STRONG_PASSWORD),
    isStaff: role !== 'user',
    isSuperuser: role === 'superuser',
  });
  const { access, refresh } = await issueTokenPair(user.id, { ip: '127.0.0.1', userAgent: 'vitest' });
  return { email: user.email, password: STRONG_PASSWORD, fullName, id: user.id, access, refresh };
}
