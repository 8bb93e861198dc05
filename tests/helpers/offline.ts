/**
 * Runs the real local stack (`serverless offline`, the same as `npm run dev` minus migrations)
 * on free ports, for end-to-end tests over HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './browser.js';
import { freePort } from './ports.js';

export interface OfflineServer {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the stack on free ports. A port is free when picked but offline listens on it only after
 * its first build (seconds later), and the tests' own outgoing connections draw from the same
 * ephemeral range: when one took it meanwhile (EADDRINUSE), start again on new ports.
 */
export async function startOffline(env: Record<string, string> = {}): Promise<OfflineServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOfflineOnce(env);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof PortTaken)) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startOfflineOnce(env: Record<string, string>): Promise<OfflineServer> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const workFolder = `.esbuild-test-${httpPort}`;
  let output = '';
  const child: ChildProcess = spawn('node_modules/.bin/serverless', ['offline', 'start'], {
    // Its own build folder: two servers building into one `.esbuild/` would serve each other's files.
    env: {
      ...process.env,
      PORT: String(httpPort),
      LAMBDA_PORT: String(lambdaPort),
      ESBUILD_WORK_FOLDER: workFolder,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    // Also when offline exited on its own (a failed start): its build folder is ours to remove.
    rmSync(workFolder, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (!/Server ready/.test(output)) {
    // offline prints a failed listen and then stays up (its file watcher), so look for it.
    if (child.exitCode !== null || Date.now() > deadline || /EADDRINUSE/.test(output)) {
      await stop();
      const message = `serverless offline did not start:\n${output}`;
      throw /EADDRINUSE/.test(output) ? new PortTaken(message) : new Error(message);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url: `http://127.0.0.1:${httpPort}`, output: () => output, stop };
}

/** A first build of every function, on a loaded 2-core machine, takes a while. */
const START_TIMEOUT_MS = 180_000;

/**
 * For an end-to-end test file: the local stack under `env`, and with `browser` headless chromium
 * launched alongside, both up before the file's tests (and its own `beforeAll`s) and stopped after.
 */
export function useOfflineStack(options: { env?: Record<string, string>; browser: true }): {
  readonly server: OfflineServer;
  readonly browser: Browser;
};
export function useOfflineStack(options?: { env?: Record<string, string> }): { readonly server: OfflineServer };
export function useOfflineStack(options: { env?: Record<string, string>; browser?: boolean } = {}) {
  const stack = {} as { server: OfflineServer; browser?: Browser };
  beforeAll(async () => {
    [stack.server, stack.browser] = await Promise.all([
      startOffline(options.env),
      options.browser ? launchChromium() : undefined,
    ]);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await stack.browser?.close();
    await stack.server?.stop();
  });
  return stack;
}
