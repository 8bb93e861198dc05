/**
 * The single-use tokens of emailed links (password reset, email verification), on the lucia
 * design. A token is `base64url(user id ‖ 256 random bits)`, 64 characters; Redis keeps only the
 * SHA-256 of the random part, under one key per user and purpose, with a TTL. So:
 *
 * - a new token replaces the user's earlier one in one SET (one live token per user);
 * - using a token is one compare-and-delete script: of two concurrent uses, exactly one wins;
 * - a Redis dump yields nothing that can be put in a link.
 *
 * ```ts
 * const resetTokens = linkTokens('pwreset', () => config.passwordResetTtlS);
 * const token = await resetTokens.issue(user.id);   // goes into the email, nowhere else
 * const userId = await resetTokens.consume(token);  // undefined: unknown, expired, used or malformed
 * ```
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { redisKey, redisOp } from '../../redis.js';

const SECRET_BYTES = 32;
const UUID_BYTES = 16;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{64}$/;
/** The key an unknown account "touches", so that it costs the same Redis round trip as a real one. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

// The prefix keeps @upstash/redis's automatic JSON deserialisation from ever reading a digest as a number.
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Deletes the key only if it still holds this token's hash: the atomic "use once". */
const CONSUME_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

function encode(userId: string, secret: Buffer): string {
  return Buffer.concat([Buffer.from(userId.replaceAll('-', ''), 'hex'), secret]).toString('base64url');
}

/** Splits a token into its user id and the digest Redis should hold; undefined when malformed. */
function decode(token: string): { userId: string; secretHash: string } | undefined {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== UUID_BYTES + SECRET_BYTES) return undefined;
  const hex = bytes.subarray(0, UUID_BYTES).toString('hex');
  const userId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { userId, secretHash: sha256(bytes.subarray(UUID_BYTES)) };
}

const sameDigest = (stored: unknown, expected: string) =>
  typeof stored === 'string' &&
  stored.length === expected.length &&
  timingSafeEqual(Buffer.from(stored), Buffer.from(expected));

export interface LinkTokens {
  /** The Redis key of a user's live token. */
  key(userId: string): string;
  /** Creates the user's token, replacing (invalidating) any earlier one. */
  issue(userId: string): Promise<string>;
  /** The user id of a live token, leaving it usable (e.g. to check a new password first). */
  check(token: string): Promise<string | undefined>;
  /** Uses the token up, atomically: its user id, or undefined if it was not live (or lost a race). */
  consume(token: string): Promise<string | undefined>;
  /** Invalidates the user's live token, if any. */
  revoke(userId: string): Promise<void>;
  /** The Redis round trip an unknown account makes instead of {@link issue}: an outage answers alike. */
  decoy(): Promise<void>;
}

/**
 * The tokens of one purpose (`purpose` names their Redis keys), living `ttlS()` seconds. Every
 * Redis failure is a `DependencyError` (the HTTP layer's 503).
 */
export function linkTokens(purpose: string, ttlS: () => number): LinkTokens {
  const key = (userId: string) => redisKey(purpose, userId);
  return {
    key,
    async issue(userId) {
      const secret = randomBytes(SECRET_BYTES);
      await redisOp((r) => r.set(key(userId), sha256(secret), { ex: ttlS() }));
      return encode(userId, secret);
    },
    async check(token) {
      const decoded = decode(token);
      if (!decoded) return undefined;
      const stored = await redisOp((r) => r.get<string>(key(decoded.userId)));
      return sameDigest(stored, decoded.secretHash) ? decoded.userId : undefined;
    },
    async consume(token) {
      const decoded = decode(token);
      if (!decoded) return undefined;
      const consumed = await redisOp((r) =>
        r.eval<[string], number>(CONSUME_SCRIPT, [key(decoded.userId)], [decoded.secretHash]),
      );
      return consumed === 1 ? decoded.userId : undefined;
    },
    async revoke(userId) {
      await redisOp((r) => r.del(key(userId)));
    },
    async decoy() {
      await redisOp((r) => r.exists(key(NOBODY)));
    },
  };
}
