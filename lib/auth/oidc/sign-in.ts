/**
 * Signing in with a verified provider identity, by the contract's linking rules:
 *
 * 1. The identity (provider, `sub`) is linked: its user signs in.
 * 2. Otherwise an account with the identity's email is linked only when the provider says the
 *    email is verified AND the account's own email is verified; anything else is 409
 *    `account_exists`. (Linking to an unverified account would hand it to whoever pre-registered
 *    the address: the pre-hijacking attack.)
 * 3. Otherwise a new account: `email_verified` as the provider says, no usable password (password
 *    login is refused until forgot-password sets one).
 *
 * Inactive accounts never sign in (401 `invalid_credentials`). Each outcome writes its user, its
 * identity, its session and its security events in one statement or one transaction.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { db } from '../../db/index.js';
import { userIdentities, type UserRow, users } from '../../db/schema.js';
import { problems } from '../../http/problem.js';
import { type SecurityEvent, securityEventCte, securityEventInsert } from '../events/record.js';
import type { SignedIn } from '../login.js';
import { startMfaChallenge } from '../mfa/challenge.js';
import type { MfaChallenge } from '../responses.js';
import { type ClientInfo, issueTokenPair, newSession, sessionInsert } from '../sessions.js';
import { findUserByEmail, isUniqueViolation, serializeUser } from '../users.js';
import { type VerifiedIdentity, verifyIdToken } from './id-token.js';
import type { OidcProviderConfig } from './providers.js';
import { unusablePassword } from './unusable-password.js';

/**
 * A social sign-in's answer: the user and tokens (`created`: a new account was made, and the
 * id-token route answers 201), or, for an account with two-factor authentication on, the same
 * challenge a password login answers, finished with `POST /api/auth/login/mfa`.
 */
export type SocialSignIn = (SignedIn & { created: boolean }) | (MfaChallenge & { created: false });

/** Extra facts the client may pass: Apple sends the user's name to the app only once. */
export interface SignInProfile {
  fullName?: string;
}

/** Signs in with a verified identity; one retry settles a race with a concurrent first sign-in. */
export async function signInWithIdentity(
  identity: VerifiedIdentity,
  client: ClientInfo,
  profile: SignInProfile = {},
): Promise<SocialSignIn> {
  try {
    return await resolveSignIn(identity, client, profile);
  } catch (error) {
    // Another request linked this identity or created this email's account meanwhile: now the
    // rules see that row and answer as if it had always been there.
    if (!isUniqueViolation(error)) throw error;
    return resolveSignIn(identity, client, profile);
  }
}

const event = (
  type: SecurityEvent['type'],
  userId: string,
  client: ClientInfo,
  details: SecurityEvent['details'],
): SecurityEvent => ({
  type,
  userId,
  client,
  details,
});

async function resolveSignIn(
  identity: VerifiedIdentity,
  client: ClientInfo,
  profile: SignInProfile,
): Promise<SocialSignIn> {
  const [linked] = await db()
    .select({ user: users, identityId: userIdentities.id })
    .from(userIdentities)
    .innerJoin(users, eq(users.id, userIdentities.userId))
    .where(and(eq(userIdentities.provider, identity.provider), eq(userIdentities.subject, identity.subject)))
    .limit(1);
  if (linked) return signInLinked(linked.user, linked.identityId, identity, client);

  if (!identity.email) {
    throw problems.validation(
      [{ field: 'email', message: 'The provider did not share an email address: allow the email scope.' }],
      'The sign-in is missing an email address.',
    );
  }
  const existing = await findUserByEmail(identity.email);
  if (existing) return linkExisting(existing.id, identity, client);
  return createAccount(identity, client, profile);
}

/** Case 1: the identity is known. One statement: last login, the identity's use, the session, the event. */
async function signInLinked(
  user: UserRow,
  identityId: string,
  identity: VerifiedIdentity,
  client: ClientInfo,
): Promise<SocialSignIn> {
  if (!user.isActive) throw problems.invalidCredentials();
  // The provider stands in for the password, not for the second factor.
  if (user.mfaEnabled) return { created: false, ...(await startMfaChallenge(user.id)) };
  const session = newSession(user.id, client);
  const started = sessionInsert(session.row);
  const touched = db()
    .$with('touched')
    .as(
      db()
        .update(userIdentities)
        .set({ lastUsedAt: sql`now()`, ...(identity.email ? { email: identity.email } : {}) })
        .where(eq(userIdentities.id, identityId))
        .returning({ id: userIdentities.id }),
    );
  const recorded = securityEventCte(event('login', user.id, client, { method: identity.provider }));
  const [[signedIn], pair] = await Promise.all([
    db()
      .with(...started, touched, recorded)
      .update(users)
      .set({ lastLogin: new Date() })
      .where(eq(users.id, user.id))
      .returning(),
    session.pair,
  ]);
  return { created: false, user: serializeUser(signedIn!), ...pair };
}

/** Case 2: an account has this email. Linked only when both sides vouch for the email. */
async function linkExisting(userId: string, identity: VerifiedIdentity, client: ClientInfo): Promise<SocialSignIn> {
  const { user, pair } = await db().transaction(async (tx) => {
    // Locked, so the flags checked are the flags of the account that gets linked.
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
    // Nor is an account with two-factor authentication on linked by email alone: linking would
    // let the provider stand in for the second factor.
    if (!user || !identity.emailVerified || !user.emailVerified || user.mfaEnabled) throw problems.accountExists();
    if (!user.isActive) throw problems.invalidCredentials();
    const [linked] = await tx
      .insert(userIdentities)
      .values({ userId, provider: identity.provider, subject: identity.subject, email: identity.email ?? null })
      .returning({ id: userIdentities.id });
    const [signedIn] = await tx.update(users).set({ lastLogin: new Date() }).where(eq(users.id, userId)).returning();
    const [pair] = await Promise.all([
      issueTokenPair(userId, client, tx),
      securityEventInsert(
        [
          event('identity_linked', userId, client, { provider: identity.provider, identity_id: linked!.id }),
          event('login', userId, client, { method: identity.provider }),
        ],
        tx,
      ),
    ]);
    return { user: signedIn!, pair };
  });
  return { created: false, user: serializeUser(user), ...pair };
}

/** Case 3: a new account, its identity, its first session and its events, in one statement. */
async function createAccount(
  identity: VerifiedIdentity,
  client: ClientInfo,
  profile: SignInProfile,
): Promise<SocialSignIn> {
  const userId = randomUUID();
  const identityId = randomUUID();
  const session = newSession(userId, client);
  const started = sessionInsert(session.row);
  const linked = db()
    .$with('linked')
    .as(
      db()
        .insert(userIdentities)
        .values({
          id: identityId,
          userId,
          provider: identity.provider,
          subject: identity.subject,
          email: identity.email ?? null,
        })
        .returning({ id: userIdentities.id }),
    );
  const recorded = securityEventCte([
    event('register', userId, client, { method: identity.provider }),
    event('identity_linked', userId, client, { provider: identity.provider, identity_id: identityId }),
  ]);
  // The foreign keys of the identity and the session are checked at the end of the statement,
  // when the user row exists.
  const [[created], pair] = await Promise.all([
    db()
      .with(...started, linked, recorded)
      .insert(users)
      .values({
        id: userId,
        email: identity.email!,
        password: unusablePassword(),
        fullName: (profile.fullName ?? identity.name ?? '').slice(0, 150),
        emailVerified: identity.emailVerified,
        lastLogin: new Date(),
      })
      .returning(),
    session.pair,
  ]);
  return { created: true, user: serializeUser(created!), ...pair };
}

/** The native flow: an ID token the app got from the provider's SDK. */
export async function signInWithIdToken(
  provider: OidcProviderConfig,
  input: { id_token: string; nonce?: string; full_name?: string },
  client: ClientInfo,
): Promise<SocialSignIn> {
  const identity = await verifyIdToken(provider, input.id_token, { nonce: input.nonce });
  return signInWithIdentity(identity, client, { fullName: input.full_name || undefined });
}
