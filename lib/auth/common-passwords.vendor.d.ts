// fxa-common-password-list ships no typings. We import its data file directly (not its
// main module, which decodes the whole list at import time and then searches it with a linear
// indexOf on every call), so this declares the one shape we rely on. The package is pinned
// exactly in package.json and tests/unit/password-policy.test.ts checks the decoded list, so a
// change of format in an upgrade fails a test instead of silently emptying the list.
declare module 'fxa-common-password-list/src/encoded-passwords.js' {
  /**
   * 50,000 common passwords (lower-case, ASCII, 8+ characters), sorted and front-coded: one
   * entry per `\n`-separated line, each line being one base-36 digit (how many leading
   * characters it shares with the previous entry) followed by the rest of the entry.
   */
  const encodedPasswords: string;
  // A CommonJS module whose module.exports is the string: what an ESM default import gets.
  export default encodedPasswords;
}
