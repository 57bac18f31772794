import { performance } from 'node:perf_hooks';
import { createHmac, randomBytes, randomUUID, scrypt } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Client } from 'pg';
import { testInfrastructure } from '../infrastructure';
import { createTestDatabase, testNames, uniqueSuffix, type TestDatabase } from '../isolation';
import { testKafka } from '../kafka-probe';
import path from 'node:path';
import { spawnTs, WORKSPACE_ROOT, type SpawnedProcess } from '../processes';
import { generateSigningKeyPair, type SigningKeyPair } from './request-tokens';

export * from './request-tokens';

/*
 * The system as a client sees it, for end-to-end tests: one real gateway (apps/gateway/src/main.ts)
 * and the services a test file asks for (apps/<service>/src/main.ts), as child processes with their
 * own fresh databases, free ports, random secrets and keys (made here the way tools/scripts/services.mjs
 * makes them for the development stack, each process handed only its own), Kafka consumer groups
 * and a Redis key prefix of their own. Extra gateway instances (other rate limits) share the main gateway's database, secrets
 * and services, but count in their own Redis prefix. Services that are not started answer 503.
 *
 * Only plain Node libraries are imported here (no @kami/platform, no Nest): jest's CommonJS
 * runtime cannot load Nest 12's ES modules, and the test should see the system from outside anyway.
 */

const GATEWAY_ENTRY = 'apps/gateway/src/main.ts';
/** Where `nx run portal:build` writes the portal; the harness's gateways serve it at `/`. */
export const PORTAL_BUILD_DIR = path.join(WORKSPACE_ROOT, 'dist', 'apps', 'portal');
// Generous: on 2 cores a test file starts up to eight processes that compile their TypeScript at once, beside another file doing the same.
const READY_TIMEOUT_MS = 150_000;

export const SYSTEM_SERVICES = ['catalog', 'vault', 'ordering', 'delivery', 'settlement'] as const;
export type SystemService = (typeof SYSTEM_SERVICES)[number];

/**
 * scrypt's cost (log2 N) of the harness's gateways: below production's 17 (refused there), because
 * the tests make hundreds of accounts and each costs a hash and a verification; the code path is
 * the same, and the gateway's unit tests cover the production cost.
 */
export const TEST_PASSWORD_HASH_COST = 15;

/**
 * A password hash in the gateway's stored format (`scrypt$N$r$p$salt$hash`, see
 * apps/gateway/src/identity/credentials.ts), so the first operator can be written straight into
 * the gateway's database: there is no public sign-up, and a harness may not import app code.
 */
function gatewayPasswordHash(password: string): Promise<string> {
  const salt = randomBytes(16);
  // The gateway's current parameters (OWASP's minimum): a hash with older ones would be rewritten at the first login.
  // The cost the harness's gateways run at (PASSWORD_HASH_COST below).
  const params = { N: 2 ** TEST_PASSWORD_HASH_COST, r: 8, p: 1 };
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { ...params, maxmem: 256 * 1024 * 1024 }, (error, hash) =>
      error ? reject(error) : resolve(['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$')),
    ),
  );
}

export interface RateLimits {
  RATE_LIMIT_PER_IP?: number;
  RATE_LIMIT_PER_API_KEY?: number;
  RATE_LIMIT_LOGIN_PER_IP?: number;
  RATE_LIMIT_WINDOW_SECONDS?: number;
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT?: number;
  RATE_LIMIT_LOGIN_DELAY_SECONDS?: number;
  RATE_LIMIT_LOGIN_MAX_DELAY_SECONDS?: number;
  RATE_LIMIT_LOGIN_ACCOUNT_WINDOW_SECONDS?: number;
  /** How long the gateway keeps a verified API key in memory (its API_KEY_CACHE_SECONDS). */
  API_KEY_CACHE_SECONDS?: number;
  /** An extra gateway that is a replica of the main one: the same Redis keys (counters, key revocations). Default: its own. */
  replica?: boolean;
  /** Peers whose X-Forwarded-For the gateway believes (its TRUSTED_PROXIES; default loopback, where tests connect from). */
  TRUSTED_PROXIES?: string;
  /** The gateway's METRICS_PORT (unset: no metrics listener). */
  METRICS_PORT?: number;
}

export interface HarnessOptions {
  /** Names the databases and Redis prefixes (letters, digits, underscores). */
  label: string;
  /** Services started behind the gateway (default: catalog). */
  services?: readonly SystemService[];
  /** Extra environment per service (e.g. shorter sweep intervals). */
  serviceEnv?: Partial<Record<SystemService, Record<string, string>>>;
  /** Rate limits of the main gateway. */
  limits?: RateLimits;
  /** An OTLP/HTTP collector every process of the system sends its traces to (startOtlpCollector's url). */
  otlpEndpoint?: string;
  /** The share of new traces recorded (default: all), for benchmarks that trace under load. */
  traceSampleRatio?: number;
  /** Further gateway instances by name, each with its own limits (same database, secrets and services). */
  extraGateways?: Record<string, RateLimits>;
  /**
   * The built portal the gateways serve at `/` (default: PORTAL_BUILD_DIR). When it does not exist
   * the gateway still starts and its pages answer 503 portal_not_built: API tests need no build.
   */
  portalDir?: string;
  /**
   * Which services each service accepts internal calls from (the callee is given their public keys
   * in TRUSTED_SERVICE_KEYS, each caller its SERVICE_SIGNING_KEY). Default: the vault accepts delivery.
   */
  trustedCallers?: Partial<Record<SystemService, readonly SystemService[]>>;
}

export interface RequestOptions {
  /** Portal session token or API key, sent as `Authorization: Bearer ...`. */
  token?: string;
  /** Sent as `X-Api-Key`. */
  apiKey?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with content-type application/json (for malformed bodies). */
  rawJson?: string;
  headers?: Record<string, string>;
}

/** A parsed JSON body of whatever shape the route answers; tests check it with expect(). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted, not trusted
export type JsonBody = any;

export interface ApiResponse<T = JsonBody> {
  status: number;
  headers: Headers;
  contentType: string;
  /** Parsed JSON when the response is JSON (including problem+json), else undefined. */
  body: T;
  text: string;
}

export interface HttpTarget {
  url: string;
  request<T = JsonBody>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
}

export interface GatewayInstance extends HttpTarget {
  redisPrefix: string;
  process: SpawnedProcess;
}

export interface OrganisationInput {
  name: string;
  type: 'supplier' | 'merchant' | 'operator';
  admin: { email: string; password: string };
}

export interface Account {
  organisationId: string;
  email: string;
  password: string;
  token: string;
}

export interface ServiceInstance extends HttpTarget {
  /** The running process (replaced by `SystemHarness.restart`). */
  process: SpawnedProcess;
  database: TestDatabase;
  /** Runs SQL in the service's database. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface HarnessSecrets {
  jwt: string;
  /** The gateway signs forwarded identities with the private key; every service holds the public one. */
  gatewayIdentity: SigningKeyPair;
  /** One key pair per service: a service that calls another signs with its private key (SERVICE_SIGNING_KEY). */
  serviceKeys: Record<SystemService, SigningKeyPair>;
}

export interface SystemHarness {
  gateway: GatewayInstance;
  gateways: Record<string, GatewayInstance>;
  /** The services started behind the gateway. */
  services: Partial<Record<SystemService, ServiceInstance>>;
  /** A started service; throws when the test file did not ask for it. */
  service(name: SystemService): ServiceInstance;
  /** The secrets and keys the processes were started with (tests sign and forge headers and tokens with them). */
  secrets: HarnessSecrets;
  /** The environment a process was started with (what an attacker holding that process would have). */
  envOf(name: SystemService | 'gateway'): Record<string, string>;
  gatewayDatabase: TestDatabase;
  /** Put before every Kafka topic of this system (its services run with KAFKA_TOPIC_PREFIX). */
  topicPrefix: string;
  /** The wire name of a contract topic in this system: read, or publish to, this one. */
  topic(name: string): string;
  /**
   * Ends a service's process with `signal` (SIGKILL: a crash, nothing flushed) and starts it again
   * with the same port, database and environment; resolves once it is ready again.
   */
  restart(name: SystemService, signal?: NodeJS.Signals): Promise<void>;
  /** Runs SQL in the gateway's database. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Creates the first operator organisation and its admin directly in the database (there is no public sign-up), then logs in. */
  bootstrapOperator(input?: Partial<OrganisationInput['admin']> & { name?: string }): Promise<Account>;
  login(email: string, password: string): Promise<ApiResponse>;
  /** Logs in and returns the token; throws unless the login succeeded. */
  loginToken(email: string, password: string): Promise<string>;
  registerOrganisation(operatorToken: string, input: OrganisationInput): Promise<ApiResponse>;
  /** Registers an organisation through the API and logs its admin in; throws unless both succeeded. */
  createAccount(operatorToken: string, type: OrganisationInput['type'], name?: string): Promise<Account>;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it; it is released before the service binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Distinct ports for one harness (a port is never handed out twice within it). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

const secret = (): string => randomBytes(32).toString('base64url');

/** Drops a stopped system's topics (and their dead-letter twins): a shared broker does not fill up run after run. */
async function deleteTopics(prefix: string): Promise<void> {
  const admin = (await testKafka('kami-test-harness-cleanup')).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

export function httpTarget(url: string): HttpTarget {
  return {
    url,
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
      let body: string | undefined;
      if (options.json !== undefined || options.rawJson !== undefined) {
        headers['content-type'] = 'application/json';
        body = options.rawJson ?? JSON.stringify(options.json);
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      const contentType = response.headers.get('content-type') ?? '';
      let parsed: unknown;
      if (/json/.test(contentType) && text) parsed = JSON.parse(text);
      return { status: response.status, headers: response.headers, contentType, body: parsed as T, text };
    },
  };
}

/** Polls `GET /health/ready` until it answers 200; fails at once if the process ends, or at the deadline. */
async function waitUntilReady(name: string, target: HttpTarget, proc: SpawnedProcess): Promise<void> {
  let ended = false;
  void proc.exited.then(() => (ended = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  for (;;) {
    if (ended) throw new Error(`${name} exited before it was ready:\n${proc.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms (last: ${last}):\n${proc.output().slice(-4000)}`);
    try {
      const response = await fetch(`${target.url}/health/ready`, { signal: AbortSignal.timeout(3000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An HS256 JWT with the given claims (for expired, foreign or otherwise bad session tokens). */
export function signJwt(claims: Record<string, unknown>, secretKey: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const encode = (part: unknown): string => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secretKey).update(unsigned).digest('base64url')}`;
}

async function runSql<R = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

export async function startSystem(options: HarnessOptions): Promise<SystemHarness> {
  const startedAt = performance.now();
  const infra = await testInfrastructure();
  const secrets: HarnessSecrets = {
    jwt: secret(),
    gatewayIdentity: generateSigningKeyPair(),
    serviceKeys: Object.fromEntries(SYSTEM_SERVICES.map((name) => [name, generateSigningKeyPair()])) as Record<SystemService, SigningKeyPair>,
  };
  const trustedCallers: Partial<Record<SystemService, readonly SystemService[]>> = options.trustedCallers ?? { vault: ['delivery'] };
  const callers = new Set(Object.values(trustedCallers).flat());
  const processEnvs: Record<string, Record<string, string>> = {};
  const extraNames = Object.keys(options.extraGateways ?? {});
  const cleanups: (() => Promise<unknown>)[] = [];
  const processes: SpawnedProcess[] = [];
  const redisPrefixes: string[] = [];
  // Its own topics: systems of test files running side by side never act on each other's events.
  const topicPrefix = `t_${options.label}_${uniqueSuffix()}.`;

  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await Promise.allSettled(cleanups.map((fn) => fn()));
    await deleteTopics(topicPrefix).catch(() => undefined);
    if (redisPrefixes.length > 0) {
      const redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
      try {
        await redis.connect();
        for (const prefix of redisPrefixes) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
            cursor = next;
            if (keys.length > 0) await redis.del(...keys);
          } while (cursor !== '0');
        }
      } catch {
        // Rate-limit keys expire with their window anyway.
      } finally {
        redis.disconnect();
      }
    }
  };

  try {
    const wanted = options.services ?? ['catalog'];
    const gatewayDatabase = await createTestDatabase(`gw_${options.label}`);
    cleanups.push(() => gatewayDatabase.drop());
    // One port per service, one left unbound for services not started (they answer 503), then the gateways.
    const ports = await freePorts(wanted.length + 2 + extraNames.length);
    const unusedUrl = `http://127.0.0.1:${ports[wanted.length]}`;
    const mainPort = ports[wanted.length + 1]!;
    const extraPorts = ports.slice(wanted.length + 2);
    const common = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      KAFKA_BROKERS: infra.kafkaBrokers,
      RUN_MIGRATIONS_ON_START: 'true',
      // Every process of this harness consumes every event on the shared broker in groups of its own.
      KAFKA_CONSUMER_GROUP_PREFIX: `test_${options.label}_${uniqueSuffix()}.`,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      ...(options.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint } : {}),
      ...(options.traceSampleRatio !== undefined ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(options.traceSampleRatio) } : {}),
    };

    const services: Partial<Record<SystemService, ServiceInstance>> = {};
    const serviceEnvs: Partial<Record<SystemService, Record<string, string>>> = {};
    await Promise.all(
      wanted.map(async (name, i) => {
        const database = await createTestDatabase(`${name.slice(0, 4)}_${options.label}`);
        cleanups.push(() => database.drop());
        const vaultEnv: Record<string, string> = {};
        if (name === 'vault') {
          const redisPrefix = testNames(`vault_${options.label}`).redisPrefix;
          redisPrefixes.push(redisPrefix);
          Object.assign(vaultEnv, {
            REDIS_KEY_PREFIX: redisPrefix,
            VAULT_MASTER_KEYS: `test1:${secret()}`,
            VAULT_MASTER_KEY_ID: 'test1',
            VAULT_FINGERPRINT_KEY: secret(),
          });
        }
        // Only what this service needs: the gateway's public key, its own keys, its callers' public keys.
        const keyEnv: Record<string, string> = {
          GATEWAY_IDENTITY_PUBLIC_KEY: secrets.gatewayIdentity.publicKey,
          IDEMPOTENCY_FINGERPRINT_KEY: secret(),
        };
        if (callers.has(name)) keyEnv.SERVICE_SIGNING_KEY = secrets.serviceKeys[name].privateKey;
        const trusted = trustedCallers[name] ?? [];
        if (trusted.length > 0) keyEnv.TRUSTED_SERVICE_KEYS = trusted.map((caller) => `${caller}:${secrets.serviceKeys[caller].publicKey}`).join(',');
        if (name === 'delivery') keyEnv.WEBHOOK_SECRET_KEY = randomBytes(32).toString('base64');
        // Delivery calls the vault's internal reveal directly (never through the gateway).
        const vaultIndex = wanted.indexOf('vault');
        const deliveryEnv: Record<string, string> = name === 'delivery' && vaultIndex >= 0 ? { VAULT_URL: `http://127.0.0.1:${ports[vaultIndex]}` } : {};
        serviceEnvs[name] = {
          ...common,
          PORT: String(ports[i]),
          DATABASE_URL: database.url,
          REDIS_URL: infra.redisUrl,
          ...keyEnv,
          ...vaultEnv,
          ...deliveryEnv,
          // Tests pay top-ups with the sandbox provider; a test may turn it off with PAYMENT_PROVIDER: 'none'.
          ...(name === 'settlement' ? { PAYMENT_PROVIDER: 'sandbox' } : {}),
          ...options.serviceEnv?.[name],
        };
        processEnvs[name] = serviceEnvs[name];
        const proc = spawnTs(`apps/${name}/src/main.ts`, serviceEnvs[name]);
        processes.push(proc);
        services[name] = { ...httpTarget(`http://127.0.0.1:${ports[i]}`), process: proc, database, query: (sql, params) => runSql(database.url, sql, params) };
      }),
    );
    const serviceUrl = (name: SystemService): string => services[name]?.url ?? unusedUrl;

    // Gateway instances share one database, so one fingerprint key.
    const gatewayFingerprintKey = secret();
    let mainRedisPrefix = '';
    const spawnGateway = (port: number, { replica, ...limits }: RateLimits, migrate: boolean): GatewayInstance => {
      const redisPrefix = replica ? mainRedisPrefix : testNames(`gateway_${options.label}`).redisPrefix;
      if (migrate) mainRedisPrefix = redisPrefix;
      if (!replica) redisPrefixes.push(redisPrefix);
      const env: Record<string, string> = {
        ...common,
        PORT: String(port),
        DATABASE_URL: gatewayDatabase.url,
        // Extra instances share the main one's database; only the main one migrates it.
        RUN_MIGRATIONS_ON_START: String(migrate),
        REDIS_URL: infra.redisUrl,
        REDIS_KEY_PREFIX: redisPrefix,
        JWT_SECRET: secrets.jwt,
        PASSWORD_HASH_COST: String(TEST_PASSWORD_HASH_COST),
        GATEWAY_IDENTITY_PRIVATE_KEY: secrets.gatewayIdentity.privateKey,
        IDEMPOTENCY_FINGERPRINT_KEY: gatewayFingerprintKey,
        CATALOG_URL: serviceUrl('catalog'),
        VAULT_URL: serviceUrl('vault'),
        ORDERING_URL: serviceUrl('ordering'),
        DELIVERY_URL: serviceUrl('delivery'),
        SETTLEMENT_URL: serviceUrl('settlement'),
        PORTAL_DIR: options.portalDir ?? PORTAL_BUILD_DIR,
        ...Object.fromEntries(Object.entries(limits).map(([name, value]) => [name, String(value)])),
      };
      if (migrate) processEnvs.gateway = env;
      const proc = spawnTs(GATEWAY_ENTRY, env);
      processes.push(proc);
      return { ...httpTarget(`http://127.0.0.1:${port}`), redisPrefix, process: proc };
    };

    const gateway = spawnGateway(mainPort, options.limits ?? {}, true);
    const gateways: Record<string, GatewayInstance> = {};
    extraNames.forEach((name, i) => (gateways[name] = spawnGateway(extraPorts[i]!, options.extraGateways![name]!, false)));

    const readyAfter: Record<string, number> = {};
    const timed = (name: string, ready: Promise<void>): Promise<void> => ready.then(() => void (readyAfter[name] = Math.round(performance.now() - startedAt)));
    await Promise.all([
      ...Object.entries(services).map(([name, instance]) => timed(name, waitUntilReady(name, instance, instance.process))),
      timed('gateway', waitUntilReady('gateway', gateway, gateway.process)),
      ...extraNames.map((name) => timed(`gateway ${name}`, waitUntilReady(`gateway ${name}`, gateways[name]!, gateways[name]!.process))),
    ]);
    // KAMI_TEST_TIMINGS=1: how long this file's system took to start, process by process (where a suite's time goes).
    if (process.env.KAMI_TEST_TIMINGS === '1') process.stderr.write(`system ${options.label} ready in ${Math.round(performance.now() - startedAt)} ms: ${JSON.stringify(readyAfter)}\n`);

    const query = <R>(sql: string, params: unknown[] = []): Promise<R[]> => runSql<R>(gatewayDatabase.url, sql, params);

    const login = (email: string, password: string): Promise<ApiResponse> =>
      gateway.request('POST', '/api/v1/identity/sessions', { json: { email, password } });

    const loginToken = async (email: string, password: string): Promise<string> => {
      const response = await login(email, password);
      if (response.status !== 201) throw new Error(`login of ${email} answered ${response.status}: ${response.text}`);
      return (response.body as { accessToken: string }).accessToken;
    };

    const registerOrganisation = (operatorToken: string, input: OrganisationInput): Promise<ApiResponse> =>
      gateway.request('POST', '/api/v1/identity/organisations', { token: operatorToken, json: input });

    return {
      gateway,
      gateways,
      services,
      topicPrefix,
      topic: (name) => `${topicPrefix}${name}`,
      service(name) {
        const instance = services[name];
        if (!instance) throw new Error(`the harness was not asked to start ${name} (options.services)`);
        return instance;
      },
      async restart(name, signal = 'SIGKILL') {
        const instance = services[name];
        if (!instance) throw new Error(`the harness was not asked to start ${name} (options.services)`);
        await instance.process.stop(signal);
        const proc = spawnTs(`apps/${name}/src/main.ts`, serviceEnvs[name]!);
        processes.push(proc);
        instance.process = proc;
        await waitUntilReady(name, instance, proc);
      },
      secrets,
      envOf(name) {
        const env = processEnvs[name];
        if (!env) throw new Error(`the harness did not start ${name}`);
        return { ...env };
      },
      gatewayDatabase,
      query,
      login,
      loginToken,
      registerOrganisation,

      async bootstrapOperator(input = {}) {
        const organisationId = randomUUID();
        const email = input.email ?? `operator-${organisationId.slice(0, 8)}@test.kami`;
        const password = input.password ?? `operator-pass-${randomBytes(6).toString('hex')}`;
        // As apps/gateway/src/seed/demo-seed.ts creates the demo operator: organisation, then its admin.
        const client = new Client({ connectionString: gatewayDatabase.url });
        await client.connect();
        try {
          await client.query('BEGIN');
          await client.query(`INSERT INTO organisation (id, name, type) VALUES ($1, $2, 'operator')`, [organisationId, input.name ?? 'Test Operations']);
          await client.query(`INSERT INTO app_user (id, organisation_id, email, password_hash, roles) VALUES ($1, $2, $3, $4, $5)`, [
            randomUUID(),
            organisationId,
            email,
            await gatewayPasswordHash(password),
            ['admin'],
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          await client.end();
        }
        return { organisationId, email, password, token: await loginToken(email, password) };
      },

      async createAccount(operatorToken, type, name) {
        const tag = randomBytes(4).toString('hex');
        const admin = { email: `${type}-${tag}@test.kami`, password: `${type}-pass-${tag}` };
        const response = await registerOrganisation(operatorToken, { name: name ?? `Test ${type} ${tag}`, type, admin });
        if (response.status !== 201) throw new Error(`registering a ${type} answered ${response.status}: ${response.text}`);
        const organisationId = (response.body as { id: string }).id;
        return { organisationId, email: admin.email, password: admin.password, token: await loginToken(admin.email, admin.password) };
      },

      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
