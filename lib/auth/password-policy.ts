/**
 * Password policy: parity with the Django service's default AUTH_PASSWORD_VALIDATORS
 * (django/contrib/auth/password_validation.py, checked against Django 5.2), plus bcrypt's
 * 72-byte limit.
 *
 * Django is written in Python, so "length", "digit", "lower-case", "whitespace" and "word
 * character" below follow Python's str semantics, not JavaScript's UTF-16 ones: the same
 * password must get the same verdict from both services.
 *
 * @module
 */
import { isCommonPassword } from './common-passwords.js';
import { problems } from '../http/problem.js';

/** Fewest characters (Unicode code points, like Python's `len`) a password may have. */
export const PASSWORD_MIN_LENGTH = 8;

/**
 * Most UTF-8 bytes a password may have. bcrypt ignores everything past 72 bytes, so a longer
 * password would be silently truncated: we refuse it instead.
 */
export const PASSWORD_MAX_BYTES = 72;

/** Django's UserAttributeSimilarityValidator default. */
const MAX_SIMILARITY = 0.7;

/** Which rule of the policy a password breaks. */
export type PolicyRule = 'too_short' | 'too_long' | 'entirely_numeric' | 'too_common' | 'too_similar';

/** One broken rule, with the message to show the user. */
export type PolicyViolation = { rule: PolicyRule; message: string };

/** What we know about the password's owner, to refuse passwords that resemble it. */
export type PasswordOwner = { email?: string; fullName?: string };

/**
 * Checks a password against the policy.
 *
 * Every rule is checked, and each one broken gives one entry, in the order of Django's default
 * AUTH_PASSWORD_VALIDATORS (similarity, length, common, numeric), so that clients see the same
 * messages in the same order as from the Django service.
 *
 * @param password - The password exactly as the user typed it (never trimmed or normalized).
 * @param user - The owner's email and full name, when known.
 * @returns The broken rules; an empty array means the password is acceptable.
 */
export function checkPasswordPolicy(password: string, user: PasswordOwner): PolicyViolation[] {
  const violations: PolicyViolation[] = [];

  const similarTo = findSimilarAttribute(password, user);
  if (similarTo !== undefined) {
    violations.push({ rule: 'too_similar', message: `The password is too similar to the ${similarTo}.` });
  }
  if (codePointLength(password) < PASSWORD_MIN_LENGTH) {
    violations.push({
      rule: 'too_short',
      message: `This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`,
    });
  }
  if (utf8ByteLength(password) > PASSWORD_MAX_BYTES) {
    violations.push({
      rule: 'too_long',
      message:
        `This password is too long. It must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8: ` +
        `${PASSWORD_MAX_BYTES} plain letters, digits or symbols, fewer with accented letters, ` +
        `other scripts or emoji (2 to 4 bytes each).`,
    });
  }
  if (isCommonPassword(pythonStrip(password.toLowerCase()))) {
    violations.push({ rule: 'too_common', message: 'This password is too common.' });
  }
  if (PYTHON_ALL_DIGITS.test(password)) {
    violations.push({ rule: 'entirely_numeric', message: 'This password is entirely numeric.' });
  }
  return violations;
}

/**
 * Django's UserAttributeSimilarityValidator: the password is compared with each attribute and
 * with each word of it (so with the local part and the domain words of an email as well as the
 * whole address). Django stops at the first attribute found similar, so there is at most one
 * `too_similar` entry, naming that attribute.
 */
function findSimilarAttribute(password: string, user: PasswordOwner): string | undefined {
  const attributes: ReadonlyArray<readonly [label: string, value: string | undefined]> = [
    ['email', user.email],
    ['full name', user.fullName],
  ];
  const passwordChars = Array.from(password.toLowerCase());
  for (const [label, value] of attributes) {
    if (!value) continue;
    const valueLower = value.toLowerCase();
    for (const part of [...valueLower.split(PYTHON_NON_WORD_RUN), valueLower]) {
      const partChars = Array.from(part);
      if (exceedsMaximumLengthRatio(passwordChars.length, partChars.length)) continue;
      if (quickRatio(passwordChars, partChars) >= MAX_SIMILARITY) return label;
    }
  }
  return undefined;
}

/**
 * Django's `exceeds_maximum_length_ratio`: a part at most a tenth of the password's length can
 * never reach the similarity threshold, so Django skips it (a guard against slow comparisons of
 * huge passwords, CVE-2021-45115). Kept so that the edge cases, e.g. empty parts, match too.
 */
function exceedsMaximumLengthRatio(passwordLength: number, valueLength: number): boolean {
  const lengthBoundSimilarity = (MAX_SIMILARITY / 2) * passwordLength;
  return passwordLength >= 10 * valueLength && valueLength < lengthBoundSimilarity;
}

/**
 * Python's `difflib.SequenceMatcher(a=a, b=b).quick_ratio()`: 2·M/T where M counts the
 * characters the two share as multisets, regardless of order, and T is their total length.
 * Django uses this upper bound of `ratio()` alone (never `ratio()` itself), so a mere
 * rearrangement of the name or email counts as similar; `autojunk` never affects it.
 */
function quickRatio(a: readonly string[], b: readonly string[]): number {
  const total = a.length + b.length;
  if (total === 0) return 1;
  const available = new Map<string, number>();
  for (const char of b) available.set(char, (available.get(char) ?? 0) + 1);
  let matches = 0;
  for (const char of a) {
    const left = available.get(char) ?? 0;
    if (left > 0) matches += 1;
    available.set(char, left - 1);
  }
  return (2 * matches) / total;
}

/**
 * A run of what Python's `re` calls non-word characters (`\W+` on a str): anything but a
 * letter, a number or `_`. JavaScript's own `\W` is ASCII-only, which would split "José" in two.
 */
const PYTHON_NON_WORD_RUN = /[^\p{L}\p{N}_]+/u;

/**
 * Python's `str.isdigit()`, used by Django's NumericPasswordValidator: decimal digits of any
 * script plus the other characters Unicode gives a digit value (superscripts, subscripts,
 * circled and parenthesized digits…), which `\p{Nd}` alone misses. List from Python 3.11's
 * unicodedata (Unicode 14).
 */
const PYTHON_ALL_DIGITS =
  /^[\p{Nd}\u00B2\u00B3\u00B9\u1369-\u1371\u19DA\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247C\u2488-\u2490\u24EA\u24F5-\u24FD\u24FF\u2776-\u277E\u2780-\u2788\u278A-\u2792\u{10A40}-\u{10A43}\u{10E60}-\u{10E68}\u{11052}-\u{1105A}\u{1F100}-\u{1F10A}]+$/u;

/**
 * Python's `str.strip()`, used by Django's CommonPasswordValidator. Its whitespace differs from
 * `String.prototype.trim`'s: it includes U+001C–U+001F and U+0085 but not U+FEFF.
 */
function pythonStrip(value: string): string {
  return value.replace(PYTHON_EDGE_WHITESPACE, '');
}
const PYTHON_EDGE_WHITESPACE =
  /^[\t-\r\x1C-\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+|[\t-\r\x1C-\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$/gu;

/** Python's `len`: code points, so an emoji is one character, not two UTF-16 units. */
function codePointLength(value: string): number {
  let length = 0;
  for (const _char of value) length += 1;
  return length;
}

/** Bytes in UTF-8, as bcrypt sees them (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Throws a 400 `validation_error` on `field`, one entry per failed rule of the password policy. */
export function assertPasswordPolicy(password: string, owner: PasswordOwner, field: string): void {
  const violations = checkPasswordPolicy(password, owner);
  if (violations.length) throw problems.validation(violations.map((v) => ({ field, message: v.message })));
}
