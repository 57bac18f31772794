import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { CODE_ID_PATTERN } from '@kami/contracts';

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
