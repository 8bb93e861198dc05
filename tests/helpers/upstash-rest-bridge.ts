/**
 * A local stand-in for Upstash's REST API over the real Redis, so the service's REST path
 * (`UPSTASH_REDIS_REST_URL`) runs in tests against the same data as the TCP path. No npm package
 * serves this protocol, and the Docker one (serverless-redis-http) is not available here.
 *
 * It speaks what `@upstash/redis`'s HttpClient sends and expects: `POST /` with one command as a
 * JSON array, `POST /pipeline` and `POST /multi-exec` with an array of commands,
 * `Authorization: Bearer <token>`, and `Upstash-Encoding: base64` (every string in a result
 * base64-encoded, recursively in arrays). Answers are `{ result }` or `{ error }` (400 for a
 * single command; per-entry inside a 200 array for batches), as Upstash does.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis as IORedis, ReplyError } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** The shared local Redis, which every transport test reaches both ways. */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface UpstashRestBridge {
  /** The base URL to use as `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** The token to use as `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  /** How many HTTP requests were answered: proof that a client really went over REST. */
  readonly requests: number;
  close(): Promise<void>;
}

type Reply = { result: unknown } | { error: string };

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** Base64 for every string (ioredis hands back Buffers when asked, so bytes stay exact). */
function encode(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) return base64 ? value.toString('base64') : value.toString('utf8');
  if (typeof value === 'string') return base64 ? Buffer.from(value).toString('base64') : value;
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  return value;
}

/** Starts the bridge on a free local port, in front of the Redis at `redisUrl`. */
export async function startUpstashRestBridge(
  options: { redisUrl?: string; token?: string } = {},
): Promise<UpstashRestBridge> {
  const token = options.token ?? 'bridge-token';
  const redis = new IORedis(options.redisUrl ?? LOCAL_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let requests = 0;

  // Real Upstash understands `#!lua flags=...` shebangs; Redis 7 rejects them. Emulate Upstash:
  // strip the line and keep answering EVALSHA for the SHA the client computed over the original.
  const scriptShas = new Map<string, string>();
  const translate = (command: unknown[]): string[] => {
    const args = command.map((part) => (part === null ? '' : String(part)));
    const name = args[0]?.toLowerCase();
    if ((name === 'eval' || name === 'eval_ro') && args[1]?.startsWith('#!')) {
      const stripped = args[1].slice(args[1].indexOf('\n') + 1);
      scriptShas.set(sha1(args[1]), sha1(stripped));
      args[1] = stripped;
    } else if ((name === 'evalsha' || name === 'evalsha_ro') && args[1]) {
      args[1] = scriptShas.get(args[1]) ?? args[1];
    }
    return args;
  };

  const answer = (error: Error | null, result: unknown, base64: boolean): Reply =>
    error ? { error: error instanceof ReplyError ? error.message : `ERR ${error.message}` } : { result: encode(result, base64) };

  const execute = async (path: string, body: unknown, base64: boolean): Promise<{ status: number; reply: Reply | Reply[] }> => {
    if (path === '/pipeline' || path === '/multi-exec') {
      const commands = (body as unknown[][]).map(translate);
      const batch = path === '/pipeline' ? redis.pipeline() : redis.multi();
      for (const [name, ...args] of commands) batch.callBuffer(name!, ...args);
      const results = (await batch.exec()) ?? [];
      return { status: 200, reply: results.map(([error, result]) => answer(error, result, base64)) };
    }
    const [name, ...args] = translate(body as unknown[]);
    try {
      return { status: 200, reply: answer(null, await redis.callBuffer(name!, ...args), base64) };
    } catch (error) {
      return { status: 400, reply: answer(error as Error, undefined, base64) };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'Unauthorized' });
    if (req.method !== 'POST') return send(405, { error: 'Method not allowed' });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, { error: 'ERR failed to parse command' });
    }
    if (!Array.isArray(body)) return send(400, { error: 'ERR command must be a JSON array' });
    const path = new URL(req.url ?? '/', 'http://bridge').pathname;
    if (!['/', '/pipeline', '/multi-exec'].includes(path)) return send(404, { error: `ERR unknown path ${path}` });
    const base64 = req.headers['upstash-encoding'] === 'base64';
    const { status, reply } = await execute(path, body, base64);
    send(status, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `ERR ${error.message}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get requests() {
      return requests;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * For a test file that runs over both transports: a plain client on the local Redis (`direct`,
 * to look behind the service's back) and a bridge in front of it, open for the file's tests.
 * Registered first, they close last, after the file's own clean-up has used them.
 */
export function useRedisTransports(): { readonly direct: IORedis; readonly bridge: UpstashRestBridge } {
  const opened = {} as { direct: IORedis; bridge: UpstashRestBridge };
  beforeAll(async () => {
    opened.direct = new IORedis(LOCAL_REDIS_URL);
    opened.bridge = await startUpstashRestBridge({ redisUrl: LOCAL_REDIS_URL });
  });
  afterAll(async () => {
    await opened.bridge?.close();
    await opened.direct?.quit();
  });
  return opened;
}
