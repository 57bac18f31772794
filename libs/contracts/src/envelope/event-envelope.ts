import { IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

/**
 * The envelope every Kami event travels in. `payload` is validated separately against the
 * payload class registered for `type` (see `EventRegistry`).
 */
export class EventEnvelope<P extends object = Record<string, unknown>> {
  @IsUUID()
  id!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  type!: string;

  @IsISO8601({ strict: true })
  occurredAt!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  aggregateId!: string;

  @IsObject()
  payload!: P;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  traceId?: string;
}
