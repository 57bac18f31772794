import { ApiError, buildUrl, createApiClient } from './client';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(response: () => Response) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return response();
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const problem = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: 'x', title: 't', status, ...body }), { status, headers: { 'content-type': 'application/problem+json', ...headers } });

describe('api client', () => {
  it('sends the bearer token and JSON, and reads JSON', async () => {
    const { calls, fetchImpl } = fakeFetch(() => new Response(JSON.stringify({ ok: 1 }), { status: 201, headers: { 'content-type': 'application/json' } }));
    const api = createApiClient({ getToken: () => 'tok', fetch: fetchImpl });
    await expect(api.post('/api/v1/settlement/topups', { amount: 100 }, { idempotencyKey: true })).resolves.toEqual({ ok: 1 });
    const headers = calls[0]!.init.headers as Record<string, string>;
    expect(calls[0]!.init.method).toBe('POST');
    expect(headers['authorization']).toBe('Bearer tok');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[0]!.init.body).toBe('{"amount":100}');
  });

  it('keeps a given Idempotency-Key and sends none unless asked', async () => {
    const { calls, fetchImpl } = fakeFetch(() => new Response(null, { status: 204 }));
    const api = createApiClient({ getToken: () => null, fetch: fetchImpl });
    await api.post('/a', {}, { idempotencyKey: 'key-1' });
    await api.post('/b', {});
    expect((calls[0]!.init.headers as Record<string, string>)['idempotency-key']).toBe('key-1');
    expect((calls[1]!.init.headers as Record<string, string>)['idempotency-key']).toBeUndefined();
    expect((calls[1]!.init.headers as Record<string, string>)['authorization']).toBeUndefined();
  });

  it('turns problem+json into an ApiError with code, status and field errors', async () => {
    const { fetchImpl } = fakeFetch(() =>
      problem(400, { code: 'validation_failed', detail: 'The request has 1 invalid field(s).', requestId: 'r-9', errors: [{ field: 'amount', messages: ['amount must not be less than 1'] }] }),
    );
    const api = createApiClient({ getToken: () => null, fetch: fetchImpl });
    const error = await api.post('/x', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('validation_failed');
    expect(apiError.requestId).toBe('r-9');
    expect(apiError.fieldMessages('amount')).toEqual(['amount must not be less than 1']);
    expect(apiError.fieldMessages('currency')).toEqual([]);
  });

  it('reads Retry-After, reports 401 and survives a non-JSON error page', async () => {
    let onUnauthenticated = 0;
    const limited = createApiClient({ getToken: () => 't', fetch: fakeFetch(() => problem(429, { code: 'rate_limited' }, { 'retry-after': '7' })).fetchImpl });
    await expect(limited.get('/x')).rejects.toMatchObject({ code: 'rate_limited', retryAfterSeconds: 7 });

    const expired = createApiClient({ getToken: () => 't', onUnauthenticated: () => (onUnauthenticated += 1), fetch: fakeFetch(() => problem(401, { code: 'session_expired' })).fetchImpl });
    await expect(expired.get('/x')).rejects.toMatchObject({ code: 'session_expired', status: 401 });
    expect(onUnauthenticated).toBe(1);

    const html = createApiClient({ getToken: () => null, fetch: fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 })).fetchImpl });
    await expect(html.get('/x')).rejects.toMatchObject({ code: 'internal_error', status: 502 });
  });

  it('turns a failed connection into network_error', async () => {
    const api = createApiClient({
      getToken: () => null,
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
    });
    await expect(api.get('/x')).rejects.toMatchObject({ code: 'network_error', status: 0 });
  });

  it('builds query strings without empty values', () => {
    expect(buildUrl('', '/api/v1/catalog/products', { q: '王者 荣耀', category: '', brandId: undefined, inStock: true, limit: 24 })).toBe('/api/v1/catalog/products?q=%E7%8E%8B%E8%80%85+%E8%8D%A3%E8%80%80&inStock=true&limit=24');
    expect(buildUrl('', '/x')).toBe('/x');
  });
});
