import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ValidationError } from './errors.ts';

/**
 * Password hashing with scrypt (node:crypto: memory-hard, built in, no native dependency).
 * N = 2^15, r = 8, p = 1 needs 32 MiB and ~50-100 ms per hash: OWASP's floor for scrypt, costly
 * for a GPU farm, cheap enough for a sign-in. The stored form names its parameters
 * (`scrypt$N$r$p$salt$hash`, base64url), so they can be raised later without breaking old hashes.
 */
const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, length: number): Promise<Buffer> {
  // maxmem must exceed 128 * N * r (32 MiB here); node's default is exactly 32 MiB.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    // Asynchronous: runs on the libuv thread pool, so a sign-in does not stall other requests.
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Throws a ValidationError naming `field` when the password is not acceptable. */
export function checkPasswordStrength(field: string, password: unknown): string {
  if (typeof password !== 'string' || password.length === 0) throw new ValidationError(field, 'enter a password');
  if ([...password].length < PASSWORD_MIN) throw new ValidationError(field, `must be at least ${PASSWORD_MIN} characters long (a few words make a good one)`);
  if (password.length > PASSWORD_MAX) throw new ValidationError(field, `must be at most ${PASSWORD_MAX} characters long`);
  if (password.trim().length === 0) throw new ValidationError(field, 'must not be only spaces');
  return password;
}

export async function hashPassword(password: string, salt: Buffer = randomBytes(SALT_LENGTH)): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const key = await derive(password, salt, SCRYPT_PARAMS, KEY_LENGTH);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** True when `password` matches `stored`; false for a wrong password or a malformed hash (never throws for those). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored);
  if (!match) return false;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Refuse absurd parameters from a tampered row rather than allocate gigabytes.
  if (!Number.isInteger(Math.log2(N)) || N < 2 ** 10 || N > 2 ** 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = Buffer.from(match[4], 'base64url');
  const expected = Buffer.from(match[5], 'base64url');
  if (expected.length < 16) return false;
  const actual = await derive(password, salt, { N, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}

/** Hash of a random password, computed once: verifying against it costs what a real verify costs. */
let dummy: Promise<string> | null = null;

/**
 * Spends the time of one verification and returns false: used when the account does not exist
 * (or has no password), so the answer time does not tell whether an address has an account.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('base64url'));
  await verifyPassword(password, await dummy);
  return false;
}

/** True when `stored` was made with weaker parameters than today's: rehash at the next sign-in. */
export function needsRehash(stored: string): boolean {
  const match = FORMAT.exec(stored);
  if (!match) return true;
  return Number(match[1]) < SCRYPT_PARAMS.N || Number(match[2]) < SCRYPT_PARAMS.r || Number(match[3]) < SCRYPT_PARAMS.p;
}
