/**
 * One function as a Lambda instance runs it: started by `npm run bench` (bench/rss.ts) with plain
 * `node`, no TypeScript loader, and the function's own environment (AWS_LAMBDA_FUNCTION_NAME, its
 * V8_TURBOFAN), so the process holds what a Lambda instance would: the runtime, the bundle, its
 * connections and whatever its requests leave behind. Reports its memory and the latency of each
 * request after the first `warmup`.
 *
 * Environment: `BENCH_RSS_BUNDLE` (the function's .mjs; empty for the bare-node baseline),
 * `BENCH_RSS_PLAN` (JSON: the event as text, with `%i%` replaced by the request's number, `%run%`
 * by `BENCH_RSS_RUN` and `%refresh%` by the refresh token the previous response returned; the status expected; how many
 * requests, the first `warmup` of them untimed), `BENCH_OUT` (where the result JSON goes).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const plan = JSON.parse(process.env.BENCH_RSS_PLAN ?? '{}');
const bundle = process.env.BENCH_RSS_BUNDLE;
let last;
let afterImportMB;
/** Per timed request: wall and CPU (this process, all threads) milliseconds. */
const wallMs = [];
const cpuMs = [];
if (bundle) {
  const { handler } = await import(pathToFileURL(bundle).href);
  afterImportMB = process.memoryUsage().rss / 2 ** 20;
  let refresh = plan.refresh ?? '';
  for (let i = 0; i < plan.requests; i++) {
    // A fresh event per request, parsed from text like the runtime parses each invocation's.
    const event = JSON.parse(
      plan.event
        .replaceAll('%i%', String(i))
        .replaceAll('%run%', process.env.BENCH_RSS_RUN ?? '')
        .replaceAll('%refresh%', refresh),
    );
    const context = { awsRequestId: `rss-${i}`, functionName: 'rss', getRemainingTimeInMillis: () => 10_000 };
    const cpu = process.cpuUsage();
    const started = performance.now();
    const response = await handler(event, context);
    const ended = performance.now();
    const used = process.cpuUsage(cpu);
    if (i >= (plan.warmup ?? 0)) {
      wallMs.push(ended - started);
      cpuMs.push((used.user + used.system) / 1000);
    }
    if (response.statusCode !== plan.expect)
      throw new Error(
        `request ${i}: expected HTTP ${plan.expect}, got ${response.statusCode}: ${response.body?.slice(0, 300)}`,
      );
    last = response.body;
    if (plan.chain) refresh = JSON.parse(response.body).refresh;
  }
}
const usage = process.memoryUsage();
// getrusage's ru_maxrss: the peak resident set of the whole run, in KiB on Linux.
const maxRssMB = process.resourceUsage().maxRSS / 1024;
// What the requests left alive (a leak would show here), as opposed to garbage not yet collected.
globalThis.gc?.();
writeFileSync(
  process.env.BENCH_OUT,
  JSON.stringify({
    afterImportMB,
    rssMB: usage.rss / 2 ** 20,
    maxRssMB,
    heapUsedMB: usage.heapUsed / 2 ** 20,
    liveHeapMB: process.memoryUsage().heapUsed / 2 ** 20,
    wallMs,
    cpuMs,
    last,
  }),
);
// The bundle keeps its connections open, as a warm Lambda does.
process.exit(0);
