/**
 * The service's Redis operations on each transport it can use (docs/redis-transports.md): round-trip
 * latency, one call at a time, of
 *
 * - GET, and SET with EX (issuing a link token);
 * - the compare-and-delete script, sent as EVAL (consuming a link token) and as EVALSHA (what
 *   @upstash/ratelimit sends once its script is loaded);
 * - `limit()` of the service's sliding-window limiter (`buildLimiter`);
 *
 * over plain ioredis (the floor: no adapter), our TcpRequester, and @upstash/redis over REST to the
 * test bridge (tests/helpers/upstash-rest-bridge.ts), all in front of the same Redis. Any other
 * Upstash REST endpoint (Upstash itself, serverless-redis-http) is measured too when given with
 * `--rest-url <url> --rest-token <token>`.
 *
 * It then checks what each path does with @upstash/ratelimit's `#!lua flags=allow-key-locking`
 * scripts, including a requester that forwards commands verbatim, as serverless-redis-http does.
 *
 *   npm run bench:redis [-- --iterations 1000] [--rest-url http://localhost:8079 --rest-token local-dev-token]
 *
 * Needs Redis at REDIS_URL (default redis://127.0.0.1:6379). Keys live under
 * `${REDIS_KEY_PREFIX}bench-transports:<pid>:` and are deleted afterwards.
 */
import '../tools/local/load-env.js';
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis as UpstashRedis, type Requester, type UpstashRequest, type UpstashResponse } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { config } from '../lib/config.js';
import { buildLimiter } from '../lib/rate-limit.js';
import { createRedis, TcpRequester, type Redis } from '../lib/redis.js';
import { startUpstashRestBridge } from '../tests/helpers/upstash-rest-bridge.js';
import { ms, summarize, table } from './stats.js';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1000' },
    'rest-url': { type: 'string' },
    'rest-token': { type: 'string' },
  },
});
const ITERATIONS = Number(args.iterations);
const WARMUP = Math.min(100, ITERATIONS);
const REDIS_URL = config.redis.url ?? 'redis://127.0.0.1:6379';
const PREFIX = `${config.redis.keyPrefix}bench-transports:${process.pid}:`;
/** Generous: a slow call should show in the tail, not fail the run. */
const TIMEOUT_MS = 5000;

/** The shape of lib/auth/links/tokens.ts's consume script: GET, compare, DEL only on a match. */
const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const COMPARE_AND_DELETE_SHA = createHash('sha1').update(COMPARE_AND_DELETE).digest('hex');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

interface Operation {
  transport: string;
  operation: string;
  run: () => Promise<unknown>;
}

/** The service's operations on one @upstash/redis client. */
function operationsOn(transport: string, client: Redis): Operation[] {
  const key = (name: string) => `${PREFIX}${transport}:${name}`;
  const limiter = buildLimiter(client, key('rl'), { limit: 1_000_000_000, windowS: 60 }, TIMEOUT_MS);
  return [
    { transport, operation: 'GET', run: () => client.get(key('missing')) },
    { transport, operation: 'SET … EX', run: () => client.set(key('token'), DIGEST, { ex: 60 }) },
    {
      transport,
      operation: 'EVAL compare-and-delete',
      run: () => client.eval(COMPARE_AND_DELETE, [key('token')], ['sha256:other']),
    },
    {
      transport,
      operation: 'EVALSHA compare-and-delete',
      run: () => client.evalsha(COMPARE_AND_DELETE_SHA, [key('token')], ['sha256:other']),
    },
    {
      transport,
      operation: 'limit() sliding window',
      run: async () => {
        const result = await limiter.limit('client');
        if (result.reason === 'timeout') throw new Error(`limit() timed out on ${transport}`);
      },
    },
  ];
}

/** The same commands on ioredis itself: what a Redis round trip costs without any adapter. */
function floorOperations(direct: IORedis): Operation[] {
  const key = (name: string) => `${PREFIX}ioredis:${name}`;
  return [
    { transport: 'ioredis', operation: 'GET', run: () => direct.get(key('missing')) },
    { transport: 'ioredis', operation: 'SET … EX', run: () => direct.set(key('token'), DIGEST, 'EX', 60) },
    {
      transport: 'ioredis',
      operation: 'EVAL compare-and-delete',
      run: () => direct.eval(COMPARE_AND_DELETE, 1, key('token'), 'sha256:other'),
    },
    {
      transport: 'ioredis',
      operation: 'EVALSHA compare-and-delete',
      run: () => direct.evalsha(COMPARE_AND_DELETE_SHA, 1, key('token'), 'sha256:other'),
    },
  ];
}

/**
 * Times every operation ITERATIONS times, taking turns in a new random order each round: a burst of
 * load from elsewhere on the machine spreads over all rows instead of skewing one, and so does the
 * work an HTTP call leaves behind (socket teardown, garbage) for whichever call comes next.
 */
async function measure(operations: Operation[]): Promise<number[][]> {
  for (let i = 0; i < WARMUP; i++) for (const op of operations) await op.run();
  const samples = operations.map(() => [] as number[]);
  const order = operations.map((_, index) => index);
  for (let i = 0; i < ITERATIONS; i++) {
    for (let j = order.length - 1; j > 0; j--) {
      const k = Math.floor(Math.random() * (j + 1));
      [order[j], order[k]] = [order[k]!, order[j]!];
    }
    for (const index of order) {
      const started = performance.now();
      await operations[index]!.run();
      samples[index]!.push(performance.now() - started);
    }
  }
  return samples;
}

/**
 * Forwards each command to Redis unchanged, the way serverless-redis-http does (its handler passes
 * the command array to Redix as is): what the limiter meets behind such a proxy.
 */
class VerbatimRequester implements Requester {
  constructor(private readonly client: IORedis) {}

  async request<TResult>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const [name, ...rest] = (req.body as (string | number)[]).map(String);
    try {
      return { result: (await this.client.call(name!, ...rest)) as TResult };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
}

/** One `limit()` on a fresh key: did the limiter get an answer from Redis? */
async function limiterAnswers(transport: string, client: Redis): Promise<string> {
  const limiter = buildLimiter(
    client,
    `${PREFIX}${transport}:probe:${Date.now()}`,
    { limit: 3, windowS: 60 },
    TIMEOUT_MS,
  );
  try {
    const result = await limiter.limit('client');
    return result.reason === 'timeout'
      ? 'timed out (the service would fail open)'
      : `answered (remaining ${result.remaining} of 3)`;
  } catch (error) {
    return `rejected: ${(error as Error).message.split('\n')[0]} (the service fails open)`;
  }
}

const closeTcp = async (client: Redis) => {
  // The TCP requester sits in @upstash/redis's protected `client` field.
  const requester = (client as unknown as { client: unknown }).client;
  if (requester instanceof TcpRequester) await requester.close();
};

async function main(): Promise<void> {
  const direct = new IORedis(REDIS_URL);
  const bridge = await startUpstashRestBridge({ redisUrl: REDIS_URL });
  const clients: Record<string, Redis> = {
    tcp: createRedis({ url: REDIS_URL, timeoutMs: TIMEOUT_MS }),
    'rest-bridge': createRedis({ rest: { url: bridge.url, token: bridge.token }, timeoutMs: TIMEOUT_MS }),
  };
  if (args['rest-url']) {
    clients['rest-url'] = createRedis({
      rest: { url: args['rest-url'], token: args['rest-token'] ?? '' },
      timeoutMs: TIMEOUT_MS,
    });
  }
  try {
    const operations = [
      ...floorOperations(direct),
      ...Object.entries(clients).flatMap(([name, client]) => operationsOn(name, client)),
    ];
    const samples = await measure(operations);

    console.log(`\nRedis round trips by transport, ${ITERATIONS} sequential calls each (after ${WARMUP} warm-up), ms`);
    console.log(
      `Redis at ${REDIS_URL}, Node ${process.version}, ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}` + `${args['rest-url'] ? `; rest-url = ${args['rest-url']}` : ''}\n`,
    );
    const rows = operations.map((op, i) => {
      const s = summarize(samples[i]!);
      return [op.transport, op.operation, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
    });
    console.log(table([['transport', 'operation', 'p50', 'p95', 'p99', 'max'], ...rows]));

    console.log("\n@upstash/ratelimit's scripts (`#!lua flags=allow-key-locking`) on each path, one limit():\n");
    const probes = {
      ...clients,
      'verbatim (as serverless-redis-http forwards)': new UpstashRedis(new VerbatimRequester(direct)),
    };
    for (const [name, client] of Object.entries(probes))
      console.log(`  ${name.padEnd(46)} ${await limiterAnswers(name, client)}`);
  } finally {
    const keys = await direct.keys(`${PREFIX}*`);
    if (keys.length > 0) await direct.del(...keys);
    await Promise.all(Object.values(clients).map(closeTcp));
    await bridge.close();
    await direct.quit();
  }
}

await main();
