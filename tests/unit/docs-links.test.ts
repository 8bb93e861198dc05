/**
 * The README and docs/ stand on their own: every relative link resolves to a file inside the
 * repository (a clone has nothing beside it), and the README stays a quick start.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Markdown link and image targets outside code blocks and code spans. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe('README.md and docs/', () => {
  it.each(FILES)('%s links only to files inside the repository', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(text).not.toContain('../shared');
    for (const target of linkTargets(text)) {
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue; // a URL or an anchor in the same file
      const path = resolve(dirname(join(ROOT, file)), decodeURIComponent(target.split('#')[0]!));
      expect(relative(ROOT, path).startsWith('..'), `${file}: ${target} points outside the repository`).toBe(false);
      expect(existsSync(path), `${file}: ${target} does not exist`).toBe(true);
    }
  });

  it('keeps the README under 15 KB', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThanOrEqual(15 * 1024);
  });
});
