/**
 * The fuzz's world, loaded with `importFresh` so that it runs under the caller's configuration
 * (rate limits off, or on): every function's handler, and accounts whose tokens and ids the
 * generated requests use.
 */
import { createAccount } from './admin.js';
import type { FuzzPool } from './fuzz.js';
import { loadHandlers } from './route-catalogue.js';
import { registerAccount } from './users.js';

export const handlers = await loadHandlers();

/** Not the actors' password: the fuzz can change the victims' passwords, never the actors'. */
const VICTIM_PASSWORD = 'Fuzzing-Victim-Pass-6204';

/**
 * A regular user, a staff member and a superuser (whose tokens the fuzz sends) and `victims`
 * accounts (registered through the route) that the fuzz may sign out, rename, deactivate or delete.
 */
export async function createPool(victims = 16): Promise<FuzzPool> {
  const actors = await Promise.all((['user', 'staff', 'superuser'] as const).map((role) => createAccount(role)));
  const targets = [];
  for (let i = 0; i < victims; i++) targets.push(await registerAccount({ password: VICTIM_PASSWORD }));
  return {
    access: [...actors, ...targets.slice(0, 4)].map((a) => a.access),
    refresh: targets.map((a) => a.refresh),
    userIds: targets.map((a) => a.id),
    emails: [...actors, ...targets].map((a) => a.email),
    password: VICTIM_PASSWORD,
  };
}
