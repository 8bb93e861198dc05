/**
 * The database schema (drizzle). `npm run db:generate` turns changes here into a SQL migration in
 * `drizzle/`; `npm run db:migrate` applies them.
 */
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored trimmed and lower-cased (the contract's normalisation); unique case-insensitively. */
    email: varchar('email', { length: 254 }).notNull(),
    /** bcrypt hash, or a Django hash of an imported user until their first login re-hashes it. */
    password: text('password').notNull(),
    fullName: varchar('full_name', { length: 150 }).notNull(),
    isActive: boolean('is_active').notNull().default(true),
    isStaff: boolean('is_staff').notNull().default(false),
    isSuperuser: boolean('is_superuser').notNull().default(false),
    dateJoined: timestamp('date_joined', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastLogin: timestamp('last_login', { withTimezone: true, mode: 'date' }),
    /** Whether the user proved they own `email` (a verification link, a reset link, or a provider's word). */
    emailVerified: boolean('email_verified').notNull().default(false),
    /** Whether a confirmed TOTP factor guards sign-in. */
    mfaEnabled: boolean('mfa_enabled').notNull().default(false),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_date_joined_idx').on(t.dateJoined),
  ],
);

export type UserRow = typeof users.$inferSelect;

/**
 * Refresh tokens, one row per token issued. A login starts a family; each rotation adds a child
 * and marks its parent rotated. Only a SHA-256 of the token's `jti` is stored, so a database dump
 * yields nothing that can be presented as a token.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: varchar('token_hash', { length: 64 }).notNull(),
    familyId: uuid('family_id').notNull(),
    parentId: uuid('parent_id'),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    issuedAt: timestamp('issued_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    createdIp: varchar('created_ip', { length: 64 }),
    userAgent: varchar('user_agent', { length: 512 }),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_key').on(t.tokenHash),
    index('refresh_tokens_family_idx').on(t.familyId),
    index('refresh_tokens_user_idx').on(t.userId),
    // The retention job (lib/retention/) deletes by these.
    index('refresh_tokens_expires_at_idx').on(t.expiresAt),
    index('refresh_tokens_revoked_at_idx').on(t.revokedAt).where(sql`${t.revokedAt} is not null`),
  ],
);

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

/**
 * Sessions: one row per sign-in, its id being the refresh-token family's (`family_id`) and the
 * `sid` claim of every token of that family. Ending a session sets `revoked_at`; the
 * authenticate guard checks it in the same statement that loads the user, so the session's
 * access tokens stop working at once. `expires_at` follows the newest refresh token; `ip` and
 * `user_agent` are the last seen (sign-in, then each refresh).
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    ip: varchar('ip', { length: 64 }),
    userAgent: varchar('user_agent', { length: 512 }),
  },
  (t) => [
    index('sessions_user_live_idx').on(t.userId, t.createdAt).where(sql`${t.revokedAt} is null`),
    index('sessions_expires_idx').on(t.expiresAt),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;

/**
 * The audit log: one row per security-relevant event (the contract's "Security events"). No
 * foreign key on `user_id`/`actor_id`: the record of what happened to an account outlives the
 * account (an `admin_user_deleted` event must survive the deletion it records).
 * `details` never holds a password, token, hash, secret or name.
 */
export const securityEvents = pgTable(
  'security_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    type: varchar('type', { length: 64 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    userId: uuid('user_id'),
    actorId: uuid('actor_id'),
    ip: varchar('ip', { length: 64 }),
    userAgent: varchar('user_agent', { length: 512 }),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    // Newest first, the id breaking ties (events of one statement share `created_at`): the order
    // of every read, served by the index without a sort. The last one is also the retention job's.
    index('security_events_user_created_idx').on(t.userId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('security_events_type_created_idx').on(t.type, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('security_events_created_idx').on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  ],
);

export type SecurityEventRow = typeof securityEvents.$inferSelect;

/**
 * Social sign-in identities: one row per (provider, `sub`) linked to an account. The provider's
 * `sub` is the identity; `email` is what the provider last said, for the user's and staff's eyes
 * only (matching is never by this column).
 */
export const userIdentities = pgTable(
  'user_identities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: varchar('provider', { length: 32 }).notNull(),
    subject: varchar('subject', { length: 255 }).notNull(),
    email: varchar('email', { length: 254 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('user_identities_provider_subject_key').on(t.provider, t.subject),
    index('user_identities_user_idx').on(t.userId),
  ],
);

export type UserIdentityRow = typeof userIdentities.$inferSelect;

/**
 * A user's TOTP factor (RFC 6238). `secret` is AES-256-GCM ciphertext (lib/auth/mfa/secret-box.ts),
 * never the clear secret. A row without `confirmed_at` is a pending setup; a confirmed row exists
 * exactly when `users.mfa_enabled` is true (both change in one transaction).
 */
export const mfaTotp = pgTable('mfa_totp', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  secret: text('secret').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  confirmedAt: timestamp('confirmed_at', { withTimezone: true, mode: 'date' }),
});

export type MfaTotpRow = typeof mfaTotp.$inferSelect;

/** Single-use recovery codes, one row each; only a SHA-256 of the code is stored. */
export const mfaRecoveryCodes = pgTable(
  'mfa_recovery_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: varchar('code_hash', { length: 64 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('mfa_recovery_codes_user_hash_key').on(t.userId, t.codeHash)],
);
