import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { CursorPageQuery } from '@kami/platform';

export class CreateTopupDto {
  @ApiProperty({ description: 'Minor units (fen).', example: 50_000 })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  amount!: number;

  @ApiProperty({ example: 'CNY' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as CNY' })
  currency!: string;

  @ApiProperty({ example: 'standard', description: 'A channel of the payment provider; each channel has a single-payment limit (above it: 422 `amount_over_channel_limit`).' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,31}$/, { message: 'channel must be a channel name such as standard' })
  channel!: string;
}

export const TOPUP_STATUSES = ['pending', 'succeeded', 'failed', 'expired'] as const;

export class TopupDto {
  @ApiProperty() id!: string;
  @ApiProperty() organisationId!: string;
  @ApiProperty() amount!: number;
  @ApiProperty() currency!: string;
  @ApiProperty() channel!: string;
  @ApiProperty() provider!: string;
  @ApiProperty({ enum: TOPUP_STATUSES, description: '`expired`: unpaid at `expiresAt`, the intent is closed (a payment the provider still reports credits it: `succeeded`).' })
  status!: (typeof TOPUP_STATUSES)[number];
  @ApiProperty({ enum: ['wallet', 'deposit'], description: "What it credits: a merchant's wallet, or a supplier's deposit (保证金)." }) purpose!: 'wallet' | 'deposit';
  @ApiProperty({ description: 'What the payer does next (scan the QR code, follow the redirect).' }) paymentAction!: { type: string; url: string };
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'When the payment intent closes unpaid (TOPUP_EXPIRY_SECONDS after creation).' }) expiresAt!: string;
  @ApiPropertyOptional() settledAt?: string;
}

export class TopupsQueryDto extends CursorPageQuery {
  @ApiPropertyOptional({ enum: TOPUP_STATUSES, description: '`pending`: intents still waiting for their payment (the portal offers to pay them)' })
  @IsOptional()
  @IsIn(TOPUP_STATUSES)
  status?: (typeof TOPUP_STATUSES)[number];

  @ApiPropertyOptional({ enum: ['wallet', 'deposit'] })
  @IsOptional()
  @IsIn(['wallet', 'deposit'])
  purpose?: 'wallet' | 'deposit';

  @ApiPropertyOptional({ description: 'Operators only: whose top-ups (default: everyone’s).' })
  @IsOptional()
  @IsUUID()
  organisationId?: string;
}

export class TopupPageDto {
  @ApiProperty({ type: [TopupDto] }) items!: TopupDto[];
  @ApiPropertyOptional({ nullable: true, type: String }) nextCursor!: string | null;
}
