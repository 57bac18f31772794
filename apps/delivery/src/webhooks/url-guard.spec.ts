import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomainError } from '@kami/platform';
import { postWebhook } from './webhook-sender';
import { assertWebhookUrlAllowed, isBlockedAddress, parseWebhookUrl } from './url-guard';

const problemOf = async (promise: Promise<unknown>): Promise<[string, number] | 'accepted'> => {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof DomainError) return [error.code, error.status];
    throw error;
  }
};

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1', '127.255.0.9', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.254',
    '224.0.0.1', '239.255.255.250', '255.255.255.255', '192.0.2.10', '198.18.0.1',
    '::', '::1', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe', '2001:db8::1',
    'not-an-ip',
  ])('refuses %s', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'allows %s',
    (address) => expect(isBlockedAddress(address)).toBe(false),
  );
});

describe('isBlockedAddress: IPv6 forms that reach an IPv4 address are judged by the IPv4 they carry', () => {
  it.each([
    // NAT64, well-known prefix (RFC 6052), in hex and dotted form
    '64:ff9b::7f00:1', '64:ff9b::10.0.0.1', '64:ff9b::c0a8:101', '64:FF9B:0:0:0:0:A9FE:A9FE',
    // NAT64, local-use prefix (RFC 8215): where the IPv4 sits depends on the operator's prefix length, so all of it
    '64:ff9b:1::a00:1', '64:ff9b:1:abcd::808:808', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff',
    // 6to4 (2002:V4ADDR::/48)
    '2002:7f00:1::', '2002:7f00:1::1', '2002:a00:1:2::3', '2002:c0a8:101::1', '2002:a9fe:a9fe::1', '2002:ac10:1::', '2002:6440:1::1', '2002::1', '2002:e000:1::1',
    // Teredo (2001::/32): the client's IPv4 is obfuscated and the server is chosen by the sender, so all of it
    '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001::1', '2001:0:ffff::1',
    // IPv4-compatible (deprecated, ::/96) and IPv4-translated (SIIT, ::ffff:0:0:0/96)
    '::127.0.0.1', '::10.0.0.1', '::8.8.8.8', '::ffff:0:127.0.0.1', '::ffff:0:a00:1', '::ffff:0:a9fe:a9fe',
    // IPv4-mapped, spelt out in full and in capitals
    '0:0:0:0:0:ffff:7f00:1', '0000:0000:0000:0000:0000:FFFF:0A00:0001', '::FFFF:192.168.0.1',
    // ISATAP interface identifiers (::0:5efe:V4ADDR, ::200:5efe:V4ADDR) under any prefix
    '2a00:1450:4001:82a:0:5efe:a00:1', '2a00:1450:4001:82a:200:5efe:c0a8:101', '2a00:1450:4001:82a:0:5efe:127.0.0.1',
    // other IETF special-purpose ranges that are not globally reachable
    '2001:2::1', '2001:10::1', '2001:20::1', '3fff::1', '5f00::1',
  ])('refuses %s', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['64:ff9b::8.8.8.8', '2002:808:808::1', '2002:5db8:d822::1', '::ffff:0:808:808', '2a00:1450:4001:82a:200:5efe:808:808', '2001:4860:4860::8888'])(
    'allows %s (the IPv4 it carries is public, or it carries none)',
    (address) => expect(isBlockedAddress(address)).toBe(false),
  );

  it.each(['https://[2002:7f00:1::1]/hook', 'https://[64:ff9b::a9fe:a9fe]/latest/meta-data', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', 'https://[64:ff9b:1::a00:1]/hook', 'https://[::ffff:0:a00:1]/hook'])(
    'refuses the URL %s with 422 webhook_url_not_allowed',
    async (url) => expect(await problemOf(assertWebhookUrlAllowed(url, false))).toEqual(['webhook_url_not_allowed', 422]),
  );

  it('refuses a host name that resolves to a 6to4 address of a private IPv4', async () => {
    const resolve = async (): Promise<{ address: string; family: number }[]> => [{ address: '2002:a9fe:a9fe::1', family: 6 }];
    expect(await problemOf(assertWebhookUrlAllowed('https://shop.example/hook', false, resolve))).toEqual(['webhook_url_not_allowed', 422]);
  });
});

describe('webhook URL guard with private URLs not allowed', () => {
  it.each([
    'http://example.com/hook', // http
    'https://127.0.0.1/hook',
    'https://[::1]:8443/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://10.0.0.5/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://user:pass@example.com/hook',
    'ftp://example.com/hook',
    'not a url',
  ])('refuses %s with 422 webhook_url_not_allowed', async (url) => {
    expect(await problemOf(assertWebhookUrlAllowed(url, false))).toEqual(['webhook_url_not_allowed', 422]);
  });

  it('refuses a host name that resolves to 127.0.0.1 (localhost, the real resolver)', async () => {
    expect(await problemOf(assertWebhookUrlAllowed('https://localhost:9/hook', false))).toEqual(['webhook_url_not_allowed', 422]);
  });

  it('refuses a host when any one of its addresses is private', async () => {
    const resolve = async (): Promise<{ address: string; family: number }[]> => [
      { address: '93.184.216.34', family: 4 },
      { address: '192.168.0.10', family: 4 },
    ];
    expect(await problemOf(assertWebhookUrlAllowed('https://shop.example/hook', false, resolve))).toEqual(['webhook_url_not_allowed', 422]);
  });

  it('accepts a host whose addresses are all public, and says so when a host does not resolve', async () => {
    const resolve = async (): Promise<{ address: string; family: number }[]> => [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }];
    expect(await problemOf(assertWebhookUrlAllowed('https://shop.example/hook', false, resolve))).toBe('accepted');
    const failing = async (): Promise<never> => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));
    expect(await problemOf(assertWebhookUrlAllowed('https://nowhere.example/hook', false, failing))).toEqual(['webhook_url_unresolvable', 422]);
  });
});

describe('webhook URL guard with private URLs allowed (development, tests)', () => {
  it('accepts http and loopback', async () => {
    expect(await problemOf(assertWebhookUrlAllowed('http://127.0.0.1:8080/hook', true))).toBe('accepted');
    expect(parseWebhookUrl('http://localhost:8080/hook', true).host).toBe('localhost:8080');
  });

  it('still refuses credentials and other schemes', () => {
    expect(() => parseWebhookUrl('http://a:b@127.0.0.1/hook', true)).toThrow(DomainError);
    expect(() => parseWebhookUrl('file:///etc/passwd', true)).toThrow(DomainError);
  });
});

describe('sending through the guarded lookup (DNS rebinding: the addresses connected to are the ones checked)', () => {
  let server: http.Server;
  let calls = 0;
  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      calls += 1;
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses to connect to a host name that resolves to loopback unless private URLs are allowed', async () => {
    const url = `http://localhost:${(server.address() as AddressInfo).port}/hook`;
    const refused = await postWebhook(url, {}, '{}', { timeoutMs: 2_000, allowPrivate: false });
    expect([refused.statusCode, refused.error, calls]).toEqual([null, 'the host resolves to a non-public address', 0]);
    const allowed = await postWebhook(url, {}, '{}', { timeoutMs: 2_000, allowPrivate: true });
    expect([allowed.statusCode, allowed.error, calls]).toEqual([204, null, 1]);
  });
});
