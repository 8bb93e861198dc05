/**
 * The two ways a test reaches the local Redis: a plain client (to look behind the service's back)
 * and the Upstash REST bridge in front of it. Kept apart from the bridge, which also runs on its
 * own outside vitest.
 */
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startUpstashRestBridge, type UpstashRestBridge } from './upstash-rest-bridge.js';

/** The shared local Redis, which every transport test reaches both ways. */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

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
