import { Module } from '@nestjs/common';
import { BatchIngest } from './batch-ingest';
import { BatchRecovery } from './batch-recovery';
import { BatchWorker } from './batch-worker';
import { BatchesController, DuplicateSignalsController } from './batches.controller';
import { BatchesService } from './batches.service';

/** Code batches: creation, inline and streamed CSV ingest, per-line reports, restart recovery. */
@Module({
  controllers: [BatchesController, DuplicateSignalsController],
  providers: [BatchWorker, BatchIngest, BatchRecovery, BatchesService],
})
export class BatchesModule {}
