/** Captures every line the service's logger writes (stdout and stderr) during a test. */
import { expect, vi } from 'vitest';

export interface CapturedLogs {
  /** Everything written so far. */
  text(): string;
  /** The JSON log lines written so far. */
  lines(): Record<string, unknown>[];
  restore(): void;
}

export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  const text = () => chunks.join('');
  return {
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** Everything written to stdout and stderr while `fn` runs. */
export async function captureOutput(fn: () => Promise<void>): Promise<string> {
  const logs = captureLogs();
  try {
    await fn();
  } finally {
    logs.restore();
  }
  return logs.text();
}

/** Shapes that must never appear in a log line, whoever they belong to. */
const SECRET_SHAPES: [string, RegExp][] = [
  ['a bcrypt hash', /\$2[abxy]?\$\d{2}\$/],
  ['a JWT', /eyJ[\w-]{8,}\.[\w-]{8,}\./],
  ['an email address', /[\w.+-]+@[\w-]+\.[\w.]+/],
  ['query parameters', /params:/],
];

/** Fails naming the first secret (exact value or shape) found in `logs`. */
export function expectNoSecrets(logs: string, secrets: Record<string, string | null | undefined>): void {
  for (const [name, value] of Object.entries(secrets)) {
    if (value) expect(logs.includes(value), `the logs contain ${name}`).toBe(false);
  }
  for (const [name, shape] of SECRET_SHAPES)
    expect(shape.test(logs), `the logs contain ${name}: ${shape.exec(logs)?.[0]}`).toBe(false);
}
