import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CODE_ID_PATTERN } from '@kami/contracts';
import { toInt } from '@kami/platform';

/** Codes one void request may name. */
export const MAX_VOID_CODES = 1_000;

export const CODE_STATES = ['available', 'reserved', 'sold', 'void'] as const;
export type CodeState = (typeof CODE_STATES)[number];

export class VoidReasonDto {
  @ApiPropertyOptional({ maxLength: 200, example: 'Publisher cancelled this print run' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}

export class VoidCodesDto extends VoidReasonDto {
  @ApiProperty({ type: [String], example: ['1042', '1043'], description: `1 to ${MAX_VOID_CODES} code ids of your offers` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VOID_CODES)
  @IsString({ each: true })
  @Matches(CODE_ID_PATTERN, { each: true, message: 'each code id is a decimal number without leading zeros, as a string' })
  codeIds!: string[];
}

export class NotVoidedCodeDto {
  @ApiProperty({ example: '1043' }) codeId!: string;
  @ApiProperty({ enum: ['reserved', 'sold', 'void'], description: 'why it was not voided: held by an order, sold, or void already' })
  status!: 'reserved' | 'sold' | 'void';
}

export class VoidCodesResultDto {
  @ApiProperty({ description: 'codes that were available and are void now' }) voided!: number;
  @ApiProperty({ type: [NotVoidedCodeDto] }) notVoided!: NotVoidedCodeDto[];
}

export class UnaffectedCountsDto {
  @ApiProperty() reserved!: number;
  @ApiProperty() sold!: number;
  @ApiProperty({ description: 'void before this request' }) void!: number;
}

export class VoidBatchResultDto {
  @ApiProperty() batchId!: string;
  @ApiProperty() offerId!: string;
  @ApiProperty({ description: 'codes that were available and are void now' }) voided!: number;
  @ApiProperty({ type: UnaffectedCountsDto, description: 'codes of the batch left as they were' }) unaffected!: UnaffectedCountsDto;
}

export const CODE_EVENT_TYPES = ['uploaded', 'reserved', 'released', 'expired', 'sold', 'revealed', 'voided'] as const;
export type CodeEventType = (typeof CODE_EVENT_TYPES)[number];

export class CodeEventDto {
  @ApiProperty({ enum: CODE_EVENT_TYPES }) type!: CodeEventType;
  @ApiProperty() at!: string;
  @ApiPropertyOptional({ description: 'the order (shown to its buyer and to operators only)' }) orderId?: string;
  @ApiPropertyOptional({ description: 'how a reveal reached the buyer: portal, api, stock_pull, webhook' }) channel?: string;
  @ApiPropertyOptional({ enum: ['supplier', 'expired'], description: 'why a code was voided: by its supplier, or by the vault because it reached its expiresAt in stock' })
  reason?: 'supplier' | 'expired';
}

export class CodeHistoryDto {
  @ApiProperty({ example: '1042' }) codeId!: string;
  @ApiProperty() offerId!: string;
  @ApiProperty() batchId!: string;
  @ApiProperty({ enum: CODE_STATES }) status!: CodeState;
  @ApiPropertyOptional({ nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: [CodeEventDto], description: 'oldest first' }) events!: CodeEventDto[];
}

export class OfferStockLevelsDto {
  @ApiProperty() offerId!: string;
  @ApiProperty() uploaded!: number;
  @ApiProperty() available!: number;
  @ApiProperty() reserved!: number;
  @ApiProperty() sold!: number;
  @ApiProperty() void!: number;
  @ApiPropertyOptional({ nullable: true, description: 'null until the first code was uploaded' }) updatedAt!: string | null;
}

export const DEFAULT_STOCK_HISTORY_DAYS = 7;
export const MAX_STOCK_HISTORY_DAYS = 400;
export const DEFAULT_STOCK_HISTORY_POINTS = 200;
export const MAX_STOCK_HISTORY_POINTS = 1_000;

export class StockHistoryQueryDto {
  @ApiPropertyOptional({ description: `start of the period (ISO 8601); default: ${DEFAULT_STOCK_HISTORY_DAYS} days before to` })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'end of the period (ISO 8601); default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ minimum: 2, maximum: MAX_STOCK_HISTORY_POINTS, default: DEFAULT_STOCK_HISTORY_POINTS, description: 'how many slices the period is cut into (one point each at most)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(MAX_STOCK_HISTORY_POINTS)
  points = DEFAULT_STOCK_HISTORY_POINTS;
}

export class StockHistoryPointDto {
  @ApiProperty({ description: 'when these counts were read (the first point: the start of the period, with the level then)' }) at!: string;
  @ApiProperty() uploaded!: number;
  @ApiProperty() available!: number;
  @ApiProperty() reserved!: number;
  @ApiProperty() sold!: number;
  @ApiProperty() void!: number;
}

export class StockHistoryDto {
  @ApiProperty() offerId!: string;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ description: 'the history keeps the last counts of each period of this many seconds' }) resolutionSeconds!: number;
  @ApiProperty({ type: [StockHistoryPointDto], description: 'oldest first; the counts hold from each point until the next (empty: no codes uploaded by to)' })
  points!: StockHistoryPointDto[];
}
