/**
 * A real PgBouncer (Debian's `pgbouncer` package) in front of the local PostgreSQL, started by a
 * test on a free port: the pooler most managed Postgres offerings put before the database.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Whether the binary is here; CI installs it, a developer's machine may not have it. */
export const hasPgBouncer = () => existsSync(PGBOUNCER);

export interface PgBouncer {
  /** `databaseUrl` with its host and port replaced by the pooler's. */
  urlFor: (databaseUrl: string) => string;
  stop: () => Promise<void>;
}

/**
 * Starts PgBouncer in `poolMode` with `serverConnections` server connections per database, in
 * front of the server of `databaseUrl`.
 */
export async function startPgBouncer(
  databaseUrl: string,
  options: { poolMode: 'transaction' | 'session'; serverConnections: number; ignoreStartupParameters?: string[] },
): Promise<PgBouncer> {
  const target = new URL(databaseUrl);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  // PgBouncer refuses to run as root; as root it drops to the postgres user, who must read this.
  chmodSync(dir, 0o777);
  const ini = join(dir, 'pgbouncer.ini');
  const user = decodeURIComponent(target.username || 'postgres');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432} user=${user}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'auth_type = any',
      `pool_mode = ${options.poolMode}`,
      `default_pool_size = ${options.serverConnections}`,
      'max_client_conn = 200',
      `unix_socket_dir = ${dir}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      `ignore_startup_parameters = ${['extra_float_digits', 'options', ...(options.ignoreStartupParameters ?? [])].join(',')}`,
      'server_reset_query = DISCARD ALL',
      '',
    ].join('\n'),
  );
  chmodSync(ini, 0o644);
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), ini], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pgbouncer did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    urlFor: (url) => {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function accepts(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs `pgbouncer --version` (a quick check that the package works here). */
export const pgBouncerVersion = () => spawnSync(PGBOUNCER, ['--version'], { encoding: 'utf8' }).stdout.trim();
