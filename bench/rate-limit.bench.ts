/**
 * What the rate-limit guard adds to a request: the latency of one `limit()` call of the service's
 * limiter (`buildLimiter`, the same settings the guard uses), measured one call at a time on both Redis
 * transports — TCP at REDIS_URL through our TcpRequester, and Upstash REST through the local
 * bridge in front of the same Redis — for an allowed and a denied request, next to a plain GET
 * on the same client as the floor of one round trip.
 *
 *   npx tsx bench/rate-limit.bench.ts [iterations=2000]
 *
 * Needs Redis at REDIS_URL (default redis://127.0.0.1:6379). Keys live under
 * `${REDIS_KEY_PREFIX}bench:` and are deleted afterwards.
 */
import '../tools/local/load-env.js';
import { Redis as IORedis } from 'ioredis';
import { config } from '../lib/config.js';
import { buildLimiter } from '../lib/rate-limit.js';
import { createRedis, TcpRequester, type Redis } from '../lib/redis.js';
import { startUpstashRestBridge } from '../tests/helpers/upstash-rest-bridge.js';

const ITERATIONS = Number(process.argv[2] ?? 2000);
const WARMUP = 100;
const REDIS_URL = config.redis.url ?? 'redis://127.0.0.1:6379';
const PREFIX = `${config.redis.keyPrefix}bench:${process.pid}:`;

interface Operation {
  transport: string;
  operation: string;
  /** Resolves false when the limiter gave up (its timeout), true or nothing otherwise. */
  run: () => Promise<boolean | undefined>;
}

interface Row {
  transport: string;
  operation: string;
  samples: number[];
  timeouts: number;
}

/**
 * Times every operation ITERATIONS times, one call at a time, taking turns (so a burst of load from
 * elsewhere on the machine spreads over all rows instead of skewing one), after a warm-up.
 */
async function measure(operations: Operation[]): Promise<Row[]> {
  for (let i = 0; i < WARMUP; i++) for (const op of operations) await op.run();
  const rows = operations.map(({ transport, operation }) => ({
    transport,
    operation,
    samples: [] as number[],
    timeouts: 0,
  }));
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [index, op] of operations.entries()) {
      const started = performance.now();
      const answered = await op.run();
      rows[index]!.samples.push(performance.now() - started);
      if (answered === false) rows[index]!.timeouts++;
    }
  }
  return rows;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function operationsOn(transport: string, client: Redis): Promise<Operation[]> {
  // The production timeout: a call slower than this would fail open in production, so it is
  // counted as a timeout rather than hidden in the percentiles.
  const allowed = buildLimiter(client, `${PREFIX}${transport}:allowed`, { limit: 1_000_000_000, windowS: 60 });
  const denied = buildLimiter(client, `${PREFIX}${transport}:denied`, { limit: 1, windowS: 3600 });
  await denied.limit('client'); // uses up the single request: every measured call is a 429
  const answered = (result: { reason?: string }) => result.reason !== 'timeout';

  return [
    { transport, operation: 'GET (one round trip)', run: async () => void (await client.get(`${PREFIX}missing`)) },
    { transport, operation: 'limit() allowed', run: async () => answered(await allowed.limit('client')) },
    { transport, operation: 'limit() denied (429)', run: async () => answered(await denied.limit('client')) },
  ];
}

function print(rows: Row[]): void {
  const format = (ms: number) => ms.toFixed(3).padStart(8);
  console.log(`\nRate limiter latency, ${ITERATIONS} sequential calls each (after ${WARMUP} warm-up), ms per call`);
  console.log(`timeout ${config.rateLimits.timeoutMs} ms (RATE_LIMIT_TIMEOUT_MS), Node ${process.version}\n`);
  console.log(
    `${'transport'.padEnd(10)}${'operation'.padEnd(24)}${'median'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}  timeouts`,
  );
  for (const row of rows) {
    const sorted = [...row.samples].sort((a, b) => a - b);
    console.log(
      `${row.transport.padEnd(10)}${row.operation.padEnd(24)}${format(percentile(sorted, 50))}${format(percentile(sorted, 95))}` +
        `${format(percentile(sorted, 99))}${format(sorted.at(-1)!)}  ${row.timeouts}`,
    );
  }
}

async function main(): Promise<void> {
  const bridge = await startUpstashRestBridge({ redisUrl: REDIS_URL });
  const tcp = createRedis({ url: REDIS_URL, timeoutMs: config.redis.timeoutMs });
  const rest = createRedis({ rest: { url: bridge.url, token: bridge.token }, timeoutMs: config.redis.timeoutMs });
  const direct = new IORedis(REDIS_URL);
  try {
    print(await measure([...(await operationsOn('tcp', tcp)), ...(await operationsOn('rest', rest))]));
    console.log(
      '\nrest = @upstash/redis over HTTP to the in-process bridge: real Upstash adds its network round trip.',
    );
  } finally {
    const keys = await direct.keys(`${PREFIX}*`);
    if (keys.length > 0) await direct.del(...keys);
    await direct.quit();
    // The TCP requester sits in @upstash/redis's protected `client` field.
    const requester = (tcp as unknown as { client: unknown }).client;
    if (requester instanceof TcpRequester) await requester.close();
    await bridge.close();
  }
}

await main();
