/**
 * lib/jit.ts: TurboFan off for the functions that opt out, and only where a process runs one
 * function. The flag's effect is checked in a real child process, through V8's own report of how
 * a hot function was compiled.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jitFlags, runsOneFunction } from '../../lib/jit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('which processes switch TurboFan off', () => {
  it('only a Lambda runtime: serverless offline and tests run every function in one process', () => {
    expect(runsOneFunction({ AWS_LAMBDA_FUNCTION_NAME: 'authMe' })).toBe(true);
    expect(runsOneFunction({ AWS_LAMBDA_FUNCTION_NAME: 'authMe', IS_OFFLINE: 'true' })).toBe(false);
    expect(runsOneFunction({})).toBe(false);
  });

  it('only for a function that opted out', () => {
    expect(jitFlags(false, { AWS_LAMBDA_FUNCTION_NAME: 'authMe' })).toEqual(['--no-turbofan']);
    expect(jitFlags(true, { AWS_LAMBDA_FUNCTION_NAME: 'authMe' })).toEqual([]);
    expect(jitFlags(false, { AWS_LAMBDA_FUNCTION_NAME: 'authMe', IS_OFFLINE: 'true' })).toEqual([]);
    expect(jitFlags(false, {})).toEqual([]);
  });
});

describe('importing lib/jit.ts', () => {
  // V8's %GetOptimizationStatus bit for "compiled by TurboFan".
  const TURBOFANNED = 1 << 6;
  const script = `
    await import('./lib/jit.ts');
    function hot(values) { let sum = 0; for (const value of values) sum += value * 2; return sum; }
    for (let i = 0; i < 200_000; i++) hot([1, 2, 3, 4]);
    console.log(new Function('f', 'return %GetOptimizationStatus(f)')(hot));
  `;
  const statusIn = (env: Record<string, string>) => {
    const child = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module'], {
      cwd: ROOT,
      input: script,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, APP_ENV: 'test', ...env },
    });
    expect(child.stderr).toBe('');
    return Number(child.stdout.trim());
  };

  it('leaves TurboFan on by default, even in a Lambda runtime', () => {
    expect(statusIn({ AWS_LAMBDA_FUNCTION_NAME: 'authMe' }) & TURBOFANNED).toBe(TURBOFANNED);
  });

  it('switches it off in a Lambda runtime whose function set V8_TURBOFAN=false', () => {
    expect(statusIn({ AWS_LAMBDA_FUNCTION_NAME: 'authMe', V8_TURBOFAN: 'false' }) & TURBOFANNED).toBe(0);
  });

  it('keeps it on under serverless offline, where other functions hash passwords in the same process', () => {
    const status = statusIn({ AWS_LAMBDA_FUNCTION_NAME: 'authMe', IS_OFFLINE: 'true', V8_TURBOFAN: 'false' });
    expect(status & TURBOFANNED).toBe(TURBOFANNED);
  });
});
