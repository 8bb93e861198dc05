import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy } from '../../lib/auth/password-policy.js';
import { findUserByEmail } from '../../lib/auth/users.js';
import { ensureDatabase } from '../../tools/db/migrate.js';
import { handler as refreshHandler } from '../../functions/auth-refresh.js';
import { createAccount } from '../helpers/admin.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';
import { call } from '../helpers/http.js';
import { spawnInPty } from '../helpers/pty.js';
import { login, STRONG_PASSWORD, uniqueEmail } from '../helpers/users.js';

const TSX = 'node_modules/.bin/tsx';
const CREATE = 'scripts/createsuperuser.ts';
const CHANGE = 'scripts/changepassword.ts';

/** The test worker's environment (its DATABASE_URL is the test database), minus any superuser variables. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^(DJANGO_)?SUPERUSER_/.test(name)) delete env[name];
  return { ...env, ...extra };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI without a terminal (stdin closed), as CI or a deploy job would. */
function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(TSX, [script, ...args], { env: cliEnv(env), timeout: 25_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

const superuserEnv = (email: string, password = STRONG_PASSWORD, prefix = 'SUPERUSER_') => ({
  [`${prefix}EMAIL`]: email,
  [`${prefix}PASSWORD`]: password,
  [`${prefix}FULL_NAME`]: 'Site Admin',
});

async function expectSuperuser(email: string, fullName: string, password: string) {
  const user = await findUserByEmail(email);
  expect(user).toMatchObject({
    email: email.trim().toLowerCase(),
    fullName,
    isStaff: true,
    isSuperuser: true,
    isActive: true,
  });
  expect(user!.password).toMatch(/^\$2[aby]\$/);
  const res = await login(email, password);
  expect(res.status).toBe(200);
  expect(res.body.user).toMatchObject({ is_staff: true, is_superuser: true });
}

// Each CLI run starts a tsx process: 1–3 s, more on a busy two-core machine.
const SLOW = { timeout: 120_000 };

describe('npm run createsuperuser -- --no-input', SLOW, () => {
  it('creates a staff superuser from SUPERUSER_EMAIL, SUPERUSER_PASSWORD and SUPERUSER_FULL_NAME', async () => {
    const email = uniqueEmail('cli');
    const res = await run(CREATE, ['--no-input'], superuserEnv(`  ${email.toUpperCase()} `));
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toContain(`Superuser ${email} created successfully.`);
    await expectSuperuser(email, 'Site Admin', STRONG_PASSWORD);
  });

  it("also reads Django's DJANGO_SUPERUSER_* names, and --email / --full-name win over the environment", async () => {
    const email = uniqueEmail('django');
    const res = await run(CREATE, ['--noinput'], superuserEnv(email, STRONG_PASSWORD, 'DJANGO_SUPERUSER_'));
    expect(res.code, res.stderr).toBe(0);
    await expectSuperuser(email, 'Site Admin', STRONG_PASSWORD);

    const flagged = uniqueEmail('flag');
    const withFlags = await run(
      CREATE,
      ['--no-input', '--email', flagged, '--full-name=Flag Person'],
      superuserEnv(uniqueEmail('env')),
    );
    expect(withFlags.code, withFlags.stderr).toBe(0);
    await expectSuperuser(flagged, 'Flag Person', STRONG_PASSWORD);
  });

  it('exits 3 and says so when the email already has an account', async () => {
    const existing = await createAccount('user');
    const res = await run(CREATE, ['--no-input'], superuserEnv(existing.email.toUpperCase()));
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`a user with the email ${existing.email} already exists`);
    expect((await findUserByEmail(existing.email))?.isSuperuser).toBe(false);
  });

  it("exits 4 and lists every broken rule of the password policy, in the API's words", async () => {
    const email = uniqueEmail('weak');
    const res = await run(CREATE, ['--no-input'], superuserEnv(email, '1234567'));
    expect(res.code).toBe(4);
    const messages = checkPasswordPolicy('1234567', { email, fullName: 'Site Admin' }).map((v) => v.message);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const message of messages) expect(res.stderr).toContain(message);
    expect(await findUserByEmail(email)).toBeUndefined();
  });

  it('exits 2 naming what is missing or invalid', async () => {
    const email = uniqueEmail('missing');
    const cases: Array<[Record<string, string>, string[], RegExp]> = [
      [{}, ['--no-input'], /SUPERUSER_EMAIL \(or DJANGO_SUPERUSER_EMAIL, or --email\)/],
      [
        { SUPERUSER_EMAIL: email, SUPERUSER_FULL_NAME: 'A' },
        ['--no-input'],
        /SUPERUSER_PASSWORD \(or DJANGO_SUPERUSER_PASSWORD\)/,
      ],
      [{ SUPERUSER_EMAIL: email, SUPERUSER_PASSWORD: STRONG_PASSWORD }, ['--no-input'], /SUPERUSER_FULL_NAME/],
      [superuserEnv('not-an-email'), ['--no-input'], /Enter a valid email address\./],
      [{}, ['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [env, args, message] of cases) {
      const res = await run(CREATE, args, env);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toMatch(message);
    }
    expect(await findUserByEmail(email)).toBeUndefined();
  });

  it('refuses to prompt without a terminal (exit 2), pointing at --no-input', async () => {
    const res = await run(CREATE, [], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--no-input');
  });

  it('tells the operator to run `npm run db:migrate` when the database has no users table (exit 5)', async () => {
    const url = uniqueDatabaseUrl(process.env.DATABASE_URL!, 'unmigrated');
    await ensureDatabase(url);
    try {
      const created = await run(CREATE, ['--no-input'], { ...superuserEnv(uniqueEmail('nomig')), DATABASE_URL: url });
      expect(created.code, created.stderr).toBe(5);
      expect(created.stderr).toContain('users table does not exist');
      expect(created.stderr).toContain('npm run db:migrate');
      const changed = await run(CHANGE, ['someone@example.com'], { DATABASE_URL: url });
      expect(changed.code, changed.stderr).toBe(5);
      expect(changed.stderr).toContain('npm run db:migrate');
    } finally {
      await dropDatabase(url);
    }
  });
});

describe('npm run createsuperuser (interactive)', SLOW, () => {
  it('prompts like Django, re-prompts on each error, and never echoes a password', async () => {
    const taken = await createAccount('user');
    const email = uniqueEmail('tty');
    const typed = {
      short: 'tiny1',
      first: 'Mismatch-One-111',
      second: 'Mismatch-Two-222',
      good: 'Plenty-Strong-Secret-909',
    };
    const tty = spawnInPty([TSX, CREATE], cliEnv());

    await tty.waitFor('Email: ');
    tty.typeLine('not-an-email');
    await tty.waitFor('Error: Enter a valid email address.');
    await tty.waitFor('Email: ');
    tty.typeLine(taken.email.toUpperCase());
    await tty.waitFor('Error: That email is already taken.');
    await tty.waitFor('Email: ');
    tty.typeLine(email);
    await tty.waitFor('Full name: ');
    tty.typeLine('   ');
    await tty.waitFor('Error: This field may not be blank.');
    await tty.waitFor('Full name: ');
    tty.typeLine('Tty Admin');

    await tty.waitFor('Password: ');
    tty.typeLine(typed.short);
    await tty.waitFor('Password (again): ');
    tty.typeLine(typed.short);
    await tty.waitFor('This password is too short. It must contain at least 8 characters.');

    await tty.waitFor('Password: ');
    tty.typeLine(typed.first);
    await tty.waitFor('Password (again): ');
    tty.typeLine(typed.second);
    await tty.waitFor("Error: Your passwords didn't match.");

    await tty.waitFor('Password: ');
    tty.typeLine(typed.good);
    await tty.waitFor('Password (again): ');
    tty.typeLine(typed.good);
    await tty.waitFor(`Superuser ${email} created successfully.`);
    expect(await tty.exited).toBe(0);

    const screen = tty.output();
    expect(screen).not.toMatch(/bypass/i);
    expect(screen).toContain('Tty Admin'); // visible answers are echoed...
    for (const secret of Object.values(typed)) expect(screen).not.toContain(secret); // ...passwords never
    await expectSuperuser(email, 'Tty Admin', typed.good);
  });

  it('stops with "Operation cancelled." (exit 1) on Ctrl-C, creating nothing', async () => {
    const email = uniqueEmail('cancel');
    const tty = spawnInPty([TSX, CREATE], cliEnv());
    await tty.waitFor('Email: ');
    tty.typeLine(email);
    await tty.waitFor('Full name: ');
    tty.typeLine('Cancel Me');
    await tty.waitFor('Password: ');
    tty.press('half-typed\u0003');
    await tty.waitFor('Operation cancelled.');
    expect(await tty.exited).toBe(1);
    expect(tty.output()).not.toContain('half-typed');
    expect(await findUserByEmail(email)).toBeUndefined();
  });
});

describe('npm run changepassword -- <email>', SLOW, () => {
  it('sets the password after two matching, policy-compliant entries, without echo, and signs the user out everywhere', async () => {
    const account = await createAccount('staff', { fullName: 'Change Me' });
    const typed = {
      weak: 'qwertyuiop',
      first: 'Another-Secret-123',
      second: 'Different-Secret-456',
      good: 'Brand-New-Secret-789',
    };
    const tty = spawnInPty([TSX, CHANGE, account.email.toUpperCase()], cliEnv());
    await tty.waitFor(`Changing password for user '${account.email}'`);
    await tty.waitFor('Password: ');
    tty.typeLine(typed.first);
    await tty.waitFor('Password (again): ');
    tty.typeLine(typed.second);
    await tty.waitFor('Passwords do not match. Please try again.');
    await tty.waitFor('Password: ');
    tty.typeLine(typed.weak);
    await tty.waitFor('Password (again): ');
    tty.typeLine(typed.weak);
    await tty.waitFor('This password is too common.');
    await tty.waitFor('Password: ');
    tty.typeLine(typed.good);
    await tty.waitFor('Password (again): ');
    tty.typeLine(typed.good);
    await tty.waitFor(`Password changed successfully for user '${account.email}'`);
    expect(await tty.exited).toBe(0);

    for (const secret of Object.values(typed)) expect(tty.output()).not.toContain(secret);
    const refreshed = await call(refreshHandler, 'POST', '/api/auth/refresh', { body: { refresh: account.refresh } });
    expect(refreshed.status).toBe(401);
    expect((await login(account.email, account.password)).status).toBe(401);
    expect((await login(account.email, typed.good)).status).toBe(200);
  });

  it('gives up after three rejected attempts (exit 4), leaving the password as it was', async () => {
    const account = await createAccount('user');
    const tty = spawnInPty([TSX, CHANGE, account.email], cliEnv());
    for (let attempt = 0; attempt < 3; attempt++) {
      await tty.waitFor('Password: ');
      tty.typeLine('12345678');
      await tty.waitFor('Password (again): ');
      tty.typeLine('12345678');
      await tty.waitFor('This password is entirely numeric.');
    }
    await tty.waitFor('after 3 attempts');
    expect(await tty.exited).toBe(4);
    expect((await login(account.email, account.password)).status).toBe(200);
  });

  it('exits 6 for an unknown email before asking for any password, and 2 without an email', async () => {
    const unknown = await run(CHANGE, [uniqueEmail('ghost')]);
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toContain('no user has the email');
    const missing = await run(CHANGE, []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage: npm run changepassword -- <email>');
  });
});
