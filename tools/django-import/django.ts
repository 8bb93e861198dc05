/**
 * Imports the Django service's users into `users`, keeping their password hashes so nobody has to
 * reset a password: login verifies the Django hash (`lib/auth/passwords.ts`) and re-hashes it to
 * bcrypt on first success (`lib/auth/login.ts`). `npm run import:django` is a thin CLI over
 * {@link importDjangoUsers}.
 *
 * Two passes over one consistent view of the source: the first finds emails that several source
 * rows share once normalised (`Ann@x.com` and `ann@x.com` are one account here, two in Django);
 * those rows are all skipped and reported, because choosing one would silently give the account
 * to one of two people. The second pass upserts the rest in batches, one transaction each.
 *
 * Re-running is safe and is how a final sync before the cut-over works: rows are matched by
 * normalised email, never duplicated. What an update may change depends on whether the account
 * has been used in this service since (its password is bcrypt: signed in, registered or reset
 * here). If not, Django is still its source of truth and every field is overwritten. If it has,
 * this service's password and name win, and the flags only ever lose rights (`is_active`,
 * `is_staff` and `is_superuser` become old AND new): the import can carry a deactivation over
 * but never grants anything to an account that someone may have registered here first.
 */
import { sql } from '../../lib/db/sql.js';
import {
  describePasswordFormat,
  mapDjangoRecord,
  type NameSource,
  type SkipReason,
  sourceIdOf,
  type UserRecord,
  type WarningKind,
} from './records.js';
import { Email } from '../../lib/auth/schemas.js';
import { ImportError, openSource, type SourceSpec } from './sources.js';

export { ImportError, type SourceSpec } from './sources.js';

export const DEFAULT_BATCH_SIZE = 500;

export interface ImportOptions {
  source: SourceSpec;
  /** Reads, validates and runs every batch, then rolls each one back: the report is exact, nothing is written. */
  dryRun?: boolean;
  batchSize?: number;
  /** Called after each batch with rows processed so far (skipped ones included) and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stands in for a missing `date_joined`. */
  now?: Date;
  /** Also return which service id each source row became (see {@link ImportSummary.idMap}). */
  collectIdMap?: boolean;
  /**
   * Mark every imported or updated account's email verified (`--mark-verified`), for services
   * that trust the addresses Django held. Without it, new accounts start unverified; either way an
   * account already verified here stays verified.
   */
  markVerified?: boolean;
}

export interface SkippedRow {
  /** The source's `id` (or `#n`, the row's position, when it has none). */
  id: string;
  reason: SkipReason;
  detail: string;
}

export interface PasswordFormatCount {
  algorithm: string;
  /** Whether login can verify it; the others must reset their password. */
  supported: boolean;
  count: number;
}

export interface ImportSummary {
  source: string;
  dryRun: boolean;
  /** Whether the run marked emails verified (`--mark-verified`). */
  markVerified: boolean;
  read: number;
  /** New accounts. */
  imported: number;
  /** Accounts that existed (matched by normalised email) and were updated. */
  updated: number;
  /** Source ids of updated accounts whose bcrypt password from this service was kept. */
  keptNewerPassword: string[];
  skipped: SkippedRow[];
  /** Emails that several source rows share after normalisation; every one of those rows is skipped. */
  conflicts: { email: string; ids: string[] }[];
  /** Source ids per warning, for rows imported anyway. */
  warnings: Partial<Record<WarningKind, string[]>>;
  /** Where `full_name` came from. */
  nameSources: Record<NameSource, number>;
  /** Formats of the Django passwords stored by this run, most common first. */
  passwordFormats: PasswordFormatCount[];
  elapsedMs: number;
  /**
   * Source id → the account's id here (a UUID), for every imported or updated row, when asked
   * for: services that stored Django's integer user ids need it to follow their users.
   */
  idMap?: { sourceId: string; email: string; userId: string }[];
}

interface PendingRow {
  id: string;
  user: UserRecord;
}

const COLUMNS = [
  'email',
  'password',
  'full_name',
  'is_active',
  'is_staff',
  'is_superuser',
  'date_joined',
  'last_login',
  'email_verified',
] as const;

/** Thrown inside a dry run's transaction to roll it back once its outcome is known. */
class DryRunRollback extends Error {}

interface RowOutcome {
  userId: string;
  inserted: boolean;
  passwordKept: boolean;
}

/**
 * Upserts one batch in one transaction and says, per row, whether it was new and whether the
 * stored password was kept. Emails are unique within a batch (duplicates were skipped), as
 * `ON CONFLICT DO UPDATE` requires.
 */
async function writeBatch(rows: PendingRow[], dryRun: boolean, markVerified: boolean): Promise<RowOutcome[]> {
  const values = rows.map(({ user }) => ({
    email: user.email,
    password: user.password,
    full_name: user.fullName,
    is_active: user.isActive,
    is_staff: user.isStaff,
    is_superuser: user.isSuperuser,
    // As text: drizzle's driver makes the shared client pass timestamps through unserialised.
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin?.toISOString() ?? null,
    email_verified: markVerified,
  }));
  let outcomes: RowOutcome[] = [];
  try {
    await sql().begin(async (tx) => {
      // Used in this service since: only this service writes bare bcrypt (Django's is `bcrypt$...`).
      const usedHere = tx`(users.password ~ '^[$]2[aby][$]')`;
      const returned = await tx<{ id: string; email: string; inserted: boolean; password: string }[]>`
        insert into users ${tx(values, ...COLUMNS)}
        on conflict ((lower(email))) do update set
          password     = case when ${usedHere} then users.password else excluded.password end,
          full_name    = case when ${usedHere} then users.full_name else excluded.full_name end,
          is_active    = case when ${usedHere} then users.is_active and excluded.is_active else excluded.is_active end,
          is_staff     = case when ${usedHere} then users.is_staff and excluded.is_staff else excluded.is_staff end,
          is_superuser = case when ${usedHere} then users.is_superuser and excluded.is_superuser else excluded.is_superuser end,
          date_joined  = case when ${usedHere} then least(users.date_joined, excluded.date_joined) else excluded.date_joined end,
          last_login   = greatest(users.last_login, excluded.last_login),
          email_verified = users.email_verified or excluded.email_verified
        returning id, lower(email) as email, (xmax = 0) as inserted, password`;
      // xmax is 0 on a freshly inserted row version and the updating transaction's id on an
      // updated one: Postgres' usual way to tell the two apart in an upsert's RETURNING.
      const byEmail = new Map(returned.map((r) => [r.email, r]));
      outcomes = rows.map(({ user }) => {
        const row = byEmail.get(user.email)!;
        return { userId: row.id, inserted: row.inserted, passwordKept: row.password !== user.password };
      });
      if (dryRun) throw new DryRunRollback();
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return outcomes;
    // Only Postgres' own message: no parameters (hashes) and no connection URL.
    throw new ImportError(
      `Writing the batch starting at source row ${rows[0]!.id} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return outcomes;
}

async function requireUsersTable(): Promise<void> {
  const [row] = await sql()<{ table: string | null }[]>`select to_regclass('users')::text as table`;
  if (!row?.table)
    throw new ImportError('The service database has no users table yet: run `npm run db:migrate` first.');
}

/** Runs the import and returns its summary; throws {@link ImportError} on anything fatal. */
export async function importDjangoUsers(options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ImportError('The batch size must be a whole number of at least 1.');
  const dryRun = options.dryRun ?? false;
  const now = options.now ?? new Date();
  await requireUsersTable();
  const source = await openSource(options.source);

  const summary: ImportSummary = {
    source: source.description,
    dryRun,
    markVerified: options.markVerified ?? false,
    read: 0,
    imported: 0,
    updated: 0,
    keptNewerPassword: [],
    skipped: [],
    conflicts: [],
    warnings: {},
    nameSources: { full_name: 0, first_last: 0, username: 0, email: 0 },
    passwordFormats: [],
    elapsedMs: 0,
    ...(options.collectIdMap ? { idMap: [] } : {}),
  };
  const formats = new Map<string, PasswordFormatCount>();

  try {
    await source.read(async (reader) => {
      const total = await reader.count();

      // Pass 1: which valid emails more than one source row shares once normalised.
      const owners = new Map<string, string[]>();
      let index = 0;
      for await (const batch of reader.batches(batchSize, ['id', 'email'])) {
        for (const record of batch) {
          const id = sourceIdOf(record, index++);
          const email = typeof record.email === 'string' ? Email.safeParse(record.email) : undefined;
          if (!email?.success) continue;
          const ids = owners.get(email.data);
          if (ids) ids.push(id);
          else owners.set(email.data, [id]);
        }
      }
      const conflicts = new Map([...owners].filter(([, ids]) => ids.length > 1));
      owners.clear();
      summary.conflicts = [...conflicts].map(([email, ids]) => ({ email, ids }));

      // Pass 2: map, validate and upsert.
      index = 0;
      for await (const batch of reader.batches(batchSize)) {
        const pending: PendingRow[] = [];
        for (const record of batch) {
          const id = sourceIdOf(record, index++);
          const mapped = mapDjangoRecord(record, now);
          if (!mapped.ok) {
            summary.skipped.push({ id, reason: mapped.reason, detail: mapped.detail });
            continue;
          }
          const sharing = conflicts.get(mapped.user.email);
          if (sharing) {
            const others = sharing.filter((other) => other !== id).join(', ');
            summary.skipped.push({
              id,
              reason: 'duplicate_email',
              detail: `${mapped.user.email} is also the email of source row(s) ${others}`,
            });
            continue;
          }
          summary.nameSources[mapped.nameSource]++;
          for (const kind of mapped.warnings) (summary.warnings[kind] ??= []).push(id);
          pending.push({ id, user: mapped.user });
        }
        if (pending.length) {
          const outcomes = await writeBatch(pending, dryRun, summary.markVerified);
          outcomes.forEach((outcome, i) => {
            const { id, user } = pending[i]!;
            if (outcome.inserted) summary.imported++;
            else summary.updated++;
            summary.idMap?.push({ sourceId: id, email: user.email, userId: outcome.userId });
            if (outcome.passwordKept) {
              summary.keptNewerPassword.push(id);
              return;
            }
            const format = describePasswordFormat(user.password);
            const entry = formats.get(format.algorithm) ?? { ...format, count: 0 };
            entry.count++;
            formats.set(format.algorithm, entry);
          });
        }
        summary.read += batch.length;
        options.onProgress?.(summary.read, Math.max(total, summary.read));
      }
    });
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(
      `Reading ${source.description} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await source.close();
  }

  summary.passwordFormats = [...formats.values()].sort(
    (a, b) => b.count - a.count || a.algorithm.localeCompare(b.algorithm),
  );
  summary.elapsedMs = Math.round(performance.now() - started);
  return summary;
}
