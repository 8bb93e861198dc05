/**
 * lib/db/index.ts: drizzle's queries go out as named prepared statements, transactions included
 * (one round trip each; postgres.js sends an unnamed statement with parameters in two).
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { db } from '../../lib/db/index.js';
import { users } from '../../lib/db/schema.js';
import { sql } from '../../lib/db/sql.js';

/** How many statements with exactly this text the connection has prepared (the pool holds one). */
const preparedCount = async (text: string) =>
  (await sql()`select count(*)::int as count from pg_prepared_statements where statement = ${text}`)[0]!.count;

describe('queries on the wire', () => {
  it('sends a drizzle query as a named prepared statement, prepared once however often it runs', async () => {
    // A text no other test runs: the limit is this test's own.
    const query = (email: string) => db().select({ id: users.id }).from(users).where(eq(users.email, email)).limit(7);
    for (let i = 0; i < 3; i++) await query(`nobody-${i}@example.com`);
    expect(await preparedCount(query('').toSQL().sql)).toBe(1);
  });

  it('does the same inside a transaction', async () => {
    const query = () => db().select({ email: users.email }).from(users).where(eq(users.id, users.id)).limit(11);
    await db().transaction(async (tx) => {
      await tx.select({ email: users.email }).from(users).where(eq(users.id, users.id)).limit(11);
    });
    expect(await preparedCount(query().toSQL().sql)).toBe(1);
  });
});
