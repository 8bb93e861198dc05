/**
 * Reachability checks for the local services, so that `npm run dev`, `npm test` and the CLIs stop
 * within seconds with a message saying what to start, instead of hanging on a connect timeout.
 */
import { connect } from 'node:net';
import { config } from '../../lib/config.js';

/** Resolves true when a TCP connection to host:port opens within `timeoutMs`. */
export function isPortOpen(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `user@host:port/db` without the password, for messages. */
export function describeDatabase(url: string): string {
  const u = new URL(url);
  return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.hostname}:${u.port || 5432}${u.pathname}`;
}

const HINT =
  'Start the local services with `docker compose up -d` (or point the variable at a running server; see README).';

/** Exits with a clear message when Postgres (and, unless told otherwise, Redis) is not reachable. */
export async function requireServices(options: { redis?: boolean } = {}): Promise<void> {
  const missing: string[] = [];
  const db = new URL(config.database.url);
  const checks: Promise<void>[] = [
    isPortOpen(db.hostname, Number(db.port || 5432)).then((open) => {
      if (!open)
        missing.push(
          `PostgreSQL is not reachable at ${db.hostname}:${db.port || 5432} (DATABASE_URL / DB_HOST, DB_PORT).`,
        );
    }),
  ];
  if (options.redis !== false && !config.redis.rest && config.redis.url) {
    const redis = new URL(config.redis.url);
    checks.push(
      isPortOpen(redis.hostname, Number(redis.port || 6379)).then((open) => {
        if (!open) missing.push(`Redis is not reachable at ${redis.hostname}:${redis.port || 6379} (REDIS_URL).`);
      }),
    );
  }
  await Promise.all(checks);
  if (missing.length) {
    console.error(`\n${missing.join('\n')}\n${HINT}\n`);
    process.exit(1);
  }
}
