/**
 * One row of a Django user table → one row of `users`, or the reason it cannot be imported.
 * Pure functions: every source (a live table, a CSV or JSON export) hands rows here in the same
 * shape, so the three read the same way and the rules live in one place.
 *
 * The importer never guesses at a value it cannot read: an unreadable flag or date skips the row
 * with a reason, because importing `is_active` or `is_staff` wrongly would change who may sign in.
 */
import { describeDjangoHash } from '../../lib/auth/django-hashers.js';
import { Email } from '../../lib/auth/schemas.js';

/** A value as a source delivers it: CSV and the database give strings, JSON gives its own types. */
export type SourceValue = string | number | boolean | null | undefined;
export type SourceRecord = Record<string, SourceValue>;

/** The `users.full_name` limit (varchar(150), counted in characters like Postgres does). */
export const FULL_NAME_MAX = 150;

/** A row ready for `users`, values already normalised. */
export interface UserRecord {
  email: string;
  /** Django's `password` column, kept byte for byte: login verifies it and re-hashes to bcrypt. */
  password: string;
  fullName: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
}

/** Where `full_name` came from, in the order they are tried. */
export type NameSource = 'full_name' | 'first_last' | 'username' | 'email';

/** Things worth telling the operator about a row that was still imported. */
export type WarningKind = 'full_name_truncated' | 'date_joined_missing' | 'timestamp_without_zone';

export type SkipReason = 'no_email' | 'invalid_email' | 'duplicate_email' | 'invalid_field';

export type MappedRecord =
  | { ok: true; user: UserRecord; nameSource: NameSource; warnings: WarningKind[] }
  | { ok: false; reason: Exclude<SkipReason, 'duplicate_email'>; detail: string };

/** Thrown inside the mapping for one unreadable field; becomes an `invalid_field` skip. */
class FieldError extends Error {}

/** The id a report names a row by: the source's `id`, else its position (`#1` is the first row). */
export function sourceIdOf(record: SourceRecord, index: number): string {
  const id = record.id ?? record.pk;
  return id === null || id === undefined || id === '' ? `#${index + 1}` : String(id);
}

const isBlank = (value: SourceValue) =>
  value === null || value === undefined || (typeof value === 'string' && value.trim() === '');

function text(record: SourceRecord, field: string): string {
  const value = record[field];
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string' && typeof value !== 'number') throw new FieldError(`${field} is not text`);
  const result = String(value);
  // Postgres refuses NUL in text: one such row would otherwise abort its whole batch.
  if (result.includes('\u0000')) throw new FieldError(`${field} contains a NUL character`);
  return result;
}

const TRUE = new Set(['t', 'true', '1', 'y', 'yes', 'on']);
const FALSE = new Set(['f', 'false', '0', 'n', 'no', 'off']);

/** `true`/`false` in the spellings exports use (psql `t`/`f`, Python `True`/`False`, `1`/`0`); blank → `fallback`. */
export function parseFlag(record: SourceRecord, field: string, fallback: boolean): boolean {
  const value = record[field];
  if (isBlank(value)) return fallback;
  if (typeof value === 'boolean') return value;
  const spelled = String(value).trim().toLowerCase();
  if (TRUE.has(spelled)) return true;
  if (FALSE.has(spelled)) return false;
  throw new FieldError(`${field} is not true or false`);
}

// ISO 8601 and Postgres' text output (`2024-05-01 09:30:00.123456+00`, what `psql \copy` writes).
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A timestamp, and whether it lacked a zone (such values are read as UTC, Django's storage zone). */
export function parseTimestamp(value: string): { date: Date; withoutZone: boolean } | undefined {
  const match = TIMESTAMP.exec(value.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.UTC maps years 0-99 onto 1900-1999; such dates are corrupt data anyway.
  if (year < 1000) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
  if (!monthDays || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  return { date: new Date(utc), withoutZone: zone === undefined };
}

function timestamp(record: SourceRecord, field: string, warnings: WarningKind[]): Date | null {
  const value = record[field];
  if (isBlank(value)) return null;
  const parsed = typeof value === 'string' ? parseTimestamp(value) : undefined;
  if (!parsed) throw new FieldError(`${field} is not a timestamp`);
  if (parsed.withoutZone && !warnings.includes('timestamp_without_zone')) warnings.push('timestamp_without_zone');
  return parsed.date;
}

/** Cuts to `max` characters (code points, as Postgres counts them, so no surrogate pair is split). */
function cut(value: string, max: number): { value: string; cut: boolean } {
  const chars = Array.from(value);
  return chars.length > max ? { value: chars.slice(0, max).join('').trimEnd(), cut: true } : { value, cut: false };
}

/**
 * The display name: the table's `full_name`, else `first_name last_name`, else `username`, else
 * the email's local part. The last step exists because the contract's User always has a
 * non-blank `full_name` (registration requires one), and clients may rely on that.
 */
function fullNameOf(record: SourceRecord, email: string): { name: string; source: NameSource } {
  const full = text(record, 'full_name').trim();
  if (full) return { name: full, source: 'full_name' };
  const firstLast = [text(record, 'first_name').trim(), text(record, 'last_name').trim()].filter(Boolean).join(' ');
  if (firstLast) return { name: firstLast, source: 'first_last' };
  const username = text(record, 'username').trim();
  if (username) return { name: username, source: 'username' };
  return { name: email.slice(0, email.lastIndexOf('@')), source: 'email' };
}

/** Maps one source row (columns named as in `auth_user`) to a user, or says why it is skipped. */
export function mapDjangoRecord(record: SourceRecord, now: Date): MappedRecord {
  try {
    const rawEmail = text(record, 'email');
    if (rawEmail.trim() === '') return { ok: false, reason: 'no_email', detail: 'email is blank' };
    // The same rule as registration (trim, lower-case, valid, at most 254): an address the
    // service would refuse at sign-up must not slip in through the import either.
    const email = Email.safeParse(rawEmail);
    if (!email.success)
      return { ok: false, reason: 'invalid_email', detail: `"${rawEmail.trim()}" is not a valid email address` };

    const warnings: WarningKind[] = [];
    const { name, source: nameSource } = fullNameOf(record, email.data);
    const fullName = cut(name, FULL_NAME_MAX);
    if (fullName.cut) warnings.push('full_name_truncated');
    let dateJoined = timestamp(record, 'date_joined', warnings);
    if (!dateJoined) {
      dateJoined = now;
      warnings.push('date_joined_missing');
    }
    const user: UserRecord = {
      email: email.data,
      password: text(record, 'password'),
      fullName: fullName.value,
      // Django's own defaults for a new user; AbstractBaseUser has no is_active column at all.
      isActive: parseFlag(record, 'is_active', true),
      isStaff: parseFlag(record, 'is_staff', false),
      isSuperuser: parseFlag(record, 'is_superuser', false),
      dateJoined,
      lastLogin: timestamp(record, 'last_login', warnings),
    };
    return { ok: true, user, nameSource, warnings };
  } catch (error) {
    if (error instanceof FieldError) return { ok: false, reason: 'invalid_field', detail: error.message };
    throw error;
  }
}

const NATIVE_BCRYPT = /^\$2[aby]\$\d{2}\$/;
const NATIVE_BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/**
 * Names a stored password's format for the summary, without hashing anything. Besides Django's
 * formats, a bare bcrypt string (some exports pre-convert) verifies natively.
 */
export function describePasswordFormat(encoded: string): { algorithm: string; supported: boolean } {
  if (encoded === '') return { algorithm: 'empty', supported: false };
  if (NATIVE_BCRYPT.test(encoded)) return { algorithm: 'bcrypt (native)', supported: NATIVE_BCRYPT_HASH.test(encoded) };
  return describeDjangoHash(encoded);
}
