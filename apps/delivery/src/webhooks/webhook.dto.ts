import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { CursorPageQuery } from '@kami/platform';

/** The events an endpoint may subscribe to: its orders' changes, and its purchased stock falling below a product's threshold. */
export const WEBHOOK_EVENT_TYPES = ['order.placed', 'order.delivered', 'order.cancelled', 'stock.low'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const MAX_WEBHOOK_URL_LENGTH = 2_000;

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://shop.example.com/kami/webhooks', description: 'https; must resolve to public addresses only' })
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events!: WebhookEventType[];

  @ApiPropertyOptional({ default: false, description: 'order.delivered of a codes order carries each code’s plaintext (revealed at send time, audited)' })
  @IsOptional()
  @IsBoolean()
  includeCodes?: boolean;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

/** Any of the endpoint's settings (validated as at creation), and whether it is enabled. */
export class UpdateWebhookEndpointDto extends PartialType(CreateWebhookEndpointDto) {
  @ApiPropertyOptional({ description: 'a disabled endpoint gets no new deliveries and its pending ones wait' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookEndpointDto {
  @ApiProperty() id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) events!: WebhookEventType[];
  @ApiProperty() includeCodes!: boolean;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class WebhookEndpointListDto {
  @ApiProperty({ type: [WebhookEndpointDto] }) items!: WebhookEndpointDto[];
}

export class WebhookEndpointWithSecretDto extends WebhookEndpointDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'the signing secret: shown only in this answer; keep it' })
  secret!: string;
}

export class RotatedSecretDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'the new signing secret: shown only in this answer' }) secret!: string;
  @ApiProperty({ description: 'until then every webhook also carries a signature with the previous secret' }) previousSecretValidUntil!: string;
}

export class ListWebhookDeliveriesQuery extends CursorPageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  endpointId?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(WEBHOOK_DELIVERY_STATUSES)
  status?: WebhookDeliveryStatus;
}

export class WebhookDeliveryDto {
  @ApiProperty({ description: 'also the webhook-id header of every attempt (receivers dedupe on it)' }) id!: string;
  @ApiProperty() endpointId!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) eventType!: string;
  @ApiProperty({ nullable: true, type: String }) orderId!: string | null;
  @ApiProperty() revision!: number;
  @ApiProperty({ enum: WEBHOOK_DELIVERY_STATUSES }) status!: WebhookDeliveryStatus;
  @ApiProperty({ description: 'attempts so far, over every round' }) attempts!: number;
  @ApiProperty({ description: '1, then one more per replay' }) round!: number;
  @ApiProperty({ nullable: true, type: String }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) lastStatusCode!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) deliveredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) failedAt!: string | null;
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) items!: WebhookDeliveryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class WebhookAttemptDto {
  @ApiProperty() attempt!: number;
  @ApiProperty() round!: number;
  @ApiProperty() attemptedAt!: string;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'the receiver’s HTTP status; null when none came' }) statusCode!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() succeeded!: boolean;
}

export class WebhookDeliveryDetailDto extends WebhookDeliveryDto {
  @ApiProperty({ description: 'the body sent, without plaintext codes (those are added at send time and never stored)' })
  payload!: Record<string, unknown>;

  @ApiProperty({ type: [WebhookAttemptDto] }) attemptLog!: WebhookAttemptDto[];
}
