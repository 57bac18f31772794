import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/*
 * scrypt at OWASP's minimum (Password Storage Cheat Sheet): N=2^17, r=8, p=1, so 128 MiB and a
 * few hundred ms per hash. Each hash stores its parameters (`scrypt$N$r$p$salt$hash`), so a hash
 * made with older ones (N=2^15 until this was raised) still verifies, and is replaced at the user's
 * next successful login (passwordNeedsRehash). The test harness writes hashes in the same format
 * (libs/testing system-harness gatewayPasswordHash). The cost (log2 N) is PASSWORD_HASH_COST: 17 by
 * default and at least 17 in production; the test harness runs its gateways at 15, so that the
 * hundreds of accounts the tests make do not spend minutes of CPU in scrypt.
 */
export const DEFAULT_PASSWORD_HASH_COST = 17;
const scryptParameters = (cost: number): ScryptParameters => ({ N: 2 ** cost, r: 8, p: 1 });
/** Room for the current cost and one step above it; a stored hash asking for more is refused, not run. */
const MAX_MEMORY = 256 * 1024 * 1024;
const KEY_LENGTH = 32;

interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/** The parameters of a stored hash, or undefined when they are not ones scrypt may run with here. */
function storedParameters(n: string | undefined, r: string | undefined, p: string | undefined): ScryptParameters | undefined {
  const [N, R, P] = [n, r, p].map((part) => (part !== undefined && /^[1-9]\d{0,9}$/.test(part) ? Number(part) : NaN)) as [number, number, number];
  if (![N, R, P].every(Number.isSafeInteger) || N < 2 || (N & (N - 1)) !== 0) return undefined;
  // scrypt's memory: 128·r·N for V and 128·r·p for B.
  if (128 * R * (N + 2) + 128 * R * P > MAX_MEMORY || P > 16) return undefined;
  return { N, r: R, p: P };
}

/** `scrypt$N$r$p$salt$hash`, base64url parts. */
export async function hashPassword(password: string, cost = DEFAULT_PASSWORD_HASH_COST): Promise<string> {
  const parameters = scryptParameters(cost);
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { ...parameters, maxmem: MAX_MEMORY });
  return ['scrypt', parameters.N, parameters.r, parameters.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const parameters = storedParameters(n, r, p);
  if (scheme !== 'scrypt' || !parameters || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  if (expected.length < 16) return false;
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { ...parameters, maxmem: MAX_MEMORY });
  return timingSafeEqual(actual, expected);
}

/** Whether a stored hash (that verified) was made with other parameters than the configured ones, and should be replaced. */
export function passwordNeedsRehash(stored: string, cost = DEFAULT_PASSWORD_HASH_COST): boolean {
  const [scheme, n, r, p] = stored.split('$');
  const parameters = storedParameters(n, r, p);
  const current = scryptParameters(cost);
  return scheme !== 'scrypt' || !parameters || parameters.N !== current.N || parameters.r !== current.r || parameters.p !== current.p;
}

/** A hash to compare against when the email is unknown, so both paths cost the same time (the configured parameters). */
export function dummyPasswordHash(cost = DEFAULT_PASSWORD_HASH_COST): string {
  const { N, r, p } = scryptParameters(cost);
  return `scrypt$${N}$${r}$${p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
}
export const DUMMY_PASSWORD_HASH = dummyPasswordHash();

export const API_KEY_PREFIX = 'kami_';

export interface GeneratedApiKey {
  /** The whole key, shown to its owner once: `kami_<prefix>_<secret>`. */
  key: string;
  /** The public part, stored and shown in lists to tell keys apart. */
  prefix: string;
  secretHash: string;
}

/**
 * API keys carry 256 bits of randomness, so a fast SHA-256 of the secret is a safe verifier
 * (no dictionary to attack) and keeps per-request verification cheap.
 */
export function generateApiKey(): GeneratedApiKey {
  const prefix = `${API_KEY_PREFIX}${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  return { key: `${prefix}_${secret}`, prefix, secretHash: hashApiKeySecret(secret) };
}

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Splits a presented key into its prefix and secret; undefined when it is not shaped like one. */
export function parseApiKey(presented: string): { prefix: string; secret: string } | undefined {
  const match = /^(kami_[0-9a-f]{12})_([A-Za-z0-9_-]{20,})$/.exec(presented);
  return match ? { prefix: match[1]!, secret: match[2]! } : undefined;
}

export function secretsEqual(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
