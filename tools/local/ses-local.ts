/**
 * The local SES emulator (`aws-ses-v2-local`): the real SES client sends to it, and sent mail is
 * readable at `GET /store` and in a web inbox at `/`. Used by `npm run dev` and by the tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isPortOpen } from './services.js';

const BIN = fileURLToPath(new URL('../../node_modules/.bin/aws-ses-v2-local', import.meta.url));

/** Starts the emulator on host:port unless something already listens there; resolves when ready. */
export async function startSesEmulator(host = '127.0.0.1', port = 8005): Promise<ChildProcess | undefined> {
  if (await isPortOpen(host, port, 300)) return undefined;
  const child = spawn(BIN, ['--host', host, '--port', String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await isPortOpen(host, port, 200)) return child;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`The local SES emulator did not start on ${host}:${port}.`);
}
