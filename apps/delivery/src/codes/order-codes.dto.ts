import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { toInt } from '@kami/platform';
import { MAX_CODES_PER_REVEAL } from '../vault/vault-reveal.client';

/** The longest a reader may wait for an order to be delivered (the gateway gives a request 60 s). */
export const MAX_CODES_WAIT_SECONDS = 30;
export const DEFAULT_CODES_PAGE_SIZE = 100;
/** One page is one vault reveal at most. */
export const MAX_CODES_PAGE_SIZE = MAX_CODES_PER_REVEAL;

export class OrderCodesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_CODES_PAGE_SIZE, default: DEFAULT_CODES_PAGE_SIZE })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_CODES_PAGE_SIZE)
  limit = DEFAULT_CODES_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_CODES_WAIT_SECONDS,
    description: 'Long-poll: while the order is not delivered, wait up to this many seconds and answer as soon as it is; 0 or absent answers at once.',
  })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(MAX_CODES_WAIT_SECONDS)
  wait = 0;
}

export const CODES_CSV_FORMATS = ['spreadsheet', 'raw'] as const;
export type CodesCsvFormat = (typeof CODES_CSV_FORMATS)[number];

export class OrderCodesCsvQuery {
  @ApiPropertyOptional({
    enum: CODES_CSV_FORMATS,
    default: 'spreadsheet',
    description:
      "spreadsheet: safe to open in Excel/WPS (a value starting with =, +, -, @, tab or CR that is not a plain number gets a leading '); raw: every value exactly as the supplier uploaded it, for programs that import the codes (as the JSON of GET .../codes is).",
  })
  @IsOptional()
  @IsIn(CODES_CSV_FORMATS)
  format: CodesCsvFormat = 'spreadsheet';
}

/** One code of the order, revealed to its buyer. */
export class CodeDisputeDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'open, contested, replacing, replaced, replacement_failed, refunding, refunded, refund_refused, rejected' }) status!: string;
}

export class OrderCodeDto {
  @ApiProperty({ example: '1042' }) codeId!: string;
  @ApiProperty({ description: 'the order line it was sold on' }) lineId!: string;
  @ApiProperty() productId!: string;
  @ApiProperty() offerId!: string;
  @ApiProperty({ description: 'the plaintext code' }) code!: string;
  @ApiPropertyOptional() pin?: string;
  @ApiPropertyOptional() serial?: string;
  @ApiPropertyOptional() redemptionUrl?: string;
  @ApiPropertyOptional({ nullable: true }) expiresAt!: string | null;
  @ApiPropertyOptional({ type: () => CodeDisputeDto, nullable: true, description: 'the dispute about this code, if the buyer opened one (GET /api/v1/disputes/{id})' })
  dispute!: CodeDisputeDto | null;
  @ApiPropertyOptional({ description: 'the disputed code this one replaced' }) replacesCodeId?: string;
}

export const ORDER_CODES_STATUSES = ['pending', 'delivered', 'cancelled'] as const;
export type OrderCodesStatus = (typeof ORDER_CODES_STATUSES)[number];

export class OrderCodesPageDto {
  @ApiProperty() orderId!: string;
  @ApiProperty({ enum: ORDER_CODES_STATUSES, description: 'pending: not delivered yet; cancelled: it never will be (both without items)' }) status!: OrderCodesStatus;
  @ApiProperty({ type: [OrderCodeDto], description: 'in the order of the order: line by line' }) items!: OrderCodeDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}
