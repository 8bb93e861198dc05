/**
 * `npm run import:django` against a real Postgres database laid out as Django creates it, with
 * password hashes that Django made (tests/fixtures/django-password-vectors.json), and sign-ins
 * through the real login handler afterwards.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findUserByEmail } from '../../lib/auth/users.js';
import { sql } from '../../lib/db/sql.js';
import { ImportError, type ImportOptions, importDjangoUsers } from '../../tools/django-import/django.js';
import { formatSummary } from '../../tools/django-import/summary.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';
import { closedPort } from '../helpers/ports.js';
import { login } from '../helpers/users.js';
import { expectProblem } from '../helpers/http.js';

interface Vector {
  id: string;
  algorithm: string;
  password: string;
  encoded: string;
}
const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const vectorFile = JSON.parse(readFileSync(fixturePath('django-password-vectors.json'), 'utf8')) as Record<
  'verifiable' | 'unsupported',
  Vector[]
>;
const VECTORS = [...vectorFile.verifiable, ...vectorFile.unsupported];
const vector = (id: string): Vector => {
  const found = VECTORS.find((v) => v.id === id);
  if (!found) throw new Error(`fixture vector ${id} is missing`);
  return found;
};
/** The plaintext of a hash copied from the vectors (the import fixtures use only those). */
const plaintextOf = (encoded: string) => VECTORS.find((v) => v.encoded === encoded)!.password;

/** One vector per supported Django format, the cheap ones where Django's own tests have them. */
const SUPPORTED = [
  't41-pbkdf2-sha256-seasalt',
  'd32-pbkdf2-sha1-5',
  'd32-bcrypt-sha256-7',
  'd32-bcrypt-12',
  't41-scrypt',
  'd32-md5-14',
  'd32-sha1-15',
  'd32-unsalted-md5-16',
  'd32-unsalted-sha1-17',
].map(vector);

interface DjangoUser {
  email: string;
  password: string;
  username: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: Date;
  last_login: Date | null;
}

let djangoUrl: string;
let django: postgres.Sql;
let tag: string;
let usernames = 0;

beforeAll(async () => {
  djangoUrl = uniqueDatabaseUrl(process.env.DATABASE_URL!, 'django');
  const admin = new URL(djangoUrl);
  admin.pathname = '/postgres';
  const server = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await server.unsafe(`create database "${new URL(djangoUrl).pathname.slice(1)}"`);
  await server.end();
  django = postgres(djangoUrl, { max: 1, onnotice: () => {} });
  await django.file(fixturePath('django-import/auth_user.sql'));
});

afterAll(async () => {
  await django?.end({ timeout: 1 });
  if (djangoUrl) await dropDatabase(djangoUrl);
});

beforeEach(async () => {
  tag = randomUUID().slice(0, 8);
  await django`truncate auth_user restart identity`;
});

/** An email unique to this test, in the case the Django row has it. */
const emailFor = (name: string) => `${name}-${tag}@django.example.com`;

/** Inserts rows into Django's auth_user (defaults as Django's createuser leaves them); returns their ids. */
async function addDjangoUsers(
  rows: (Partial<DjangoUser> & Pick<DjangoUser, 'email' | 'password'>)[],
): Promise<string[]> {
  const full: DjangoUser[] = rows.map((row) => ({
    username: `user-${tag}-${++usernames}`,
    first_name: '',
    last_name: '',
    is_active: true,
    is_staff: false,
    is_superuser: false,
    date_joined: new Date('2020-01-02T03:04:05.678Z'),
    last_login: null,
    ...row,
  }));
  const inserted = await django<{ id: number }[]>`insert into auth_user ${django(full)} returning id`;
  return inserted.map((r) => String(r.id));
}

const importFromDjango = (options: Partial<ImportOptions> = {}) =>
  importDjangoUsers({ source: { url: djangoUrl }, ...options });

/** The service's row for an email (drizzle, so timestamps are Dates), or undefined. */
const storedUser = (email: string) => findUserByEmail(email);

describe('importing from the Django database', () => {
  it('lets every imported user sign in with their Django password, then moves them to bcrypt', async () => {
    const ids = await addDjangoUsers(
      SUPPORTED.map((v, i) => ({
        email: emailFor(`login${i}`),
        password: v.encoded,
        first_name: 'Ann',
        last_name: `Lee ${i}`,
        is_staff: i === 0,
      })),
    );

    const summary = await importFromDjango();
    expect(summary).toMatchObject({
      dryRun: false,
      read: SUPPORTED.length,
      imported: SUPPORTED.length,
      updated: 0,
      skipped: [],
      conflicts: [],
    });
    expect(summary.passwordFormats.map((f) => f.algorithm).sort()).toEqual(
      [...new Set(SUPPORTED.map((v) => v.algorithm))].sort(),
    );
    expect(summary.passwordFormats.every((f) => f.supported)).toBe(true);

    for (const [i, v] of SUPPORTED.entries()) {
      const email = emailFor(`login${i}`);
      const before = await storedUser(email);
      expect(before, v.id).toMatchObject({
        password: v.encoded,
        fullName: `Ann Lee ${i}`,
        isStaff: i === 0,
        lastLogin: null,
      });
      expect(before!.dateJoined.toISOString()).toBe('2020-01-02T03:04:05.678Z');

      const first = await login(email, v.password);
      expect(first.status, `${v.id}: ${JSON.stringify(first.body)}`).toBe(200);
      expect(first.body.user).toMatchObject({ id: before!.id, email, full_name: `Ann Lee ${i}`, is_staff: i === 0 });
      expect(first.body.user.last_login).not.toBeNull();
      expect((await storedUser(email))!.password, v.id).toMatch(/^\$2b\$04\$/);

      const again = await login(email, v.password);
      expect(again.status, `${v.id}: second sign-in, on bcrypt`).toBe(200);
      const wrong = await login(email, `${v.password}z`);
      expectProblem(wrong, 401, 'invalid_credentials');
    }
    expect(ids).toHaveLength(SUPPORTED.length);
  });

  it('stores unusable and unsupported hashes as they are, counts them per algorithm, and they fail sign-in', async () => {
    const unusable = vector('d32-unusable');
    const argon2 = vector('t41-argon2id');
    const crypt = vector('t41-crypt');
    const [unusableId, argonId, cryptId] = await addDjangoUsers([
      { email: emailFor('unusable'), password: unusable.encoded },
      { email: emailFor('argon'), password: argon2.encoded },
      { email: emailFor('crypt'), password: crypt.encoded },
    ]);

    const summary = await importFromDjango();
    expect(summary.imported).toBe(3);
    expect(summary.passwordFormats).toEqual([
      { algorithm: 'argon2', supported: false, count: 1 },
      { algorithm: 'crypt', supported: false, count: 1 },
      { algorithm: 'unusable', supported: false, count: 1 },
    ]);
    expect(formatSummary(summary)).toMatch(/argon2\s+1\s+cannot be verified: the user must reset their password/);
    expect([unusableId, argonId, cryptId]).toHaveLength(3);

    for (const [name, v] of [
      ['unusable', unusable],
      ['argon', argon2],
      ['crypt', crypt],
    ] as const) {
      expect((await storedUser(emailFor(name)))!.password).toBe(v.encoded);
      // The unusable marker has no password at all (Django's vector is for ''): try a real one.
      const res = await login(emailFor(name), v.password || 'lètmein');
      expectProblem(res, 401, 'invalid_credentials');
    }
  });

  it('updates matched accounts on a second run instead of duplicating them, and keeps a password already moved to bcrypt', async () => {
    const pbkdf2 = vector('d32-pbkdf2-sha256-1');
    const md5 = vector('d32-md5-14');
    const [signedInId, untouchedId] = await addDjangoUsers([
      { email: emailFor('Signed-In'), password: pbkdf2.encoded, first_name: 'Sig', last_name: 'Ned' },
      { email: emailFor('untouched'), password: md5.encoded, first_name: 'Un', last_name: 'Touched' },
    ]);
    expect((await importFromDjango()).imported).toBe(2);
    expect((await login(emailFor('signed-in'), pbkdf2.password)).status).toBe(200);
    const bcryptHash = (await storedUser(emailFor('signed-in')))!.password;
    expect(bcryptHash).toMatch(/^\$2b\$/);

    // Meanwhile in Django: both rename, the untouched one becomes staff with a new password.
    const sha1 = vector('d32-sha1-15');
    await django`update auth_user set first_name = 'Renamed' where id = ${signedInId!}`;
    await django`update auth_user set first_name = 'Renamed', is_staff = true, password = ${sha1.encoded} where id = ${untouchedId!}`;

    const second = await importFromDjango({ collectIdMap: true });
    expect(second).toMatchObject({ read: 2, imported: 0, updated: 2, keptNewerPassword: [signedInId], skipped: [] });
    expect(second.idMap).toEqual([
      { sourceId: signedInId, email: emailFor('signed-in'), userId: (await storedUser(emailFor('signed-in')))!.id },
      { sourceId: untouchedId, email: emailFor('untouched'), userId: (await storedUser(emailFor('untouched')))!.id },
    ]);
    expect(second.passwordFormats).toEqual([{ algorithm: 'sha1', supported: true, count: 1 }]);
    expect(formatSummary(second)).toMatch(/kept newer password\s+1/);

    const [row] = await sql()<{ count: number }[]>`
      select count(*)::int as count from users where lower(email) in (${emailFor('signed-in')}, ${emailFor('untouched')})`;
    expect(row!.count).toBe(2);
    const signedIn = (await storedUser(emailFor('signed-in')))!;
    expect(signedIn).toMatchObject({ password: bcryptHash, fullName: 'Sig Ned' });
    expect(signedIn.lastLogin).not.toBeNull();
    expect((await login(emailFor('signed-in'), pbkdf2.password)).status).toBe(200);
    expect(await storedUser(emailFor('untouched'))).toMatchObject({
      password: sha1.encoded,
      fullName: 'Renamed Touched',
      isStaff: true,
    });
    expect((await login(emailFor('untouched'), sha1.password)).status).toBe(200);
  });

  it('carries a Django deactivation over to an account used here, but never grants it rights', async () => {
    const pbkdf2 = vector('d32-pbkdf2-sha256-1');
    const [id] = await addDjangoUsers([{ email: emailFor('used'), password: pbkdf2.encoded }]);
    await importFromDjango();
    expect((await login(emailFor('used'), pbkdf2.password)).status).toBe(200);

    await django`update auth_user set is_staff = true, is_superuser = true where id = ${id!}`;
    await importFromDjango();
    expect(await storedUser(emailFor('used'))).toMatchObject({ isStaff: false, isSuperuser: false, isActive: true });

    await django`update auth_user set is_active = false where id = ${id!}`;
    await importFromDjango();
    expect(await storedUser(emailFor('used'))).toMatchObject({ isActive: false });
    expect((await login(emailFor('used'), pbkdf2.password)).status).toBe(401);
  });

  it('imports emails unverified unless --mark-verified, and never un-verifies an account on a later run', async () => {
    const v = vector('d32-pbkdf2-sha256-1');
    await addDjangoUsers([{ email: emailFor('plain'), password: v.encoded }]);
    const plain = await importFromDjango();
    expect(plain.markVerified).toBe(false);
    expect(formatSummary(plain)).toMatch(/email_verified\s+new accounts start unverified/);
    expect(await storedUser(emailFor('plain'))).toMatchObject({ emailVerified: false });

    await addDjangoUsers([{ email: emailFor('trusted'), password: v.encoded }]);
    const trusted = await importFromDjango({ markVerified: true });
    expect(formatSummary(trusted)).toMatch(
      /email_verified\s+true for every imported or updated account \(--mark-verified\)/,
    );
    expect(await storedUser(emailFor('plain'))).toMatchObject({ emailVerified: true });
    expect(await storedUser(emailFor('trusted'))).toMatchObject({ emailVerified: true });

    await importFromDjango();
    expect(await storedUser(emailFor('trusted'))).toMatchObject({ emailVerified: true });
  });

  it('writes nothing on a dry run, yet reports exactly what a real run would do', async () => {
    const v = vector('d32-bcrypt-sha256-7');
    const [existingId] = await addDjangoUsers([
      { email: emailFor('existing'), password: v.encoded, first_name: 'Before' },
    ]);
    await importFromDjango();
    await django`update auth_user set first_name = 'After' where id = ${existingId!}`;
    await addDjangoUsers([{ email: emailFor('fresh'), password: v.encoded }]);

    const dry = await importFromDjango({ dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, read: 2, imported: 1, updated: 1, skipped: [] });
    expect(dry.passwordFormats).toEqual([{ algorithm: 'bcrypt_sha256', supported: true, count: 2 }]);
    expect(formatSummary(dry)).toMatch(/DRY RUN, nothing was written/);
    expect(await storedUser(emailFor('fresh'))).toBeUndefined();
    expect((await storedUser(emailFor('existing')))!.fullName).toBe('Before');
  });

  it('skips rows without a usable email and reports emails that differ only in case as a conflict with both ids', async () => {
    const v = vector('d32-md5-14');
    const longName = 'N'.repeat(120);
    const ids = await addDjangoUsers([
      { email: '', password: v.encoded },
      { email: '   ', password: v.encoded },
      { email: 'not-an-email', password: v.encoded },
      { email: emailFor('Twin'), password: v.encoded },
      { email: emailFor('twin').toUpperCase(), password: v.encoded },
      { email: `  ${emailFor('Fine')} `, password: v.encoded, first_name: longName, last_name: longName },
      { email: emailFor('nameless'), password: v.encoded, username: '' },
    ]);
    const [blank, spaces, invalid, twinA, twinB, fine, nameless] = ids as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];

    const summary = await importFromDjango();
    expect(summary.read).toBe(7);
    expect(summary.imported).toBe(2);
    expect(summary.skipped).toEqual([
      { id: blank, reason: 'no_email', detail: 'email is blank' },
      { id: spaces, reason: 'no_email', detail: 'email is blank' },
      { id: invalid, reason: 'invalid_email', detail: '"not-an-email" is not a valid email address' },
      {
        id: twinA,
        reason: 'duplicate_email',
        detail: `${emailFor('twin')} is also the email of source row(s) ${twinB}`,
      },
      {
        id: twinB,
        reason: 'duplicate_email',
        detail: `${emailFor('twin')} is also the email of source row(s) ${twinA}`,
      },
    ]);
    expect(summary.conflicts).toEqual([{ email: emailFor('twin'), ids: [twinA, twinB] }]);
    expect(await storedUser(emailFor('twin'))).toBeUndefined();

    const stored = (await storedUser(emailFor('fine')))!;
    expect(stored.email).toBe(emailFor('fine'));
    expect(Array.from(stored.fullName)).toHaveLength(150);
    expect(summary.warnings).toEqual({ full_name_truncated: [fine] });
    expect((await storedUser(emailFor('nameless')))!.fullName).toBe(`nameless-${tag}`);
    expect(summary.nameSources).toEqual({ full_name: 0, first_last: 1, username: 0, email: 1 });
    expect(nameless).toBeDefined();

    const text = formatSummary(summary);
    expect(text).toMatch(/skipped\s+5/);
    expect(text).toMatch(/duplicate email after normalisation\s+2/);
    expect(text).toContain(`${emailFor('twin')}: source ids ${twinA}, ${twinB}`);
    expect(text).not.toContain(v.encoded);
  });

  it("reads a custom user model's table through the columns it has (--table)", async () => {
    await django`drop table if exists accounts_user`;
    await django`
      create table accounts_user (
        id uuid primary key, email varchar(254) not null unique, password varchar(128) not null,
        full_name varchar(300) not null, is_active boolean not null, last_login timestamp with time zone null)`;
    const v = vector('d32-bcrypt-12');
    const id = randomUUID();
    await django`insert into accounts_user values (${id}, ${emailFor('Custom')}, ${v.encoded}, ${'  Cus Tom  '}, true, null)`;

    const now = new Date('2026-01-01T00:00:00Z');
    const summary = await importDjangoUsers({ source: { url: djangoUrl, table: 'public.accounts_user' }, now });
    expect(summary).toMatchObject({
      source: 'table "public.accounts_user"',
      read: 1,
      imported: 1,
      warnings: { date_joined_missing: [id] },
    });
    expect(summary.nameSources.full_name).toBe(1);
    const stored = (await storedUser(emailFor('custom')))!;
    expect(stored).toMatchObject({ fullName: 'Cus Tom', isStaff: false, isSuperuser: false, isActive: true });
    expect(stored.dateJoined.toISOString()).toBe(now.toISOString());
    expect((await login(emailFor('custom'), v.password)).status).toBe(200);

    await django`create table IF NOT EXISTS no_password (id int primary key, email text)`;
    await expect(importDjangoUsers({ source: { url: djangoUrl, table: 'no_password' } })).rejects.toThrow(
      /has no password column/,
    );
  });

  it('stops with a clear message when the source cannot be read', async () => {
    const down = new URL(djangoUrl);
    down.port = String(await closedPort());
    await expect(importDjangoUsers({ source: { url: down.toString() } })).rejects.toThrow(
      /^Cannot read the Django database: .*ECONNREFUSED/,
    );
    await expect(importFromDjango({ source: { url: djangoUrl, table: 'accounts_users' } })).rejects.toThrow(
      ImportError,
    );
    await expect(importFromDjango({ source: { url: djangoUrl, table: 'accounts_users' } })).rejects.toThrow(
      /Table "accounts_users" does not exist in the Django database.*--table/,
    );
    await expect(importDjangoUsers({ source: { file: fixturePath('django-import/missing.csv') } })).rejects.toThrow(
      /Cannot read .*missing\.csv/,
    );
    await expect(importDjangoUsers({ source: { file: fixturePath('django-import/README.md') } })).rejects.toThrow(
      /name it \.csv/,
    );
  });
});

describe('importing from an export file', () => {
  it('reads a psql CSV export: quoted fields, t/f flags, Postgres timestamps, emails normalised', async () => {
    const summary = await importDjangoUsers({ source: { file: fixturePath('django-import/auth_user.csv') } });
    expect(summary).toMatchObject({ read: 4, imported: 2, updated: 0 });
    expect(summary.skipped).toEqual([
      { id: '3', reason: 'no_email', detail: 'email is blank' },
      { id: '4', reason: 'invalid_field', detail: 'is_active is not true or false' },
    ]);
    expect(summary.passwordFormats).toEqual([
      { algorithm: 'argon2', supported: false, count: 1 },
      { algorithm: 'pbkdf2_sha256', supported: true, count: 1 },
    ]);

    const ann = (await storedUser('csv-ann@import.example.com'))!;
    expect(ann).toMatchObject({ email: 'csv-ann@import.example.com', fullName: 'Ann Lee, Jr.', isStaff: false });
    expect(ann.dateJoined.toISOString()).toBe('2019-03-04T10:00:00.000Z');
    expect(ann.lastLogin!.toISOString()).toBe('2024-05-01T09:30:00.123Z');
    expect(await storedUser('csv-bob@import.example.com')).toMatchObject({ fullName: 'Bob', isStaff: true });
    const res = await login(' CSV-Ann@Import.Example.COM', plaintextOf(ann.password));
    expect(res.status).toBe(200);
  });

  it('reads a JSON array of auth_user rows and `manage.py dumpdata auth.user` output', async () => {
    const plain = await importDjangoUsers({ source: { file: fixturePath('django-import/auth_user.json') } });
    expect(plain).toMatchObject({ read: 2, imported: 2, skipped: [], nameSources: { full_name: 1, username: 1 } });
    expect(await storedUser('json-dee@import.example.com')).toMatchObject({ fullName: 'Dee Dee', isActive: true });
    const eve = (await storedUser('json-eve@import.example.com'))!;
    expect(eve).toMatchObject({ fullName: 'json-eve', isActive: false });
    expect(eve.dateJoined.toISOString()).toBe('2021-02-03T23:00:00.000Z');
    const dee = (await storedUser('json-dee@import.example.com'))!;
    expect((await login('json-dee@import.example.com', plaintextOf(dee.password))).status).toBe(200);

    const dump = await importDjangoUsers({ source: { file: fixturePath('django-import/dumpdata-auth-user.json') } });
    expect(dump).toMatchObject({ read: 1, imported: 1, skipped: [] });
    const fay = (await storedUser('dump-fay@import.example.com'))!;
    expect(fay).toMatchObject({ fullName: 'Fay Okoro', isStaff: true, isSuperuser: true });
    expect((await login('dump-fay@import.example.com', plaintextOf(fay.password))).status).toBe(200);
  });
});

describe('npm run import:django', () => {
  const runCli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('npx', ['tsx', 'scripts/import-django.ts', ...args], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('runs end to end: a dry run prints the summary and exits 0; a missing table exits 1 with the reason', {
    timeout: 120_000,
  }, async () => {
    const v = vector('t41-pbkdf2-sha256-seasalt');
    const [goodId, badId] = await addDjangoUsers([
      { email: emailFor('cli'), password: v.encoded },
      { email: 'broken@', password: v.encoded },
    ]);

    const dry = await runCli(['--from-url', djangoUrl, '--dry-run', '--mark-verified']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/email_verified\s+true for every imported or updated account/);
    expect(dry.stdout).toMatch(/DRY RUN, nothing was written/);
    expect(dry.stdout).toMatch(/source\s+table "auth_user" in \S+@[\d.]+:\d+\/auth_test_django_/);
    expect(dry.stdout).toMatch(/read\s+2\n/);
    expect(dry.stdout).toMatch(/would import \(new\)\s+1\n/);
    expect(dry.stdout).toContain(`id ${badId}: "broken@" is not a valid email address`);
    expect(dry.stdout).toMatch(/pbkdf2_sha256\s+1\s+login verifies it/);
    expect(dry.stdout + dry.stderr).not.toContain(v.encoded);
    expect(await storedUser(emailFor('cli'))).toBeUndefined();
    expect(goodId).toBeDefined();

    const missing = await runCli(['--from-url', djangoUrl, '--table', 'nope_user']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Import failed .*: Table "nope_user" does not exist/);

    const usage = await runCli(['--from-file', 'x.csv', '--table', 'auth_user']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--table only applies to --from-url/);
  });
});
