import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { CursorPageQuery } from '@kami/platform';

/** held: more than BATCH_FOREIGN_DUPLICATE_HOLD_SHARE of its lines were codes other suppliers hold; off sale until an operator releases it. */
export const BATCH_STATUSES = ['receiving', 'held', 'completed', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
export const BATCH_SOURCES = ['json', 'csv'] as const;
export type BatchSource = (typeof BATCH_SOURCES)[number];
export const REFUSAL_REASONS = ['bad_format', 'duplicate_in_batch', 'duplicate_in_vault', 'expired'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
export const LINE_FIELDS = ['code', 'pin', 'serial', 'redemption_url', 'expires_at'] as const;
export type LineField = (typeof LINE_FIELDS)[number];

/** The hard ceiling of an inline batch (BATCH_JSON_MAX_CODES may set a lower one). */
export const JSON_CODES_CEILING = 10_000;

/**
 * One code of an inline batch. Only the types are checked here (a wrong type is a 400 naming
 * `codes.<index>.<field>`); whether a value fits the product's format is decided per line and
 * reported as a refusal of that line, as for CSV.
 */
export class BatchCodeDto {
  @ApiProperty({ example: 'ABCD-EFGH-JKLM-NPQR', description: 'the code as the buyer will receive it (leading and trailing spaces are dropped)' })
  @IsString()
  code!: string;

  @ApiPropertyOptional({ example: '4831', description: 'needed when the product’s format requires a PIN; refused when it has none' })
  @IsOptional()
  @IsString()
  pin?: string;

  @ApiPropertyOptional({ example: 'SN0001', description: 'card serial number; needed when the product’s format says so' })
  @IsOptional()
  @IsString()
  serial?: string;

  @ApiPropertyOptional({ example: 'https://redeem.example.com/?code=...', description: 'an http(s) URL where the code is redeemed' })
  @IsOptional()
  @IsString()
  redemptionUrl?: string;

  @ApiPropertyOptional({
    example: '2027-12-31',
    description: 'when the code stops working: a date (valid through that day, UTC) or an ISO 8601 date-time with a zone (Z or ±hh:mm)',
  })
  @IsOptional()
  @IsString()
  expiresAt?: string;
}

/**
 * Either inline codes (`codes`, ingested in the request) or `source: "csv"` (a batch that then
 * takes its content with `PUT /batches/{id}/content`).
 */
export class CreateBatchDto {
  @ApiProperty({ description: 'your offer the codes are for' })
  @IsUUID()
  offerId!: string;

  @ApiPropertyOptional({ type: [BatchCodeDto], description: 'inline codes (1 to BATCH_JSON_MAX_CODES); line n of the report is codes[n-1]' })
  @ValidateIf((body: CreateBatchDto) => body.source === undefined || body.codes !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(JSON_CODES_CEILING, { message: `codes holds at most ${JSON_CODES_CEILING} items; upload bigger batches as CSV` })
  @ValidateNested({ each: true })
  @Type(() => BatchCodeDto)
  codes?: BatchCodeDto[];

  @ApiPropertyOptional({ enum: ['csv'], description: '"csv": the content follows as a streamed upload' })
  @IsOptional()
  @IsIn(['csv'])
  source?: 'csv';

  @ApiPropertyOptional({ example: 'steam-cn-100-2026-03.csv', description: 'the uploaded file’s name, for your own reference' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  fileName?: string;
}

export class ListBatchesQuery extends CursorPageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  offerId?: string;

  @ApiPropertyOptional({ enum: BATCH_STATUSES })
  @IsOptional()
  @IsIn(BATCH_STATUSES)
  status?: BatchStatus;

  @ApiPropertyOptional({ description: 'operators only; a supplier always sees its own batches' })
  @IsOptional()
  @IsUUID()
  supplierId?: string;
}

export class RefusalsQuery extends CursorPageQuery {}

export class RefusedCountsDto {
  @ApiProperty() bad_format!: number;
  @ApiProperty() duplicate_in_batch!: number;
  @ApiProperty() duplicate_in_vault!: number;
  @ApiProperty() expired!: number;
}

export class BatchFailureDto {
  @ApiProperty({
    example: 'too_many_lines',
    description: 'too_many_lines, upload_aborted, unparseable_csv, line_too_long, bad_header, interrupted, upload_expired or internal_error',
  })
  code!: string;

  @ApiProperty({ description: 'in words; never any line’s content' }) detail!: string;
}

export class BatchCodeCountsDto {
  @ApiProperty({ description: 'on sale' }) available!: number;
  @ApiProperty({ description: 'held by an order not yet paid' }) reserved!: number;
  @ApiProperty({ description: 'sold to a buyer' }) sold!: number;
  @ApiProperty({ description: 'voided (by the supplier, or by the vault when they expired in stock)' }) void!: number;
  @ApiProperty({ description: 'of void: codes that reached their expiresAt unsold and left stock (never sold after it)' }) expired!: number;
}

/** A batch in a list (without the per-status code counts, which cost a scan of the batch's codes). */
export class BatchSummaryDto {
  @ApiProperty() id!: string;
  @ApiProperty() offerId!: string;
  @ApiProperty({ enum: BATCH_STATUSES }) status!: BatchStatus;
  @ApiProperty({ enum: BATCH_SOURCES }) source!: BatchSource;
  @ApiPropertyOptional({ nullable: true }) fileName!: string | null;
  @ApiProperty({ description: 'data lines read so far (accepted or refused); grows while a CSV arrives' }) linesReceived!: number;
  @ApiProperty({ description: 'codes stored; they go on sale when the batch completes' }) accepted!: number;
  @ApiProperty({ type: RefusedCountsDto }) refused!: RefusedCountsDto;
  @ApiPropertyOptional({ type: BatchFailureDto, nullable: true }) failure!: BatchFailureDto | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true }) finishedAt!: string | null;
}

export class BatchDto extends BatchSummaryDto {
  @ApiProperty({ type: BatchCodeCountsDto, description: 'the batch’s codes by state (all zero until the batch completes)' }) codes!: BatchCodeCountsDto;
}

export class BatchPageDto {
  @ApiProperty({ type: [BatchSummaryDto] }) items!: BatchSummaryDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}

export class RefusalDto {
  @ApiProperty({ description: 'the line in the file (a header row is line 1) or the 1-based index of an inline code' }) line!: number;
  @ApiProperty({ enum: REFUSAL_REASONS }) reason!: RefusalReason;
  @ApiPropertyOptional({ enum: LINE_FIELDS, description: 'bad_format: the field that does not fit' }) field?: LineField;
  @ApiPropertyOptional({ description: 'duplicate_in_batch: the line the same code first appeared on' }) firstLine?: number;
}

export class RefusalPageDto {
  @ApiProperty({ type: [RefusalDto] }) items!: RefusalDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}

/** A line whose code another supplier already held (operators only: the uploader's report says duplicate_in_vault). */
export class DuplicateSignalDto {
  @ApiProperty() id!: string;
  @ApiProperty() batchId!: string;
  @ApiProperty() line!: number;
  @ApiProperty({ description: 'the uploader' }) supplierId!: string;
  @ApiProperty({ description: 'the code already in the vault' }) holderCodeId!: string;
  @ApiProperty() holderOfferId!: string;
  @ApiProperty({ description: 'the supplier whose batch holds it' }) holderSupplierId!: string;
  @ApiProperty() detectedAt!: string;
}

export class DuplicateSignalsQuery extends CursorPageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  batchId?: string;

  @ApiPropertyOptional({ description: 'the uploader' })
  @IsOptional()
  @IsUUID()
  supplierId?: string;
}
