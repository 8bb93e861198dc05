/**
 * Runs a command on a pseudo-terminal (util-linux `script`), so a test can answer its prompts the
 * way a person at a terminal does and see exactly what the terminal would show, echo included.
 */
import { spawn } from 'node:child_process';

export interface PtySession {
  /** Everything the terminal showed so far (the command's stdout and stderr, and any echo). */
  output(): string;
  /** Waits until `text` appears after the previous match, then moves past it. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Types a line and presses Enter. */
  typeLine(text: string): void;
  /** Sends raw keys (e.g. `\u0003` for Ctrl-C). */
  press(keys: string): void;
  /** The exit code, once the command ends. */
  exited: Promise<number>;
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

export function spawnInPty(argv: string[], env: NodeJS.ProcessEnv): PtySession {
  const child = spawn(
    'script',
    ['--quiet', '--flush', '--return', '--command', argv.map(shellQuote).join(' '), '/dev/null'],
    {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let cursor = 0;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );

  return {
    output: () => output,
    async waitFor(text, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rest = output.slice(cursor);
        const found =
          typeof text === 'string'
            ? { index: rest.indexOf(text), length: text.length }
            : (() => {
                const match = text.exec(rest);
                return { index: match ? match.index : -1, length: match ? match[0].length : 0 };
              })();
        if (found.index !== -1) {
          cursor += found.index + found.length;
          return;
        }
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`Timed out waiting for ${String(text)}; the terminal showed:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    typeLine: (text) => child.stdin.write(`${text}\r`),
    press: (keys) => child.stdin.write(keys),
    exited,
  };
}
