/**
 * `npm run createsuperuser` — creates a staff superuser, like Django's `manage.py createsuperuser`.
 *
 * Interactive (default): prompts for Email, Full name, Password and Password (again), passwords
 * without echo, re-prompting on each error (the password policy with the API's messages).
 *
 * Non-interactive: `npm run createsuperuser -- --no-input` reads SUPERUSER_EMAIL,
 * SUPERUSER_PASSWORD and SUPERUSER_FULL_NAME (or Django's DJANGO_SUPERUSER_* names);
 * `--email` and `--full-name` win over the variables. The password is never a flag: flags end up
 * in shell history and `ps`.
 *
 * Exit codes: 0 created, 2 usage/invalid input, 3 email taken, 4 password rejected by the policy,
 * 5 database not migrated, 1 anything else (see tools/cli.ts).
 */
import '../tools/local/load-env.js';
import { parseArgs } from 'node:util';
import type * as z from 'zod/mini';
import { checkPasswordPolicy } from '../lib/auth/password-policy.js';
import { hashPassword } from '../lib/auth/passwords.js';
import { Email, FullName } from '../lib/auth/schemas.js';
import { createUser, findUserByEmail } from '../lib/auth/users.js';
import { Problem } from '../lib/http/problem.js';
import { CliExit, EXIT, openTerminal, runCli, type Terminal } from '../tools/cli.js';
import { requireServices } from '../tools/local/services.js';

const HELP = `Usage: npm run createsuperuser [-- [--no-input] [--email EMAIL] [--full-name NAME]]

Creates a user with is_staff and is_superuser set.

  --no-input        Do not prompt; read SUPERUSER_EMAIL, SUPERUSER_PASSWORD and
                    SUPERUSER_FULL_NAME (or DJANGO_SUPERUSER_EMAIL, DJANGO_SUPERUSER_PASSWORD,
                    DJANGO_SUPERUSER_FULL_NAME) from the environment.
  --email EMAIL     The email (otherwise prompted, or read from the environment).
  --full-name NAME  The full name (otherwise prompted, or read from the environment).

The database is DATABASE_URL (or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD).
Exit codes: 0 created, 1 failed or cancelled, 2 invalid input, 3 email already taken,
4 password rejected by the policy, 5 database not migrated.`;

/** The first message zod gives for `value`, or undefined when it is valid. */
function invalid(schema: z.ZodMiniType, value: string): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

const fromEnv = (...names: string[]) =>
  names.map((name) => process.env[name]).find((value) => value !== undefined && value !== '');

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        'no-input': { type: 'boolean' },
        noinput: { type: 'boolean' }, // Django's spelling
        email: { type: 'string' },
        'full-name': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new CliExit(EXIT.USAGE, `Error: ${(error as Error).message}\n\n${HELP}`);
  }
  if (args.help) {
    console.log(HELP);
    return;
  }
  const interactive = !(args['no-input'] || args.noinput);
  await requireServices({ redis: false });
  const terminal = interactive
    ? openTerminal(
        'createsuperuser',
        ', or use --no-input with SUPERUSER_EMAIL, SUPERUSER_PASSWORD and SUPERUSER_FULL_NAME',
      )
    : undefined;

  try {
    const email =
      args.email !== undefined || !terminal
        ? await checkEmail(args.email ?? fromEnv('SUPERUSER_EMAIL', 'DJANGO_SUPERUSER_EMAIL'))
        : await promptEmail(terminal);
    const fullName =
      args['full-name'] !== undefined || !terminal
        ? checkFullName(args['full-name'] ?? fromEnv('SUPERUSER_FULL_NAME', 'DJANGO_SUPERUSER_FULL_NAME'))
        : await promptFullName(terminal);
    const password = terminal
      ? await promptPassword(terminal, email, fullName)
      : checkPassword(fromEnv('SUPERUSER_PASSWORD', 'DJANGO_SUPERUSER_PASSWORD'), email, fullName);

    try {
      await createUser({
        email,
        fullName,
        passwordHash: await hashPassword(password),
        isStaff: true,
        isSuperuser: true,
      });
    } catch (error) {
      // Someone created the account between our check and the insert.
      if (error instanceof Problem && error.code === 'email_taken') throw emailTaken(email);
      throw error;
    }
    console.log(`Superuser ${email} created successfully.`);
  } finally {
    terminal?.close();
  }
}

const emailTaken = (email: string) =>
  new CliExit(EXIT.EMAIL_TAKEN, `Error: a user with the email ${email} already exists.`);

/** An email given by flag or environment: valid and free, or the command stops. */
async function checkEmail(value: string | undefined): Promise<string> {
  if (value === undefined) {
    throw new CliExit(
      EXIT.USAGE,
      'Error: SUPERUSER_EMAIL (or DJANGO_SUPERUSER_EMAIL, or --email) must be set when using --no-input.',
    );
  }
  const error = invalid(Email, value);
  if (error) throw new CliExit(EXIT.USAGE, `Error: ${error}`);
  const email = Email.parse(value);
  if (await findUserByEmail(email)) throw emailTaken(email);
  return email;
}

function checkFullName(value: string | undefined): string {
  if (value === undefined) {
    throw new CliExit(
      EXIT.USAGE,
      'Error: SUPERUSER_FULL_NAME (or DJANGO_SUPERUSER_FULL_NAME, or --full-name) must be set when using --no-input.',
    );
  }
  const error = invalid(FullName, value);
  if (error) throw new CliExit(EXIT.USAGE, `Error: full name: ${error}`);
  return FullName.parse(value);
}

function checkPassword(value: string | undefined, email: string, fullName: string): string {
  if (value === undefined) {
    throw new CliExit(
      EXIT.USAGE,
      'Error: SUPERUSER_PASSWORD (or DJANGO_SUPERUSER_PASSWORD) must be set when using --no-input.',
    );
  }
  const violations = checkPasswordPolicy(value, { email, fullName });
  if (violations.length) {
    throw new CliExit(
      EXIT.PASSWORD_REJECTED,
      ['Error: the password does not meet the password policy:', ...violations.map((v) => `  - ${v.message}`)].join(
        '\n',
      ),
    );
  }
  return value;
}

async function promptEmail(terminal: Terminal): Promise<string> {
  for (;;) {
    const value = await terminal.ask('Email: ');
    const error = invalid(Email, value);
    if (error) {
      console.error(`Error: ${error}`);
      continue;
    }
    const email = Email.parse(value);
    if (await findUserByEmail(email)) {
      console.error('Error: That email is already taken.');
      continue;
    }
    return email;
  }
}

async function promptFullName(terminal: Terminal): Promise<string> {
  for (;;) {
    const value = await terminal.ask('Full name: ');
    const error = invalid(FullName, value);
    if (!error) return FullName.parse(value);
    console.error(`Error: ${error}`);
  }
}

/** Asks twice until both match and the policy accepts it; there is no "bypass" as in Django. */
async function promptPassword(terminal: Terminal, email: string, fullName: string): Promise<string> {
  for (;;) {
    const password = await terminal.askSecret('Password: ');
    const again = await terminal.askSecret('Password (again): ');
    if (password !== again) {
      console.error("Error: Your passwords didn't match.");
      continue;
    }
    if (password === '') {
      console.error("Error: Blank passwords aren't allowed.");
      continue;
    }
    const violations = checkPasswordPolicy(password, { email, fullName });
    if (violations.length === 0) return password;
    for (const violation of violations) console.error(violation.message);
  }
}

await runCli(main);
