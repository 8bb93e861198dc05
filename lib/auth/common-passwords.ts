/// <reference path="./common-passwords.vendor.d.ts" />
/**
 * The list behind the password policy's `too_common` rule.
 *
 * Source: Mozilla's `fxa-common-password-list` (what Firefox Accounts checks), the 50,000 most
 * common passwords of 8 or more characters from SecLists' "10 million passwords" list. Chosen
 * over the other registry packages because every entry can matter here (shorter passwords are
 * refused as too short anyway) and it costs the least per such entry: ~98 KB gzipped in a
 * bundle, one string literal to load.
 *
 * Unlike Django's 20,000-entry list it has no entries shorter than 8 characters, so a short
 * common password gets `too_short` without `too_common` here; whether it is accepted never
 * differs, since it is refused either way.
 *
 * @module
 */
import encodedPasswords from 'fxa-common-password-list/src/encoded-passwords.js';

// The list is sorted and front-coded: each `\n`-separated line is one base-36 digit, how many
// leading characters the entry shares with the previous one, then the rest of the entry.
// Decoding all 50,000 entries into a Set costs tens of milliseconds and megabytes on the first
// password check of every Lambda instance, so instead we index where each two-character prefix
// starts (a line sharing fewer than 2 characters) and decode only that run per lookup: 950
// runs of 53 entries on average, 1,230 at most (about 2 ms to index, microseconds a lookup).
// Entries are at least 8 characters, so every one has a two-character prefix.

/** The first entry of a run of entries sharing their first two characters. */
type Run = { first: string; nextLine: number };

let runs: Map<string, Run> | undefined;

/**
 * Whether `candidate` is on the list, compared exactly: entries are lower-case and trimmed, so
 * normalize the password first (Django compares `password.lower().strip()`).
 *
 * The index is built on first call, not at import: it is cheap, but only the
 * register, change-password and reset-password paths need it, and only when a password is
 * actually checked, never in a Lambda's cold import.
 */
export function isCommonPassword(candidate: string): boolean {
  // A local binding: test runners that rewrite imports into property reads make every use of
  // the imported name in this hot loop several times slower.
  const encoded = encodedPasswords;
  runs ??= indexRuns(encoded);
  const run = runs.get(candidate.slice(0, 2));
  if (run === undefined) return false;
  let entry = run.first;
  let line = run.nextLine;
  for (;;) {
    if (entry === candidate) return true;
    // Sorted by UTF-16 code units, like `>`: past the candidate means it is not there.
    if (entry > candidate || line >= encoded.length) return false;
    const shared = Number.parseInt(encoded.charAt(line), 36);
    if (shared < 2) return false; // the next run has another prefix
    const end = lineEnd(encoded, line);
    entry = entry.slice(0, shared) + encoded.slice(line + 1, end);
    line = end + 1;
  }
}

/**
 * Every entry, decoded (50,000 strings: for tests and tooling, not for request paths, which use
 * {@link isCommonPassword}).
 */
export function listCommonPasswords(): string[] {
  const encoded = encodedPasswords;
  const entries: string[] = [];
  let entry = '';
  for (let line = 0; line < encoded.length; ) {
    const end = lineEnd(encoded, line);
    entry = entry.slice(0, Number.parseInt(encoded.charAt(line), 36)) + encoded.slice(line + 1, end);
    entries.push(entry);
    line = end + 1;
  }
  return entries;
}

/** Finds the lines sharing 0 or 1 characters with the previous entry: where each run starts. */
function indexRuns(encoded: string): Map<string, Run> {
  const index = new Map<string, Run>();
  const runStart = /(?:^|\n)[01]/g;
  let firstCharacter = '';
  for (let match = runStart.exec(encoded); match !== null; match = runStart.exec(encoded)) {
    const line = match.index + match[0].length - 1;
    const end = lineEnd(encoded, line);
    const rest = encoded.slice(line + 1, end);
    // A line sharing 1 character keeps the first character of the last line that shared none.
    const first = encoded.charAt(line) === '0' ? rest : firstCharacter + rest;
    firstCharacter = first.charAt(0);
    index.set(first.slice(0, 2), { first, nextLine: end + 1 });
    runStart.lastIndex = end;
  }
  return index;
}

/** Where the line starting at `line` ends (its `\n`, or the end of the list). */
function lineEnd(encoded: string, line: number): number {
  const end = encoded.indexOf('\n', line);
  return end === -1 ? encoded.length : end;
}
