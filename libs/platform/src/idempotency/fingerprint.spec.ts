import { canonicalJson, fingerprintKeyFrom, requestFingerprint } from './fingerprint';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and drops whitespace', () => {
    const a = JSON.parse('{ "b": 1, "a": { "z": [3, {"y": 2, "x": 1}], "c": null } }');
    const b = JSON.parse('{"a":{"c":null,"z":[3,{"x":1,"y":2}]},"b":1}');
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"z":[3,{"x":1,"y":2}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('keeps array order, and tells types apart', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
    expect(canonicalJson({ a: true })).not.toBe(canonicalJson({ a: 'true' }));
  });

  it('writes numbers and strings as JSON does (1.0 is 1; escapes; keys in code-unit order)', () => {
    expect(canonicalJson(JSON.parse('{"n": 1.0, "m": 1e3, "s": "line\\nbreak \\"q\\" é"}'))).toBe('{"m":1000,"n":1,"s":"line\\nbreak \\"q\\" é"}');
    expect(canonicalJson({ b: 1, B: 2, a: 3, _: 4, é: 5 })).toBe('{"B":2,"_":4,"a":3,"b":1,"é":5}');
  });

  it('leaves out undefined members like JSON.stringify, and honours toJSON', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined])).toBe('[null]');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson({ at: new Date('2025-01-02T03:04:05.000Z') })).toBe('{"at":"2025-01-02T03:04:05.000Z"}');
  });
});

describe('requestFingerprint', () => {
  const base = { method: 'POST', route: '/api/v1/identity/api-keys', params: {}, query: {}, body: { name: 'Storefront', roles: ['member'] } };

  it('is the same for the same request whatever the key order of its body', () => {
    const reordered = { ...base, method: 'post', body: JSON.parse('{"roles":["member"],"name":"Storefront"}') };
    expect(requestFingerprint(reordered)).toBe(requestFingerprint(base));
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when the body, path parameters, query, route or method differ', () => {
    const fingerprint = requestFingerprint(base);
    expect(requestFingerprint({ ...base, body: { name: 'Other', roles: ['member'] } })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, params: { id: '1' } })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, query: { dryRun: 'true' } })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, route: '/api/v1/identity/organisations' })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, method: 'PUT' })).not.toBe(fingerprint);
  });

  it('treats a missing body, params and query like empty ones', () => {
    expect(requestFingerprint({ method: 'POST', route: '/x' })).toBe(requestFingerprint({ method: 'POST', route: '/x', params: {}, query: {}, body: undefined }));
  });

  it('with a key is an HMAC: stable for one key, different for another, never the plain hash', () => {
    const key = fingerprintKeyFrom('an-internal-identity-secret-of-40-chars!!');
    expect(requestFingerprint(base, key)).toBe(requestFingerprint({ ...base, body: { roles: ['member'], name: 'Storefront' } }, key));
    expect(requestFingerprint(base, key)).not.toBe(requestFingerprint(base));
    expect(requestFingerprint(base, key)).not.toBe(requestFingerprint(base, fingerprintKeyFrom('another-secret-another-secret-another')));
    expect(key.toString('utf8')).not.toContain('an-internal-identity-secret');
  });
});
