/**
 * The admin page's Content-Security-Policy. The page is one HTML file with exactly one inline
 * `<script>` (starting `// admin-page`) and one inline `<style>` (starting `/* admin-page *\/`);
 * the policy allows those two by the SHA-256 of their exact text and nothing else, so an
 * injected script or style (or an attribute handler) never runs, and the page can only talk to
 * its own origin.
 */
import { createHash } from 'node:crypto';

const INLINE_BLOCKS = {
  script: '<script>// admin-page',
  style: '<style>/* admin-page */',
} as const;

/** The exact text of the page's one inline `<script>` or `<style>`; throws unless there is exactly one. */
export function inlineBlock(html: string, tag: keyof typeof INLINE_BLOCKS): string {
  const opening = `<${tag}`;
  const count = html.split(opening).length - 1;
  const start = html.indexOf(INLINE_BLOCKS[tag]);
  if (count !== 1 || start === -1) {
    throw new Error(
      `The admin page must have exactly one <${tag}> and it must start with "${INLINE_BLOCKS[tag].slice(opening.length + 1)}" (found ${count} <${tag}>).`,
    );
  }
  const textStart = start + opening.length + 1;
  const end = html.indexOf(`</${tag}>`, textStart);
  if (end === -1) throw new Error(`The admin page's <${tag}> is not closed.`);
  return html.slice(textStart, end);
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's policy: its own script and style by hash, its own origin for the API, nothing else. */
export function adminPageCsp(html: string): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(inlineBlock(html, 'script'))}`,
    `style-src ${sha256(inlineBlock(html, 'style'))}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
