/**
 * The database schema (drizzle). `npm run db:generate` turns changes here into a SQL migration in
 * `drizzle/`; `npm run db:migrate` applies them.
 */
import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';

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
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_date_joined_idx').on(t.dateJoined),
  ],
);

export type UserRow = typeof users.$inferSelect;
