/**
 * The service's Redis client on both transports against the real Redis: Upstash REST (through the
 * local bridge) and plain TCP (our TcpRequester). Same commands, same answers, and the same
 * failure: a dead or silent Redis rejects within the timeout with a DependencyError, which the
 * HTTP layer turns into 503. And the TCP path's client, ioredis, stays out of the bundles of a stage
 * on Upstash REST (docs/redis-transports.md).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DependencyError } from '../../lib/dependencies.js';
import { buildLimiter } from '../../lib/rate-limit.js';
import { createRedis, TcpRequester, type Redis } from '../../lib/redis.js';
import { closedPort, stallingServer } from '../helpers/ports.js';
import { LOCAL_REDIS_URL as REDIS_URL, useRedisTransports } from '../helpers/redis-transports.js';

const PREFIX = `${process.env.REDIS_KEY_PREFIX!}redis-test:`;
/** For the dead-Redis tests; working calls get a generous one, as a busy 2-core CI box needs. */
const TIMEOUT_MS = 300;
const RELAXED_TIMEOUT_MS = 5000;

const local = useRedisTransports();
const opened: Redis[] = [];

afterEach(async () => {
  for (const client of opened.splice(0)) {
    // The requester sits in @upstash/redis's protected `client` field; only TCP holds a socket.
    const requester = (client as unknown as { client: unknown }).client;
    if (requester instanceof TcpRequester) await requester.close();
  }
});

afterAll(async () => {
  const keys = await local.direct.keys(`${PREFIX}*`);
  if (keys.length > 0) await local.direct.del(...keys);
});

const TRANSPORTS = {
  tcp: (url: string | undefined, timeoutMs: number) => createRedis({ url: url ?? REDIS_URL, timeoutMs }),
  rest: (url: string | undefined, timeoutMs: number) =>
    createRedis({ rest: { url: url ?? local.bridge.url, token: local.bridge.token }, timeoutMs }),
};
type Transport = keyof typeof TRANSPORTS;
const transports = Object.keys(TRANSPORTS) as Transport[];

function client(transport: Transport, dead?: { url: string }): Redis {
  const redis = TRANSPORTS[transport](dead?.url, dead ? TIMEOUT_MS : RELAXED_TIMEOUT_MS);
  opened.push(redis);
  return redis;
}

/**
 * Sends a pipeline as it arrives from the wire, past @upstash/redis's own command builders: to the
 * TCP requester directly, or as the HTTP request Upstash receives (answers base64-decoded back).
 */
async function rawBatch(transport: Transport, commands: string[][]): Promise<{ result?: unknown; error?: string }[]> {
  if (transport === 'tcp') {
    const requester = new TcpRequester(REDIS_URL, RELAXED_TIMEOUT_MS);
    try {
      return (await requester.request({ path: ['pipeline'], body: commands })) as unknown as {
        result?: unknown;
        error?: string;
      }[];
    } finally {
      await requester.close();
    }
  }
  const response = await fetch(`${local.bridge.url}/pipeline`, {
    method: 'POST',
    headers: { authorization: `Bearer ${local.bridge.token}`, 'upstash-encoding': 'base64' },
    body: JSON.stringify(commands),
  });
  expect(response.status).toBe(200);
  const replies = (await response.json()) as { result?: unknown; error?: string }[];
  return replies.map((reply) =>
    typeof reply.result === 'string' ? { result: Buffer.from(reply.result, 'base64').toString('utf8') } : reply,
  );
}

/** The script header @upstash/ratelimit ≥ 2.1 sends, which plain Redis 7 refuses. */
const SHEBANG_SCRIPT = '#!lua flags=allow-key-locking\nreturn {redis.call("INCRBY", KEYS[1], ARGV[1]), ARGV[2]}';

describe.each(transports)('over %s', (transport) => {
  const key = (name: string) => `${PREFIX}${transport}:${name}`;

  it('sets, gets and deletes, keeping text byte-exact', async () => {
    const redis = client(transport);
    const text = 'héllo ✓ 日本 "quoted" \n line';

    expect(await redis.set(key('text'), text)).toBe('OK');
    expect(await redis.get(key('text'))).toBe(text);
    expect(await local.direct.get(key('text'))).toBe(text);
    expect(await redis.del(key('text'))).toBe(1);
    expect(await redis.get(key('text'))).toBeNull();
  });

  it('runs a pipeline and a transaction, in order', async () => {
    const redis = client(transport);

    const pipeline = redis.pipeline();
    pipeline.set(key('n'), 1);
    pipeline.incr(key('n'));
    pipeline.get(key('n'));
    expect(await pipeline.exec()).toEqual(['OK', 2, 2]);

    const multi = redis.multi();
    multi.incrby(key('n'), 10);
    multi.expire(key('n'), 60);
    expect(await multi.exec()).toEqual([12, 1]);
    expect(await local.direct.ttl(key('n'))).toBeGreaterThan(0);
  });

  it('runs any command, in any case, in a batch, as Upstash does', async () => {
    // @upstash/redis sends lower-case names; other REST clients (and curl) need not.
    const batch = [
      ['SET', key('raw'), 'v'],
      ['Get', key('raw')],
      ['OBJECT', 'ENCODING', key('raw')],
      ['NOSUCHCOMMAND'],
    ];
    const replies = await rawBatch(transport, batch);

    expect(replies.slice(0, 3)).toEqual([{ result: 'OK' }, { result: 'v' }, { result: 'embstr' }]);
    expect(replies[3]).toEqual({ error: expect.stringContaining('unknown command') });
  });

  it('runs a script with the `#!lua flags=` shebang, then again by the SHA of the original text', async () => {
    const redis = client(transport);

    expect(await redis.eval(SHEBANG_SCRIPT, [key('script')], ['5', 'tag'])).toEqual([5, 'tag']);
    const sha = createHash('sha1').update(SHEBANG_SCRIPT).digest('hex');
    expect(await redis.evalsha(sha, [key('script')], ['2', 'again'])).toEqual([7, 'again']);
  });

  it('reports an unknown script as NOSCRIPT (an answer, not an outage), so the limiter reloads it', async () => {
    const redis = client(transport);
    const error = await redis.evalsha('0'.repeat(40), [], []).catch((e: unknown) => e);

    expect(String(error)).toContain('NOSCRIPT');
    expect(error).not.toBeInstanceOf(DependencyError);
  });

  it('carries the service’s limiter: the 4th request in the window is denied and Redis holds the count', async () => {
    const prefix = key(`rl:${Date.now()}`);
    const limiter = buildLimiter(client(transport), prefix, { limit: 3, windowS: 3600 }, 5000);

    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.limit('client'));

    expect(results.map((r) => [r.success, r.remaining, r.reason])).toEqual([
      [true, 2, undefined],
      [true, 1, undefined],
      [true, 0, undefined],
      [false, 0, undefined],
    ]);
    const counters = await local.direct.keys(`${prefix}:client:*`);
    expect(counters).toHaveLength(1);
    expect(await local.direct.get(counters[0]!)).toBe('3');
  });
});

describe.each(transports)('a dead Redis over %s', (transport) => {
  const url = (port: number) => (transport === 'tcp' ? `redis://127.0.0.1:${port}` : `http://127.0.0.1:${port}`);

  /** Runs `promise` and returns what it rejected with and how long that took. */
  async function rejection(promise: Promise<unknown>) {
    const started = performance.now();
    const error = await promise.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    return { error, ms: performance.now() - started };
  }

  it('rejects a refused connection quickly with DependencyError', async () => {
    const { error, ms } = await rejection(client(transport, { url: url(await closedPort()) }).get(`${PREFIX}x`));

    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).dependency).toBe('redis');
    expect(ms).toBeLessThan(TIMEOUT_MS + 200);
  });

  it('rejects a server that never answers with DependencyError after the timeout', async () => {
    const server = await stallingServer();
    try {
      const { error, ms } = await rejection(client(transport, { url: url(server.port) }).get(`${PREFIX}x`));

      expect(error).toBeInstanceOf(DependencyError);
      // Waited for the timeout (a refused connection fails at once), give or take libuv's cached
      // clock, which can start a timer a few tens of ms "early" after a busy tick.
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 60);
      expect(ms).toBeLessThan(TIMEOUT_MS + 200);
    } finally {
      await server.close();
    }
  });
});

describe('the function bundles', () => {
  /** Bundles lib/redis.ts with the serverless build's own plugins, for a stage with this environment. */
  async function bundledPackages(environment: Record<string, string>): Promise<Set<string>> {
    const esbuild = await import('esbuild');
    const require = createRequire(import.meta.url);
    const plugins = (require('../../serverless/esbuild-plugins.cjs') as (sls: unknown) => { name: string }[])({
      service: { provider: { environment } },
    });
    const { metafile } = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('../../lib/redis.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      metafile: true,
      logLevel: 'silent',
      plugins: plugins.filter((plugin) => plugin.name === 'redis-transport') as never,
    });
    return new Set(
      Object.keys(metafile.inputs).map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input),
    );
  }

  it('leave ioredis out on an Upstash REST stage, and carry it on a REDIS_URL stage', async () => {
    const rest = await bundledPackages({ UPSTASH_REDIS_REST_URL: 'https://example.upstash.io', REDIS_URL: '' });
    const tcp = await bundledPackages({ UPSTASH_REDIS_REST_URL: '', REDIS_URL: 'rediss://elasticache.example:6379' });

    expect(rest.has('@upstash/redis')).toBe(true);
    expect(rest.has('ioredis')).toBe(false);
    expect(tcp.has('ioredis')).toBe(true);
  });
});
