#!/usr/bin/env node
// `npm start`: the whole system in one terminal. Stack up (PostgreSQL, Redis, Kafka), build (the
// services with swc, the portal with Vite: the gateway serves it at `/`), all six services (each
// migrates its database at start), the demo seed, then the URL and the demo logins. Ctrl-C stops
// every service and whatever part of the stack this run started.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { keepDevSecretsWithData } from '../stack/dev-secrets.mjs';
import { ROOT, stackDown, stackUp } from '../stack/stack-lib.mjs';
import { build, buildPortal } from './build.mjs';
import { devSecrets, entryOf, SERVICES, serviceEnv } from './services.mjs';

const started = performance.now();
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const COLORS = { gateway: 35, catalog: 36, vault: 33, ordering: 32, delivery: 34, settlement: 31 };
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const say = (line) => console.log(`${paint('1', 'kami')}  ${line}`);

const children = new Map();
// Nest's boot chatter (one line per module and route) hides what matters in a shared terminal.
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);
let stackStartedHere = [];
let stopping = false;

/** Pino JSON lines become `name | level message`; anything else is printed as it came. */
function relay(name, stream) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('{"demoAccounts"')) continue;
      let text = line;
      try {
        const entry = JSON.parse(line);
        if (entry.level === 'info' && QUIET_CONTEXTS.has(entry.context)) continue;
        const extra = entry.err?.message ? ` (${entry.err.message})` : '';
        text = `${entry.level === 'info' ? '' : `${entry.level.toUpperCase()} `}${entry.msg ?? ''}${extra}`;
        if (entry.req && entry.res) text = `${entry.req.method} ${entry.req.url} ${entry.res.statusCode} ${entry.responseTime} ms`;
      } catch {
        /* not JSON */
      }
      console.log(`${paint(COLORS[name] ?? 0, name.padEnd(10))}| ${text}`);
    }
  });
}

function run(label, entry, env) {
  const child = spawn(process.execPath, ['--enable-source-maps', entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  relay(label, child.stdout);
  relay(label, child.stderr);
  return child;
}

/**
 * Waits until every service answers its own readiness probe (they all listen on loopback here; the
 * gateway's public /health would say only up or down), naming the ones that are not ready at the deadline.
 */
async function waitForReady(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let notReady = SERVICES.map((s) => `${s.name}: no answer`);
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopped');
    const answers = await Promise.all(
      SERVICES.map(async (s) => {
        try {
          const res = await fetch(`http://127.0.0.1:${s.port}/health/ready`, { signal: AbortSignal.timeout(3000) });
          return res.ok ? undefined : `${s.name}: ${res.status} ${JSON.stringify(await res.json().catch(() => ({})))}`;
        } catch (error) {
          return `${s.name}: ${error.message}`;
        }
      }),
    );
    notReady = answers.filter(Boolean);
    if (notReady.length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the system was not ready within ${timeoutMs / 1000} s: ${notReady.join('; ')}`);
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping services…');
  await Promise.all(
    [...children.entries()].map(
      ([name, child]) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
          void name;
        }),
    ),
  );
  if (stackStartedHere.length > 0) {
    say(`stopping what this run started: ${stackStartedHere.join(', ')}`);
    await stackDown({ only: stackStartedHere, log: (l) => say(l) });
  }
  say('stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/** The demo offers of the catalog seed and how their codes look (random each time: codes are unique across the vault). */
const DEMO_STOCK = [
  { offerId: '00000000-0000-4000-8000-000000000321', count: 1000, line: () => `${group(5)}-${group(5)}-${group(5)}` },
  { offerId: '00000000-0000-4000-8000-000000000322', count: 1000, line: () => ({ code: digits(12), pin: digits(6) }) },
  { offerId: '00000000-0000-4000-8000-000000000323', count: 2000, line: () => ({ code: digits(17), pin: digits(18) }) },
  { offerId: '00000000-0000-4000-8000-000000000324', count: 100, line: () => Array.from({ length: 5 }, () => group(5)).join('-') },
];
const ALPHANUMERIC = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
function group(n) {
  return Array.from(randomBytes(n), (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
}
function digits(n) {
  return Array.from(randomBytes(n), (b) => String(b % 10)).join('');
}

/**
 * Uploads demo codes for the demo supplier's offers through the public API (as a supplier would),
 * once: an offer that already has codes is left alone. The vault learns the offers from catalog's
 * events, so an upload refused with offer_not_found is tried again for a little while.
 */
async function seedDemoStock(baseUrl, apiKey) {
  const headers = { 'x-api-key': apiKey, 'content-type': 'application/json' };
  for (const offer of DEMO_STOCK) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stock = await fetch(`${baseUrl}/api/v1/vault/offers/${offer.offerId}/stock`, { headers });
      if (stock.ok && (await stock.json()).uploaded > 0) break;
      const codes = Array.from({ length: offer.count }, () => {
        const line = offer.line();
        return typeof line === 'string' ? { code: line } : line;
      });
      const response = await fetch(`${baseUrl}/api/v1/vault/batches`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ offerId: offer.offerId, codes }),
      });
      if (response.ok) break;
      const problem = await response.json().catch(() => ({}));
      if (problem.code !== 'offer_not_found' || Date.now() > deadline) throw new Error(`demo codes for offer ${offer.offerId}: ${response.status} ${problem.code ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Funds the demo supplier's deposit (保证金) up to settlement's minimum through the sandbox provider,
 * as a supplier would (once: a covered deposit is left alone). Until it is covered the catalog keeps
 * the demo offers paused (`deposit_insufficient`); they resume by themselves once it is.
 */
async function fundDemoDeposit(baseUrl, apiKey) {
  const headers = { 'x-api-key': apiKey };
  const read = async () => {
    const response = await fetch(`${baseUrl}/api/v1/settlement/deposit`, { headers });
    if (!response.ok) throw new Error(`demo deposit: GET answered ${response.status}`);
    return response.json();
  };
  const { balance, minimum, covered } = await read();
  if (covered) return;
  const topup = await fetch(`${baseUrl}/api/v1/settlement/topups`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ amount: minimum - balance, currency: 'CNY', channel: 'standard' }),
  });
  if (topup.status !== 201) throw new Error(`demo deposit: the top-up answered ${topup.status}`);
  const paid = await fetch(`${baseUrl}/api/v1/settlement/topups/${(await topup.json()).id}/sandbox-pay`, { method: 'POST', headers });
  if (paid.status !== 202) throw new Error(`demo deposit: sandbox-pay answered ${paid.status}`);
  const deadline = Date.now() + 60_000;
  while (!(await read()).covered) {
    if (Date.now() > deadline) throw new Error('demo deposit: the sandbox payment was not credited within a minute');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

try {
  say('starting PostgreSQL, Redis and Kafka…');
  const stack = await stackUp({ log: (l) => say(l) });
  stackStartedHere = stack.deps.filter((d) => d.action === 'started').map((d) => d.name);
  say(`building (${seconds()} s)…`);
  build({ quiet: true });
  say(`building the portal (${seconds()} s)…`);
  buildPortal({ quiet: true });
  // The secrets that protect the databases' data are kept with them: a second checkout using
  // the same PostgreSQL adopts the first one's master key instead of stranding its codes.
  const { PGUSER = 'postgres', PGHOST = '127.0.0.1', PGPORT = '5432' } = stack.env;
  const { adopted } = await keepDevSecretsWithData({
    serverUrl: `postgres://${PGUSER}@${PGHOST}:${PGPORT}`,
    file: path.join(ROOT, '.stack', 'dev-secrets.env'),
    ensureLocal: () => devSecrets(),
  });
  if (adopted.length > 0) say(`using the development secrets stored with the databases (kami_stack): ${adopted.join(', ')}`);
  const secrets = devSecrets();
  say(`starting services (${seconds()} s)…`);
  for (const service of SERVICES) {
    // A local stack's webhook receivers are usually on localhost: let delivery post to them (never in production).
    const overrides = service.name === 'delivery' ? { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } : {};
    const child = run(service.name, entryOf(service.name), serviceEnv(service, stack.env, secrets, overrides));
    children.set(service.name, child);
    child.once('exit', (code, signal) => {
      if (!stopping) {
        say(paint('31', `${service.name} exited (${signal ?? code}); stopping everything`));
        void shutdown(1);
      }
    });
  }
  await waitForReady(120_000);
  const gateway = SERVICES.find((s) => s.name === 'gateway');
  // The demo seed runs only when asked for by name, with this checkout's own demo credentials.
  const seedEnv = { KAMI_SEED: 'demo', DEMO_CREDENTIALS_SECRET: secrets.DEMO_CREDENTIALS_SECRET };
  const seed = run('seed', entryOf('gateway', 'seed/demo-seed'), serviceEnv(gateway, stack.env, secrets, seedEnv));
  let seedOutput = '';
  seed.stdout.on('data', (chunk) => (seedOutput += chunk));
  const seedCode = await new Promise((resolve) => seed.once('exit', resolve));
  if (seedCode !== 0) throw new Error('the demo seed failed');
  const accounts = JSON.parse(seedOutput.split('\n').find((l) => l.startsWith('{"demoAccounts"')) ?? '{"demoAccounts":[]}').demoAccounts;
  const catalog = SERVICES.find((s) => s.name === 'catalog');
  const catalogSeed = run('seed', entryOf('catalog', 'seed/demo-seed'), serviceEnv(catalog, stack.env, secrets, { KAMI_SEED: 'demo' }));
  if ((await new Promise((resolve) => catalogSeed.once('exit', resolve))) !== 0) throw new Error('the catalog demo seed failed');
  const supplierKey = accounts.find((a) => a.type === 'supplier')?.apiKey;
  if (supplierKey) {
    say(`funding the demo supplier's deposit (${seconds()} s)…`);
    await fundDemoDeposit('http://127.0.0.1:3000', supplierKey);
    say(`uploading demo codes (${seconds()} s)…`);
    await seedDemoStock('http://127.0.0.1:3000', supplierKey);
  }

  say(paint('32', `Kami is up in ${seconds()} s`));
  console.log(`
  Portal           http://127.0.0.1:3000/         (log in with a demo login below)
  API              http://127.0.0.1:3000/api/v1   (docs: http://127.0.0.1:3000/api/docs)
  System health    http://127.0.0.1:3000/health   (up or down; operators see every part on the portal's health page)

  Demo logins (POST /api/v1/identity/sessions) and API keys (header X-Api-Key):
${accounts.map((a) => `    ${a.type.padEnd(9)}  ${`${a.email} / ${a.password}`.padEnd(40)} ${a.apiKey}`).join('\n')}

  Try the catalog as the demo merchant:
    curl -H 'X-Api-Key: ${accounts.find((a) => a.type === 'merchant')?.apiKey ?? '<merchant key>'}' 'http://127.0.0.1:3000/api/v1/catalog/products?q=steam'

  Ctrl-C stops everything.
`);
} catch (error) {
  if (!stopping) {
    say(paint('31', `start failed: ${error.message}`));
    await shutdown(1);
  }
}
