import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { CODE_ID_PATTERN } from '@kami/contracts';
import { CursorPageQuery } from '@kami/platform';
import { DISPUTE_DECISIONS, DISPUTE_STATUSES, type DisputeDecision, type DisputeStatus } from './dispute-state';

/** Why a buyer disputes a code (each is also a reason settlement records on a refund). */
export const DISPUTE_REASONS = ['code_invalid', 'code_already_redeemed', 'code_not_delivered', 'other'] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

export const MAX_EVIDENCE_LENGTH = 2000;
export const MAX_ATTACHMENTS = 5;
const ATTACHMENT_TYPES = ['image/png', 'image/jpeg', 'application/pdf', 'text/plain'] as const;

/** What the buyer says it holds as evidence (a screenshot of the redemption error, …): metadata only, the file stays with the buyer. */
export class DisputeAttachmentDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MaxLength(200)
  fileName!: string;

  @ApiProperty({ enum: ATTACHMENT_TYPES })
  @IsIn(ATTACHMENT_TYPES)
  contentType!: string;

  @ApiProperty({ description: 'bytes', maximum: 10_485_760 })
  @IsInt()
  @Min(1)
  @Max(10_485_760)
  size!: number;

  @ApiPropertyOptional({ description: 'SHA-256 of the file, hex' })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/)
  sha256?: string;
}

export class CreateDisputeDto {
  @ApiProperty({ example: '1042', description: 'a code delivered to you (its id, as the order codes and stock routes show it)' })
  @Matches(CODE_ID_PATTERN, { message: 'codeId must be a code id (a positive decimal number)' })
  codeId!: string;

  @ApiProperty({ enum: DISPUTE_REASONS })
  @IsIn(DISPUTE_REASONS)
  reason!: DisputeReason;

  @ApiPropertyOptional({ maxLength: MAX_EVIDENCE_LENGTH, description: 'what happened (never paste another code’s plaintext here)' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_EVIDENCE_LENGTH)
  evidence?: string;

  @ApiPropertyOptional({ type: [DisputeAttachmentDto], maxItems: MAX_ATTACHMENTS })
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => DisputeAttachmentDto)
  @ArrayMaxSize(MAX_ATTACHMENTS)
  attachments?: DisputeAttachmentDto[];
}

export class ResolveDisputeDto {
  @ApiProperty({ enum: DISPUTE_DECISIONS })
  @IsIn(DISPUTE_DECISIONS)
  decision!: DisputeDecision;
}

export class ListDisputesQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: DISPUTE_STATUSES })
  @IsOptional()
  @IsIn(DISPUTE_STATUSES)
  status?: DisputeStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  orderId?: string;
}

export class DisputeTransitionDto {
  @ApiProperty({ nullable: true, enum: DISPUTE_STATUSES }) from!: DisputeStatus | null;
  @ApiProperty({ enum: DISPUTE_STATUSES }) to!: DisputeStatus;
  @ApiProperty({ enum: ['buyer', 'supplier', 'operator', 'vault', 'settlement'] }) actor!: string;
  @ApiPropertyOptional({ description: 'operators only: the organisation that acted' }) actorOrganisationId?: string;
  @ApiPropertyOptional({ description: 'e.g. out_of_stock, refund_not_covered' }) detail?: string;
  @ApiProperty() at!: string;
}

export class DisputeDto {
  @ApiProperty() id!: string;
  @ApiProperty() codeId!: string;
  @ApiProperty() orderId!: string;
  @ApiProperty() lineId!: string;
  @ApiProperty() productId!: string;
  @ApiProperty() offerId!: string;
  @ApiProperty() supplierId!: string;
  @ApiPropertyOptional({ description: 'not shown to suppliers' }) buyerId?: string;
  @ApiProperty({ enum: DISPUTE_REASONS }) reason!: DisputeReason;
  @ApiPropertyOptional() evidence?: string;
  @ApiProperty({ type: [DisputeAttachmentDto] }) attachments!: DisputeAttachmentDto[];
  @ApiProperty({ enum: DISPUTE_STATUSES }) status!: DisputeStatus;
  @ApiPropertyOptional({ enum: DISPUTE_DECISIONS, description: 'the latest decision taken (by the supplier or an operator)' }) decision?: DisputeDecision;
  @ApiPropertyOptional({ description: 'the code the buyer got instead (replaced): read it like the order’s other codes' }) replacementCodeId?: string;
  @ApiPropertyOptional({ description: 'why the last replacement or refund failed' }) failureCode?: string;
  @ApiPropertyOptional({ description: 'refunded: minor units (fen) back in the buyer’s wallet' }) refundAmount?: number;
  @ApiPropertyOptional() refundCurrency?: string;
  @ApiProperty() deliveredAt!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional() resolvedAt?: string;
  @ApiPropertyOptional({ type: [DisputeTransitionDto], description: 'one dispute only, not in lists' }) transitions?: DisputeTransitionDto[];
}

export class DisputePageDto {
  @ApiProperty({ type: [DisputeDto] }) items!: DisputeDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
