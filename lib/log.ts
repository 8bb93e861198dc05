/**
 * One structured JSON logger for every function and script. Each line carries the request id of
 * the invocation it belongs to (set by the HTTP layer), so an operator can follow one request
 * through CloudWatch. Keys that could hold secrets are redacted here, once, so that no call site
 * can leak a password, hash or token by logging an object carelessly, and errors are logged by
 * class, code and statement name (see {@link serializeError}), never with a query's parameters.
 */
import { config } from './config.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = LEVELS[config.debug && config.logLevel === 'info' ? 'debug' : config.logLevel];

// `mail` too: the contract says logs identify people by user id, never by email address.
const SECRET_KEY_PATTERN = /pass(word)?|secret|token|authorization|cookie|refresh|access|hash|otp|mail/i;

/**
 * Values that must never reach a log line whatever key or message carries them: email addresses,
 * bcrypt/Django hashes, JWTs and hex digests. The structural rules below keep them out in the
 * first place; this is the net under them (a driver message quoting a value, say).
 */
const SECRET_VALUE_PATTERNS: [RegExp, string][] = [
  [/[\p{L}\p{N}._%+!#$&'*=?^`{|}~-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu, '[email]'],
  [/\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g, '[hash]'],
  [/\b(pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5)\$\S+/g, '[hash]'],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[jwt]'],
  [/\b[a-f0-9]{40,}\b/gi, '[digest]'],
  [/\b[A-Za-z0-9_-]{43,}\b/g, '[token]'],
];

const scrub = (text: string) =>
  SECRET_VALUE_PATTERNS.reduce((out, [pattern, mask]) => out.replace(pattern, mask), text);

/** What a failed SQL statement did, to which table ("insert users"): enough to find it, no values. */
function statementName(query: string): string {
  // After a WITH's CTEs, the main statement: the last verb that follows a closing parenthesis.
  const main = /^\s*with\b/i.test(query)
    ? [...query.matchAll(/\)\s*(select|insert|update|delete)\b/gi)].at(-1)
    : undefined;
  const rest = main ? query.slice(main.index + 1) : query;
  const verb = /^\s*(select|insert|update|delete)\b/i.exec(rest)?.[1]?.toLowerCase() ?? 'query';
  const table = /\b(?:into|update|from)\s+"?(\w+)"?/i.exec(rest)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/**
 * An error as a log field: its class, code and message, never its data. A failed drizzle query's
 * message ends in `params: …` (emails, hashes, token digests): it is logged as the statement's
 * name instead, and the driver error under it (class and Postgres code) as its cause. The stack
 * keeps only its frames, because its first line repeats the message.
 */
export function serializeError(error: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  const query = (error as { query?: unknown }).query;
  if (typeof query === 'string' && 'params' in error) {
    out.name = 'QueryError';
    out.message = 'Failed query';
    out.statement = statementName(query);
  } else {
    out.message = scrub(error.message.split('\n')[0]!.slice(0, 500));
  }
  const frames = error.stack?.split('\n').filter((line) => /^\s+at /.test(line));
  if (frames?.length) out.stack = scrub(frames.slice(0, 12).join('\n'));
  const { cause } = error;
  if (cause instanceof Error && depth < 3) out.cause = serializeError(cause, depth + 1);
  if (error instanceof AggregateError && depth < 3)
    out.errors = error.errors
      .slice(0, 5)
      .map((e) => (e instanceof Error ? serializeError(e, depth + 1) : String(typeof e)));
  return out;
}

let context: Record<string, unknown> = {};

/** Sets the fields added to every following line (the HTTP layer sets `request_id`). */
export function setLogContext(fields: Record<string, unknown>): void {
  context = fields;
}

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'string') return scrub(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY_PATTERN.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

function write(level: Level, message: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  const line = JSON.stringify({
    level,
    time: new Date().toISOString(),
    message: scrub(message),
    ...context,
    ...(fields ? (redact(fields) as Record<string, unknown>) : {}),
  });
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
