/**
 * V8's optimizing compiler (TurboFan), switched off for the functions that gain nothing from it.
 *
 * A warm `/me` spends 0.2 ms of CPU per request, most of it in native code (the socket, the
 * Postgres protocol, JSON). For its first several thousand requests, TurboFan keeps compiling the
 * functions that became hot (~200 of them), on background threads that compete with the request
 * for the CPU: a 1024 MB Lambda has ~0.6 of a vCPU, this bench machine has 2 cores shared with
 * Postgres. That work, not GC or the network, is the p99 of `/me` and refresh
 * (docs/performance.md, "Where the tail goes"). Without TurboFan, V8 still runs its baseline
 * compilers (Sparkplug; Maglev on Node 22): the median costs a few hundredths of a millisecond
 * more and the p99 halves.
 *
 * Never for a function that hashes passwords: bcryptjs is plain JavaScript and runs 12× slower
 * without TurboFan (3.5 s instead of 0.28 s at cost 12). Functions opt in with `"turbofan": false`
 * in lib/http/routes.json, which serverless/functions.cjs turns into `V8_TURBOFAN=false`; a test
 * keeps bcryptjs out of their bundles.
 *
 * V8 flags are per process: applied only where a process runs one deployed function (a Lambda
 * runtime). `serverless offline` and vitest run every function in one process, where this would
 * slow the hashing functions too.
 */
import { setFlagsFromString } from 'node:v8';
import { config } from './config.js';

/** True in a Lambda runtime (one function per process), false under serverless offline or in tests. */
export const runsOneFunction = (env: NodeJS.ProcessEnv = process.env): boolean =>
  Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && env.IS_OFFLINE !== 'true';

/** The V8 flags this process should run with: `--no-turbofan` where the function opted out. */
export const jitFlags = (turbofan: boolean, env: NodeJS.ProcessEnv = process.env): string[] =>
  !turbofan && runsOneFunction(env) ? ['--no-turbofan'] : [];

// Before the first request: nothing is hot yet, so nothing has been optimized.
for (const flag of jitFlags(config.v8Turbofan)) setFlagsFromString(flag);
