import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { describeDjangoHash, isDjangoHash, verifyDjangoPassword } from '../../lib/auth/django-hashers.js';

interface Vector {
  id: string;
  source: string;
  algorithm: string;
  password: string;
  encoded: string;
  note: string;
}

// Every hash here was produced by Django (its test suite, or Django 3.2.25 run
// locally) or by Python's hashlib; see tests/fixtures/README-django-vectors.md.
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/django-password-vectors.json', import.meta.url), 'utf8'),
) as { verifiable: Vector[]; unsupported: Vector[]; over_limits: Vector[] };

const byId = (id: string): Vector => {
  const found = [...fixture.verifiable, ...fixture.unsupported, ...fixture.over_limits].find((v) => v.id === id);
  if (!found) throw new Error(`fixture vector ${id} is missing`);
  return found;
};

/** Near misses of the right password: one extra character, one missing, and blank vs. a space. */
const wrongPasswordsFor = (password: string): string[] =>
  password === ''
    ? [' ', 'z']
    : [
        `${password}z`,
        password.slice(0, -1),
        password.toUpperCase() === password ? password.toLowerCase() : password.toUpperCase(),
      ];

const pbkdf2Vector = byId('t41-pbkdf2-sha256-seasalt');
// Real Django work factors (pbkdf2 up to 1.2M iterations, bcrypt cost 12 in pure JS)
// take seconds on a busy 2-core machine; don't depend on the runner's default timeout.
const SLOW = { timeout: 30_000 };
const NATIVE_BCRYPT = bcrypt.hashSync('lètmein', 4);

describe('verifyDjangoPassword', () => {
  it('has a fixture covering every supported algorithm', () => {
    const algorithms = new Set(fixture.verifiable.map((v) => v.algorithm));
    expect([...algorithms].sort()).toEqual(
      [
        'bcrypt',
        'bcrypt_sha256',
        'md5',
        'pbkdf2_sha1',
        'pbkdf2_sha256',
        'scrypt',
        'sha1',
        'unsalted_md5',
        'unsalted_sha1',
      ].sort(),
    );
  });

  describe.each(fixture.verifiable)('$id ($algorithm, $source)', (vector) => {
    it(`accepts the password Django hashed with ${vector.algorithm}`, SLOW, async () => {
      await expect(verifyDjangoPassword(vector.password, vector.encoded)).resolves.toBe(true);
    });

    it('rejects a wrong password', SLOW, async () => {
      const wrong = wrongPasswordsFor(vector.password).filter((p) => p !== vector.password);
      expect(wrong.length).toBeGreaterThan(0);
      const results = await Promise.all(wrong.map((p) => verifyDjangoPassword(p, vector.encoded)));
      expect(results).toEqual(wrong.map(() => false));
    });
  });

  it('does not accept the first 72 characters of a long password hashed with bcrypt_sha256', SLOW, async () => {
    const vector = fixture.verifiable.find((v) => v.algorithm === 'bcrypt_sha256' && v.password.length > 72);
    expect(vector).toBeDefined();
    await expect(verifyDjangoPassword(vector!.password, vector!.encoded)).resolves.toBe(true);
    await expect(verifyDjangoPassword(vector!.password.slice(0, 72), vector!.encoded)).resolves.toBe(false);
  });

  it('treats the NFD spelling of a password as different, as Django does', async () => {
    const nfd = pbkdf2Vector.password.normalize('NFD');
    expect(nfd).not.toBe(pbkdf2Vector.password);
    await expect(verifyDjangoPassword(nfd, pbkdf2Vector.encoded)).resolves.toBe(false);
  });

  it('is case-sensitive about the stored hex digest, as Django is', async () => {
    const vector = byId('t41-unsalted-md5');
    await expect(verifyDjangoPassword(vector.password, vector.encoded.toUpperCase())).resolves.toBe(false);
  });

  describe.each(fixture.unsupported)('unsupported $id ($algorithm)', (vector) => {
    it('returns false even for the password Django would accept', async () => {
      await expect(verifyDjangoPassword(vector.password, vector.encoded)).resolves.toBe(false);
    });
  });

  it('rejects every password for the unusable-password marker, including the marker itself', async () => {
    const marker = byId('d32-unusable').encoded;
    expect(marker.startsWith('!')).toBe(true);
    const results = await Promise.all(['', '!', marker, 'lètmein'].map((p) => verifyDjangoPassword(p, marker)));
    expect(results).toEqual([false, false, false, false]);
  });

  describe.each(fixture.over_limits)('over the work limits: $id', (vector) => {
    it('refuses the right password without doing the work', async () => {
      const started = performance.now();
      await expect(verifyDjangoPassword(vector.password, vector.encoded)).resolves.toBe(false);
      // Doing the work would take seconds (pbkdf2 10M, bcrypt 2^16) or fail on memory.
      expect(performance.now() - started).toBeLessThan(250);
    });
  });

  const [algo, iterations, salt, hash] = pbkdf2Vector.encoded.split('$') as [string, string, string, string];
  const malformed: Array<[string, string]> = [
    ['an empty string', ''],
    ['a truncated hash', pbkdf2Vector.encoded.slice(0, -1)],
    ['a hash with a trailing newline', `${pbkdf2Vector.encoded}\n`],
    ['a hash with a missing field', `${algo}$${iterations}$${hash}`],
    ['a hash with an extra field', `${pbkdf2Vector.encoded}$x`],
    ['an empty salt', `${algo}$${iterations}$$${hash}`],
    ['zero iterations', `${algo}$0$${salt}$${hash}`],
    ['negative iterations', `${algo}$-390000$${salt}$${hash}`],
    ['iterations with a leading zero', `${algo}$0${iterations}$${salt}$${hash}`],
    ['non-numeric iterations', `${algo}$390k$${salt}$${hash}`],
    ['an absurd iteration count', `${algo}$99999999999$${salt}$${hash}`],
    [
      'a hash of the wrong length for the digest',
      `${algo}$${iterations}$${salt}$${byId('t41-pbkdf2-sha1-seasalt2').encoded.split('$')[3]}`,
    ],
    ['a hash with a non-base64 character', `${algo}$${iterations}$${salt}$${hash.replace(/^./, '*')}`],
    ['an upper-cased algorithm name', pbkdf2Vector.encoded.replace('pbkdf2_sha256', 'PBKDF2_SHA256')],
    ['a bcrypt hash with cost 31', byId('d32-bcrypt-sha256-7').encoded.replace('$2b$04$', '$2b$31$')],
    ['a bcrypt hash with cost 03', byId('d32-bcrypt-sha256-7').encoded.replace('$2b$04$', '$2b$03$')],
    ['a truncated bcrypt hash', byId('d32-bcrypt-sha256-7').encoded.slice(0, -1)],
    ['a scrypt N that is not a power of two', byId('t41-scrypt').encoded.replace('$16384$', '$16383$')],
    [
      'a scrypt hash in the third-party django-scrypt layout',
      'scrypt$seasalt$14$8$1$64$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
    ],
    ['a salted md5 hash with an empty salt', 'md5$$3f86d0d3d465b7b458c231bf3555c0e3x'],
    ['a native bcrypt hash', NATIVE_BCRYPT],
  ];

  it.each(malformed)('returns false for %s', async (_label, encoded) => {
    await expect(verifyDjangoPassword(pbkdf2Vector.password, encoded)).resolves.toBe(false);
  });

  it('returns false instead of throwing when called with non-strings from untyped code', async () => {
    const untyped = verifyDjangoPassword as (password: unknown, encoded: unknown) => Promise<boolean>;
    const results = await Promise.all([
      untyped(undefined, pbkdf2Vector.encoded),
      untyped(null, pbkdf2Vector.encoded),
      untyped(Buffer.from(pbkdf2Vector.password), pbkdf2Vector.encoded),
      untyped(pbkdf2Vector.password, undefined),
      untyped(pbkdf2Vector.password, { toString: () => pbkdf2Vector.encoded }),
    ]);
    expect(results).toEqual([false, false, false, false, false]);
  });

  it.each([
    ['pbkdf2', byId('d32-pbkdf2-sha256-1200000')],
    ['scrypt', byId('t41-scrypt')],
    ['bcrypt', byId('d32-bcrypt-sha256-8')],
  ])('keeps the event loop running while it hashes with %s', SLOW, async (_label, vector) => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 1);
    try {
      await expect(verifyDjangoPassword(vector.password, vector.encoded)).resolves.toBe(true);
    } finally {
      clearInterval(timer);
    }
    // A synchronous hash holds the loop for the whole computation, so the timer never
    // fires before the result. bcryptjs yields only every ~100 ms, hence the low bar.
    expect(ticks).toBeGreaterThanOrEqual(2);
  });
});

describe('isDjangoHash', () => {
  it.each([...fixture.verifiable, ...fixture.unsupported, ...fixture.over_limits].map((v) => [v.id, v.encoded]))(
    'recognises %s as a Django hash',
    (_id, encoded) => {
      expect(isDjangoHash(encoded)).toBe(true);
    },
  );

  it.each([
    ['a bcryptjs $2b$ hash', NATIVE_BCRYPT],
    ['a $2a$ hash', NATIVE_BCRYPT.replace(/^\$2b\$/, '$2a$')],
    ['a $2y$ hash', NATIVE_BCRYPT.replace(/^\$2b\$/, '$2y$')],
    ['an empty string', ''],
    ['free text', 'not a password hash'],
  ])('does not claim %s', (_label, encoded) => {
    expect(isDjangoHash(encoded)).toBe(false);
  });
});

describe('describeDjangoHash', () => {
  it.each(fixture.verifiable.map((v) => [v.id, v.algorithm, v.encoded]))(
    'names %s as Django names it (%s) and marks it supported',
    (_id, algorithm, encoded) => {
      expect(describeDjangoHash(encoded)).toEqual({ algorithm, supported: true });
    },
  );

  it.each([...fixture.unsupported, ...fixture.over_limits].map((v) => [v.id, v.algorithm, v.encoded]))(
    'names %s (%s) and marks it unsupported',
    (_id, algorithm, encoded) => {
      expect(describeDjangoHash(encoded)).toEqual({ algorithm, supported: false });
    },
  );

  it('keeps the algorithm name of a malformed hash so an importer can report it', () => {
    expect(describeDjangoHash(pbkdf2Vector.encoded.slice(0, -1))).toEqual({
      algorithm: 'pbkdf2_sha256',
      supported: false,
    });
  });

  it.each([
    ['an empty string', ''],
    ['a native bcrypt hash', NATIVE_BCRYPT],
    ['free text', 'not a password hash'],
  ])('reports %s as unknown', (_label, encoded) => {
    expect(describeDjangoHash(encoded)).toEqual({ algorithm: 'unknown', supported: false });
  });
});
