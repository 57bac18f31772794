import type { Readable } from 'node:stream';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import { ROOT_LOGGER, SERVICE_CONFIG } from '@kami/platform';
import { OfferStockCache } from '../allocation/offer-stock-cache';
import type { CodeFormat } from '../catalog-projection/catalog-projection.service';
import type { VaultConfig } from '../config/vault.config';
import { VaultCrypto } from '../crypto/vault-crypto';
import { StockLedger } from '../stock/stock-ledger';
import { BatchFailureCode } from './batch.errors';
import { holdIfSuspect, markCompleted, markFailed, reviewHeld, touchHeartbeat } from './batch-store';
import { BatchWorker } from './batch-worker';
import { ingestCsvStream, type IngestFailure } from './ingest/csv-ingest';
import { BatchLostError, IngestWriter, type IngestTarget, type SqlClient } from './ingest/ingest-writer';
import { LineChecker, type RawLine } from './ingest/line-checker';

const SHUTDOWN_FAILURE: IngestFailure = {
  code: BatchFailureCode.Interrupted,
  detail: 'The vault was shutting down (a restart or a deploy) while this batch was being ingested; nothing of it was kept. Upload it again.',
};
/** How long shutdown waits for the ingests it stopped to be failed cleanly. */
const SHUTDOWN_WAIT_MS = 10_000;

/** Thrown into an inline ingest when the process shuts down. */
class ShuttingDownError extends Error {}

const INTERNAL_FAILURE: IngestFailure = {
  code: BatchFailureCode.Internal,
  detail: 'Something went wrong on our side while storing this batch; nothing of it was kept. Upload it again.',
};

/**
 * The data source's own pg pool. Chunk statements go to it directly: each takes a connection only
 * while it runs (an upload does not hold one while its client sends), and a failing statement's
 * parameters (a chunk of fingerprints and sealed secrets) are not written to the log as
 * TypeORM's query logger would.
 */
function pgPool(dataSource: DataSource): SqlClient {
  const pool = (dataSource.driver as unknown as { master?: Partial<SqlClient> }).master;
  if (typeof pool?.query !== 'function') throw new Error('batch ingest needs TypeORM\'s PostgreSQL driver (its pg pool)');
  return pool as SqlClient;
}

/** Only what is safe to log of an ingest error: never a parameter, a value or a line. */
function describeError(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  return { name: e?.name, code: e?.code, message: typeof e?.message === 'string' ? e.message.slice(0, 300) : undefined };
}

/**
 * Runs the ingest of a batch this process has claimed, and ends it: completion (status, stock
 * counters and their event in one transaction, then the codes join Redis) or failure (codes
 * deleted and status failed in one transaction; refusals kept). While it runs the batch is
 * marked active in this process and its heartbeat is kept fresh, so recovery leaves it alone.
 * On shutdown (SIGTERM) the ingests under way are stopped and failed as `interrupted` at once,
 * while the database is still there, rather than left for another process's recovery.
 */
@Injectable()
export class BatchIngest implements BeforeApplicationShutdown {
  private readonly logger: PinoLogger;
  private shuttingDown = false;
  private readonly running = new Map<string, { stop: () => void; done: Promise<unknown> }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: VaultCrypto,
    private readonly stock: StockLedger,
    private readonly cache: OfferStockCache,
    private readonly worker: BatchWorker,
    @Inject(SERVICE_CONFIG) private readonly config: VaultConfig,
    @Inject(ROOT_LOGGER) rootLogger: PinoLogger,
  ) {
    this.logger = rootLogger.child({ component: 'batch-ingest' });
  }

  /** Inline codes: line n is lines[n-1]. */
  ingestLines(target: IngestTarget, format: CodeFormat, lines: RawLine[]): Promise<void> {
    let stopped = false;
    return this.run(
      target,
      async (client) => {
        const writer = new IngestWriter(client, this.crypto, target, new LineChecker(format));
        for (let i = 0; i < lines.length; i++) {
          const pending = writer.add(i + 1, lines[i]!);
          if (pending) await pending;
          if (stopped) {
            await writer.settle();
            throw new ShuttingDownError();
          }
        }
        await writer.finish();
        return null;
      },
      () => (stopped = true),
    );
  }

  /** A CSV body, read as it arrives. */
  ingestCsv(target: IngestTarget, format: CodeFormat, source: Readable): Promise<void> {
    return this.run(
      target,
      async (client) => {
        const result = await ingestCsvStream({ client, crypto: this.crypto, target, format, source, maxLines: this.config.BATCH_CSV_MAX_LINES });
        return result.failure;
      },
      () => source.destroy(new ShuttingDownError()),
    );
  }

  /** Stops the ingests under way; each fails as interrupted (bounded wait: recovery handles any left). */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const runs = [...this.running.values()];
    if (runs.length === 0) return;
    this.logger.warn({ batches: runs.length }, 'shutting down: stopping the batch ingests under way');
    for (const run of runs) run.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(runs.map((run) => run.done)), new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private run(target: IngestTarget, ingest: (client: SqlClient) => Promise<IngestFailure | null>, stop: () => void): Promise<void> {
    const done = this.runIngest(target, ingest);
    this.running.set(target.batchId, { stop, done: done.catch(() => undefined) });
    return done.finally(() => this.running.delete(target.batchId));
  }

  private async runIngest(target: IngestTarget, ingest: (client: SqlClient) => Promise<IngestFailure | null>): Promise<void> {
    const { batchId, workerId } = target;
    if (this.shuttingDown) {
      await this.fail(batchId, workerId, SHUTDOWN_FAILURE);
      target.dataKey.fill(0);
      return;
    }
    this.worker.active.add(batchId);
    const heartbeat = setInterval(
      () => void touchHeartbeat(this.dataSource.manager, batchId, workerId).catch((error: unknown) => this.logger.warn({ batchId, err: describeError(error) }, 'batch heartbeat failed')),
      Math.max(250, Math.floor(this.config.BATCH_STALE_AFTER_MS / 3)),
    );
    heartbeat.unref();
    const started = Date.now();
    try {
      let failure: IngestFailure | null;
      try {
        failure = await ingest(pgPool(this.dataSource));
      } catch (error) {
        if (error instanceof BatchLostError) {
          this.logger.warn({ batchId }, 'batch was recovered by another process while this one ingested it; stopped');
          return;
        }
        if (this.shuttingDown) {
          await this.fail(batchId, workerId, SHUTDOWN_FAILURE);
          return;
        }
        this.logger.error({ batchId, err: describeError(error) }, 'batch ingest failed');
        await this.fail(batchId, workerId, INTERNAL_FAILURE);
        throw error;
      }
      if (failure && this.shuttingDown) failure = SHUTDOWN_FAILURE;
      if (failure) {
        await this.fail(batchId, workerId, failure);
        this.logger.info({ batchId, failure: failure.code }, 'batch failed');
      } else {
        await this.complete(target);
        this.logger.info({ batchId, ms: Date.now() - started }, 'batch completed');
      }
    } finally {
      clearInterval(heartbeat);
      this.worker.active.delete(batchId);
      target.dataKey.fill(0);
    }
  }

  /**
   * Completion in one transaction; after it commits, the codes join the offer's available list in
   * Redis. A batch too many of whose lines were codes other suppliers hold is held for operator
   * review instead (its codes stay off sale until an operator releases it).
   */
  private async complete(target: IngestTarget): Promise<void> {
    const held = await this.dataSource.transaction((manager) => holdIfSuspect(manager, target.batchId, target.workerId, this.config.BATCH_FOREIGN_DUPLICATE_HOLD_SHARE));
    if (held) {
      this.logger.warn({ audit: 'batch.held', batchId: target.batchId, offerId: target.offerId }, 'batch held for review: too many codes other suppliers hold');
      return;
    }
    const done = await this.dataSource.transaction(async (manager) => {
      const batch = await markCompleted(manager, target.batchId, target.workerId);
      if (batch && batch.accepted > 0) await this.stock.apply(manager, batch.offerId, batch.supplierId, { uploaded: batch.accepted, available: batch.accepted });
      return batch;
    });
    if (!done) {
      this.logger.warn({ batchId: target.batchId }, 'batch was recovered by another process before it could complete');
      return;
    }
    if (done.accepted > 0) await this.publish(done.offerId, target.batchId);
  }

  /** An operator's review of a held batch: released, it completes as the ingest would have (counters, event, Redis); rejected, it fails and its codes go. */
  async review(batchId: string, decision: 'release' | 'reject', reviewer: string): Promise<boolean> {
    const reviewed = await this.dataSource.transaction(async (manager) => {
      const batch = await reviewHeld(manager, batchId, decision, reviewer);
      if (batch && decision === 'release' && batch.accepted > 0) {
        await this.stock.apply(manager, batch.offerId, batch.supplierId, { uploaded: batch.accepted, available: batch.accepted });
      }
      return batch;
    });
    if (!reviewed) return false;
    this.logger.info({ audit: 'batch.reviewed', batchId, decision, reviewer }, 'held batch reviewed');
    if (decision === 'release' && reviewed.accepted > 0) await this.publish(reviewed.offerId, batchId);
    return true;
  }

  private async publish(offerId: string, batchId: string): Promise<void> {
    // Redis is the fast path: when this fails, the offer's next rebuild reads the codes from PostgreSQL.
    await this.cache.publishBatch(offerId, batchId).catch((error: unknown) =>
      this.logger.warn({ batchId, err: describeError(error) }, 'completed batch not published to Redis; a rebuild will add it'),
    );
  }

  /** Fails a receiving batch (of this worker, or of anyone when workerId is null). Never throws: recovery retries a batch left receiving. */
  async fail(batchId: string, workerId: string | null, failure: IngestFailure): Promise<boolean> {
    try {
      return await this.dataSource.transaction((manager) => markFailed(manager, batchId, workerId, failure));
    } catch (error) {
      this.logger.error({ batchId, err: describeError(error) }, 'could not mark the batch failed; recovery will');
      return false;
    }
  }
}
