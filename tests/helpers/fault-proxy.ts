/**
 * A TCP proxy the tests put between the service and a dependency (Postgres, Redis, SES), to make
 * that dependency misbehave on demand without touching the real server:
 *
 * - `pass`: forwards both ways.
 * - `refuse`: stops listening (new connections get ECONNREFUSED) and resets open ones: "down".
 * - `blackhole`: accepts connections and forwards nothing, either way, on new and open
 *   connections alike: "hung" (a dead host, a full network path).
 * - `latency`: forwards every chunk, both ways, `latencyMs` late: "slow".
 *
 * `cut()` resets every open connection now (a connection dying mid-query or mid-transaction),
 * whatever the mode. Leaving `blackhole` resets the connections it held: their streams lost bytes.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

export type FaultMode = 'pass' | 'refuse' | 'blackhole' | 'latency';

export interface FaultProxy {
  /** The port the proxy listens on (127.0.0.1); stable across `refuse` and back. */
  readonly port: number;
  /** `target` URL with its host and port replaced by the proxy's. */
  urlFor(target: string): string;
  /** Switches the behaviour for open and new connections. */
  set(mode: FaultMode, options?: { latencyMs?: number }): Promise<void>;
  /** Resets every open connection (both sides see the connection die). */
  cut(): void;
  /** Connections open right now. */
  readonly openConnections: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
  held: boolean;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let latencyMs = 0;
  const pairs = new Set<Pair>();

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    for (const socket of [pair.client, pair.upstream]) if (socket && !socket.destroyed) socket.resetAndDestroy();
  };

  const forward = (from: Socket, to: () => Socket | undefined, pair: Pair) => {
    // Bytes leave in the order they came, across a switch from `latency` to `pass` too.
    let lastDue = 0;
    from.on('data', (chunk) => {
      if (mode === 'blackhole' || pair.held) {
        pair.held = true;
        return;
      }
      const write = () => {
        const dest = to();
        if (dest && !dest.destroyed) dest.write(chunk);
      };
      const now = performance.now();
      const due = Math.max(now + (mode === 'latency' ? latencyMs : 0), lastDue);
      lastDue = due;
      if (due <= now) write();
      else setTimeout(write, due - now);
    });
  };

  const onConnection = (client: Socket) => {
    const pair: Pair = { client, held: mode === 'blackhole' };
    pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => destroy(pair));
    forward(client, () => pair.upstream, pair);
    if (pair.held) return;
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => {});
    upstream.on('close', () => destroy(pair));
    forward(upstream, () => client, pair);
  };

  let server: Server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(onConnection);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));

  const proxy: FaultProxy = {
    port,
    urlFor(targetUrl) {
      const url = new URL(targetUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async set(next, options = {}) {
      const previous = mode;
      mode = next;
      latencyMs = options.latencyMs ?? 0;
      if (previous === 'blackhole' && next !== 'blackhole') for (const pair of [...pairs]) if (pair.held) destroy(pair);
      if (next === 'refuse' && previous !== 'refuse') {
        const stopped = stopListening();
        proxy.cut();
        await stopped;
      }
      if (previous === 'refuse' && next !== 'refuse') await listen();
    },
    cut() {
      for (const pair of [...pairs]) destroy(pair);
    },
    get openConnections() {
      return pairs.size;
    },
    async close() {
      const stopped = mode === 'refuse' ? undefined : stopListening();
      proxy.cut();
      await stopped;
    },
  };
  return proxy;
}
