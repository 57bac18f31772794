import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { MAX_LINE_QUANTITY, REFUND_REASONS, REFUND_STAGES, type RefundReason, type RefundStage } from '@kami/contracts';
import { CursorPageQuery } from '@kami/platform';

export class CreateRefundDto {
  @ApiProperty()
  @IsUUID()
  orderId!: string;

  @ApiProperty({ description: 'The order line (as routed: one offer of one supplier).' })
  @IsUUID()
  lineId!: string;

  @ApiProperty({ description: 'Codes to refund at the line’s unit price.', minimum: 1, maximum: MAX_LINE_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;

  @ApiProperty({ enum: REFUND_REASONS })
  @IsIn(REFUND_REASONS)
  reason!: RefundReason;

  @ApiPropertyOptional({ description: 'The operator’s note (never a code’s plaintext).', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  note?: string;
}

export class RefundsQueryDto extends CursorPageQuery {
  @ApiProperty()
  @IsUUID()
  orderId!: string;
}

export class RefundDto {
  @ApiProperty() id!: string;
  @ApiProperty() orderId!: string;
  @ApiProperty() lineId!: string;
  @ApiPropertyOptional({ description: 'Not shown to suppliers.' }) buyerId?: string;
  @ApiProperty() supplierId!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({ description: 'Minor units (fen).' }) unitPrice!: number;
  @ApiProperty({ description: 'quantity × unitPrice, back in the buyer’s wallet.' }) amount!: number;
  @ApiProperty() currency!: string;
  @ApiProperty({ enum: REFUND_REASONS }) reason!: RefundReason;
  @ApiPropertyOptional() note?: string;
  @ApiProperty({ enum: REFUND_STAGES, description: 'before_release: from escrow; after_release: from commission, then the supplier’s payable and deposit.' }) stage!: RefundStage;
  @ApiProperty() fromEscrow!: number;
  @ApiProperty() commissionReversed!: number;
  @ApiProperty() fromPayable!: number;
  @ApiProperty() fromDeposit!: number;
  @ApiPropertyOptional({ description: 'The dispute’s refund request id, for refunds requested over Kafka.' }) requestId?: string;
  @ApiPropertyOptional() disputeId?: string;
  @ApiProperty() createdAt!: string;
}
