/**
 * A local stand-in for Upstash's REST API over a real Redis, so the service's production path
 * (`UPSTASH_REDIS_REST_URL`: @upstash/redis's HTTP client, its base64 decoding and error replies,
 * and lib/redis.ts's RestRedis) runs in tests and benchmarks without Docker or an Upstash account.
 * Why it exists next to the TCP path, and what it costs: docs/redis-transports.md.
 *
 * It speaks what `@upstash/redis`'s HttpClient sends and expects: `POST /` with one command as a
 * JSON array, `POST /pipeline` and `POST /multi-exec` with an array of commands,
 * `Authorization: Bearer <token>`, and `Upstash-Encoding: base64` (every string in a result
 * base64-encoded, recursively in arrays). Answers are `{ result }` or `{ error }` (400 for a
 * single command; per-entry inside a 200 array for batches), as Upstash does.
 *
 * Behind the HTTP layer it runs commands through the service's own TcpRequester, which also does
 * what Upstash does and plain Redis does not: it accepts @upstash/ratelimit's `#!lua flags=`
 * script shebang. (serverless-redis-http forwards scripts verbatim, so Redis 7 rejects them.)
 *
 * Run on its own, it serves the REST path for `npm run dev` (docs/local-development.md):
 *   npx tsx tests/helpers/upstash-rest-bridge.ts   # http://127.0.0.1:8079, token local-dev-token
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { UpstashResponse } from '@upstash/redis';
import { TcpRequester } from '../../lib/redis.js';

export interface UpstashRestBridge {
  /** The base URL to use as `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** The token to use as `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  /** How many HTTP requests were answered: proof that a client really went over REST. */
  readonly requests: number;
  close(): Promise<void>;
}

type Reply = UpstashResponse<unknown>;

/** The bridge's own bound on one Redis call; the REST client in front has its own, shorter one. */
const REDIS_TIMEOUT_MS = 10_000;

/** Base64 for every string, as Upstash sends them under `Upstash-Encoding: base64`. */
function encode(value: unknown, base64: boolean): unknown {
  if (typeof value === 'string') return base64 ? Buffer.from(value).toString('base64') : value;
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  return value;
}

const encodeReply = (reply: Reply, base64: boolean): Reply =>
  reply.error === undefined ? { result: encode(reply.result, base64) } : reply;

/** Starts the bridge in front of the Redis at `redisUrl`, on `port` (default: a free one). */
export async function startUpstashRestBridge(
  options: { redisUrl?: string; token?: string; port?: number } = {},
): Promise<UpstashRestBridge> {
  const token = options.token ?? 'bridge-token';
  const redis = new TcpRequester(options.redisUrl ?? 'redis://127.0.0.1:6379', REDIS_TIMEOUT_MS);
  let requests = 0;

  const execute = async (
    path: string,
    body: unknown,
    base64: boolean,
  ): Promise<{ status: number; reply: Reply | Reply[] }> => {
    if (path === '/pipeline' || path === '/multi-exec') {
      // For a batch the requester answers one reply per command, as Upstash's array.
      const replies = (await redis.request({ path: [path.slice(1)], body })) as unknown as Reply[];
      return { status: 200, reply: replies.map((reply) => encodeReply(reply, base64)) };
    }
    const reply = await redis.request({ body });
    return { status: reply.error === undefined ? 200 : 400, reply: encodeReply(reply, base64) };
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
    // Redis unreachable or too slow (the requester's DependencyError): Upstash's 5xx.
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `ERR ${error.message}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
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
      await redis.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Where docker-compose's serverless-redis-http used to listen, with its token.
  const bridge = await startUpstashRestBridge({
    redisUrl: process.env.REDIS_URL,
    token: process.env.UPSTASH_REDIS_REST_TOKEN ?? 'local-dev-token',
    port: Number(process.env.PORT ?? 8079),
  });
  console.log(
    `Upstash REST bridge on ${bridge.url} (token ${bridge.token}) → ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}`,
  );
  const stop = () => void bridge.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
