import net from 'node:net';

const MAX_KEY_LENGTH = 100;

/** The eight 16-bit groups of an IPv6 address (already checked with net.isIPv6, zone removed). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  // A trailing dotted IPv4 part (`::ffff:192.0.2.1`) is the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The rate-limit bucket of a client address: an IPv4 address as it is (an IPv4-mapped IPv6
 * address, `::ffff:a.b.c.d` however spelled, counts as its IPv4 address), an IPv6 address as its
 * /64 (`2001:db8:a:b::/64`) — one subscriber usually holds a whole /64 and could otherwise walk
 * around the limit by rotating through it. Anything else (no address known) is kept, bounded.
 */
export function clientKey(address: string): string {
  const withoutZone = address.replace(/%.*$/, '');
  if (net.isIPv4(withoutZone)) return withoutZone;
  if (!net.isIPv6(withoutZone)) return address.slice(0, MAX_KEY_LENGTH);
  const groups = ipv6Groups(withoutZone);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
