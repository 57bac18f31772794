import { clientKey } from './client-key';

describe('clientKey (the rate-limit bucket of a client address)', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, in either spelling', () => {
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(clientKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('puts every IPv6 address of one /64 in one bucket, however it is written', () => {
    const key = clientKey('2001:db8:a:b::1');
    expect(key).toBe('2001:db8:a:b::/64');
    for (const address of ['2001:db8:a:b:ffff:ffff:ffff:ffff', '2001:0DB8:000a:000b:1:2:3:4', '2001:db8:a:b::', '2001:db8:a:b::9%eth0']) {
      expect({ address, key: clientKey(address) }).toEqual({ address, key });
    }
  });

  it('gives neighbouring /64s buckets of their own', () => {
    expect(clientKey('2001:db8:a:c::1')).toBe('2001:db8:a:c::/64');
    expect(clientKey('2001:db8:a:c::1')).not.toBe(clientKey('2001:db8:a:b::1'));
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });

  it('keeps anything that is not an address as it is, bounded', () => {
    expect(clientKey('unknown')).toBe('unknown');
    expect(clientKey('x'.repeat(500))).toHaveLength(100);
  });
});
