import type { Credential } from './vault-crypto';

const VERSION = 1;
const HAS_PIN = 1;
const HAS_SERIAL = 2;
const HAS_URL = 4;
const MAX_FIELD_BYTES = 0xffff;

export class CredentialEncodingError extends Error {}

/**
 * The plaintext that is sealed: byte 0 the format version, byte 1 which optional fields follow,
 * then each present field (code, pin, serial, redemption URL, in that order) as a 2-byte
 * big-endian length and its UTF-8 bytes. Compact and cheap: it runs once per code of a batch
 * (a million times for a big one), where JSON would cost several times more in bytes and time.
 */
export function encodeCredential(credential: Credential): Buffer {
  const size = encodedSize(credential);
  const out = Buffer.allocUnsafe(size);
  encodeCredentialInto(credential, out);
  return out;
}

/** The encoded credential's size in bytes. */
export function encodedSize(credential: Credential): number {
  const { code, pin, serial, redemptionUrl } = credential;
  let size = 4 + Buffer.byteLength(code, 'utf8');
  if (pin !== undefined) size += 2 + Buffer.byteLength(pin, 'utf8');
  if (serial !== undefined) size += 2 + Buffer.byteLength(serial, 'utf8');
  if (redemptionUrl !== undefined) size += 2 + Buffer.byteLength(redemptionUrl, 'utf8');
  return size;
}

/** Encodes into `out`; returns the bytes written, or -1 (nothing written) when `out` has no room (see encodedSize). */
export function encodeCredentialInto(credential: Credential, out: Buffer): number {
  const { code, pin, serial, redemptionUrl } = credential;
  const codeBytes = Buffer.byteLength(code, 'utf8');
  const pinBytes = pin === undefined ? -1 : Buffer.byteLength(pin, 'utf8');
  const serialBytes = serial === undefined ? -1 : Buffer.byteLength(serial, 'utf8');
  const urlBytes = redemptionUrl === undefined ? -1 : Buffer.byteLength(redemptionUrl, 'utf8');
  if (codeBytes > MAX_FIELD_BYTES || pinBytes > MAX_FIELD_BYTES || serialBytes > MAX_FIELD_BYTES || urlBytes > MAX_FIELD_BYTES) {
    throw new CredentialEncodingError('a credential field is longer than 65535 bytes');
  }
  let size = 2 + 2 + codeBytes;
  let flags = 0;
  if (pinBytes >= 0) {
    flags |= HAS_PIN;
    size += 2 + pinBytes;
  }
  if (serialBytes >= 0) {
    flags |= HAS_SERIAL;
    size += 2 + serialBytes;
  }
  if (urlBytes >= 0) {
    flags |= HAS_URL;
    size += 2 + urlBytes;
  }
  if (out.length < size) return -1;
  out[0] = VERSION;
  out[1] = flags;
  let at = 2;
  const put = (value: string, bytes: number): void => {
    out.writeUInt16BE(bytes, at);
    at += 2;
    at += out.write(value, at, bytes, 'utf8');
  };
  put(code, codeBytes);
  if (pin !== undefined) put(pin, pinBytes);
  if (serial !== undefined) put(serial, serialBytes);
  if (redemptionUrl !== undefined) put(redemptionUrl, urlBytes);
  return at;
}

export function decodeCredential(data: Buffer): Credential {
  if (data.length < 4 || data[0] !== VERSION) throw new CredentialEncodingError('unknown credential encoding');
  const flags = data[1]!;
  let at = 2;
  const take = (): string => {
    if (at + 2 > data.length) throw new CredentialEncodingError('truncated credential');
    const bytes = data.readUInt16BE(at);
    at += 2;
    if (at + bytes > data.length) throw new CredentialEncodingError('truncated credential');
    const value = data.toString('utf8', at, at + bytes);
    at += bytes;
    return value;
  };
  const credential: Credential = { code: take() };
  if (flags & HAS_PIN) credential.pin = take();
  if (flags & HAS_SERIAL) credential.serial = take();
  if (flags & HAS_URL) credential.redemptionUrl = take();
  if (at !== data.length) throw new CredentialEncodingError('trailing bytes after the credential');
  return credential;
}
