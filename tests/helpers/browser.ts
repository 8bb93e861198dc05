/**
 * Debian's chromium for the browser tests (tests/e2e/*-browser.test.ts), through playwright-core.
 * Under CI=true they are mandatory (.ci/run installs chromium). Elsewhere, on a machine without
 * it, they are skipped with one line saying how to get it, so `npm test` passes on a fresh machine.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get install chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const skipped = () => !existsSync(CHROMIUM) && process.env.CI !== 'true';
let announced = false;

/** `describe` for tests that need the browser: skipped (said once per file) where chromium is missing outside CI. */
export function describeInBrowser(name: string, tests: () => void): void {
  const skip = skipped();
  if (skip && !announced) {
    announced = true;
    console.warn(
      `Browser tests skipped: ${CHROMIUM} is missing. Install it with \`${INSTALL}\` (under CI=true they are mandatory).`,
    );
  }
  describe.skipIf(skip)(name, tests);
}

/** Launches headless chromium; under CI a missing browser fails here, saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: ${INSTALL}`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
