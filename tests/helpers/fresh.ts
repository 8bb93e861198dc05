import { vi } from 'vitest';
import type { Handler } from './http.js';

/**
 * Imports a module (path from the project root, e.g. `functions/health.ts`) afresh under extra environment variables. Configuration is parsed once
 * at import ("cold start"), so a test that needs another configuration (a closed port, a short
 * window) gets its own cold start instead of mutating shared state.
 */
export async function importFresh<T>(modulePath: string, env: Record<string, string | undefined>): Promise<T> {
  const saved = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  vi.resetModules();
  try {
    const url = new URL(`../../${modulePath}`, import.meta.url).href;
    return (await import(/* @vite-ignore */ url)) as T;
  } finally {
    process.env = saved;
  }
}

/** A function's handler from a fresh cold start under `env`: `freshHandler('functions/auth-login.ts', { … })`. */
export async function freshHandler(modulePath: string, env: Record<string, string | undefined>): Promise<Handler> {
  return (await importFresh<{ handler: Handler }>(modulePath, env)).handler;
}
