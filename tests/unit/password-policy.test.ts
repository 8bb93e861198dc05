/**
 * The password policy (contract: "Password policy"): Django's default validators plus bcrypt's
 * 72-byte limit. Expected verdicts marked "Django:" were produced by Django 5.2.17's own
 * validators (user_attributes=('email', 'full_name'), this list as password_list_path), and
 * the similarity scores by Python 3.11's difflib, on this machine.
 */
import { describe, expect, it } from 'vitest';
import { isCommonPassword, listCommonPasswords } from '../../lib/auth/common-passwords.js';
import {
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_LENGTH,
  checkPasswordPolicy,
  type PasswordOwner,
  type PolicyRule,
} from '../../lib/auth/password-policy.js';

const ann: PasswordOwner = { email: 'ann.lee@example.com', fullName: 'Ann Lee' };
const stephanie: PasswordOwner = { email: 's.c@mail.test', fullName: 'Stephanie Clarkson' };
const stranger: PasswordOwner = { email: 'zz@mail.test', fullName: 'Zed Zed' };

const rulesOf = (password: string, user: PasswordOwner = stranger): PolicyRule[] =>
  checkPasswordPolicy(password, user).map((violation) => violation.rule);

describe('password policy', () => {
  it('accepts a long, uncommon password unrelated to the user', () => {
    expect(checkPasswordPolicy('correct horse battery staple', ann)).toEqual([]);
  });

  it('accepts a password when nothing is known about the user', () => {
    expect(checkPasswordPolicy('vR7#qLm2!xT9', {})).toEqual([]);
  });

  describe('minimum length', () => {
    it('refuses 7 characters with Django’s message', () => {
      expect(checkPasswordPolicy('xK9#mQ2', ann)).toEqual([
        { rule: 'too_short', message: 'This password is too short. It must contain at least 8 characters.' },
      ]);
    });

    it('accepts exactly the minimum', () => {
      expect(PASSWORD_MIN_LENGTH).toBe(8);
      expect(rulesOf('xK9#mQ2w')).toEqual([]);
    });

    it('counts code points like Python’s len, not UTF-16 units', () => {
      // 7 emoji are 14 UTF-16 units but 7 characters to Django.
      expect(rulesOf('😀'.repeat(7))).toEqual(['too_short']);
      expect(rulesOf('😀'.repeat(8))).toEqual([]);
    });
  });

  describe('maximum length (bcrypt reads only 72 bytes)', () => {
    it('accepts 72 ASCII characters and refuses 73, with a message naming the limit', () => {
      expect(PASSWORD_MAX_BYTES).toBe(72);
      const long = 'vR7#qLm2!xT9'.repeat(7);
      expect(rulesOf(long.slice(0, 72))).toEqual([]);
      const violations = checkPasswordPolicy(long.slice(0, 73), stranger);
      expect(violations.map((violation) => violation.rule)).toEqual(['too_long']);
      expect(violations[0]?.message).toMatch(/too long.*72 bytes/);
    });

    it('counts UTF-8 bytes, not characters: 8 emoji (32 bytes) pass, 19 (76 bytes) do not', () => {
      expect(rulesOf('😀'.repeat(8))).toEqual([]);
      expect(rulesOf('😀'.repeat(18))).toEqual([]); // 72 bytes
      expect(rulesOf('😀'.repeat(19))).toEqual(['too_long']);
      expect(rulesOf('é'.repeat(37))).toEqual(['too_long']); // 37 characters, 74 bytes
    });
  });

  describe('entirely numeric', () => {
    it('refuses a password made only of digits', () => {
      expect(checkPasswordPolicy('73918462507', stranger)).toEqual([
        { rule: 'entirely_numeric', message: 'This password is entirely numeric.' },
      ]);
    });

    it('accepts digits with a single letter', () => {
      expect(rulesOf('7391846250a')).toEqual([]);
    });

    it('counts what Python’s isdigit counts: superscripts and other scripts’ digits', () => {
      // Django: ['entirely_numeric'] for both.
      expect(rulesOf('¹²³⁴⁵⁶⁷⁸⁹')).toEqual(['entirely_numeric']);
      expect(rulesOf('٧٣٩١٨٤٦٢')).toEqual(['entirely_numeric']);
    });
  });

  describe('common passwords', () => {
    it('refuses a listed password with Django’s message', () => {
      expect(checkPasswordPolicy('trustno1', stranger)).toEqual([
        { rule: 'too_common', message: 'This password is too common.' },
      ]);
    });

    it('compares case-insensitively: PASSWORD1 is common because password1 is', () => {
      expect(isCommonPassword('password1')).toBe(true);
      expect(rulesOf('PASSWORD1')).toEqual(['too_common']);
      expect(rulesOf('PassWord1')).toEqual(['too_common']);
    });

    it('ignores surrounding whitespace as Python’s strip does (U+001F is whitespace, BOM is not)', () => {
      // Django: too_common, too_common, and [] for the BOM, which String#trim would remove.
      expect(rulesOf(' password1\t')).toEqual(['too_common']);
      expect(rulesOf('password1\u001f')).toEqual(['too_common']);
      expect(rulesOf('password1\ufeff')).toEqual([]);
    });

    it('uses a list of at least 10,000 lower-cased, trimmed passwords', () => {
      const list = listCommonPasswords();
      expect(new Set(list).size).toBeGreaterThanOrEqual(10_000);
      expect(list).toEqual(expect.arrayContaining(['password', 'iloveyou1', 'qwertyuiop', 'sunshine', 'baseball1']));
      expect(list.filter((password) => password !== password.toLowerCase().trim())).toEqual([]);
    });

    it('finds every entry of the list, and nothing next to one', () => {
      const list = listCommonPasswords();
      const listed = new Set(list);
      expect(list.filter((password) => !isCommonPassword(password))).toEqual([]);
      // Near misses around every 7th entry (all of them would take seconds): shorter, longer,
      // last character changed, first character changed.
      const nearMisses = list
        .filter((_, index) => index % 7 === 0)
        .flatMap((password) => [
          password.slice(0, -1),
          `${password}~`,
          `${password.slice(0, -1)}~`,
          `~${password.slice(1)}`,
        ])
        .filter((candidate) => !listed.has(candidate));
      expect(nearMisses.filter((candidate) => isCommonPassword(candidate))).toEqual([]);
      expect(
        ['', 'p', 'pa', 'correcthorse', 'zzzzzzzzzzzzzzzzzz'].filter((candidate) => isCommonPassword(candidate)),
      ).toEqual([]);
    });
  });

  describe('similarity to the user', () => {
    it('refuses a password close to a word of the full name', () => {
      // difflib: quick_ratio('clarkson99', 'clarkson') = 0.889 >= 0.7.
      expect(checkPasswordPolicy('clarkson99', stephanie)).toEqual([
        { rule: 'too_similar', message: 'The password is too similar to the full name.' },
      ]);
    });

    it('compares case-insensitively', () => {
      expect(rulesOf('CLARKSON99', stephanie)).toEqual(['too_similar']);
    });

    it('refuses a password close to any word of the email, domain included, as Django does', () => {
      // difflib: quick_ratio('example1', 'example') = 0.933.
      expect(checkPasswordPolicy('example1', ann)).toEqual([
        { rule: 'too_similar', message: 'The password is too similar to the email.' },
      ]);
      expect(rulesOf('ann.lee@example.com', ann)).toEqual(['too_similar']);
    });

    it('refuses a rearranged name, since Django compares with quick_ratio alone', () => {
      // difflib: 'nosrkalc' vs 'clarkson': quick_ratio 1.0 but ratio 0.25; Django: too_similar.
      // 'lee.ann@example' vs the email: quick_ratio 0.882, ratio 0.647; Django: too_similar.
      expect(rulesOf('nosrkalc', stephanie)).toEqual(['too_similar']);
      expect(rulesOf('lee.ann@example', ann)).toEqual(['too_similar']);
    });

    it('compares with the whole full name as well as its words', () => {
      // difflib: 'annlee2024' vs 'ann lee' 0.706 (similar), vs 'ann' or 'lee' 0.462 (not).
      expect(rulesOf('annlee2024', ann)).toEqual(['too_similar']);
    });

    it('accepts a password that shares a few letters only', () => {
      // difflib: 'correct horse battery staple' vs 'ann lee' 0.286 at most.
      expect(rulesOf('annual report 2024', ann)).toEqual([]);
      expect(rulesOf('correct horse battery staple', ann)).toEqual([]);
    });

    it('splits words the way Python does, keeping accented letters inside a word', () => {
      // Django: too_similar (quick_ratio with 'björk' 0.714). An ASCII-only \W would cut the
      // name into 'bj', 'rk', 'gu'…, none of them close enough.
      expect(rulesOf('björk2024', { fullName: 'Björk Guðmundsdóttir' })).toEqual(['too_similar']);
    });

    it('gives one entry, naming the first similar attribute, when both are similar', () => {
      const user = { email: 'stephanie@mail.test', fullName: 'Stephanie Clarkson' };
      expect(checkPasswordPolicy('Stephanie!', user)).toEqual([
        { rule: 'too_similar', message: 'The password is too similar to the email.' },
      ]);
    });
  });

  describe('several broken rules', () => {
    it('reports each broken rule once, in Django’s validator order', () => {
      // Django: ['too_common', 'entirely_numeric'].
      expect(rulesOf('12345678')).toEqual(['too_common', 'entirely_numeric']);
      // Django with this list: ['too_short', 'entirely_numeric']. Django's own list also has
      // 1234567 (too_common); this one starts at 8 characters, where the verdict can change.
      expect(rulesOf('1234567')).toEqual(['too_short', 'entirely_numeric']);
      // Django: ['too_similar', 'too_short'].
      expect(rulesOf('annlee1', ann)).toEqual(['too_similar', 'too_short']);
    });

    it('reports a too-long, entirely numeric password as both', () => {
      expect(rulesOf('7'.repeat(73))).toEqual(['too_long', 'entirely_numeric']);
    });

    it('gives a message for every entry', () => {
      for (const violation of checkPasswordPolicy('annlee1', ann)) {
        expect(violation.message).toMatch(/^(This|The) password .+\.$/);
      }
    });
  });
});
