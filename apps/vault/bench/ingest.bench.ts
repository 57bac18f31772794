import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import pino from 'pino';
import { OutboxWriter, type Messaging } from '@kami/platform';
import { benchCleanup, percentile, roundTo, type BenchResult } from '@kami/testing';
import { BatchIngest } from '../src/batches/batch-ingest';
import { claimForContent, findBatch, insertBatch, loadDataKey } from '../src/batches/batch-store';
import { BatchWorker } from '../src/batches/batch-worker';
import { CatalogProjection } from '../src/catalog-projection/catalog-projection.service';
import type { VaultConfig } from '../src/config/vault.config';
import { VaultCrypto } from '../src/crypto/vault-crypto';
import { StockLedger } from '../src/stock/stock-ledger';
import { writeCodeFile } from '../test/fixtures/code-file';
import { createAllocationRig, type AllocationRig } from '../test/support/allocation-rig';

/*
 * `npm run bench:ingest`: one CSV batch of 1,000,000 codes, end to end, in-process.
 *
 * Case ingest-1m (the file is generated to a temp file first, not timed):
 *  - kami: the vault's real path for a CSV batch, timed from the batch's creation to its codes
 *      being available in Redis: insertBatch (batch row + wrapped data key), claimForContent and
 *      loadDataKey (as BatchesService.receiveContent), then BatchIngest.ingestCsv on a read stream
 *      of the file — the very method the service calls with the request body: ingestCsvStream
 *      (csv-parse, check against the product's format, fingerprint, de-duplicate, seal, chunked
 *      inserts), then completion (status completed, StockLedger counters and their outbox event
 *      in one transaction) and OfferStockCache.publishBatch onto the offer, loaded in Redis
 *      beforehand as a running vault has it.
 *      p50/p99: per chunk (5,000 lines), the time of its write statement from hand-off to
 *      PostgreSQL to its result (the next chunk is prepared meanwhile), timed at the pg pool.
 *  - pg-copy: the ceiling of PostgreSQL's bulk load: one raw `COPY ... FROM STDIN` (text
 *      format, pg-copy-streams) of the same rows kami stored (offer_id, batch_id, fingerprint,
 *      secret, expires_at: read back from the code table before timing, so fingerprints and
 *      sealed secrets are computed beforehand) into a table of the code table's shape
 *      (LIKE code INCLUDING ALL, same fillfactor: the same indexes, the unique fingerprint one
 *      included). No parsing, checks, crypto, de-duplication, refusals or Redis.
 *      p50 = p99 = the whole COPY's duration (one statement).
 * opsPerSec = batches/s (1 / elapsed); unitsPerSec = codes/s.
 *
 * Human-readable lines, then, last, one JSON line as SPEC.md (Performance) describes.
 */

const CODES = Number(process.env.BENCH_INGEST_CODES ?? 1_000_000);
/** An untimed batch first through the same path: JIT, pool connections. */
const WARMUP_CODES = 20_000;
const CASE = 'ingest-1m';
const AIM_CODES_PER_SEC = 50_000;

interface Result extends BenchResult {
  system: 'kami' | 'pg-copy';
}

function report(system: Result['system'], codes: number, seconds: number, latencies: number[], extra: string): Result {
  latencies.sort((a, b) => a - b);
  const result: Result = {
    case: CASE,
    system,
    opsPerSec: roundTo(1 / seconds, 4),
    unitsPerSec: roundTo(codes / seconds),
    p50Ms: roundTo(percentile(latencies, 50), 2),
    p99Ms: roundTo(percentile(latencies, 99), 2),
  };
  console.log(
    `${CASE.padEnd(10)} ${system.padEnd(8)} ${codes} codes in ${seconds.toFixed(2)} s: ${String(result.unitsPerSec).padStart(7)} codes/s ${result.opsPerSec} batches/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  ${extra}`,
  );
  return result;
}

/** Random keys for this run only. */
function benchCrypto(): VaultCrypto {
  return new VaultCrypto({
    VAULT_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    VAULT_MASTER_KEY_ID: 'bench',
    VAULT_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
  });
}

/** PostgreSQL writes out what earlier phases dirtied, so a phase does not pay for the one before. Needs superuser or pg_checkpoint (the test stack has it); skipped otherwise. */
async function checkpoint(rig: AllocationRig): Promise<void> {
  await rig.dataSource.query('CHECKPOINT').catch(() => undefined);
}

/** The pg pool BatchIngest writes its chunks to (TypeORM's own), as BatchIngest finds it. */
interface PgPool {
  query: (...args: unknown[]) => unknown;
}
function pgPoolOf(rig: AllocationRig): PgPool {
  return (rig.dataSource.driver as unknown as { master: PgPool }).master;
}

/**
 * Times the pool's chunk statements (INSERT INTO code) while `run` runs. Only the chunk writes go
 * to the pool directly; TypeORM's own queries check a client out of it.
 */
async function timingChunks<T>(rig: AllocationRig, run: () => Promise<T>): Promise<{ value: T; chunkMs: number[] }> {
  const pool = pgPoolOf(rig);
  const original = pool.query;
  const chunkMs: number[] = [];
  pool.query = function (this: PgPool, ...args: unknown[]): unknown {
    const reply = original.apply(this, args);
    if (typeof args[0] !== 'string' || !args[0].includes('INSERT INTO code') || !(reply instanceof Promise)) return reply;
    const started = performance.now();
    return reply.then((result: unknown) => {
      chunkMs.push(performance.now() - started);
      return result;
    });
  };
  try {
    return { value: await run(), chunkMs };
  } finally {
    pool.query = original;
  }
}

interface Vault {
  crypto: VaultCrypto;
  worker: BatchWorker;
  projection: CatalogProjection;
  ingest: BatchIngest;
}

function vaultOn(rig: AllocationRig): Vault {
  const crypto = benchCrypto();
  const worker = new BatchWorker();
  const messaging = { outbox: new OutboxWriter(), relay: { nudge: () => undefined, publishCommitted: () => undefined }, transaction: rig.dataSource.transaction.bind(rig.dataSource) } as unknown as Messaging;
  const projection = new CatalogProjection(messaging, rig.dataSource);
  const config = { BATCH_CSV_MAX_LINES: Math.max(CODES, 1_000_000), BATCH_STALE_AFTER_MS: 30_000 } as VaultConfig;
  // Warnings (a batch not published, ...) go to stderr: stdout ends with the summary JSON.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const ingest = new BatchIngest(rig.dataSource, crypto, new StockLedger(), rig.cache, worker, config, logger);
  return { crypto, worker, projection, ingest };
}

/** A CSV batch through the service's path (BatchesService.create, then receiveContent); returns its id. */
async function ingestFile(rig: AllocationRig, vault: Vault, offerId: string, file: string): Promise<string> {
  const offer = await vault.projection.offer(offerId);
  if (!offer) throw new Error(`offer ${offerId} is not in the projection`);
  const batchId = randomUUID();
  const created = await rig.dataSource.transaction((manager) =>
    insertBatch(manager, vault.crypto, {
      id: batchId,
      offerId,
      supplierId: offer.supplierId,
      productId: offer.productId,
      source: 'csv',
      fileName: path.basename(file),
      createdBy: 'bench:ingest',
      workerId: null,
    }),
  );
  created.fill(0);
  const claimed = await claimForContent(rig.dataSource.manager, batchId, offer.supplierId, vault.worker.id);
  if (!claimed) throw new Error(`batch ${batchId} could not be claimed`);
  const dataKey = await loadDataKey(rig.dataSource.manager, vault.crypto, batchId);
  await vault.ingest.ingestCsv({ batchId, offerId, workerId: vault.worker.id, dataKey }, offer.format, createReadStream(file));
  return batchId;
}

/** One line about what the batch left behind, so a run that went wrong does not pass for a fast one. */
async function checkKami(rig: AllocationRig, offerId: string, batchId: string, codes: number): Promise<string> {
  const batch = await findBatch(rig.dataSource.manager, batchId);
  const counters = await rig.counters(offerId);
  const inRedis = await rig.core.availableCount(offerId);
  const ok = batch?.status === 'completed' && batch.accepted === codes && counters.available === codes && inRedis === codes;
  return `(batch ${batch?.status ?? 'missing'}, accepted ${batch?.accepted ?? 0}, offer_stock available ${counters.available}, Redis available ${inRedis}${ok ? '' : ` — EXPECTED ${codes} ACCEPTED AND AVAILABLE`})`;
}

async function main(): Promise<void> {
  const startedAt = Number(process.env.KAMI_BENCH_STARTED_AT) || Date.now();
  const cleanups = benchCleanup('dropping the benchmark database and temp files');

  const results: Result[] = [];
  try {
    // Other work on the machine shows up in the figures; the load average tells whether there was any.
    console.log(
      `ingest benchmark: one CSV batch of ${CODES} codes (after an untimed ${WARMUP_CODES}-code batch); ${os.cpus().length} CPUs, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)}`,
    );
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kami-bench-ingest-'));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    const rig = await createAllocationRig('benchingest', { poolSize: 8 });
    cleanups.add(() => rig.dispose());

    // Untimed: the files, and the offer loaded in Redis (empty) as a running vault has it.
    const warmupFile = path.join(dir, 'warmup.csv');
    const file = path.join(dir, 'codes.csv');
    await writeCodeFile(warmupFile, { lines: WARMUP_CODES, seed: 'W' });
    const fileStarted = performance.now();
    await writeCodeFile(file, { lines: CODES, seed: 'B' });
    const { size } = await stat(file);
    console.log(`generated ${path.basename(file)}: ${CODES} lines, ${(size / 1e6).toFixed(1)} MB in ${((performance.now() - fileStarted) / 1000).toFixed(1)} s (not timed)`);
    // seedOffer's product takes codes of ^[A-Z0-9]{16}$, as the generated ones are.
    const offerId = await rig.seedOffer(0);
    await rig.cache.rebuild(offerId);
    const vault = vaultOn(rig);
    const warmupOffer = await rig.seedOffer(0);
    await rig.cache.rebuild(warmupOffer);
    await ingestFile(rig, vault, warmupOffer, warmupFile);

    // kami, timed: batch creation to codes available in Redis.
    await checkpoint(rig);
    const kamiStarted = performance.now();
    const { value: batchId, chunkMs } = await timingChunks(rig, () => ingestFile(rig, vault, offerId, file));
    const kamiSeconds = (performance.now() - kamiStarted) / 1000;
    const check = await checkKami(rig, offerId, batchId, CODES);
    results.push(report('kami', CODES, kamiSeconds, chunkMs, `p50/p99 of ${chunkMs.length} chunk writes ${check}`));

    // pg-copy: the rows kami stored, read back untimed as COPY text, loaded by one timed COPY.
    const client = new Client({ connectionString: rig.db.database.url });
    await client.connect();
    cleanups.add(() => client.end());
    const columns = 'offer_id, batch_id, fingerprint, secret, expires_at';
    const rows: Buffer[] = [];
    const out = client.query(copyTo(`COPY (SELECT ${columns} FROM code WHERE batch_id = '${batchId}' ORDER BY id) TO STDOUT`));
    for await (const chunk of out as AsyncIterable<Buffer>) rows.push(chunk);
    await client.query(`CREATE TABLE bench_copy_code (LIKE code INCLUDING ALL) WITH (fillfactor = 80)`);
    await checkpoint(rig);
    const copyStarted = performance.now();
    const copy = client.query(copyFrom(`COPY bench_copy_code (${columns}) FROM STDIN`));
    await pipeline(Readable.from(rows), copy);
    const copySeconds = (performance.now() - copyStarted) / 1000;
    const copied = copy.rowCount;
    rows.length = 0;
    const copyMs = copySeconds * 1000;
    results.push(report('pg-copy', copied, copySeconds, [copyMs], `p50/p99 = the one COPY statement (${copied} rows, ${(await rig.dataSource.query(`SELECT pg_size_pretty(pg_total_relation_size('bench_copy_code')) AS s`))[0].s} with indexes)`));
    await client.query('DROP TABLE bench_copy_code');
  } finally {
    await cleanups.run();
  }

  const kami = results.find((r) => r.system === 'kami');
  const copy = results.find((r) => r.system === 'pg-copy');
  const ratio = kami && copy && copy.unitsPerSec > 0 ? (kami.unitsPerSec / copy.unitsPerSec).toFixed(2) : 'n/a';
  console.log(`${CASE} kami / pg-copy: ${ratio}x (codes/s)`);
  console.log(`${CASE} kami: ${kami?.unitsPerSec} codes/s (aim ≥ ${AIM_CODES_PER_SEC.toLocaleString('en-US')})`);
  console.log(`total run ${((Date.now() - startedAt) / 1000).toFixed(1)} s, stack check included; load average ${os.loadavg()[0]!.toFixed(2)} at the end`);
  console.log(JSON.stringify({ bench: 'ingest', results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
