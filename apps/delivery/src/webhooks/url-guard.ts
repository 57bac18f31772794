import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { DomainError } from '@kami/platform';

/*
 * Webhook URLs are chosen by customers and fetched by us: without a guard, an endpoint at
 * http://127.0.0.1:5432 or http://169.254.169.254 turns the dispatcher into a proxy into our own
 * network (SSRF). A URL must be https, and every address its host resolves to must be public: no
 * loopback, private, link-local, CGNAT, multicast, unspecified or reserved address, IPv4 or IPv6.
 * An IPv6 address that leads to an IPv4 one (IPv4-mapped or -translated, NAT64 64:ff9b::/96, 6to4
 * 2002::/16, an ISATAP interface identifier) is judged by that IPv4 address; forms where the IPv4 is
 * hidden or placed by someone else (Teredo 2001::/32, NAT64 local use 64:ff9b:1::/48, IPv4-compatible
 * ::/96) are refused outright. It is checked when the endpoint is saved and again on
 * every send, where the connection uses exactly the addresses that passed (DNS rebinding).
 * WEBHOOK_ALLOW_PRIVATE_URLS=true (development and tests) lifts both rules.
 */

type Range = [bytes: number[], prefixBits: number];

const V4_BLOCKED: Range[] = [
  [[0, 0, 0, 0], 8], // "this network", unspecified
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // CGNAT
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local (cloud metadata)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation
  [[203, 0, 113, 0], 24], // documentation
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, broadcast
];

const hex = (...groups: number[]): number[] => groups.flatMap((g) => [g >> 8, g & 0xff]);
const V6_BLOCKED: Range[] = [
  [hex(0, 0, 0, 0, 0, 0, 0, 0), 96], // unspecified, loopback, IPv4-compatible (deprecated)
  [hex(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48], // NAT64 local use (RFC 8215): where the IPv4 sits is the operator's choice
  [hex(0x100, 0, 0, 0, 0, 0, 0, 0), 64], // discard
  [hex(0x2001, 0, 0, 0, 0, 0, 0, 0), 23], // IETF protocol assignments: Teredo 2001::/32 (tunnels to any IPv4), benchmarking, ORCHID
  [hex(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32], // documentation
  [hex(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20], // documentation (RFC 9637)
  [hex(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16], // segment routing SIDs (RFC 9602)
  [hex(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7], // unique local (private)
  [hex(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10], // link-local
  [hex(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10], // site-local (deprecated)
  [hex(0xff00, 0, 0, 0, 0, 0, 0, 0), 8], // multicast
];
/** Prefixes whose last 32 bits are an IPv4 address the packet reaches: IPv4-mapped, IPv4-translated (SIIT), NAT64 well-known. */
const V6_EMBEDDING_V4_TAIL: Range[] = [
  [hex(0, 0, 0, 0, 0, 0xffff, 0, 0), 96],
  [hex(0, 0, 0, 0, 0xffff, 0, 0, 0), 96],
  [hex(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96],
];
/** 6to4 (RFC 3056): 2002:V4ADDR::/48, relayed to V4ADDR. */
const V6_6TO4: Range = [hex(0x2002, 0, 0, 0, 0, 0, 0, 0), 16];

/** The IPv4 address an IPv6 address carries and leads to, for the forms that do; undefined for the rest. */
function embeddedV4(bytes: number[]): number[] | undefined {
  if (V6_EMBEDDING_V4_TAIL.some((range) => inRange(bytes, range))) return bytes.slice(12);
  if (inRange(bytes, V6_6TO4)) return bytes.slice(2, 6);
  // ISATAP (RFC 5214): interface identifier 0000:5efe:V4ADDR or 0200:5efe:V4ADDR (u/g bits free) under any /64
  if ((bytes[8]! & 0xfc) === 0 && bytes[9] === 0 && bytes[10] === 0x5e && bytes[11] === 0xfe) return bytes.slice(12);
  return undefined;
}

function inRange(address: number[], [prefix, bits]: Range): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((address[byte]! & mask) !== (prefix[byte]! & mask)) return false;
  }
  return true;
}

function v4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** 16 bytes of an IPv6 address (with `::` and a dotted IPv4 tail); the caller checked isIP() === 6. */
function v6Bytes(address: string): number[] {
  let text = address.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = v4Bytes(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return hex(...groups);
}

/** Whether webhooks may not go to this IP address (IPv4 or IPv6). Anything that is not an IP address is refused. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return V4_BLOCKED.some((range) => inRange(v4Bytes(address), range));
  if (family !== 6) return true;
  const bytes = v6Bytes(address);
  if (V6_BLOCKED.some((range) => inRange(bytes, range))) return true;
  const v4 = embeddedV4(bytes);
  return v4 !== undefined && V4_BLOCKED.some((range) => inRange(v4, range));
}

export const urlNotAllowed = (detail: string): DomainError => new DomainError('webhook_url_not_allowed', 422, detail);

/** The URL's host without IPv6 brackets. */
const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Parses a webhook URL and checks what can be checked without DNS: https (http only when private
 * URLs are allowed), no credentials in it, and an IP-literal host must be public.
 */
export function parseWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw urlNotAllowed('The URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw urlNotAllowed('Webhook URLs must use https.');
  // Credentials in a URL would be stored and shown as is; receivers authenticate us by the signature.
  if (url.username || url.password) throw urlNotAllowed('Webhook URLs may not carry credentials; verify the signature instead.');
  if (url.hash) throw urlNotAllowed('Webhook URLs may not carry a fragment.');
  if (!allowPrivate && isIP(hostOf(url)) !== 0 && isBlockedAddress(hostOf(url))) {
    throw urlNotAllowed('The URL points at a loopback, private, link-local or otherwise non-public address.');
  }
  return url;
}

type LookupAll = (hostname: string, options: LookupAllOptions) => Promise<LookupAddress[]>;
const lookupAll: LookupAll = (hostname, options) =>
  new Promise((resolve, reject) => dnsLookup(hostname, options, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/** Checks a URL completely: parseWebhookUrl, then every address its host resolves to must be public. */
export async function assertWebhookUrlAllowed(raw: string, allowPrivate: boolean, resolve: LookupAll = lookupAll): Promise<URL> {
  const url = parseWebhookUrl(raw, allowPrivate);
  if (allowPrivate || isIP(hostOf(url)) !== 0) return url;
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(hostOf(url), { all: true });
  } catch {
    throw new DomainError('webhook_url_unresolvable', 422, 'The URL’s host name does not resolve.');
  }
  if (addresses.length === 0) throw new DomainError('webhook_url_unresolvable', 422, 'The URL’s host name does not resolve.');
  if (addresses.some((a) => isBlockedAddress(a.address))) {
    throw urlNotAllowed('The URL’s host resolves to a loopback, private, link-local or otherwise non-public address.');
  }
  return url;
}

/**
 * A `lookup` for http(s).request that refuses hosts resolving to any blocked address, so the socket
 * connects only to addresses that passed the check (a DNS answer that changed since the endpoint
 * was saved cannot sneak in).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);
      if (!allowPrivate && (addresses.length === 0 || addresses.some((a) => isBlockedAddress(a.address)))) {
        return callback(Object.assign(new Error('the host resolves to a non-public address'), { code: 'ADDRESS_NOT_ALLOWED' }));
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}
