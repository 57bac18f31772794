import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';

/**
 * This process as an ingest worker: the id it writes into the batches it ingests (`worker_id`)
 * and the batches it is ingesting right now, which recovery must leave alone.
 */
@Injectable()
export class BatchWorker {
  readonly id = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(6).toString('hex')}`;
  readonly active = new Set<string>();
}
