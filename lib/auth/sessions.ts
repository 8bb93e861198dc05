/**
 * Sessions are refresh-token families. A login starts a family (and its `sessions` row, whose id
 * is the family id and the `sid` claim of every token of it); every refresh rotates the token
 * (the old one is marked rotated, a child is issued). Presenting a rotated token again within the
 * grace window (concurrent retries from a client) yields another child of the same family;
 * later, it means the token leaked, so the whole family is revoked.
 *
 * A live token rotates in one statement; any other case runs in one transaction holding a row
 * lock on the presented token. Either way the row lock serialises N concurrent refreshes of one
 * token: never a 500, never two live families.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, fillPlaceholders, isNull, ne, type Placeholder, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';
import { config } from '../config.js';
import { db, type Transaction } from '../db/index.js';
import { sql as postgresClient } from '../db/sql.js';
import { refreshTokens, sessions, users } from '../db/schema.js';
import { problems } from '../http/problem.js';
import { recordSecurityEvent } from './events/record.js';
import { signToken, verifyToken } from './jwt.js';
import type { TokenPair } from './responses.js';
import { isUuid } from './users.js';

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
export function newSession(
  userId: string,
  client: ClientInfo,
  familyId: string = randomUUID(),
  parentId: string | null = null,
) {
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
    signToken({ type: 'access', sub: userId, jti: randomUUID(), sid: familyId }, config.jwt.accessTtlS, now),
    signToken({ type: 'refresh', sub: userId, jti: refreshJti, sid: familyId }, config.jwt.refreshTtlS, now),
  ]).then(
    ([access, refresh]): TokenPair => ({ access, refresh, token_type: 'Bearer', expires_in: config.jwt.accessTtlS }),
  );
  return { row, pair };
}

type TokenRow = ReturnType<typeof newSession>['row'];

/**
 * A new family's `sessions` row, with millisecond times (tokens carry whole seconds) so that two
 * sign-ins within one second still list in order.
 */
const sessionRow = (row: TokenRow, at = new Date()) => ({
  id: row.familyId,
  userId: row.userId,
  createdAt: at,
  lastUsedAt: at,
  expiresAt: row.expiresAt,
  ip: row.createdIp,
  userAgent: row.userAgent,
});

/**
 * Inserting a new session (its `sessions` row and first refresh token), as CTEs for a caller's
 * own statement: `db().with(...sessionInsert(row))` (login and register write the user and the
 * session in one round trip).
 */
export function sessionInsert(row: TokenRow) {
  return [
    db()
      .$with('started_session')
      .as(db().insert(sessions).values(sessionRow(row)).returning({ id: sessions.id })),
    db()
      .$with('started')
      .as(db().insert(refreshTokens).values(row).returning({ id: refreshTokens.id })),
  ] as const;
}

/** Starts a new session (family) for a user who just proved who they are. */
export async function issueTokenPair(userId: string, client: ClientInfo, tx: Executor = db()): Promise<TokenPair> {
  const session = newSession(userId, client);
  const [startedSession] = sessionInsert(session.row);
  const [pair] = await Promise.all([session.pair, tx.with(startedSession).insert(refreshTokens).values(session.row)]);
  return pair;
}

/** A rotation's child token in an existing family (the full path), touching its session. */
async function mintChild(
  userId: string,
  familyId: string,
  parentId: string,
  client: ClientInfo,
  tx: Executor,
): Promise<TokenPair> {
  const session = newSession(userId, client, familyId, parentId);
  const { row } = session;
  const [pair] = await Promise.all([
    session.pair,
    tx.insert(refreshTokens).values(row),
    tx
      .update(sessions)
      .set({ lastUsedAt: new Date(), expiresAt: row.expiresAt, ip: row.createdIp, userAgent: row.userAgent })
      .where(eq(sessions.id, familyId)),
  ]);
  return pair;
}

type Rotation = { pair: TokenPair } | { revokedFamily: boolean };

/**
 * Whether a refresh token may still be exchanged at `now`, whatever its rotation state: not
 * revoked, not expired, its user active, its session not ended (a token from before sessions
 * has no `sessions` row, and only its own expiry bounds it). One SQL condition on the
 * `refresh_tokens` row, so the one-statement rotation and the full path cannot disagree on it.
 */
const refreshTokenLive = (now: Date | Placeholder) => sql`(${refreshTokens.revokedAt} is null
  and ${refreshTokens.expiresAt} > ${now instanceof Date ? now.toISOString() : now}::timestamptz
  and exists (select 1 from ${users} where ${users.id} = ${refreshTokens.userId} and ${users.isActive})
  and not exists (select 1 from ${sessions} where ${sessions.id} = ${refreshTokens.familyId} and ${sessions.revokedAt} is not null))`;

const param = (name: string) => sql.placeholder(name);

/**
 * The rotation statement's text, built once and sent as a named prepared statement (postgres.js
 * caches it per connection): one round trip per refresh, and no SQL built per request. Through
 * drizzle's `execute()` the text was rebuilt on every call, about a quarter of refresh's garbage (and of
 * its GC pauses, the tail of a refresh). Behind a transaction-mode pooler (`DB_PREPARE=false`)
 * postgres.js sends it unnamed.
 */
const rotation = new PgDialect().sqlToQuery(sql`
  with rotated as (
    update ${refreshTokens} set rotated_at = ${param('now')}::timestamptz
    where token_hash = ${param('presentedHash')} and user_id = ${param('userId')} and family_id = ${param('familyId')}
      and rotated_at is null and ${refreshTokenLive(param('now'))}
    returning id, family_id),
  touched as (
    update ${sessions} set last_used_at = ${param('lastUsedAt')}::timestamptz, expires_at = ${param('expiresAt')}::timestamptz,
      ip = ${param('ip')}, user_agent = ${param('userAgent')}
    where ${sessions.id} = (select family_id from rotated))
  insert into ${refreshTokens} (token_hash, family_id, parent_id, user_id, issued_at, expires_at, created_ip, user_agent)
  select ${param('childHash')}, family_id, id, ${param('userId')}::uuid, ${param('now')}::timestamptz, ${param('expiresAt')}::timestamptz, ${param('ip')}, ${param('userAgent')}
  from rotated
  returning id`);

/**
 * The common rotation, in one statement (one round trip, atomic): mark the presented token
 * rotated if it is unrotated and live ({@link refreshTokenLive}), and insert its child. The UPDATE's row lock
 * serialises concurrent refreshes of one token exactly as the transaction below does: the second
 * finds `rotated_at` set, matches nothing, and takes the full path (grace window or revocation).
 */
async function rotateLiveToken(
  claims: { sub: string; jti: string; sid?: string },
  client: ClientInfo,
): Promise<TokenPair | undefined> {
  // A token from before sessions existed carries no sid: the full path learns its family.
  if (!isUuid(claims.sub) || !claims.sid || !isUuid(claims.sid)) return undefined;
  // The parent comes from the rotated row, inside the statement; the family is the token's sid.
  const session = newSession(claims.sub, client, claims.sid);
  const { row } = session;
  // The service's clock, like the full path's: the grace window compares against it.
  const now = row.issuedAt.toISOString();
  const [rows, pair] = await Promise.all([
    postgresClient().unsafe(
      rotation.sql,
      fillPlaceholders(rotation.params, {
        now,
        presentedHash: hashTokenId(claims.jti),
        userId: claims.sub,
        familyId: claims.sid,
        lastUsedAt: new Date().toISOString(),
        expiresAt: row.expiresAt.toISOString(),
        ip: row.createdIp,
        userAgent: row.userAgent,
        childHash: row.tokenHash,
      }) as postgres.ParameterOrJSON<never>[],
      { prepare: true },
    ),
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
    const now = new Date();
    const [row] = await tx
      .select({ token: refreshTokens, live: sql<boolean>`${refreshTokenLive(now)}` })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashTokenId(claims.jti)))
      .for('update', { of: refreshTokens });
    if (!row || row.token.userId !== claims.sub || !row.live) return { revokedFamily: false };
    const { token: current } = row;

    if (current.rotatedAt) {
      const sinceRotationS = (now.getTime() - current.rotatedAt.getTime()) / 1000;
      if (sinceRotationS > config.jwt.refreshReuseGraceS) {
        await endSessions({ userId: current.userId, sessionId: current.familyId }, tx);
        await recordSecurityEvent(
          { type: 'refresh_reuse_detected', userId: current.userId, client, details: { session_id: current.familyId } },
          tx,
        );
        return { revokedFamily: true };
      }
    } else {
      await tx.update(refreshTokens).set({ rotatedAt: now }).where(eq(refreshTokens.id, current.id));
    }
    return { pair: await mintChild(current.userId, current.familyId, current.id, client, tx) };
  });

  if ('pair' in outcome) return outcome.pair;
  throw problems.invalidRefreshToken();
}

/** Which sessions of a user to end: one, all, or all but the caller's own. */
export interface SessionScope {
  userId: string;
  sessionId?: string;
  exceptSessionId?: string;
}

/**
 * Ending sessions, as CTEs for a caller's own statement: their refresh tokens are revoked, then
 * their `sessions` rows (which the authenticate guard reads, so their access tokens stop at
 * once). The second reads the first, so the tokens are always locked before the session row, in
 * the same order a rotation takes them: the two never deadlock.
 */
export function endSessionsCtes(scope: SessionScope, tx: Executor = db()) {
  const at = new Date();
  const tokens = tx.$with('ended_tokens').as(
    tx
      .update(refreshTokens)
      .set({ revokedAt: at })
      .where(
        and(
          eq(refreshTokens.userId, scope.userId),
          isNull(refreshTokens.revokedAt),
          scope.sessionId ? eq(refreshTokens.familyId, scope.sessionId) : undefined,
          scope.exceptSessionId ? ne(refreshTokens.familyId, scope.exceptSessionId) : undefined,
        ),
      )
      .returning({ id: refreshTokens.id }),
  );
  const ended = tx.$with('ended_sessions').as(
    tx
      .update(sessions)
      .set({ revokedAt: at })
      .where(
        and(
          eq(sessions.userId, scope.userId),
          isNull(sessions.revokedAt),
          scope.sessionId ? eq(sessions.id, scope.sessionId) : undefined,
          scope.exceptSessionId ? ne(sessions.id, scope.exceptSessionId) : undefined,
          sql`(select count(*) from ${tokens}) >= 0`,
        ),
      )
      .returning({ id: sessions.id }),
  );
  return [tokens, ended] as const;
}

/** Ends sessions (see {@link endSessionsCtes}); answers the ids of the sessions that were live. */
export async function endSessions(scope: SessionScope, tx: Executor = db()): Promise<string[]> {
  const [tokens, ended] = endSessionsCtes(scope, tx);
  const rows = await tx.with(tokens, ended).select({ id: ended.id }).from(ended);
  return rows.map((r) => r.id);
}

/**
 * Logout: ends the session of a refresh token. Idempotent: a revoked, expired or unknown (but
 * genuinely signed) token is already logged out. Only a malformed or forged token is an error.
 */
export async function revokeFamilyOfToken(token: string, client: ClientInfo = {}): Promise<void> {
  const verified = await verifyToken(token, 'refresh');
  if (!verified.ok && verified.reason === 'invalid') throw problems.invalidRefreshToken();
  const { claims } = verified;
  const [row] = await db()
    .select({ familyId: refreshTokens.familyId, userId: refreshTokens.userId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, hashTokenId(claims.jti)));
  if (!row || row.userId !== claims.sub) return;
  await db().transaction(async (tx) => {
    const ended = await endSessions({ userId: row.userId, sessionId: row.familyId }, tx);
    // A repeated logout ends nothing and records nothing.
    if (ended.length)
      await recordSecurityEvent(
        { type: 'logout', userId: row.userId, client, details: { session_id: row.familyId } },
        tx,
      );
  });
}

/** The CTEs ending every session of a user, for a caller's own statement (password change). */
export function revokeAllSessionsStatement(userId: string, tx: Executor = db()) {
  return endSessionsCtes({ userId }, tx);
}

/** Ends every session of a user (password change or reset, deactivation, admin action); answers how many were live. */
export async function revokeAllSessions(userId: string, tx: Executor = db()): Promise<number> {
  return (await endSessions({ userId }, tx)).length;
}
