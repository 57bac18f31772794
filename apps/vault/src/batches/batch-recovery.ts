import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import { PeriodicTask, ROOT_LOGGER, SERVICE_CONFIG } from '@kami/platform';
import type { VaultConfig } from '../config/vault.config';
import { BatchFailureCode } from './batch.errors';
import { markFailed } from './batch-store';
import { BatchWorker } from './batch-worker';
import type { IngestFailure } from './ingest/csv-ingest';

/** How long a CSV batch waits for its content (`PUT /batches/{id}/content`) before it fails as upload_expired. */
export const CONTENT_WAIT_HOURS = 24;

const INTERRUPTED: IngestFailure = {
  code: BatchFailureCode.Interrupted,
  detail: 'The vault process ingesting this batch stopped before it finished (a restart or a crash); nothing of it was kept. Upload it again.',
};
const EXPIRED: IngestFailure = {
  code: BatchFailureCode.UploadExpired,
  detail: `The batch's content was not uploaded within ${CONTENT_WAIT_HOURS} hours of its creation; create a new batch to upload it.`,
};

/**
 * Restart recovery. A batch is ingested by one process, which keeps its heartbeat fresh (after
 * every chunk and on a timer). A receiving batch whose heartbeat is older than
 * BATCH_STALE_AFTER_MS lost its process (crash, kill, restart): it fails as `interrupted`, its
 * codes deleted in the same transaction. A CSV batch that never got its content (no heartbeat
 * ever) fails as `upload_expired` CONTENT_WAIT_HOURS after its creation. Runs at startup and
 * then every BATCH_STALE_AFTER_MS / 2; batches are claimed with FOR UPDATE SKIP LOCKED, so
 * several vault processes can sweep at once, and the batches this process is ingesting are never
 * touched by its own sweep.
 */
@Injectable()
export class BatchRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly worker: BatchWorker,
    @Inject(SERVICE_CONFIG) private readonly config: VaultConfig,
    @Inject(ROOT_LOGGER) rootLogger: PinoLogger,
  ) {
    this.logger = rootLogger.child({ component: 'batch-recovery' });
    this.task = new PeriodicTask({
      intervalMs: Math.max(500, Math.floor(config.BATCH_STALE_AFTER_MS / 2)),
      runAtStart: true,
      run: () => this.sweep(),
      onError: (error) => this.logger.warn({ err: { message: (error as Error)?.message } }, 'batch recovery sweep failed; retrying on the next tick'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** Fails every abandoned batch; returns how many. */
  async sweep(): Promise<number> {
    let recovered = 0;
    for (;;) {
      const batch = await this.dataSource.transaction(async (manager) => {
        const rows: { id: string; never_started: boolean }[] = await manager.query(
          `SELECT id, heartbeat_at IS NULL AS never_started FROM batch
            WHERE status = 'receiving'
              AND ((heartbeat_at IS NOT NULL AND heartbeat_at < now() - $1::int * interval '1 millisecond')
                OR (heartbeat_at IS NULL AND created_at < now() - $2::int * interval '1 hour'))
              AND NOT (id = ANY($3::uuid[]))
            ORDER BY created_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED`,
          [this.config.BATCH_STALE_AFTER_MS, CONTENT_WAIT_HOURS, [...this.worker.active]],
        );
        const row = rows[0];
        if (!row) return undefined;
        await markFailed(manager, row.id, null, row.never_started ? EXPIRED : INTERRUPTED);
        return row;
      });
      if (!batch) return recovered;
      recovered++;
      this.logger.warn({ batchId: batch.id, failure: batch.never_started ? EXPIRED.code : INTERRUPTED.code }, 'abandoned batch failed and cleaned');
    }
  }
}
