/**
 * What signing and verifying an access token costs per `JWT_ALGORITHM`: the service's own
 * `signToken`/`verifyToken` (lib/auth/jwt.ts) with keys imported once, as a warm Lambda has them.
 * Login and register sign two tokens (in parallel), refresh verifies one and signs two, and every
 * authenticated request verifies one.
 *
 *   npx tsx bench/jwt.bench.ts [iterations=2000]
 */
import '../tools/local/load-env.js';
import { randomUUID } from 'node:crypto';
import { signToken, verifyToken } from '../lib/auth/jwt.js';
import { generatePrivateJwk } from '../tools/auth/keys-generate.js';
import { buildKeyring } from '../lib/auth/keys/keyring.js';
import { loadConfig } from '../lib/config.js';
import { summarize } from './stats.js';

const ITERATIONS = Number(process.argv[2] ?? 2000);
const WARMUP = 200;

const ALGORITHMS = {
  EdDSA: { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEYS: JSON.stringify([generatePrivateJwk('EdDSA', 'bench-ed')]) },
  ES256: { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEYS: JSON.stringify([generatePrivateJwk('ES256', 'bench-es')]) },
  HS256: { JWT_ALGORITHM: 'HS256' },
} as const;

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const started = performance.now();
    await fn();
    if (i >= WARMUP) samples.push(performance.now() - started);
  }
  return samples;
}

const rows: string[][] = [
  ['algorithm', 'sign p50 ms', 'sign p99 ms', 'verify p50 ms', 'verify p99 ms', 'signs/s', 'verifies/s'],
];
for (const [name, env] of Object.entries(ALGORITHMS)) {
  const config = loadConfig({ ...process.env, ...env });
  const keys = await buildKeyring(config.jwt.keys, config.secretKey);
  const claims = { type: 'access' as const, sub: randomUUID(), jti: randomUUID(), sid: randomUUID() };
  const token = await signToken(claims, 1800, undefined, keys);
  const sign = summarize(await time(() => signToken(claims, 1800, undefined, keys)));
  const verify = summarize(
    await time(async () => {
      if (!(await verifyToken(token, 'access', keys)).ok) throw new Error(`${name}: the token did not verify`);
    }),
  );
  rows.push([
    name,
    sign.p50.toFixed(3),
    sign.p99.toFixed(3),
    verify.p50.toFixed(3),
    verify.p99.toFixed(3),
    String(Math.round(1000 / sign.mean)),
    String(Math.round(1000 / verify.mean)),
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(rows.map((r) => r.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n'));
console.log(`${ITERATIONS} sequential calls each after ${WARMUP} warm-up; keys imported once (a warm Lambda).`);
