import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access, CurrentIdentity, Idempotent, type CursorPage, type Identity } from '@kami/platform';
import { BatchDto, BatchPageDto, CreateBatchDto, DuplicateSignalDto, DuplicateSignalsQuery, ListBatchesQuery, RefusalPageDto, RefusalsQuery, type BatchSummaryDto, type RefusalDto } from './batch.dto';
import { BatchesService } from './batches.service';

@ApiTags('vault')
@Controller('api/v1/vault/batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Access({ organisationTypes: ['supplier'] })
  @Idempotent()
  @Post()
  @ApiOperation({
    summary: 'Upload codes to an own offer: inline (`codes`, up to BATCH_JSON_MAX_CODES, ingested now) or a CSV batch (`source: "csv"`) whose content follows',
    description:
      'Inline: answers the finished batch (completed, with its per-line report; codes go on sale at once). CSV: answers a batch in `receiving` that waits for ' +
      '`PUT /api/v1/vault/batches/{id}/content`. Every line is checked against the product’s code format (whole value, RE2: linear time); refusals (bad_format with the field, expired, ' +
      'duplicate_in_batch with the first line, duplicate_in_vault) are listed by line under /refusals and never echo a value. Errors: 404 offer_not_found ' +
      '(also another supplier’s offer), 409 offer_delisted, 409 product_not_known, 409 code_format_unsupported (the product’s pattern cannot run on RE2), ' +
      '413 too_many_codes, 400 validation_failed.',
  })
  @ApiCreatedResponse({ type: BatchDto })
  create(@CurrentIdentity() identity: Identity, @Body() body: CreateBatchDto): Promise<BatchDto> {
    return this.batches.create(identity, body);
  }

  @Access({ organisationTypes: ['supplier'] })
  @Put(':batchId/content')
  @HttpCode(202)
  @ApiConsumes('text/csv')
  @ApiBody({
    description:
      'UTF-8 CSV (BOM allowed), streamed: an optional header row naming the columns code, pin, serial, redemption_url, expires_at (without one, that order); ' +
      'blank lines are skipped but count, so refusals name lines as in the file (the header is line 1). At most BATCH_CSV_MAX_LINES lines besides the header, blank ones included.',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiOperation({
    summary: 'Stream the content of a CSV batch (once); answers when the batch is finished',
    description:
      'Answers 202 with the batch, completed or failed (failure.code: too_many_lines, unparseable_csv, line_too_long, bad_header, upload_aborted, internal_error; ' +
      'a failed batch keeps no codes). Poll GET /batches/{id} meanwhile for progress. Errors: 404 batch_not_found, 415 unsupported_content_type, ' +
      '409 batch_not_awaiting_content (inline batch, or content already sent), 409 code_format_unsupported.',
  })
  @ApiAcceptedResponse({ type: BatchDto })
  upload(@CurrentIdentity() identity: Identity, @Param('batchId', ParseUUIDPipe) batchId: string, @Req() request: Request): Promise<BatchDto> {
    return this.batches.receiveContent(identity, batchId, request);
  }

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Get()
  @ApiOperation({ summary: 'Batches, newest first: a supplier’s own, all for operators' })
  @ApiOkResponse({ type: BatchPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: ListBatchesQuery): Promise<CursorPage<BatchSummaryDto>> {
    return this.batches.list(identity, query);
  }

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Get(':batchId')
  @ApiOperation({ summary: 'A batch: status, progress (linesReceived grows while a CSV arrives), counts by refusal reason, failure, its codes by state' })
  @ApiOkResponse({ type: BatchDto })
  get(@CurrentIdentity() identity: Identity, @Param('batchId', ParseUUIDPipe) batchId: string): Promise<BatchDto> {
    return this.batches.get(identity, batchId);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':batchId/release')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Operators: put a batch held for review on sale (it completes as its ingest would have); 409 batch_not_held for a batch in any other status',
  })
  @ApiOkResponse({ type: BatchDto })
  release(@CurrentIdentity() identity: Identity, @Param('batchId', ParseUUIDPipe) batchId: string): Promise<BatchDto> {
    return this.batches.review(identity, batchId, 'release');
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':batchId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators: reject a batch held for review (failed, failure.code rejected_in_review; its codes are deleted); 409 batch_not_held otherwise' })
  @ApiOkResponse({ type: BatchDto })
  reject(@CurrentIdentity() identity: Identity, @Param('batchId', ParseUUIDPipe) batchId: string): Promise<BatchDto> {
    return this.batches.review(identity, batchId, 'reject');
  }

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Get(':batchId/refusals')
  @ApiOperation({ summary: 'A batch’s refused lines in line order: line, reason, field (bad_format), firstLine (duplicate_in_batch)' })
  @ApiOkResponse({ type: RefusalPageDto })
  refusals(@CurrentIdentity() identity: Identity, @Param('batchId', ParseUUIDPipe) batchId: string, @Query() query: RefusalsQuery): Promise<CursorPage<RefusalDto>> {
    return this.batches.refusals(identity, batchId, query);
  }
}

/**
 * Operators only: every uploaded line whose code another supplier already held (the uploader's
 * report says duplicate_in_vault, as for its own duplicates, and never whose code it was).
 */
@ApiTags('vault')
@Controller('api/v1/vault/duplicate-signals')
export class DuplicateSignalsController {
  constructor(private readonly batches: BatchesService) {}

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Get()
  @ApiOperation({ summary: 'Operators: lines whose code another supplier already held (uploader, holder supplier, offer and code id), newest first; ?batchId=, ?supplierId=' })
  @ApiOkResponse({ type: DuplicateSignalDto, isArray: true })
  list(@Query() query: DuplicateSignalsQuery): Promise<CursorPage<DuplicateSignalDto>> {
    return this.batches.duplicateSignals(query);
  }
}
