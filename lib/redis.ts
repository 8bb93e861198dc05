/**
 * One Redis client for the whole service, with one API (`@upstash/redis`) over two transports:
 * Upstash's REST protocol when `UPSTASH_REDIS_REST_URL` is set (serverless-friendly: no sockets
 * to keep warm), otherwise plain Redis over TCP at `REDIS_URL` (local Redis, ElastiCache) through
 * a custom requester on ioredis. Every call is bounded by `REDIS_TIMEOUT_MS`, so a stalled
 * Redis costs a request that long, never the Lambda's whole timeout. Why both transports, and
 * what each costs: docs/redis-transports.md.
 */
import { createHash } from 'node:crypto';
import {
  errors,
  Redis,
  type RedisConfigNodejs,
  type Requester,
  type UpstashRequest,
  type UpstashResponse,
} from '@upstash/redis';
import type { Redis as IORedis } from 'ioredis';
import { config } from './config.js';
import { DependencyError, dependencyFailure, withTimeout } from './dependencies.js';

/**
 * ioredis is loaded at the first TCP connection, not at import: evaluating it adds 30–40 ms to the
 * cold start of every function that imports this module (`npm run bench`), and a function on
 * Upstash REST, or one whose request never reaches Redis, does not need it. A stage packaged for
 * Upstash REST leaves it out of the zips altogether (serverless/esbuild-plugins.cjs).
 */
const loadIoredis = () => import('ioredis');
let ioredis: Awaited<ReturnType<typeof loadIoredis>> | undefined;

export type { Redis };

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

type Command = (string | number | null | boolean)[];

/**
 * Speaks Upstash's request shape (`body` = one command, or `path: ['pipeline'|'multi-exec']` with a
 * list of commands) over a Redis TCP connection (ioredis: the smallest maintained full client,
 * ~40 KB gzipped against node-redis's ~160 KB, which matters for cold starts).
 */
export class TcpRequester implements Requester {
  private client: IORedis | undefined;
  private connecting: Promise<IORedis> | undefined;
  /**
   * @upstash/ratelimit ≥ 2.1 sends scripts starting `#!lua flags=allow-key-locking`, a flag that
   * only Upstash understands; Redis 7 rejects the whole script, and the limiter then fails open
   * without a word. We strip the shebang and remember which SHA the stripped script has, so the
   * limiter's EVALSHA of the original SHA still finds it.
   */
  private readonly scriptShas = new Map<string, string>();

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  private connect(): Promise<IORedis> {
    if (this.client?.status === 'ready') return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      this.client?.disconnect();
      const { Redis } = (ioredis ??= await loadIoredis());
      const client = new Redis(this.url, {
        lazyConnect: true,
        connectTimeout: this.timeoutMs,
        commandTimeout: this.timeoutMs,
        // Fail fast instead of queueing or retrying commands for a Redis that is not there; the
        // next invocation connects again.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      // Without a listener ioredis logs every dropped connection to stderr.
      client.on('error', () => {});
      try {
        await withTimeout(client.connect(), this.timeoutMs, 'redis');
      } catch (error) {
        client.disconnect();
        throw dependencyFailure('redis', error);
      }
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private translate(command: Command): string[] {
    const args = command.map((part) => (part === null ? '' : String(part)));
    const name = args[0]?.toLowerCase();
    if ((name === 'eval' || name === 'eval_ro') && args[1]?.startsWith('#!')) {
      const original = args[1];
      const stripped = original.slice(original.indexOf('\n') + 1);
      this.scriptShas.set(sha1(original), sha1(stripped));
      args[1] = stripped;
    } else if ((name === 'evalsha' || name === 'evalsha_ro') && args[1]) {
      args[1] = this.scriptShas.get(args[1]) ?? args[1];
    }
    return args;
  }

  /**
   * A Redis error reply (NOSCRIPT, WRONGTYPE…) is an answer, not an outage: it goes back the way
   * the REST API returns it, so @upstash/redis raises it and the rate limiter reloads its script.
   */
  private static answer(error: Error | null, result: unknown): UpstashResponse<unknown> {
    if (!error) return { result };
    if (ioredis && error instanceof ioredis.ReplyError) return { error: error.message };
    throw new DependencyError('redis', error);
  }

  async request<TResult = unknown>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const client = await this.connect();
    const kind = req.path?.[0];
    const work = async (): Promise<unknown> => {
      if (kind === 'pipeline' || kind === 'multi-exec') {
        const batch = kind === 'pipeline' ? client.pipeline() : client.multi();
        // `call`, not ioredis's per-command methods: they exist only for the lower-case names
        // ioredis knows, and a REST client may send any command in any case.
        for (const [name, ...args] of (req.body as Command[]).map((command) => this.translate(command)))
          batch.call(name!, ...args);
        const results = (await batch.exec()) ?? [];
        return results.map(([error, result]: [Error | null, unknown]) => TcpRequester.answer(error, result));
      }
      const [name, ...args] = this.translate(req.body as Command);
      try {
        return { result: await client.call(name!, ...args) };
      } catch (error) {
        return TcpRequester.answer(error as Error, undefined);
      }
    };
    return (await withTimeout(work(), this.timeoutMs, 'redis')) as UpstashResponse<TResult>;
  }

  /** Closes the connection (tests and scripts; a Lambda keeps it for the next invocation). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }
}

/**
 * Upstash over REST, failing like the TCP path: a transport failure (refused, DNS, our timeout's
 * abort) becomes a {@link DependencyError}, so callers answer 503 rather than 500. Redis's own
 * error replies (NOSCRIPT, WRONGTYPE…) stay UpstashErrors: the rate limiter reloads its script on one.
 */
class RestRedis extends Redis {
  constructor(config: RedisConfigNodejs) {
    super(config);
    const http = this.client;
    this.client = {
      request: <TResult>(req: UpstashRequest) =>
        http.request<TResult>(req).catch((error: unknown) => {
          throw error instanceof errors.UpstashError ? error : new DependencyError('redis', error);
        }),
    };
  }
}

/** Builds a client for the given settings (tests build their own; the service uses {@link redis}). */
export function createRedis(settings: {
  rest?: { url: string; token: string };
  url?: string;
  timeoutMs: number;
}): Redis {
  if (settings.rest) {
    return new RestRedis({
      url: settings.rest.url,
      token: settings.rest.token,
      // The caller decides what a failure means (fail open, or 503): no silent retry loops.
      retry: false,
      signal: () => AbortSignal.timeout(settings.timeoutMs),
      enableTelemetry: false,
      enableAutoPipelining: false,
    });
  }
  if (!settings.url) throw new Error('createRedis needs a REST URL or a redis:// URL');
  return new Redis(new TcpRequester(settings.url, settings.timeoutMs));
}

let client: Redis | undefined;

/** The service's Redis client (created at first use, reused across warm invocations). */
export function redis(): Redis {
  client ??= createRedis(config.redis);
  return client;
}

/** A Redis key in this service's namespace (`REDIS_KEY_PREFIX`). */
export function redisKey(...parts: string[]): string {
  return `${config.redis.keyPrefix}${parts.join(':')}`;
}

/** Closes the service's TCP connection, if any (scripts and tests). */
export async function closeRedis(): Promise<void> {
  const current = client as unknown as { client?: unknown } | undefined;
  client = undefined;
  const requester = current?.client;
  if (requester instanceof TcpRequester) await requester.close();
}

/**
 * Runs an operation on the service's Redis within `REDIS_TIMEOUT_MS`; any failure of the
 * transport becomes a {@link DependencyError}, which the HTTP layer answers with 503.
 */
export async function redisOp<T>(operation: (client: Redis) => Promise<T>): Promise<T> {
  try {
    return await withTimeout(operation(redis()), config.redis.timeoutMs, 'redis');
  } catch (error) {
    throw dependencyFailure('redis', error);
  }
}
