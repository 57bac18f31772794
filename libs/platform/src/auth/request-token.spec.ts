import type { IncomingMessage } from 'node:http';
import { EMPTY_BODY_DIGEST, hasBody, receivedRequest, UNSIGNED_PAYLOAD } from './request-token';

const request = (method: string, headers: Record<string, string>): IncomingMessage & { originalUrl: string } =>
  ({ method, url: '/api/v1/x', originalUrl: '/api/v1/x', headers }) as unknown as IncomingMessage & { originalUrl: string };

describe('the body a request token is bound to', () => {
  it('counts content-length: 0 as no body, as a proxy forwards a bodyless DELETE, so gateway and service agree', () => {
    // The gateway sees the client's DELETE without the header; the service sees the proxy's `content-length: 0`.
    expect(hasBody(request('DELETE', {}))).toBe(false);
    expect(hasBody(request('DELETE', { 'content-length': '0' }))).toBe(false);
    expect(receivedRequest(request('DELETE', { 'content-length': '0' })).bodyDigest).toBe(EMPTY_BODY_DIGEST);
  });

  it('binds a streamed body, chunked or with a length, as UNSIGNED-PAYLOAD', () => {
    expect(hasBody(request('PUT', { 'content-length': '12' }))).toBe(true);
    expect(hasBody(request('PUT', { 'transfer-encoding': 'chunked' }))).toBe(true);
    expect(receivedRequest(request('PUT', { 'transfer-encoding': 'chunked' })).bodyDigest).toBe(UNSIGNED_PAYLOAD);
  });
});
