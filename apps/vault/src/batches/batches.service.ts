import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { codePatternProblem } from '@kami/code-format';
import { decodeCursor, invalidCursor, SERVICE_CONFIG, toCursorPage, ValidationFailedError, type CursorPage, type Identity } from '@kami/platform';
import { CatalogProjection, type CodeFormat, type VaultOffer } from '../catalog-projection/catalog-projection.service';
import type { VaultConfig } from '../config/vault.config';
import { VaultCrypto } from '../crypto/vault-crypto';
import type { BatchDto, BatchSummaryDto, CreateBatchDto, DuplicateSignalDto, DuplicateSignalsQuery, ListBatchesQuery, RefusalDto, RefusalsQuery } from './batch.dto';
import { batchNotAwaitingContent, batchNotFound, batchNotHeld, codeFormatUnsupported, offerDelisted, offerNotFound, productNotKnown, tooManyCodes, unsupportedContentType } from './batch.errors';
import { BatchIngest } from './batch-ingest';
import { claimForContent, findBatch, findVisibleBatch, insertBatch, listRefusals, listVisibleBatches, loadDataKey, toBatchDto, type BatchRow } from './batch-store';
import { BatchWorker } from './batch-worker';

/** How long the rest of a body is read (and dropped) after its batch ended early, before answering anyway. */
const DRAIN_AFTER_FAILURE_MS = 30_000;

/** Reads what is left of a request body and drops it, so the answer reaches a client that is still sending. */
function drain(request: IncomingMessage, timeoutMs: number): Promise<void> {
  if (request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      request.off('end', done);
      request.off('close', done);
      request.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    request.on('end', done);
    request.on('close', done);
    request.on('error', done);
    request.resume();
  });
}

/** `text/csv`, with no charset or UTF-8. */
function isCsv(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'text/csv') return false;
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/** Refuses a batch whose product's patterns cannot run on the linear-time engine (before anything is stored). */
function assertRunnable(format: CodeFormat): void {
  if (codePatternProblem(format.codePattern) !== null) throw codeFormatUnsupported('codePattern');
  if (format.pinPattern && codePatternProblem(format.pinPattern) !== null) throw codeFormatUnsupported('pinPattern');
}

const principalOf = (identity: Identity): string => `${identity.principalType}:${identity.principalId}`;

/**
 * Code batches: a supplier creates one for an own offer with inline codes (ingested in the
 * request) or as a CSV batch whose content is then streamed in; everyone reads the per-line
 * report. Owners see their batches, operators all; anyone else is told no such batch exists.
 */
@Injectable()
export class BatchesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: VaultCrypto,
    private readonly projection: CatalogProjection,
    private readonly ingest: BatchIngest,
    private readonly worker: BatchWorker,
    @Inject(SERVICE_CONFIG) private readonly config: VaultConfig,
  ) {}

  async create(identity: Identity, body: CreateBatchDto): Promise<BatchDto> {
    if (body.codes !== undefined && body.source !== undefined) {
      throw new ValidationFailedError([{ field: 'source', messages: ['must be absent when codes are given inline (a batch is either inline codes or a CSV upload)'] }]);
    }
    if (body.codes !== undefined && body.codes.length > this.config.BATCH_JSON_MAX_CODES) throw tooManyCodes(this.config.BATCH_JSON_MAX_CODES);
    const offer = await this.uploadableOffer(identity, body.offerId);
    const id = randomUUID();
    const inline = body.codes !== undefined;
    const dataKey = await this.dataSource.transaction((manager) =>
      insertBatch(manager, this.crypto, {
        id,
        offerId: offer.offerId,
        supplierId: offer.supplierId,
        productId: offer.productId,
        source: inline ? 'json' : 'csv',
        fileName: body.fileName ?? null,
        createdBy: principalOf(identity),
        workerId: inline ? this.worker.id : null,
      }),
    );
    if (inline) {
      await this.ingest.ingestLines({ batchId: id, offerId: offer.offerId, workerId: this.worker.id, dataKey }, offer.format, body.codes!);
    } else {
      dataKey.fill(0);
    }
    return this.view(id);
  }

  /**
   * Streams a CSV batch's content in. Answers once the body is consumed and the batch finished
   * (completed, or failed with its reason). A batch takes its content once.
   */
  async receiveContent(identity: Identity, batchId: string, request: IncomingMessage): Promise<BatchDto> {
    const batch = await findVisibleBatch(this.dataSource.manager, identity, batchId);
    if (!batch || batch.supplier_id !== identity.organisationId) throw batchNotFound();
    if (!isCsv(request.headers['content-type'])) throw unsupportedContentType();
    if (batch.source !== 'csv' || batch.status !== 'receiving' || batch.worker_id !== null) throw batchNotAwaitingContent(batch.status, batch.source);
    const offer = await this.projection.offer(batch.offer_id);
    if (!offer) throw productNotKnown();
    if (offer.status === 'delisted') throw offerDelisted();
    assertRunnable(offer.format);
    const claimed = await claimForContent(this.dataSource.manager, batchId, identity.organisationId, this.worker.id);
    if (!claimed) {
      const now = await findBatch(this.dataSource.manager, batchId);
      throw batchNotAwaitingContent(now?.status ?? 'failed', batch.source);
    }
    const dataKey = await loadDataKey(this.dataSource.manager, this.crypto, batchId);
    try {
      await this.ingest.ingestCsv({ batchId, offerId: batch.offer_id, workerId: this.worker.id, dataKey }, offer.format, request);
    } finally {
      await drain(request, DRAIN_AFTER_FAILURE_MS);
    }
    return this.view(batchId);
  }

  async get(identity: Identity, batchId: string): Promise<BatchDto> {
    const row = await findVisibleBatch(this.dataSource.manager, identity, batchId);
    if (!row) throw batchNotFound();
    return toBatchDto(this.dataSource.manager, row);
  }

  list(identity: Identity, query: ListBatchesQuery): Promise<CursorPage<BatchSummaryDto>> {
    return listVisibleBatches(this.dataSource.manager, identity, query);
  }

  async refusals(identity: Identity, batchId: string, query: RefusalsQuery): Promise<CursorPage<RefusalDto>> {
    const row = await findVisibleBatch(this.dataSource.manager, identity, batchId);
    if (!row) throw batchNotFound();
    return listRefusals(this.dataSource.manager, batchId, query);
  }

  /** An operator releases (on sale) or rejects (codes gone) a batch held for review; 409 batch_not_held for any other. */
  async review(identity: Identity, batchId: string, decision: 'release' | 'reject'): Promise<BatchDto> {
    const row = await findBatch(this.dataSource.manager, batchId);
    if (!row) throw batchNotFound();
    if (!(await this.ingest.review(batchId, decision, identity.principalId))) {
      const now = await findBatch(this.dataSource.manager, batchId);
      throw batchNotHeld(now?.status ?? row.status);
    }
    return this.view(batchId);
  }

  /** Lines whose code another supplier already held, newest first (operators). */
  async duplicateSignals(query: DuplicateSignalsQuery): Promise<CursorPage<DuplicateSignalDto>> {
    const params: unknown[] = [];
    const where = ['true'];
    if (query.batchId) where.push(`batch_id = $${params.push(query.batchId)}`);
    if (query.supplierId) where.push(`supplier_id = $${params.push(query.supplierId)}`);
    if (query.cursor) {
      const [id] = decodeCursor(query.cursor, 1);
      if (typeof id !== 'string' || !/^\d{1,19}$/.test(id)) throw invalidCursor();
      where.push(`id < $${params.push(id)}::bigint`);
    }
    const rows: { id: string; batch_id: string; line: number; supplier_id: string; holder_code_id: string; holder_offer_id: string; holder_supplier_id: string; detected_at: Date }[] =
      await this.dataSource.query(
        `SELECT id::text, batch_id::text, line, supplier_id::text, holder_code_id::text, holder_offer_id::text, holder_supplier_id::text, detected_at
           FROM duplicate_signal WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.push(query.limit + 1)}`,
        params,
      );
    return toCursorPage(
      rows,
      query.limit,
      (r) => [r.id],
      (r) => ({
        id: r.id,
        batchId: r.batch_id,
        line: r.line,
        supplierId: r.supplier_id,
        holderCodeId: r.holder_code_id,
        holderOfferId: r.holder_offer_id,
        holderSupplierId: r.holder_supplier_id,
        detectedAt: r.detected_at.toISOString(),
      }),
    );
  }

  private async view(batchId: string): Promise<BatchDto> {
    const row: BatchRow | undefined = await findBatch(this.dataSource.manager, batchId);
    if (!row) throw batchNotFound();
    return toBatchDto(this.dataSource.manager, row);
  }

  /**
   * The caller's offer, if it may take codes: known to the vault with its product's format, the
   * caller's own (another supplier's offer is "not found"), not delisted.
   */
  private async uploadableOffer(identity: Identity, offerId: string): Promise<VaultOffer> {
    const offer = await this.projection.offer(offerId);
    if (!offer) {
      // The offer may be known without its product yet (events of two topics arrive in any order).
      const own: { supplier_id: string }[] = await this.dataSource.query(`SELECT supplier_id FROM vault_offer WHERE offer_id = $1`, [offerId]);
      if (own[0]?.supplier_id === identity.organisationId) throw productNotKnown();
      throw offerNotFound();
    }
    if (offer.supplierId !== identity.organisationId) throw offerNotFound();
    if (offer.status === 'delisted') throw offerDelisted();
    assertRunnable(offer.format);
    return offer;
  }
}
