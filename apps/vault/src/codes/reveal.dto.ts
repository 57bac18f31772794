import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateIf, ValidateNested } from 'class-validator';
import { CODE_ID_PATTERN } from '@kami/contracts';

/** Codes one reveal may hand out (by codeIds, or all of one order). */
export const MAX_REVEAL_CODES = 1_000;

export const REVEAL_CHANNELS = ['portal', 'api', 'stock_pull', 'webhook'] as const;
export type RevealChannel = (typeof REVEAL_CHANNELS)[number];

/** Who asks for which codes of which buyer, and why: exactly one of codeIds and orderId. */
export class RevealRequestDto {
  @ApiProperty({ description: 'the organisation the codes were sold to' })
  @IsUUID()
  buyerId!: string;

  @ApiPropertyOptional({ type: [String], example: ['1042', '1043'], description: `1 to ${MAX_REVEAL_CODES} code ids; not with orderId` })
  @ValidateIf((dto: RevealRequestDto) => dto.codeIds !== undefined || dto.orderId === undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REVEAL_CODES)
  @IsString({ each: true })
  @Matches(CODE_ID_PATTERN, { each: true, message: 'each code id is a decimal number without leading zeros, as a string' })
  codeIds?: string[];

  @ApiPropertyOptional({ description: `every code sold to the buyer in this order (at most ${MAX_REVEAL_CODES}); not with codeIds` })
  @ValidateIf((dto: RevealRequestDto) => dto.orderId !== undefined || dto.codeIds === undefined)
  @IsUUID(undefined, { message: 'give exactly one of codeIds and orderId; orderId must be a UUID' })
  orderId?: string;

  @ApiProperty({ enum: REVEAL_CHANNELS })
  @IsIn(REVEAL_CHANNELS)
  channel!: RevealChannel;

  @ApiPropertyOptional({ description: 'who at the buyer asked: a user id or an API key id' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'why, in a few words (e.g. csv_download)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  purpose?: string;
}

export class RevealedCodeDto {
  @ApiProperty({ example: '1042' }) codeId!: string;
  @ApiProperty() offerId!: string;
  @ApiPropertyOptional({ nullable: true }) orderId!: string | null;
  @ApiProperty({ description: 'the order line the code was sold on' }) lineId!: string;
  @ApiProperty({ description: 'the plaintext code' }) code!: string;
  @ApiPropertyOptional() pin?: string;
  @ApiPropertyOptional() serial?: string;
  @ApiPropertyOptional() redemptionUrl?: string;
  @ApiPropertyOptional({ nullable: true }) expiresAt!: string | null;
}

export class RevealResponseDto {
  @ApiProperty({ description: 'the audit record of this reveal' }) revealId!: string;
  @ApiProperty({ type: [RevealedCodeDto] }) codes!: RevealedCodeDto[];
}

/** The most reveals one batch carries (and the most codes, MAX_REVEAL_CODES, in all). */
export const MAX_BATCHED_REVEALS = 1_000;

/** One reveal of a batch: by code ids only. */
export class RevealBatchEntryDto extends OmitType(RevealRequestDto, ['codeIds', 'orderId'] as const) {
  @ApiProperty({ type: [String], example: ['1042'], description: `1 to ${MAX_REVEAL_CODES} code ids` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REVEAL_CODES)
  @IsString({ each: true })
  @Matches(CODE_ID_PATTERN, { each: true, message: 'each code id is a decimal number without leading zeros, as a string' })
  codeIds!: string[];
}

export class RevealBatchRequestDto {
  @ApiProperty({ type: [RevealBatchEntryDto], description: `1 to ${MAX_BATCHED_REVEALS} reveals, at most ${MAX_REVEAL_CODES} codes in all` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCHED_REVEALS)
  @ValidateNested({ each: true })
  @Type(() => RevealBatchEntryDto)
  reveals!: RevealBatchEntryDto[];
}

/** Each reveal's outcome, in the order asked: its record and codes, or why it was refused (naming no code). */
export class RevealBatchResultDto {
  @ApiPropertyOptional({ description: 'the audit record of this reveal (when granted)' }) revealId?: string;
  @ApiPropertyOptional({ type: [RevealedCodeDto] }) codes?: RevealedCodeDto[];
  @ApiPropertyOptional({ enum: ['codes_not_found'], description: 'refused: some code is not sold to that buyer' }) error?: 'codes_not_found';
}

export class RevealBatchResponseDto {
  @ApiProperty({ type: [RevealBatchResultDto] }) reveals!: RevealBatchResultDto[];
}
