import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { decodeCursor, toCursorPage, type CursorPage, type Identity } from '@kami/platform';
import type { DisputeDecision, DisputeStatus } from './dispute-state';
import type { DisputeAttachmentDto, DisputeDto, DisputeReason, DisputeTransitionDto, ListDisputesQuery } from './dispute.dto';

/** Who looks at disputes: the buyer its own, a supplier those about its codes (never the buyer), operators all. */
export interface Viewer {
  kind: 'buyer' | 'supplier' | 'operator';
  organisationId: string;
  principalId: string;
}

export function viewerOf(identity: Identity): Viewer {
  const kind = identity.organisationType === 'merchant' ? 'buyer' : identity.organisationType === 'supplier' ? 'supplier' : 'operator';
  return { kind, organisationId: identity.organisationId, principalId: identity.principalId };
}

export type ActorType = 'buyer' | 'supplier' | 'operator' | 'vault' | 'settlement';

export interface Actor {
  type: ActorType;
  organisationId?: string;
  principalId?: string;
  eventId?: string;
}

export interface DisputeRow {
  id: string;
  code_id: string;
  buyer_id: string;
  supplier_id: string;
  order_id: string;
  line_id: string;
  product_id: string;
  offer_id: string;
  reason: DisputeReason;
  evidence: string | null;
  attachments: DisputeAttachmentDto[];
  status: DisputeStatus;
  decision: DisputeDecision | null;
  replacement_code_id: string | null;
  failure_code: string | null;
  refund_amount: string | null;
  refund_currency: string | null;
  delivered_at: Date;
  created_at: Date;
  created_key: string;
  updated_at: Date;
  resolved_at: Date | null;
}

const COLUMNS = `d.id::text, d.code_id::text, d.buyer_id::text, d.supplier_id::text, d.order_id::text, d.line_id::text, d.product_id::text,
  d.offer_id::text, d.reason, d.evidence, d.attachments, d.status, d.decision, d.replacement_code_id::text, d.failure_code,
  d.refund_amount::text, d.refund_currency, c.delivered_at, d.created_at, d.created_at::text AS created_key, d.updated_at, d.resolved_at`;

/** The caller's scope as SQL on `d` (the dispute), its parameter at `$index`. */
function scopeOf(viewer: Viewer, index: number): { sql: string; params: string[] } {
  if (viewer.kind === 'buyer') return { sql: `d.buyer_id = $${index}`, params: [viewer.organisationId] };
  if (viewer.kind === 'supplier') return { sql: `d.supplier_id = $${index}`, params: [viewer.organisationId] };
  return { sql: 'true', params: [] };
}

/** Disputes and their transitions, always read within the caller's scope; every status change is guarded by the status it leaves. */
@Injectable()
export class DisputeStore {
  async find(manager: EntityManager, id: string, viewer: Viewer | 'system', lock = false): Promise<DisputeRow | undefined> {
    const scope = viewer === 'system' ? { sql: 'true', params: [] } : scopeOf(viewer, 2);
    const rows: DisputeRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM dispute d JOIN delivered_code c ON c.code_id = d.code_id WHERE d.id = $1 AND ${scope.sql}${lock ? ' FOR UPDATE OF d' : ''}`,
      [id, ...scope.params],
    );
    return rows[0];
  }

  async list(manager: EntityManager, viewer: Viewer, query: ListDisputesQuery): Promise<CursorPage<DisputeDto>> {
    const scope = scopeOf(viewer, 1);
    const params: unknown[] = [...scope.params];
    const where = [scope.sql];
    if (query.status) where.push(`d.status = $${params.push(query.status)}`);
    if (query.orderId) where.push(`d.order_id = $${params.push(query.orderId)}`);
    if (query.cursor) {
      const [createdKey, id] = decodeCursor(query.cursor, 2);
      where.push(`(d.created_at, d.id) < ($${params.push(String(createdKey))}::timestamptz, $${params.push(String(id))}::uuid)`);
    }
    const rows: DisputeRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM dispute d JOIN delivered_code c ON c.code_id = d.code_id
        WHERE ${where.join(' AND ')} ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.push(query.limit + 1)}`,
      params,
    );
    return toCursorPage(rows, query.limit, (r) => [r.created_key, r.id], (r) => toDisputeDto(r, viewer));
  }

  async transitions(manager: EntityManager, id: string, viewer: Viewer): Promise<DisputeTransitionDto[]> {
    const rows: { from_status: DisputeStatus | null; to_status: DisputeStatus; actor_type: ActorType; actor_organisation_id: string | null; detail: string | null; at: Date }[] =
      await manager.query(`SELECT from_status, to_status, actor_type, actor_organisation_id::text, detail, at FROM dispute_transition WHERE dispute_id = $1 ORDER BY id`, [id]);
    return rows.map((t) => ({
      from: t.from_status,
      to: t.to_status,
      actor: t.actor_type,
      // Only operators see which organisation acted: a supplier never learns the buyer, nor the buyer an operator.
      ...(viewer.kind === 'operator' && t.actor_organisation_id ? { actorOrganisationId: t.actor_organisation_id } : {}),
      ...(t.detail ? { detail: t.detail } : {}),
      at: t.at.toISOString(),
    }));
  }

  /**
   * Moves the dispute from `from` to `to` (and sets the given columns) only if it is still in
   * `from`, recording who did it; false when it had moved meanwhile (nothing changed).
   */
  async move(
    manager: EntityManager,
    id: string,
    from: DisputeStatus,
    to: DisputeStatus,
    actor: Actor,
    set: { decision?: DisputeDecision; replacementCodeId?: string; failureCode?: string | null; refundAmount?: number; refundCurrency?: string; detail?: string } = {},
  ): Promise<boolean> {
    // (UPDATE ... RETURNING sits in a CTE: TypeORM answers a bare UPDATE with [rows, count].)
    const moved: unknown[] = await manager.query(
      `WITH moved AS (
       UPDATE dispute SET status = $3, updated_at = now(),
              decision = coalesce($4, decision),
              replacement_code_id = coalesce($5::bigint, replacement_code_id),
              failure_code = CASE WHEN $6::boolean THEN $7 ELSE failure_code END,
              refund_amount = coalesce($8::bigint, refund_amount),
              refund_currency = coalesce($9, refund_currency),
              resolved_at = CASE WHEN $3 IN ('replaced', 'refunded', 'rejected') THEN now() ELSE resolved_at END
        WHERE id = $1 AND status = $2 RETURNING id)
       SELECT id FROM moved`,
      [id, from, to, set.decision ?? null, set.replacementCodeId ?? null, set.failureCode !== undefined, set.failureCode ?? null, set.refundAmount ?? null, set.refundCurrency ?? null],
    );
    if (moved.length === 0) return false;
    await this.record(manager, id, from, to, actor, set.detail ?? set.failureCode ?? undefined);
    return true;
  }

  async record(manager: EntityManager, id: string, from: DisputeStatus | null, to: DisputeStatus, actor: Actor, detail?: string): Promise<void> {
    await manager.query(
      `INSERT INTO dispute_transition (dispute_id, from_status, to_status, actor_type, actor_organisation_id, actor_principal_id, detail, event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, from, to, actor.type, actor.organisationId ?? null, actor.principalId ?? null, detail ?? null, actor.eventId ?? null],
    );
  }
}

export function toDisputeDto(row: DisputeRow, viewer: Viewer): DisputeDto {
  return {
    id: row.id,
    codeId: row.code_id,
    orderId: row.order_id,
    lineId: row.line_id,
    productId: row.product_id,
    offerId: row.offer_id,
    supplierId: row.supplier_id,
    ...(viewer.kind !== 'supplier' ? { buyerId: row.buyer_id } : {}),
    reason: row.reason,
    ...(row.evidence !== null ? { evidence: row.evidence } : {}),
    attachments: row.attachments,
    status: row.status,
    ...(row.decision !== null ? { decision: row.decision } : {}),
    ...(row.replacement_code_id !== null ? { replacementCodeId: row.replacement_code_id } : {}),
    ...(row.failure_code !== null ? { failureCode: row.failure_code } : {}),
    ...(row.refund_amount !== null ? { refundAmount: Number(row.refund_amount), refundCurrency: row.refund_currency! } : {}),
    deliveredAt: row.delivered_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.resolved_at !== null ? { resolvedAt: row.resolved_at.toISOString() } : {}),
  };
}
