/**
 * What the account CLIs (`createsuperuser`, `changepassword`) share: their exit codes, prompts on
 * a terminal with passwords read without echo, and one error handler that turns a missing
 * `users` table into "run `npm run db:migrate`" instead of a stack trace.
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { config } from '../lib/config.js';
import { closeSql } from '../lib/db/sql.js';
import { describeDatabase } from './local/services.js';

/** Exit codes, distinct so that scripts and CI can tell outcomes apart. */
export const EXIT = {
  OK: 0,
  /** Unexpected error, or cancelled with Ctrl-C / Ctrl-D. */
  FAILED: 1,
  /** Bad arguments, a missing variable under `--no-input`, invalid email or name, or no terminal. */
  USAGE: 2,
  /** The email already has an account (createsuperuser). */
  EMAIL_TAKEN: 3,
  /** The password breaks the policy (or, for changepassword, three failed attempts). */
  PASSWORD_REJECTED: 4,
  /** The database or its `users` table does not exist yet: run `npm run db:migrate`. */
  NOT_MIGRATED: 5,
  /** No account has this email (changepassword). */
  NO_SUCH_USER: 6,
} as const;

/** Stops the command with a message (on stderr) and an exit code. */
export class CliExit extends Error {
  override name = 'CliExit';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The operator pressed Ctrl-C, or closed the input with Ctrl-D. */
class Cancelled extends Error {
  override name = 'Cancelled';
}

export interface Terminal {
  /** Asks a question; the answer is echoed as typed. */
  ask(question: string): Promise<string>;
  /** Asks for a secret: nothing typed is echoed, nor kept in the line history. */
  askSecret(question: string): Promise<string>;
  close(): void;
}

/**
 * Opens the prompts on this process's terminal. Passwords are read through readline with its
 * output muted: the terminal is in raw mode while readline runs, so neither the kernel nor
 * readline echoes a keystroke (like Python's getpass, without a dependency).
 */
export function openTerminal(command: string, alternative = ''): Terminal {
  if (!process.stdin.isTTY) {
    throw new CliExit(
      EXIT.USAGE,
      `Error: ${command} prompts on a terminal, and stdin is not one. Run it in a terminal${alternative}.`,
    );
  }
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, callback) {
      if (!muted) process.stdout.write(chunk, encoding);
      callback();
    },
  });
  // historySize 0: the up arrow must never bring back a password typed at an earlier prompt.
  const rl = createInterface({ input: process.stdin, output, terminal: true, historySize: 0 });
  const cancel = new AbortController();
  rl.on('SIGINT', () => cancel.abort());
  rl.on('close', () => cancel.abort());

  const question = async (text: string) => {
    try {
      return await rl.question(text, { signal: cancel.signal });
    } catch (error) {
      if (cancel.signal.aborted) throw new Cancelled();
      throw error;
    }
  };
  return {
    ask: question,
    async askSecret(text) {
      process.stdout.write(text);
      muted = true;
      try {
        return await question('');
      } finally {
        muted = false;
        process.stdout.write('\n');
      }
    },
    close: () => rl.close(),
  };
}

/** Postgres' SQLSTATE of the error or any of its causes (drizzle wraps the driver's error). */
function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error, i = 0; e && typeof e === 'object' && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * The innermost message of an error chain. drizzle's own message quotes the query *and its
 * parameters*, which can hold a password hash: never print it.
 */
function rootMessage(error: unknown): string {
  let e: unknown = error;
  while (e && typeof e === 'object' && (e as { cause?: unknown }).cause) e = (e as { cause: unknown }).cause;
  return e instanceof Error ? e.message : String(e);
}

/** Runs a command's main function and exits with its code, printing what went wrong. */
export async function runCli(main: () => Promise<void>): Promise<never> {
  let code: number = EXIT.OK;
  try {
    await main();
  } catch (error) {
    const database = describeDatabase(config.database.url);
    if (error instanceof Cancelled) {
      console.error('\nOperation cancelled.');
      code = EXIT.FAILED;
    } else if (error instanceof CliExit) {
      console.error(error.message);
      code = error.code;
    } else if (sqlState(error) === '42P01') {
      // undefined_table: the database exists but was never migrated.
      console.error(`Error: the users table does not exist in ${database}. Run \`npm run db:migrate\` first.`);
      code = EXIT.NOT_MIGRATED;
    } else if (sqlState(error) === '3D000') {
      // invalid_catalog_name: `db:migrate` creates the database too.
      console.error(`Error: the database ${database} does not exist. Run \`npm run db:migrate\` first.`);
      code = EXIT.NOT_MIGRATED;
    } else {
      console.error(`Error: ${rootMessage(error)}`);
      code = EXIT.FAILED;
    }
  } finally {
    await closeSql();
  }
  process.exit(code);
}
