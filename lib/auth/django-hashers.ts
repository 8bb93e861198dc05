/**
 * Verifies passwords against hashes exported from Django's `auth_user.password`
 * column, so users moved off the Django service keep their passwords.
 *
 * This module only checks passwords; it never produces Django hashes. After a
 * successful check the caller is expected to re-hash the password with the
 * service's native scheme, so every Django hash (weak legacy ones included)
 * disappears the first time its owner logs in.
 *
 * Formats follow `django/contrib/auth/hashers.py` (Django 1.4 to 6.0).
 *
 * @module
 */
import {
  createHash,
  createHmac,
  pbkdf2,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type BinaryLike,
  type ScryptOptions,
} from 'node:crypto';
import bcrypt from 'bcryptjs';

/** Result of {@link describeDjangoHash}. */
export interface DjangoHashDescription {
  /**
   * Django's name for the hasher, as `identify_hasher()` would report it
   * (`pbkdf2_sha256`, `bcrypt_sha256`, `unsalted_md5`, ...); `unusable` for
   * Django's `!` marker; `unknown` when the string is not a Django hash at all.
   */
  algorithm: string;
  /**
   * Whether {@link verifyDjangoPassword} can ever return true for this string:
   * the algorithm is implemented here and the string is well formed, with
   * parameters inside the accepted bounds.
   */
  supported: boolean;
}

// Upper bounds on the work a stored hash may ask for. Django's own defaults sit
// well below them (pbkdf2 1,200,000 in 6.0; bcrypt cost 12; scrypt 16 MiB), so
// only corrupted or hostile rows are refused, and one login can't pin a Lambda.
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 15;
const MAX_SCRYPT_MEMORY = 64 * 1024 * 1024;
const MAX_SCRYPT_PARALLELISM = 16;
// Django's password column is varchar(128); anything far longer is not a Django hash.
const MAX_ENCODED_LENGTH = 512;

const ALGORITHM_PREFIX = /^([A-Za-z0-9_]{1,64})\$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;
const HEX_MD5 = /^[0-9a-f]{32}$/;
const HEX_SHA1 = /^[0-9a-f]{40}$/;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;
const BASE64_20_BYTES = /^[A-Za-z0-9+/]{27}=$/;
const BASE64_64_BYTES = /^[A-Za-z0-9+/]{86}==$/;
// $2x$ is the buggy crypt_blowfish variant, which neither Django's bcrypt nor bcryptjs produce.
const BCRYPT_HASH = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;

/** A parsed hash that can be checked: `check` does the (possibly slow) work. */
type Checker = (password: string) => Promise<boolean>;

interface Parsed {
  algorithm: string;
  check: Checker | null;
}

// Comparing HMACs under a per-process random key gives two equal-length buffers
// whatever the inputs are, so timingSafeEqual never throws and neither the
// length nor the position of the first differing byte leaks through timing.
const COMPARE_KEY = randomBytes(32);
function constantTimeEqual(a: BinaryLike, b: BinaryLike): boolean {
  const macA = createHmac('sha256', COMPARE_KEY).update(a).digest();
  const macB = createHmac('sha256', COMPARE_KEY).update(b).digest();
  return timingSafeEqual(macA, macB);
}

// Django encodes passwords and salts with force_bytes(), i.e. UTF-8, and does no
// Unicode normalisation, so neither do we: NFC and NFD spellings differ.
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

function pbkdf2Async(
  password: Buffer,
  salt: Buffer,
  iterations: number,
  keyLength: number,
  digest: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keyLength, digest, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function scryptAsync(password: Buffer, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parsePbkdf2(algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1', fields: string[]): Parsed {
  const [, iterationsText, salt, hash] = fields;
  const digest = algorithm === 'pbkdf2_sha256' ? 'sha256' : 'sha1';
  const shape = algorithm === 'pbkdf2_sha256' ? BASE64_32_BYTES : BASE64_20_BYTES;
  // Django writes iterations with %d, so a leading zero or sign never verifies there either.
  if (fields.length !== 4 || !DECIMAL.test(iterationsText!) || !salt || !shape.test(hash!)) {
    return { algorithm, check: null };
  }
  const iterations = Number(iterationsText);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) return { algorithm, check: null };
  const keyLength = digest === 'sha256' ? 32 : 20;
  return {
    algorithm,
    check: async (password) => {
      // Async so the work runs on libuv's thread pool instead of blocking the event loop.
      const derived = await pbkdf2Async(utf8(password), utf8(salt), iterations, keyLength, digest);
      // Django compares re-encoded strings; comparing the base64 text keeps that exactness.
      return constantTimeEqual(derived.toString('base64'), hash!);
    },
  };
}

function parseScrypt(fields: string[]): Parsed {
  const algorithm = 'scrypt';
  // Django 4.0+: scrypt$<n>$<salt>$<r>$<p>$<base64 of 64 bytes>. The older third-party
  // django-scrypt layout (scrypt$<salt>$<N>$...$<buflen>$<hash>) fails this shape on purpose.
  const [, nText, salt, rText, pText, hash] = fields;
  if (fields.length !== 6 || !DECIMAL.test(nText!) || !DECIMAL.test(rText!) || !DECIMAL.test(pText!)) {
    return { algorithm, check: null };
  }
  if (!salt || !BASE64_64_BYTES.test(hash!)) return { algorithm, check: null };
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  // OpenSSL needs roughly 128 * r * (N + p + 2) bytes; N must be a power of two above 1.
  const memory = 128 * r * (N + p + 2);
  const powerOfTwo = N > 1 && Number.isSafeInteger(N) && (N & (N - 1)) === 0;
  if (!powerOfTwo || p > MAX_SCRYPT_PARALLELISM || memory > MAX_SCRYPT_MEMORY) {
    return { algorithm, check: null };
  }
  return {
    algorithm,
    check: async (password) => {
      const derived = await scryptAsync(utf8(password), utf8(salt), 64, {
        N,
        r,
        p,
        maxmem: MAX_SCRYPT_MEMORY + 1024 * 1024,
      });
      return constantTimeEqual(derived.toString('base64'), hash!);
    },
  };
}

function parseBcrypt(algorithm: 'bcrypt_sha256' | 'bcrypt', data: string): Parsed {
  const match = BCRYPT_HASH.exec(data);
  const cost = match ? Number(match[1]) : NaN;
  if (!(cost >= MIN_BCRYPT_COST && cost <= MAX_BCRYPT_COST)) return { algorithm, check: null };
  return {
    algorithm,
    check: (password) => {
      // bcrypt_sha256 feeds bcrypt the lowercase hex SHA-256 of the password, which is
      // how Django escapes bcrypt's silent truncation at 72 bytes.
      const secret =
        algorithm === 'bcrypt_sha256' ? createHash('sha256').update(utf8(password)).digest('hex') : password;
      // bcryptjs's async compare yields between rounds, so the event loop stays responsive.
      return bcrypt.compare(secret, data);
    },
  };
}

function parseSaltedDigest(algorithm: 'md5' | 'sha1', fields: string[]): Parsed {
  const [, salt, hash] = fields;
  const shape = algorithm === 'md5' ? HEX_MD5 : HEX_SHA1;
  if (fields.length !== 3 || !salt || !shape.test(hash!)) return { algorithm, check: null };
  return {
    algorithm,
    check: async (password) => {
      const digest = createHash(algorithm)
        .update(utf8(salt + password))
        .digest('hex');
      return constantTimeEqual(digest, hash!);
    },
  };
}

function unsaltedDigest(algorithm: 'unsalted_md5' | 'unsalted_sha1', hash: string): Parsed {
  const digestName = algorithm === 'unsalted_md5' ? 'md5' : 'sha1';
  return {
    algorithm,
    check: async (password) => constantTimeEqual(createHash(digestName).update(utf8(password)).digest('hex'), hash),
  };
}

function parse(encoded: unknown): Parsed {
  if (typeof encoded !== 'string' || encoded.length === 0 || encoded.length > MAX_ENCODED_LENGTH) {
    return { algorithm: 'unknown', check: null };
  }
  // UNUSABLE_PASSWORD_PREFIX: set_unusable_password() and users created without a password.
  if (encoded.startsWith('!')) return { algorithm: 'unusable', check: null };

  // Same special cases, in the same order, as Django's identify_hasher(): these
  // pre-1.4 formats carry no usable algorithm prefix of their own.
  if (encoded.length === 32 && !encoded.includes('$')) {
    return HEX_MD5.test(encoded) ? unsaltedDigest('unsalted_md5', encoded) : { algorithm: 'unsalted_md5', check: null };
  }
  if (encoded.length === 37 && encoded.startsWith('md5$$')) {
    const hash = encoded.slice(5);
    return HEX_MD5.test(hash) ? unsaltedDigest('unsalted_md5', hash) : { algorithm: 'unsalted_md5', check: null };
  }
  if (encoded.length === 46 && encoded.startsWith('sha1$$')) {
    const hash = encoded.slice(6);
    return HEX_SHA1.test(hash) ? unsaltedDigest('unsalted_sha1', hash) : { algorithm: 'unsalted_sha1', check: null };
  }

  const prefix = ALGORITHM_PREFIX.exec(encoded);
  if (!prefix) return { algorithm: 'unknown', check: null };
  const algorithm = prefix[1]!;
  const fields = encoded.split('$');
  switch (algorithm) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return parsePbkdf2(algorithm, fields);
    case 'bcrypt_sha256':
    case 'bcrypt':
      return parseBcrypt(algorithm, encoded.slice(algorithm.length + 1));
    case 'scrypt':
      return parseScrypt(fields);
    // Kept only so imported users can log in once and be re-hashed: an attacker holding
    // these hashes can already crack them offline, so checking them online adds no risk.
    case 'md5':
    case 'sha1':
      return parseSaltedDigest(algorithm, fields);
    // argon2 needs a native or wasm library, and crypt needs libc's DES crypt(3), which
    // node:crypto lacks; users with these hashes must reset their password.
    default:
      return { algorithm, check: null };
  }
}

/**
 * Tells whether a stored password string is in Django's encoding rather than
 * the service's native bcrypt (`$2a$` / `$2b$` / `$2y$`...).
 *
 * True for anything shaped like `algorithm$...` (known or not), for Django's
 * unusable-password marker (`!...`) and for the bare 32-character unsalted
 * MD5 of very old installs, mirroring Django's `identify_hasher()`. A `true` answer does not mean the hash can be verified:
 * see {@link describeDjangoHash}.
 *
 * @param encoded - The stored password value.
 * @returns Whether the value should be checked with {@link verifyDjangoPassword}.
 */
export function isDjangoHash(encoded: string): boolean {
  try {
    return parse(encoded).algorithm !== 'unknown';
  } catch {
    return false;
  }
}

/**
 * Names the Django hasher behind a stored value and says whether this module
 * can verify it, without doing any hashing. Meant for an importer's summary of
 * which users will be able to log in and which will need a reset.
 *
 * @param encoded - The stored password value.
 * @returns The algorithm name and whether it is supported; never throws.
 */
export function describeDjangoHash(encoded: string): DjangoHashDescription {
  try {
    const parsed = parse(encoded);
    return { algorithm: parsed.algorithm, supported: parsed.check !== null };
  } catch {
    return { algorithm: 'unknown', supported: false };
  }
}

/**
 * Checks a plaintext password against a Django-encoded hash the way Django's
 * `check_password()` would.
 *
 * Supported: `pbkdf2_sha256`, `pbkdf2_sha1`, `bcrypt_sha256`, `bcrypt`,
 * `scrypt`, and the legacy `md5`, `sha1`, `unsalted_md5`, `unsalted_sha1`.
 * Unsupported (always false): `argon2`, `crypt`, unknown algorithms, the
 * unusable marker, malformed strings and strings asking for more work than
 * the limits above. Slow hashes run asynchronously off the event loop.
 *
 * @param password - The plaintext the user typed (UTF-8 encoded, not normalised, as in Django).
 * @param encoded - The value from Django's `password` column.
 * @returns True only when the password matches; false in every other case, never throws.
 */
export async function verifyDjangoPassword(password: string, encoded: string): Promise<boolean> {
  if (typeof password !== 'string') return false;
  try {
    const { check } = parse(encoded);
    if (check === null) return false;
    return (await check(password)) === true;
  } catch {
    return false;
  }
}
