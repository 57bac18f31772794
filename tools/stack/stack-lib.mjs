// The local dependency stack: PostgreSQL, Redis and Kafka for dev, tests and CI.
//
// For each dependency: if something already answers on its address, reuse it (and never stop
// it); otherwise start one, with `docker compose` when a Docker engine answers, or natively
// (Debian PostgreSQL binaries, redis-server, a single-node KRaft Kafka run from Maven Central
// jars). Whatever we start is recorded under .stack/pids so `down` stops exactly that.
//
// Exports: stackUp(), stackDown(), stackStatus(); tools/stack/stack.mjs is the CLI around them.

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import kafkajs from 'kafkajs';
import Redis from 'ioredis';
import pg from 'pg';

import { HEALTHCHECK_TOPIC, SERVICE_DATABASES } from './services.mjs';
import { COMPOSE_ENV_FILE, writeComposeEnv } from '../scripts/compose-env.mjs';

// kafkajs prints a warning about its v2 partitioner change on every producer unless told not to.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
const { Kafka, logLevel: KafkaLogLevel } = kafkajs;

// ---------------------------------------------------------------------------------------------
// Paths and configuration
// ---------------------------------------------------------------------------------------------

/** Repository root: this file is tools/stack/stack-lib.mjs. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STACK_DIR = path.join(ROOT, '.stack');
const LOGS_DIR = path.join(STACK_DIR, 'logs');
const PIDS_DIR = path.join(STACK_DIR, 'pids');
const PG_DATA_DIR = path.join(STACK_DIR, 'postgres');
const REDIS_DIR = path.join(STACK_DIR, 'redis');
const KAFKA_DIR = path.join(STACK_DIR, 'kafka');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const COMPOSE_RECORD = path.join(PIDS_DIR, 'compose');
const LOCK_FILE = path.join(STACK_DIR, 'stack.lock');

const KAFKA_VERSION = '3.9.1';
const SCALA_VERSION = '2.13';
// Kafka 3.9.1 logs through slf4j-api 1.7.36 and ships reload4j 1.2.25 as its log4j 1 binding;
// the kafka_2.13 artifact itself brings no binding, so we add these two.
const SLF4J_VERSION = '1.7.36';
const RELOAD4J_VERSION = '1.2.25';

const DEFAULT_TIMEOUT_MS = 120_000;
const NAME_WIDTH = 9; // "postgres " — aligns the status lines

/** Repo-relative path for messages. */
const rel = (p) => path.relative(ROOT, p) || '.';

/** Where downloaded artifacts live: outside the repository, shared by all checkouts. */
function cacheDir() {
  if (process.env.KAMI_CACHE_DIR) return path.resolve(process.env.KAMI_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kami');
}

/** Endpoints, from the same env variables the services read (read at call time, not load time). */
function config() {
  const env = process.env;
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  const redis = new URL(redisUrl);
  const brokers = (env.KAFKA_BROKERS || '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const [kafkaHost, kafkaPort] = splitHostPort(brokers[0], 9092);
  return {
    postgres: {
      host: env.PGHOST || '127.0.0.1',
      port: Number(env.PGPORT || 5432),
      // Trust auth as the superuser: it must be able to CREATE DATABASE.
      user: env.PGUSER || 'postgres',
      password: env.PGPASSWORD || undefined,
    },
    redis: { url: redisUrl, host: redis.hostname || '127.0.0.1', port: Number(redis.port || 6379) },
    kafka: { brokers, host: kafkaHost, port: kafkaPort },
  };
}

function splitHostPort(hostPort, defaultPort) {
  const i = hostPort.lastIndexOf(':');
  if (i < 0) return [hostPort, defaultPort];
  return [hostPort.slice(0, i).replace(/^\[|\]$/g, ''), Number(hostPort.slice(i + 1))];
}

/** We only ever start servers on this machine. */
function isLocalHost(host) {
  return ['127.0.0.1', 'localhost', '::1', '0.0.0.0', ''].includes(host);
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const exists = (p) => fs.existsSync(p);
const pidFile = (name) => path.join(PIDS_DIR, `${name}.pid`);

function ensureDirs() {
  for (const d of [STACK_DIR, LOGS_DIR, PIDS_DIR]) fs.mkdirSync(d, { recursive: true });
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
async function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), Math.max(ms, 1));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when a TCP connection to host:port succeeds within `ms`. */
function tcpOpen(host, port, ms = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Is `pid` a live process whose command line contains `marker`? The marker guards against a
 * recycled pid; on Linux it also rules out zombies (their cmdline is empty). Where there is no
 * /proc (macOS) we can only ask whether the pid exists.
 */
function isAlive(pid, marker) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false; // EPERM: exists but not ours to signal (e.g. postgres user)
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker);
  } catch {
    return !exists('/proc/self');
  }
}

function readPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Runs a command to completion; output goes to `logFile` (appended) or is captured. */
function run(cmd, args, { logFile, cwd = ROOT, env = process.env, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const fd = logFile ? fs.openSync(logFile, 'a') : null;
    // Log to a file rather than a pipe: a daemon forked by the command (pg_ctl, redis-server)
    // would otherwise keep the pipe open and we would wait for it forever.
    const stdio = fd === null ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd];
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, stdio });
    } catch (e) {
      if (fd !== null) fs.closeSync(fd);
      reject(e);
      return;
    }
    if (fd !== null) fs.closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : null;
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new Error(`command not found: ${cmd}`) : e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Absolute path of `cmd` on PATH, or null. */
function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Serialises `up`/`down`: within this process through a promise chain, between processes (a
 * dev's `npm start` and a test run, say) through a lock file, so two of them never start the
 * same server or fetch the jars twice. A lock file left by a dead process is taken over.
 */
let serial = Promise.resolve();
function withLock(fn) {
  const result = serial.then(() => withLockFile(fn));
  serial = result.catch(() => {});
  return result;
}

async function withLockFile(fn, waitMs = 15 * 60_000) {
  ensureDirs();
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = readPid(LOCK_FILE);
      // Our own pid can only be a leftover (calls in this process are chained above).
      if (!holder || holder === process.pid || !isAlive(holder, 'node')) {
        fs.rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`stack: ${rel(LOCK_FILE)} is held by pid ${holder}`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}

/** Polls `probe` (→ {ok, error}) until ok or the deadline; `check` may throw to fail early. */
async function waitUntil(what, probe, { timeoutMs, check, hint }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    check?.();
    const res = await probe(Math.max(deadline - Date.now(), 1));
    if (res.ok) return res;
    last = res.error;
    if (Date.now() >= deadline) {
      const why = last ? `: ${last.message || last}` : '';
      throw new Error(`${what} not usable after ${Math.round(timeoutMs / 1000)} s${why}${hint ? ` (${hint})` : ''}`);
    }
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------
// Probes: does a usable server answer? Each returns {ok, error?} and never throws.
// ---------------------------------------------------------------------------------------------

async function pgClient(cfg, database = 'postgres') {
  const client = new pg.Client({ ...cfg, database, connectionTimeoutMillis: 3000 });
  client.on('error', () => {}); // a server going away mid-probe must not crash us
  await client.connect();
  return client;
}

async function probePostgres(cfg) {
  let client;
  try {
    client = await pgClient(cfg);
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    await client?.end().catch(() => {});
  }
}

async function probeRedis(cfg) {
  const redis = new Redis(cfg.url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // one attempt; the caller does the polling
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const pong = await withTimeout(redis.ping(), 3000, 'PING timed out');
    return pong === 'PONG' ? { ok: true } : { ok: false, error: new Error(`PING answered ${pong}`) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    redis.disconnect();
  }
}

function kafkaClient(cfg, retries) {
  return new Kafka({
    clientId: 'kami-stack',
    brokers: cfg.brokers,
    logLevel: KafkaLogLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 10_000,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

async function probeKafka(cfg, timeoutMs = 5000) {
  const admin = kafkaClient(cfg, 0).admin();
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        await admin.listTopics();
      })(),
      Math.min(timeoutMs, 5000),
      'listTopics timed out',
    );
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Readiness: "really usable", beyond answering a probe.
// ---------------------------------------------------------------------------------------------

/** Creates each service's database if missing. */
async function ensureDatabases(cfg) {
  const client = await pgClient(cfg);
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [
      SERVICE_DATABASES,
    ]);
    const have = new Set(rows.map((r) => r.datname));
    const created = [];
    for (const db of SERVICE_DATABASES) {
      if (have.has(db)) continue;
      try {
        await client.query(`CREATE DATABASE "${db}"`);
        created.push(db);
      } catch (e) {
        // Another process created it between our SELECT and CREATE.
        if (e.code !== '42P04' && e.code !== '23505') throw e;
      }
    }
    return created;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A produce/consume round trip on the healthcheck topic. The consumer joins a fresh group and
 * seeks to the offset we produced at, so it neither misses the message (as "latest" could if
 * the join finished after the produce) nor reads the topic's whole history.
 */
async function kafkaRoundTrip(cfg, timeoutMs) {
  const kafka = kafkaClient(cfg, 5);
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const groupId = `kami-stack-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 6000, // the broker's group.min.session.timeout.ms
    rebalanceTimeout: 3000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
  });
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        const topics = await admin.listTopics();
        if (!topics.includes(HEALTHCHECK_TOPIC)) {
          // Resolves false (no throw) if another process created it meanwhile.
          await admin.createTopics({
            topics: [{ topic: HEALTHCHECK_TOPIC, numPartitions: 1, replicationFactor: 1 }],
            waitForLeaders: true,
          });
        }
        await producer.connect();
        const value = randomUUID();
        const [meta] = await producer.send({
          topic: HEALTHCHECK_TOPIC,
          acks: -1,
          messages: [{ partition: 0, value }],
        });
        let seen;
        const received = new Promise((resolve) => (seen = resolve));
        await consumer.connect();
        await consumer.subscribe({ topics: [HEALTHCHECK_TOPIC], fromBeginning: false });
        await consumer.run({
          autoCommit: false, // leave no offsets behind: the throwaway group then simply expires
          eachMessage: async ({ message }) => {
            if (message.value?.toString() === value) seen();
          },
        });
        consumer.seek({ topic: HEALTHCHECK_TOPIC, partition: 0, offset: meta.baseOffset });
        await received;
      })(),
      timeoutMs,
      `produce/consume round trip on ${HEALTHCHECK_TOPIC} did not complete`,
    );
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    // Disconnect everything, or the process would not exit (and the broker would keep the
    // member until its session expired).
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {}); // tidy: no kami-stack-* groups piling up
    await admin.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (native)
// ---------------------------------------------------------------------------------------------

/** Debian layout: /usr/lib/postgresql/<major>/bin; newest first, then PATH. */
function findPgBin() {
  const base = '/usr/lib/postgresql';
  try {
    const versions = fs
      .readdirSync(base)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = path.join(base, v, 'bin');
      if (exists(path.join(bin, 'initdb')) && exists(path.join(bin, 'pg_ctl'))) return bin;
    }
  } catch {
    /* not Debian-like */
  }
  const initdb = which('initdb');
  return initdb && exists(path.join(path.dirname(initdb), 'pg_ctl')) ? path.dirname(initdb) : null;
}

/**
 * PostgreSQL refuses to run as root. As root we run its tools as the `postgres` system user
 * (via runuser) and hand it the data directory and log file; without such a user we give up.
 */
function pgRunner() {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args], chown: () => {} };
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0 || !which('runuser')) {
    throw new Error(
      'cannot start PostgreSQL: running as root, and PostgreSQL refuses to run as root, but there is ' +
        'no "postgres" system user (or no runuser) to run it as. Start PostgreSQL yourself ' +
        '(it will be reused) or run this as a normal user.',
    );
  }
  const [u, g] = [Number(uid.stdout), Number(gid.stdout)];
  return {
    wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]],
    chown: (p) => fs.chownSync(p, u, g),
  };
}

const PG_LOG = path.join(LOGS_DIR, 'postgres.log');

async function startPostgres(cfg) {
  const bin = findPgBin();
  if (!bin) throw new Error('cannot start PostgreSQL: no initdb/pg_ctl found (apt-get install postgresql)');
  const runner = pgRunner();
  const pgCmd = (tool, args) => runner.wrap(path.join(bin, tool), args);

  fs.mkdirSync(PG_DATA_DIR, { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(PG_LOG, 'a'));
  runner.chown(PG_DATA_DIR);
  runner.chown(PG_LOG);

  if (!exists(path.join(PG_DATA_DIR, 'PG_VERSION'))) {
    const [cmd, args] = pgCmd('initdb', [
      '-D', PG_DATA_DIR, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C',
    ]);
    const res = await run(cmd, args, { logFile: PG_LOG });
    if (res.code !== 0) throw new Error(`initdb failed (exit ${res.code}); see ${rel(PG_LOG)}`);
    // No Unix socket: Debian's compiled-in socket directory (/var/run/postgresql) may not be
    // writable by us, and everything here connects over TCP anyway.
    fs.appendFileSync(
      path.join(PG_DATA_DIR, 'postgresql.conf'),
      "\n# added by tools/stack\nunix_socket_directories = ''\nmax_connections = 200\n",
    );
  }

  // Address and port on the command line, so PGHOST/PGPORT changes apply on the next start.
  const [cmd, args] = pgCmd('pg_ctl', [
    '-D', PG_DATA_DIR, '-l', PG_LOG, '-w', '-t', '60',
    '-o', `-h ${cfg.host === 'localhost' ? '127.0.0.1' : cfg.host} -p ${cfg.port}`,
    'start',
  ]);
  const res = await run(cmd, args, { logFile: PG_LOG });
  if (res.code !== 0) throw new Error(`pg_ctl start failed (exit ${res.code}); see ${rel(PG_LOG)}`);
  const pid = readPid(path.join(PG_DATA_DIR, 'postmaster.pid'));
  fs.writeFileSync(pidFile('postgres'), `${pid}\n`);
  return pid;
}

async function stopPostgres(pid) {
  const bin = findPgBin();
  if (bin) {
    const runner = pgRunner();
    for (const mode of ['fast', 'immediate']) {
      const [cmd, args] = runner.wrap(path.join(bin, 'pg_ctl'), ['-D', PG_DATA_DIR, '-m', mode, '-w', '-t', '20', 'stop']);
      const res = await run(cmd, args, { logFile: PG_LOG });
      if (res.code === 0 || !isAlive(pid, 'postgres')) return;
    }
  }
  await killAndWait(pid, 'postgres');
}

// ---------------------------------------------------------------------------------------------
// Redis (native)
// ---------------------------------------------------------------------------------------------

const REDIS_LOG = path.join(LOGS_DIR, 'redis.log');

async function startRedis(cfg) {
  if (!which('redis-server')) throw new Error('cannot start Redis: redis-server not found (apt-get install redis-server)');
  fs.mkdirSync(REDIS_DIR, { recursive: true });
  const pidPath = pidFile('redis');
  fs.rmSync(pidPath, { force: true });
  // No persistence: SPEC says Redis may be flushed at any moment and rebuilt from Postgres.
  const res = await run('redis-server', [
    '--port', String(cfg.port),
    '--bind', cfg.host === 'localhost' ? '127.0.0.1' : cfg.host,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'yes',
    '--dir', REDIS_DIR,
    '--logfile', REDIS_LOG,
    '--pidfile', pidPath,
  ], { logFile: REDIS_LOG });
  if (res.code !== 0) throw new Error(`redis-server failed to start (exit ${res.code}); see ${rel(REDIS_LOG)}`);
  // The daemonised child writes the pid file shortly after the parent exits.
  for (let i = 0; i < 50 && !readPid(pidPath); i++) await sleep(100);
  const pid = readPid(pidPath);
  if (!pid) throw new Error(`redis-server wrote no pid file; see ${rel(REDIS_LOG)}`);
  return pid;
}

// ---------------------------------------------------------------------------------------------
// Kafka (native, single-node KRaft)
// ---------------------------------------------------------------------------------------------

const KAFKA_LOG = path.join(LOGS_DIR, 'kafka.log');
const KAFKA_OUT = path.join(LOGS_DIR, 'kafka.out');
const KAFKA_FETCH_LOG = path.join(LOGS_DIR, 'kafka-fetch.log');
const KAFKA_DATA_DIR = path.join(KAFKA_DIR, 'data');
const KAFKA_PROPS = path.join(KAFKA_DIR, 'server.properties');
const KAFKA_LOG4J = path.join(KAFKA_DIR, 'log4j.properties');

function findJava() {
  const fromHome = process.env.JAVA_HOME && path.join(process.env.JAVA_HOME, 'bin', 'java');
  if (fromHome && exists(fromHome)) return fromHome;
  const java = which('java');
  if (!java) throw new Error('cannot start Kafka: no java found (apt-get install openjdk-17-jre-headless)');
  return java;
}

function kafkaPom() {
  const dep = (g, a, v) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by tools/stack: only used to collect the Kafka broker's runtime jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kami.local</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', `kafka_${SCALA_VERSION}`, KAFKA_VERSION)}
${dep('ch.qos.reload4j', 'reload4j', RELOAD4J_VERSION)}
${dep('org.slf4j', 'slf4j-reload4j', SLF4J_VERSION)}
  </dependencies>
</project>
`;
}

/**
 * Returns the directory of the Kafka jars, fetching them with Maven the first time. The fetch
 * goes to a temporary directory that is renamed into place and only then marked complete, so
 * an interrupted fetch is never mistaken for a finished one.
 */
async function ensureKafkaJars(log) {
  const home = path.join(cacheDir(), `kafka-${KAFKA_VERSION}`);
  const libs = path.join(home, 'libs');
  const marker = path.join(home, 'libs.complete');
  if (exists(marker) && exists(libs)) return libs;

  if (!which('mvn')) {
    throw new Error(
      `cannot start Kafka: its jars are not in ${libs} and mvn is not installed to fetch them ` +
        '(apt-get install maven)',
    );
  }
  fs.mkdirSync(home, { recursive: true });
  // Leftovers of interrupted fetches (an hour old: a concurrent fetch from another checkout
  // sharing this cache is still younger than that).
  for (const entry of fs.readdirSync(home)) {
    const p = path.join(home, entry);
    if (entry.startsWith('fetch-') && Date.now() - fs.statSync(p).mtimeMs > 3_600_000) {
      fs.rmSync(p, { recursive: true, force: true });
    }
  }

  log(`${'kafka'.padEnd(NAME_WIDTH)}fetching Kafka ${KAFKA_VERSION} jars with mvn into ${libs} (once; may take a few minutes)`);
  const work = fs.mkdtempSync(path.join(home, 'fetch-'));
  try {
    const pom = path.join(work, 'pom.xml');
    fs.writeFileSync(pom, kafkaPom());
    const out = path.join(work, 'libs');
    const res = await run(
      'mvn',
      ['-q', '-B', '-Dstyle.color=never', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${out}`],
      { logFile: KAFKA_FETCH_LOG, cwd: work },
    );
    const jar = path.join(out, `kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar`);
    if (res.code !== 0 || !exists(jar)) {
      throw new Error(`fetching the Kafka jars with mvn failed (exit ${res.code}); see ${rel(KAFKA_FETCH_LOG)}`);
    }
    fs.rmSync(libs, { recursive: true, force: true }); // an unmarked, hence incomplete, copy
    fs.renameSync(out, libs);
    fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return libs;
}

function writeKafkaConfig(cfg) {
  const host = cfg.host === 'localhost' ? '127.0.0.1' : cfg.host;
  const controllerPort = cfg.port + 1;
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${cfg.port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${cfg.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': KAFKA_DATA_DIR,
    // A single node: internal topics cannot have more than one replica.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    // Fewer internal partitions than the defaults (50): the first group join and the first
    // transactional producer create these topics, and that is much faster with few.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    // The 3 s default delays every group's first rebalance, i.e. every test that consumes.
    'group.initial.rebalance.delay.ms': 0,
    // Topics are created explicitly (TECH.md): a typo must fail, not create a topic.
    'auto.create.topics.enable': false,
    'num.partitions': 3,
  };
  const body = Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  fs.writeFileSync(KAFKA_PROPS, `# Generated by tools/stack on every start; edit stack-lib.mjs instead.\n${body}\n`);

  // log4j 1 (reload4j) config: warnings and the start-up line to .stack/logs/kafka.log.
  fs.writeFileSync(
    KAFKA_LOG4J,
    [
      '# Generated by tools/stack.',
      'log4j.rootLogger=WARN, file',
      'log4j.appender.file=org.apache.log4j.RollingFileAppender',
      'log4j.appender.file.File=${kafka.logs.dir}/kafka.log',
      'log4j.appender.file.MaxFileSize=20MB',
      'log4j.appender.file.MaxBackupIndex=2',
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '# "Kafka Server started" and shutdown messages.',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      '',
    ].join('\n'),
  );
}

async function startKafka(cfg, log) {
  const java = findJava();
  const libs = await ensureKafkaJars(log);
  const classpath = path.join(libs, '*'); // expanded by java itself
  fs.mkdirSync(KAFKA_DATA_DIR, { recursive: true });
  writeKafkaConfig(cfg);
  const logging = [`-Dlog4j.configuration=file:${KAFKA_LOG4J}`, `-Dkafka.logs.dir=${LOGS_DIR}`];

  // KRaft storage must be formatted once with a cluster id.
  if (!exists(path.join(KAFKA_DATA_DIR, 'meta.properties'))) {
    const uuid = await run(java, [...logging, '-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid']);
    const clusterId = uuid.stdout.trim().split('\n').pop();
    if (uuid.code !== 0 || !/^[\w-]{22}$/.test(clusterId)) {
      throw new Error(`kafka StorageTool random-uuid failed: ${uuid.stderr.trim() || uuid.stdout.trim()}`);
    }
    const format = await run(
      java,
      [...logging, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', KAFKA_PROPS, '--ignore-formatted'],
      { logFile: KAFKA_OUT },
    );
    if (format.code !== 0) throw new Error(`kafka storage format failed; see ${rel(KAFKA_OUT)}`);
  }

  const out = fs.openSync(KAFKA_OUT, 'a');
  const child = spawn(
    java,
    [
      '-Xmx512m', '-Xms256m',
      '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      ...logging,
      '-cp', classpath,
      'kafka.Kafka', KAFKA_PROPS,
    ],
    // Detached (own session) so it outlives this process and a Ctrl-C aimed at it.
    { cwd: ROOT, detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  child.on('error', () => {}); // reported through the readiness check instead
  child.unref();
  fs.writeFileSync(pidFile('kafka'), `${child.pid}\n`);
  return child.pid;
}

// ---------------------------------------------------------------------------------------------
// Stopping
// ---------------------------------------------------------------------------------------------

/** SIGTERM, wait up to `graceMs` for the process to go, then SIGKILL. */
async function killAndWait(pid, marker, graceMs = 20_000) {
  const signal = (sig) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid, marker)) {
    if (Date.now() > deadline) {
      signal('SIGKILL');
      await sleep(500);
      return 'killed';
    }
    await sleep(200);
  }
  return 'stopped';
}

// ---------------------------------------------------------------------------------------------
// Docker
// ---------------------------------------------------------------------------------------------

/** "docker" when a Docker engine answers and the repo has a compose file, else "native". */
async function chooseMode() {
  const forced = process.env.KAMI_STACK_MODE; // auto (default) | native | docker
  if (forced === 'native') return 'native';
  if (!exists(COMPOSE_FILE)) return 'native';
  if (forced === 'docker') return 'docker';
  if (!which('docker')) return 'native';
  try {
    const res = await run('docker', ['info'], { timeoutMs: 5000 });
    return res.code === 0 ? 'docker' : 'native';
  } catch {
    return 'native';
  }
}

function readComposeRecord() {
  try {
    return new Set(fs.readFileSync(COMPOSE_RECORD, 'utf8').split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}

async function compose(args) {
  // docker-compose.yml has no secrets of its own and refuses to run without its .env: make one.
  if (!fs.existsSync(COMPOSE_ENV_FILE)) writeComposeEnv();
  const res = await run('docker', ['compose', '-f', COMPOSE_FILE, ...args]);
  if (res.code !== 0) {
    throw new Error(`docker compose ${args.join(' ')} failed: ${(res.stderr || res.stdout).trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The three dependencies
// ---------------------------------------------------------------------------------------------

/**
 * Each dependency: how to probe it, wait for it (`ready(timeoutMs, {check, hint})`, where
 * `check` may throw to fail early and `hint` ends the timeout error), start and stop it.
 */
function dependencies() {
  const cfg = config();
  return [
    {
      name: 'postgres',
      cfg: cfg.postgres,
      marker: 'postgres',
      logs: [PG_LOG],
      probe: () => probePostgres(cfg.postgres),
      ready: async (timeoutMs, opts) => {
        await waitUntil('postgres', () => probePostgres(cfg.postgres), { timeoutMs, ...opts });
        return ensureDatabases(cfg.postgres);
      },
      start: () => startPostgres(cfg.postgres),
      stop: (pid) => stopPostgres(pid),
    },
    {
      name: 'redis',
      cfg: cfg.redis,
      marker: 'redis-server',
      logs: [REDIS_LOG],
      probe: () => probeRedis(cfg.redis),
      ready: (timeoutMs, opts) => waitUntil('redis', () => probeRedis(cfg.redis), { timeoutMs, ...opts }),
      start: () => startRedis(cfg.redis),
      stop: (pid) => killAndWait(pid, 'redis-server'),
    },
    {
      name: 'kafka',
      cfg: cfg.kafka,
      marker: 'kafka.Kafka',
      logs: [KAFKA_LOG, KAFKA_OUT],
      probe: () => probeKafka(cfg.kafka),
      ready: async (timeoutMs, opts) => {
        const deadline = Date.now() + timeoutMs;
        await waitUntil('kafka', (left) => probeKafka(cfg.kafka, left), { timeoutMs, ...opts });
        // A fresh broker may still be settling (e.g. creating __consumer_offsets): retry the
        // round trip within what is left of the timeout (at least 30 s).
        await waitUntil(
          'kafka (produce/consume round trip)',
          (left) => kafkaRoundTrip(cfg.kafka, Math.min(left, 30_000)),
          { timeoutMs: Math.max(deadline - Date.now(), 30_000), ...opts },
        );
      },
      start: (log) => startKafka(cfg.kafka, log),
      stop: (pid) => killAndWait(pid, 'kafka.Kafka'),
    },
  ];
}

/** The lines of a log worth quoting in an error: errors and their causes, else its end. */
function logExcerpt(file, max = 8) {
  const lines = tail(file, 400).split('\n');
  const telling = lines.filter((l) => /\b(ERROR|FATAL|PANIC)\b|^Caused by:|Exception in thread|^Error:|# Error/.test(l));
  return (telling.length ? telling : lines).slice(-max).join('\n');
}

const address = (dep) => `${dep.cfg.host}:${dep.cfg.port}`;

/** The pid this stack recorded for `dep` if that process is still alive; drops stale files. */
function ownedPid(dep) {
  const file = pidFile(dep.name);
  const pid = readPid(file);
  if (pid && isAlive(pid, dep.marker)) return pid;
  if (exists(file)) fs.rmSync(file, { force: true });
  return null;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {object} DependencyState
 * @property {'postgres'|'redis'|'kafka'} name
 * @property {string} address        host:port
 * @property {boolean} up            answers its probe (status) / is usable (up)
 * @property {'reused'|'started'|'running'|'stopped'|'left running'|'not running'} [action]
 * @property {null|'native'|'docker'} owner  who started it, if this stack did
 * @property {number|null} pid
 * @property {string|null} log      repo-relative log path for servers we run natively
 */

/**
 * The environment tests run in against a stack that is up: the stack's own variables, and the
 * TEST_* servers the test harness uses (a variable already set wins, e.g. to aim at other servers).
 */
export function testEnvironment(stackEnv) {
  return {
    ...process.env,
    ...stackEnv,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    TEST_POSTGRES_URL: process.env.TEST_POSTGRES_URL ?? `postgres://${stackEnv.PGUSER}@${stackEnv.PGHOST}:${stackEnv.PGPORT}`,
    TEST_REDIS_URL: process.env.TEST_REDIS_URL ?? stackEnv.REDIS_URL,
    TEST_KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? stackEnv.KAFKA_BROKERS,
  };
}

/**
 * Makes PostgreSQL, Redis and Kafka usable, reusing whatever already answers, and creates the
 * services' databases. Idempotent; safe to call from several processes at once.
 *
 * @param {{ timeoutMs?: number, log?: (line: string) => void }} [options]
 *   timeoutMs: how long to wait for each dependency to become usable (default 120 s);
 *   log: where the one-line-per-dependency report goes (default console.log; pass () => {} to silence).
 * @returns {Promise<{ deps: DependencyState[], env: Record<string, string> }>} the states, and the
 *   env variables pointing at them (PGHOST, PGPORT, PGUSER, REDIS_URL, KAFKA_BROKERS).
 * @throws {Error} naming every dependency that did not become usable, and where its log is.
 */
export async function stackUp({ timeoutMs = DEFAULT_TIMEOUT_MS, log = console.log } = {}) {
  return withLock(async () => {
    ensureDirs();
    const deps = dependencies();
    const composeOwned = readComposeRecord();

    // 1. What already answers?
    const probes = await Promise.all(deps.map((d) => d.probe()));
    const plans = await Promise.all(
      deps.map(async (dep, i) => {
        const pid = ownedPid(dep);
        const owner = pid ? 'native' : composeOwned.has(dep.name) ? 'docker' : null;
        if (probes[i].ok) return { dep, action: owner ? 'running' : 'reused', owner, pid };
        // Ours but not answering yet (still starting, or hung): wait for it, don't start another.
        if (owner) return { dep, action: 'running', owner, pid };
        // Something holds the port but does not answer (yet): a server still booting, or a
        // different program. Wait for it as if reused; the timeout error will say which port.
        if (await tcpOpen(dep.cfg.host, dep.cfg.port)) return { dep, action: 'reused', owner: null, pid: null };
        if (!isLocalHost(dep.cfg.host)) {
          return { dep, error: new Error(`${address(dep)} does not answer, and it is not local, so it cannot be started here`) };
        }
        return { dep, action: 'started', owner: null, pid: null };
      }),
    );

    // 2. Start what is missing: all through docker compose, or each natively.
    const toStart = plans.filter((p) => p.action === 'started');
    if (toStart.length && (await chooseMode()) === 'docker') {
      const names = toStart.map((p) => p.dep.name);
      await compose(['up', '-d', ...names]);
      fs.writeFileSync(COMPOSE_RECORD, `${[...new Set([...composeOwned, ...names])].join('\n')}\n`);
      for (const p of toStart) p.owner = 'docker';
    } else {
      for (const p of toStart) p.owner = 'native';
    }

    // 3. Start natively (in parallel) and wait until each is really usable.
    const results = await Promise.allSettled(
      plans.map(async (p) => {
        if (p.error) throw p.error;
        const { dep } = p;
        if (p.action === 'started' && p.owner === 'native') p.pid = await dep.start(log);
        const logs = dep.logs.map(rel).join(' and ');
        let hint;
        let check;
        if (p.owner === 'native') {
          hint = `see ${logs}`;
          // Fail fast when a process we run dies, instead of waiting out the timeout.
          check = () => {
            if (isAlive(p.pid, dep.marker)) return;
            const excerpt = dep.logs.map((f) => logExcerpt(f)).filter(Boolean).join('\n');
            throw new Error(`${dep.name} exited during start-up; see ${logs}${excerpt ? `\n${excerpt.replace(/^/gm, '    ')}` : ''}`);
          };
        } else if (p.owner === 'docker') {
          hint = `see docker compose logs ${dep.name}`;
        } else {
          hint = `${address(dep)} is in use, but not by a server this stack started`;
        }
        const created = await dep.ready(timeoutMs, { check, hint });
        const state = {
          name: dep.name,
          address: address(dep),
          up: true,
          action: p.action,
          owner: p.owner,
          pid: p.pid,
          log: p.owner === 'native' ? rel(dep.logs[0]) : null,
        };
        log(describe(state, created));
        return state;
      }),
    );

    const failures = results
      .map((r, i) => (r.status === 'rejected' ? `${deps[i].name.padEnd(NAME_WIDTH)}FAILED ${r.reason?.message || r.reason}` : null))
      .filter(Boolean);
    if (failures.length) {
      const err = new Error(`stack up failed:\n${failures.join('\n')}`);
      err.failures = failures;
      throw err;
    }
    const cfg = config();
    return {
      deps: results.map((r) => r.value),
      env: {
        PGHOST: cfg.postgres.host,
        PGPORT: String(cfg.postgres.port),
        PGUSER: cfg.postgres.user,
        REDIS_URL: cfg.redis.url,
        KAFKA_BROKERS: cfg.kafka.brokers.join(','),
      },
    };
  });
}

function describe(s, createdDbs) {
  const name = s.name.padEnd(NAME_WIDTH);
  const dbs = createdDbs?.length ? ` (created databases: ${createdDbs.join(', ')})` : '';
  if (s.owner === 'docker') return `${name}${s.action} docker compose service ${s.name} ${s.address}${dbs}`;
  if (!s.owner) return `${name}reused ${s.address}${dbs}`;
  return `${name}${s.action} pid ${s.pid} ${s.address} (logs ${s.log})${dbs}`;
}

/**
 * Stops only what this stack started (natively: recorded pids; docker: recorded compose
 * services). Servers it reused are left alone. `only` limits it to some dependencies.
 *
 * @param {{ log?: (line: string) => void, only?: string[] }} [options]
 * @returns {Promise<DependencyState[]>}
 */
export async function stackDown({ log = console.log, only } = {}) {
  return withLock(async () => {
    const deps = dependencies().filter((dep) => !only || only.includes(dep.name));
    const composeOwned = readComposeRecord();

    // The three are independent: stop them concurrently (Kafka's shutdown takes seconds).
    const states = await Promise.all(
      deps.map(async (dep) => {
        const pid = ownedPid(dep);
        const state = { name: dep.name, address: address(dep), up: false, owner: null, pid, log: null };
        if (pid) {
          const how = await dep.stop(pid);
          fs.rmSync(pidFile(dep.name), { force: true });
          return { ...state, owner: 'native', action: 'stopped', detail: how === 'killed' ? 'killed after 20 s' : '' };
        }
        if (composeOwned.has(dep.name)) return { ...state, owner: 'docker', action: 'stopped' };
        const up = (await dep.probe()).ok;
        return { ...state, up, action: up ? 'left running' : 'not running' };
      }),
    );

    const viaCompose = states.filter((s) => s.owner === 'docker').map((s) => s.name);
    if (viaCompose.length) await compose(['stop', ...viaCompose]);
    fs.rmSync(COMPOSE_RECORD, { force: true });

    for (const s of states) {
      const name = s.name.padEnd(NAME_WIDTH);
      if (s.owner === 'docker') log(`${name}stopped docker compose service ${s.name}`);
      else if (s.owner) log(`${name}stopped pid ${s.pid}${s.detail ? ` (${s.detail})` : ''}`);
      else if (s.up) log(`${name}left running ${s.address} (not started by this stack)`);
      else log(`${name}not running`);
    }
    return states;
  });
}

/**
 * Reports each dependency: up or down, owned (started by this stack) or reused, pid, address.
 *
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ ok: boolean, deps: DependencyState[] }>} ok: all three are up.
 */
export async function stackStatus({ log = console.log } = {}) {
  const deps = dependencies();
  const composeOwned = readComposeRecord();
  const states = await Promise.all(
    deps.map(async (dep) => {
      const pid = ownedPid(dep);
      const owner = pid ? 'native' : composeOwned.has(dep.name) ? 'docker' : null;
      const up = (await dep.probe()).ok;
      return { name: dep.name, address: address(dep), up, owner, pid, log: pid ? rel(dep.logs[0]) : null };
    }),
  );
  for (const s of states) {
    const owned = s.owner === 'docker' ? 'owned (docker)' : s.owner ? 'owned' : s.up ? 'reused' : '-';
    log(
      `${s.name.padEnd(NAME_WIDTH)}${(s.up ? 'up' : 'down').padEnd(6)}${owned.padEnd(16)}` +
        `pid ${String(s.pid ?? '-').padEnd(8)}${s.address}`,
    );
  }
  return { ok: states.every((s) => s.up), deps: states };
}
