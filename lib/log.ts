/**
 * One structured JSON logger for every function and script. Each line carries the request id of
 * the invocation it belongs to (set by the HTTP layer), so an operator can follow one request
 * through CloudWatch. Keys that could hold secrets are redacted here, once, so that no call site
 * can leak a password, hash or token by logging an object carelessly.
 */
import { config } from './config.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = LEVELS[config.debug && config.logLevel === 'info' ? 'debug' : config.logLevel];

const SECRET_KEY_PATTERN = /pass(word)?|secret|token|authorization|cookie|refresh|access|hash|otp/i;

let context: Record<string, unknown> = {};

/** Sets the fields added to every following line (the HTTP layer sets `request_id`). */
export function setLogContext(fields: Record<string, unknown>): void {
  context = fields;
}

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code, stack: value.stack };
  }
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
    message,
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
