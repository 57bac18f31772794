import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeCursor, DomainError, invalidCursor, toCursorPage, type CursorPage, type Identity } from '@kami/platform';
import type { ListWebhookDeliveriesQuery, WebhookAttemptDto, WebhookDeliveryDetailDto, WebhookDeliveryDto, WebhookDeliveryStatus } from './webhook.dto';

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_type: string;
  order_id: string | null;
  revision: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  round: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  created_key: string;
  delivered_at: Date | null;
  failed_at: Date | null;
}

// created_key: the full-precision timestamp as text, so the cursor neither skips nor repeats rows
// created within one millisecond.
const COLUMNS = `d.id::text, d.endpoint_id::text, d.event_type, d.order_id::text, d.revision, d.status, d.attempts, d.round, d.next_attempt_at,
  d.last_status_code, d.last_error, d.created_at, d.created_at::text AS created_key, d.delivered_at, d.failed_at`;

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

function toDto(row: DeliveryRow): WebhookDeliveryDto {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    orderId: row.order_id,
    revision: row.revision,
    status: row.status,
    attempts: row.attempts,
    round: row.round,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    deliveredAt: iso(row.delivered_at),
    failedAt: iso(row.failed_at),
  };
}

export const deliveryNotFound = (): DomainError => new DomainError('webhook_delivery_not_found', 404, 'There is no such webhook delivery.');

/** The owner's view of its webhook deliveries and their attempts, and replays. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(private readonly dataSource: DataSource) {}

  async list(identity: Identity, query: ListWebhookDeliveriesQuery): Promise<CursorPage<WebhookDeliveryDto>> {
    const params: unknown[] = [identity.organisationId];
    const conditions = ['d.organisation_id = $1'];
    const param = (value: unknown): string => `$${params.push(value)}`;
    if (query.endpointId) conditions.push(`d.endpoint_id = ${param(query.endpointId)}`);
    if (query.status) conditions.push(`d.status = ${param(query.status)}`);
    if (query.cursor) {
      const [createdKey, id] = decodeCursor(query.cursor, 2);
      if (typeof createdKey !== 'string' || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(Date.parse(createdKey))) {
        throw invalidCursor();
      }
      conditions.push(`(d.created_at, d.id) < (${param(createdKey)}::timestamptz, ${param(id)}::uuid)`);
    }
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM webhook_delivery d WHERE ${conditions.join(' AND ')} ORDER BY d.created_at DESC, d.id DESC LIMIT ${param(query.limit + 1)}`,
      params,
    );
    return toCursorPage(rows, query.limit, (r) => [r.created_key, r.id], toDto);
  }

  async get(identity: Identity, id: string): Promise<WebhookDeliveryDetailDto> {
    const rows: (DeliveryRow & { payload: Record<string, unknown> })[] = await this.dataSource.query(
      `SELECT ${COLUMNS}, d.payload FROM webhook_delivery d WHERE d.id = $1 AND d.organisation_id = $2`,
      [id, identity.organisationId],
    );
    const row = rows[0];
    if (!row) throw deliveryNotFound();
    const attempts: { attempt: number; round: number; attempted_at: Date; duration_ms: number; status_code: number | null; error: string | null; succeeded: boolean }[] =
      await this.dataSource.query(
        `SELECT attempt, round, attempted_at, duration_ms, status_code, error, succeeded FROM webhook_attempt WHERE delivery_id = $1 ORDER BY attempt`,
        [id],
      );
    const attemptLog: WebhookAttemptDto[] = attempts.map((a) => ({
      attempt: a.attempt,
      round: a.round,
      attemptedAt: a.attempted_at.toISOString(),
      durationMs: a.duration_ms,
      statusCode: a.status_code,
      error: a.error,
      succeeded: a.succeeded,
    }));
    return { ...toDto(row), payload: row.payload, attemptLog };
  }

  /**
   * A new round of attempts for a delivery that is not pending: due now, with a fresh retry
   * window, the same webhook-id (receivers dedupe on it) and a fresh signature.
   */
  async replay(identity: Identity, id: string): Promise<WebhookDeliveryDto> {
    const rows: DeliveryRow[] = await this.dataSource.query(
      `WITH changed AS (UPDATE webhook_delivery d SET status = 'pending', round = d.round + 1, round_attempts = 0, first_attempt_at = NULL, next_attempt_at = now(),
              lease_token = NULL, delivered_at = NULL, failed_at = NULL, updated_at = now()
        WHERE d.id = $1 AND d.organisation_id = $2 AND d.status <> 'pending' RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [id, identity.organisationId],
    );
    if (rows[0]) return toDto(rows[0]);
    const existing: unknown[] = await this.dataSource.query(`SELECT 1 FROM webhook_delivery WHERE id = $1 AND organisation_id = $2`, [id, identity.organisationId]);
    if (existing.length === 0) throw deliveryNotFound();
    throw new DomainError('webhook_delivery_pending', 409, 'This delivery is still being attempted; replay it once it is delivered or failed.');
  }
}
