/**
 * Sessions are refresh-token families. A login starts a family; every refresh rotates the token
 * (the old one is marked rotated, a child is issued). Presenting a rotated token again within the
 * grace window (concurrent retries from a client) yields another child of the same family;
 * later, it means the token leaked, so the whole family is revoked.
 *
 * A live token rotates in one statement; any other case runs in one transaction holding a row
 * lock on the presented token. Either way the row lock serialises N concurrent refreshes of one
 * token: never a 500, never two live families.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { config } from '../config.js';
import { db, type Transaction } from '../db/index.js';
import { refreshTokens, users } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { signToken, verifyToken } from './jwt.js';
import { isUuid } from './users.js';

/** The contract's token pair. */
export interface TokenPair {
  access: string;
  refresh: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Who asked, kept with the session for the admin's session list and audits. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

type Executor = Transaction | ReturnType<typeof db>;

/** Only this digest of a refresh token's `jti` is stored. */
const hashTokenId = (jti: string) => createHash('sha256').update(jti).digest('hex');

/**
 * A new session's refresh-token row, and its token pair (signed while the caller writes the row,
 * in whatever statement suits it: one round trip for the whole sign-in).
 */
export function newSession(userId: string, client: ClientInfo, familyId: string = randomUUID(), parentId: string | null = null) {
  const now = Math.floor(Date.now() / 1000);
  const refreshJti = randomUUID();
  const row = {
    tokenHash: hashTokenId(refreshJti),
    familyId,
    parentId,
    userId,
    issuedAt: new Date(now * 1000),
    expiresAt: new Date((now + config.jwt.refreshTtlS) * 1000),
    createdIp: client.ip?.slice(0, 64) ?? null,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
  };
  const pair = Promise.all([
    signToken('access', userId, randomUUID(), config.jwt.accessTtlS, now),
    signToken('refresh', userId, refreshJti, config.jwt.refreshTtlS, now),
  ]).then(([access, refresh]): TokenPair => ({ access, refresh, token_type: 'Bearer', expires_in: config.jwt.accessTtlS }));
  return { row, pair };
}

/**
 * Inserting a new session's row, as a CTE for a caller's own statement (login and register write
 * the user and the session in one round trip).
 */
export function sessionInsert(row: ReturnType<typeof newSession>['row']) {
  return db().$with('started').as(db().insert(refreshTokens).values(row).returning({ id: refreshTokens.id }));
}

async function mintPair(userId: string, familyId: string, parentId: string | null, client: ClientInfo, tx: Executor): Promise<TokenPair> {
  const session = newSession(userId, client, familyId, parentId);
  const [pair] = await Promise.all([session.pair, tx.insert(refreshTokens).values(session.row)]);
  return pair;
}

/** Starts a new session (family) for a user who just proved who they are. */
export function issueTokenPair(userId: string, client: ClientInfo, tx: Executor = db()): Promise<TokenPair> {
  return mintPair(userId, randomUUID(), null, client, tx);
}

type Rotation = { pair: TokenPair } | { revokedFamily: boolean };

/**
 * The common rotation, in one statement (one round trip, atomic): mark the presented token
 * rotated if it is live and its user active, and insert its child. The UPDATE's row lock
 * serialises concurrent refreshes of one token exactly as the transaction below does: the second
 * finds `rotated_at` set, matches nothing, and takes the full path (grace window or revocation).
 */
async function rotateLiveToken(claims: { sub: string; jti: string }, client: ClientInfo): Promise<TokenPair | undefined> {
  if (!isUuid(claims.sub)) return undefined;
  // The family and parent come from the rotated row, inside the statement.
  const session = newSession(claims.sub, client);
  const { row } = session;
  // The service's clock, like the full path's: the grace window compares against it.
  const now = row.issuedAt.toISOString();
  const [rows, pair] = await Promise.all([
    db().execute(sql`
      with rotated as (
        update ${refreshTokens} set rotated_at = ${now}::timestamptz
        where token_hash = ${hashTokenId(claims.jti)} and user_id = ${claims.sub}
          and rotated_at is null and revoked_at is null and expires_at > ${now}::timestamptz
          and exists (select 1 from ${users} where ${users.id} = ${claims.sub} and ${users.isActive})
        returning id, family_id)
      insert into ${refreshTokens} (token_hash, family_id, parent_id, user_id, issued_at, expires_at, created_ip, user_agent)
      select ${row.tokenHash}, family_id, id, ${row.userId}::uuid, ${now}::timestamptz, ${row.expiresAt.toISOString()}::timestamptz, ${row.createdIp}, ${row.userAgent}
      from rotated
      returning id`),
    // Signed meanwhile; thrown away if the token turns out not to be live.
    session.pair,
  ]);
  return rows.length === 1 ? pair : undefined;
}

/** Exchanges a refresh token for a new pair (rotation with reuse detection). */
export async function rotateRefreshToken(token: string, client: ClientInfo): Promise<TokenPair> {
  const verified = await verifyToken(token, 'refresh');
  if (!verified.ok) throw problems.invalidRefreshToken();
  const { claims } = verified;

  const rotated = await rotateLiveToken(claims, client);
  if (rotated) return rotated;

  const outcome = await db().transaction(async (tx): Promise<Rotation> => {
    const [row] = await tx
      .select({ token: refreshTokens, userActive: users.isActive })
      .from(refreshTokens)
      .innerJoin(users, eq(users.id, refreshTokens.userId))
      .where(eq(refreshTokens.tokenHash, hashTokenId(claims.jti)))
      .for('update', { of: refreshTokens });
    if (!row || row.token.userId !== claims.sub) return { revokedFamily: false };
    const { token: current } = row;
    const now = new Date();
    if (current.revokedAt || current.expiresAt <= now || !row.userActive) return { revokedFamily: false };

    if (current.rotatedAt) {
      const sinceRotationS = (now.getTime() - current.rotatedAt.getTime()) / 1000;
      if (sinceRotationS > config.jwt.refreshReuseGraceS) {
        await revokeFamilyById(current.familyId, tx);
        return { revokedFamily: true };
      }
    } else {
      await tx.update(refreshTokens).set({ rotatedAt: now }).where(eq(refreshTokens.id, current.id));
    }
    return { pair: await mintPair(current.userId, current.familyId, current.id, client, tx) };
  });

  if ('pair' in outcome) return outcome.pair;
  throw problems.invalidRefreshToken();
}

async function revokeFamilyById(familyId: string, tx: Executor): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/**
 * Logout: revokes the family of a refresh token. Idempotent: a revoked, expired or unknown (but
 * genuinely signed) token is already logged out. Only a malformed or forged token is an error.
 */
export async function revokeFamilyOfToken(token: string): Promise<void> {
  const verified = await verifyToken(token, 'refresh');
  if (!verified.ok && verified.reason === 'invalid') throw problems.invalidRefreshToken();
  const [row] = await db()
    .select({ familyId: refreshTokens.familyId, userId: refreshTokens.userId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, hashTokenId(verified.claims.jti)));
  if (row && row.userId === verified.claims.sub) await revokeFamilyById(row.familyId, db());
}

/** The statement revoking every live session of a user, to await or to use as a CTE. */
export function revokeAllSessionsStatement(userId: string, tx: Executor = db()) {
  return tx
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
}

/** Revokes every session of a user (password change or reset, deactivation, admin action). */
export async function revokeAllSessions(userId: string, tx: Executor = db()): Promise<number> {
  return (await revokeAllSessionsStatement(userId, tx)).length;
}
