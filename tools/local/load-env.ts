/**
 * Import first in every script: fills `process.env` from `.env` without overriding what the shell
 * already set (shell → .env → development default, as the README promises), before
 * `lib/config.ts` reads it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

const file = new URL('../../.env', import.meta.url);
if (existsSync(file)) {
  for (const [key, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (process.env[key] === undefined) process.env[key] = value;
  }
}
