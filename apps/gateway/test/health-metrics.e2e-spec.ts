import { freePort, startSystem, type Account, type ApiResponse, type GatewayInstance, type SystemHarness } from '@kami/testing';

/*
 * Health and metrics as the outside and the operators see them, through the real gateway with the
 * catalog behind it (the other services are not started: they are down, and the system with them).
 * The `strict` gateway instance (same database and services) allows 3 requests per client and window.
 */

const STRICT_PER_IP = 3;

let h: SystemHarness;
let operator: Account;
let merchant: Account;
let strict: GatewayInstance;
let gatewayMetricsPort: number;
let catalogMetricsPort: number;

beforeAll(async () => {
  [gatewayMetricsPort, catalogMetricsPort] = [await freePort(), await freePort()];
  h = await startSystem({
    label: 'healthmetrics',
    services: ['catalog'],
    serviceEnv: { catalog: { METRICS_PORT: String(catalogMetricsPort) } },
    limits: { RATE_LIMIT_PER_IP: 10_000, METRICS_PORT: gatewayMetricsPort },
    extraGateways: { strict: { RATE_LIMIT_PER_IP: STRICT_PER_IP } },
  });
  operator = await h.bootstrapOperator();
  merchant = await h.createAccount(operator.token, 'merchant');
  strict = h.gateways.strict!;
}, 90_000);

afterAll(async () => {
  await h?.stop();
});

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
}

describe('GET /health (public)', () => {
  it('says only up or down: no dependency, service, address or error', async () => {
    const response = await h.gateway.request('GET', '/health');
    // Vault, ordering, delivery and settlement are not running: the system is down.
    expect({ status: response.status, body: response.body }).toEqual({ status: 503, body: { status: 'down' } });
    expect(response.text).not.toMatch(/catalog|vault|postgres|redis|kafka|127\.0\.0\.1|ECONNREFUSED|fetch failed/i);
  });

  it('is rate limited per client like any other request; the probes are not', async () => {
    for (let i = 0; i < STRICT_PER_IP; i++) expect((await strict.request('GET', '/health')).status).toBe(503);
    const limited = await strict.request('GET', '/health');
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    // Readiness and liveness probes (the orchestrator's) still answer.
    expect((await strict.request('GET', '/health/live')).status).toBe(200);
    expect((await strict.request('GET', '/health/ready')).status).toBe(200);
  });
});

describe('GET /api/v1/system/health (operators)', () => {
  it('shows operators every dependency and service, with its error', async () => {
    const response = await h.gateway.request('GET', '/api/v1/system/health', { token: operator.token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'degraded',
      gateway: { postgres: { status: 'up' }, redis: { status: 'up' }, kafka: { status: 'up' } },
      services: { catalog: { status: 'up' }, vault: { status: 'down', error: expect.any(String) } },
    });
    expect(Object.keys(response.body.services).sort()).toEqual(['catalog', 'delivery', 'ordering', 'settlement', 'vault']);
  });

  it('is refused to everybody else', async () => {
    expectProblem(await h.gateway.request('GET', '/api/v1/system/health'), 401, 'unauthenticated');
    expectProblem(await h.gateway.request('GET', '/api/v1/system/health', { token: merchant.token }), 403, 'forbidden_organisation_type');
  });
});

describe('metrics', () => {
  it('are not on the public port of the gateway or a service', async () => {
    expect((await h.gateway.request('GET', '/metrics')).status).toBe(404);
    expect((await h.service('catalog').request('GET', '/metrics')).status).toBe(404);
  });

  it('are served in Prometheus text on each process’s metrics port, on loopback', async () => {
    for (const [service, port] of [
      ['gateway', gatewayMetricsPort],
      ['catalog', catalogMetricsPort],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect({ service, status: response.status }).toEqual({ service, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('# TYPE kami_http_request_duration_seconds histogram');
      expect(text).toContain(`service="${service}"`);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(404);
    }
  });
});
