/**
 * `npm run changepassword -- <email>` — sets a user's password, like Django's
 * `manage.py changepassword`: asked twice without echo, checked against the password policy,
 * three attempts. Every session (refresh token) of the user is revoked with the change.
 *
 * Exit codes: 0 changed, 2 usage (no email, or no terminal), 4 no acceptable password after three
 * attempts, 5 database not migrated, 6 no such user, 1 anything else (see tools/cli.ts).
 */
import '../tools/local/load-env.js';
import { parseArgs } from 'node:util';
import { setPassword } from '../lib/auth/account.js';
import { checkPasswordPolicy } from '../lib/auth/password-policy.js';
import { findUserByEmail } from '../lib/auth/users.js';
import { CliExit, EXIT, openTerminal, runCli } from '../tools/cli.js';
import { requireServices } from '../tools/local/services.js';

const HELP = `Usage: npm run changepassword -- <email>

Sets the password of the user with this email (prompted twice, without echo) and signs them out
of every session. Exit codes: 0 changed, 1 failed or cancelled, 2 usage, 4 password rejected
three times, 5 database not migrated, 6 no such user.`;

const MAX_ATTEMPTS = 3;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    throw new CliExit(EXIT.USAGE, `Error: ${(error as Error).message}\n\n${HELP}`);
  }
  if (parsed.values.help) {
    console.log(HELP);
    return;
  }
  const [email, ...extra] = parsed.positionals;
  if (!email || extra.length) throw new CliExit(EXIT.USAGE, `Error: give exactly one email.\n\n${HELP}`);

  await requireServices({ redis: false });
  // Before any prompt: nobody should type a password twice for an account that does not exist.
  const user = await findUserByEmail(email);
  if (!user) throw new CliExit(EXIT.NO_SUCH_USER, `Error: no user has the email ${email.trim().toLowerCase()}.`);

  const terminal = openTerminal('changepassword');
  try {
    console.log(`Changing password for user '${user.email}'`);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const password = await terminal.askSecret('Password: ');
      const again = await terminal.askSecret('Password (again): ');
      if (password !== again) {
        console.error('Passwords do not match. Please try again.');
        continue;
      }
      const violations = checkPasswordPolicy(password, { email: user.email, fullName: user.fullName });
      if (violations.length) {
        for (const violation of violations) console.error(violation.message);
        continue;
      }
      await setPassword(user.id, password, { type: 'password_changed', details: { via: 'changepassword' } });
      console.log(`Password changed successfully for user '${user.email}'. All of their sessions were signed out.`);
      return;
    }
  } finally {
    terminal.close();
  }
  throw new CliExit(
    EXIT.PASSWORD_REJECTED,
    `Error: aborting password change for user '${user.email}' after ${MAX_ATTEMPTS} attempts.`,
  );
}

await runCli(main);
