import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { MAX_STOCK_PULLS_PER_BATCH, ORGANISATION_TYPES, type OrganisationType, type StockPullBatchEntry, type StockPullBatchOutcome, type StockPullBatchRequest } from '@kami/contracts';
import { ROLES, type Role } from '@kami/platform';

/** The identity the gateway verified for one pull (what its signed identity header would carry). */
export class BatchedIdentityDto {
  @ApiProperty() @IsUUID() organisationId!: string;
  @ApiProperty({ enum: ORGANISATION_TYPES }) @IsIn(ORGANISATION_TYPES) organisationType!: OrganisationType;
  @ApiProperty({ enum: ['user', 'api_key'] }) @IsIn(['user', 'api_key']) principalType!: 'user' | 'api_key';
  @ApiProperty() @IsString() @MaxLength(128) principalId!: string;
  @ApiProperty({ enum: ROLES, isArray: true }) @IsArray() @ArrayMaxSize(ROLES.length) @IsIn(ROLES, { each: true }) roles!: Role[];
}

export class StockPullBatchEntryDto implements StockPullBatchEntry {
  @ApiProperty({ type: BatchedIdentityDto }) @ValidateNested() @Type(() => BatchedIdentityDto) identity!: BatchedIdentityDto;
  @ApiProperty() @IsUUID() productId!: string;
  @ApiPropertyOptional({ nullable: true, description: 'the Idempotency-Key header as the client sent it (parsed here, as on the public route)' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  idempotencyKey!: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(/^[\w.:-]{8,128}$/) requestId?: string;
}

export class StockPullBatchRequestDto implements StockPullBatchRequest {
  @ApiProperty({ type: [StockPullBatchEntryDto], description: `1 to ${MAX_STOCK_PULLS_PER_BATCH} pulls` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STOCK_PULLS_PER_BATCH)
  @ValidateNested({ each: true })
  @Type(() => StockPullBatchEntryDto)
  pulls!: StockPullBatchEntryDto[];
}

export class StockPullBatchResponseDto {
  @ApiProperty({ description: 'each pull, in the order asked: { status: 200, body: the pulled code } or { status, problem }' })
  pulls!: StockPullBatchOutcome[];
}
