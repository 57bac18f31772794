import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, Messaging, toCursorPage, ValidationFailedError, type CursorPage, type Identity } from '@kami/platform';
import { recordAudit } from '../audit/audit-log';
import { BrandsService } from '../brands/brands.service';
import { authorisationAlreadyPending, authorisationNotFound, invalidAuthorisationTransition } from '../catalog.errors';
import { OfferLifecycle } from '../offers/offer-lifecycle';
import type { ApplyForBrandDto, BrandAuthorisationDto, ListAuthorisationsQuery } from './brand-authorisation.dto';
import { BrandAuthorisationEntity, type AuthorisationStatus } from './brand-authorisation.entity';
import { readProof } from './proof-document';

const MAX_AUTHORISATION_YEARS = 5;

type Row = BrandAuthorisationEntity & { brandName: string; createdAtText: string };

function toDto(row: Row): BrandAuthorisationDto {
  return {
    id: row.id,
    supplierId: row.supplierId,
    brand: { id: row.brandId, name: row.brandName },
    status: row.status,
    note: row.note,
    proof: { fileName: row.proofFileName, contentType: row.proofContentType, size: row.proofSize, sha256: row.proofSha256 },
    expiresAt: row.expiresAt?.toISOString() ?? null,
    decisionReason: row.decisionReason,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Brand authorisations, the whitelist that keeps pirated goods out: a supplier applies with
 * proof, an operator approves (until an expiry date), rejects or revokes. Losing the last valid
 * authorisation for a brand pauses the supplier's active offers of it.
 */
@Injectable()
export class BrandAuthorisationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly brands: BrandsService,
    private readonly offerLifecycle: OfferLifecycle,
  ) {}

  async apply(identity: Identity, input: ApplyForBrandDto): Promise<BrandAuthorisationDto> {
    const brand = await this.brands.getForInput(input.brandId);
    const proof = readProof(input.proof);
    if (Array.isArray(proof)) throw new ValidationFailedError(proof);
    const id = randomUUID();
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.getRepository(BrandAuthorisationEntity).insert({
          id,
          supplierId: identity.organisationId,
          brandId: brand.id,
          status: 'pending',
          note: input.note ?? '',
          proofFileName: proof.fileName,
          proofContentType: proof.contentType,
          proofSize: proof.content.length,
          proofSha256: proof.sha256,
          proofContent: proof.content,
        });
        await recordAudit(manager, identity, 'brand_authorisation.applied', { type: 'brand_authorisation', id }, { brandId: brand.id, proofSha256: proof.sha256 });
      });
    } catch (error) {
      const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
      if (driverError?.code === '23505' && driverError.constraint === 'UQ_BRAND_AUTHORISATION_PENDING') throw authorisationAlreadyPending();
      throw error;
    }
    return this.get(identity, id);
  }

  async list(identity: Identity, query: ListAuthorisationsQuery): Promise<CursorPage<BrandAuthorisationDto>> {
    const builder = this.rows(this.dataSource.manager).orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').limit(query.limit + 1);
    if (identity.organisationType !== 'operator') builder.andWhere('a.supplier_id = :own', { own: identity.organisationId });
    else if (query.supplierId) builder.andWhere('a.supplier_id = :supplierId', { supplierId: query.supplierId });
    if (query.status) builder.andWhere('a.status = :status', { status: query.status });
    if (query.brandId) builder.andWhere('a.brand_id = :brandId', { brandId: query.brandId });
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, 2);
      builder.andWhere('(a.created_at, a.id) < (:createdAt::timestamptz, :id::uuid)', { createdAt, id });
    }
    const rows = await this.fetch(builder);
    return toCursorPage(rows, query.limit, (row) => [row.createdAtText, row.id], toDto);
  }

  async get(identity: Identity, id: string): Promise<BrandAuthorisationDto> {
    return toDto(await this.find(this.dataSource.manager, identity, id));
  }

  async proof(identity: Identity, id: string): Promise<{ fileName: string; contentType: string; content: Buffer }> {
    const visible = await this.find(this.dataSource.manager, identity, id);
    const { proofContent } = await this.dataSource.getRepository(BrandAuthorisationEntity).findOneOrFail({ where: { id }, select: { id: true, proofContent: true } });
    return { fileName: visible.proofFileName, contentType: visible.proofContentType, content: proofContent };
  }

  async approve(identity: Identity, id: string, expiresAt: string): Promise<BrandAuthorisationDto> {
    const expiry = new Date(expiresAt);
    const latest = new Date();
    latest.setFullYear(latest.getFullYear() + MAX_AUTHORISATION_YEARS);
    if (!(expiry.getTime() > Date.now()) || expiry > latest) {
      throw new ValidationFailedError([{ field: 'expiresAt', messages: [`must be in the future and within ${MAX_AUTHORISATION_YEARS} years`] }]);
    }
    return this.decide(identity, id, 'pending', 'approved', { expiresAt: expiry });
  }

  async reject(identity: Identity, id: string, reason: string): Promise<BrandAuthorisationDto> {
    return this.decide(identity, id, 'pending', 'rejected', { decisionReason: reason });
  }

  async revoke(identity: Identity, id: string, reason: string, traceId?: string): Promise<BrandAuthorisationDto> {
    return this.decide(identity, id, 'approved', 'revoked', { decisionReason: reason }, traceId);
  }

  /**
   * Marks approved authorisations whose expiry has passed as expired and pauses what they
   * covered. Rows are claimed with SKIP LOCKED, so several catalog instances can sweep at once.
   */
  async expireLapsed(batchSize = 100): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const lapsed: { id: string; supplier_id: string; brand_id: string }[] = await manager.query(
        `SELECT id, supplier_id, brand_id FROM brand_authorisation
          WHERE status = 'approved' AND expires_at <= now()
          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      for (const row of lapsed) {
        await manager.query(`UPDATE brand_authorisation SET status = 'expired', updated_at = now() WHERE id = $1`, [row.id]);
        await recordAudit(manager, 'system', 'brand_authorisation.expired', { type: 'brand_authorisation', id: row.id });
        if (!(await this.holdsValidAuthorisation(manager, row.supplier_id, row.brand_id))) {
          await this.offerLifecycle.pauseActive(manager, { supplierId: row.supplier_id, brandId: row.brand_id }, 'brand_authorisation_expired', 'system');
        }
      }
      if (lapsed.length > 0) this.messaging.relay.nudge();
      return lapsed.length;
    });
  }

  /**
   * Whether the supplier may sell the brand right now. With `lock`, the authorisation row is held
   * (FOR SHARE) until the caller commits, so a revocation running at the same moment either
   * waits for the caller (and then pauses what it activated) or wins and the caller sees no row.
   */
  async holdsValidAuthorisation(manager: EntityManager, supplierId: string, brandId: string, lock = false): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT id FROM brand_authorisation
        WHERE supplier_id = $1 AND brand_id = $2 AND status = 'approved' AND expires_at > now()
        LIMIT 1 ${lock ? 'FOR SHARE' : ''}`,
      [supplierId, brandId],
    );
    return rows.length > 0;
  }

  private async decide(
    identity: Identity,
    id: string,
    from: AuthorisationStatus,
    to: AuthorisationStatus,
    changes: { expiresAt?: Date; decisionReason?: string },
    traceId?: string,
  ): Promise<BrandAuthorisationDto> {
    const action = { approved: 'approved', rejected: 'rejected', revoked: 'revoked', pending: 'reopened', expired: 'expired' }[to];
    let pausedOfferIds: string[] = [];
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(BrandAuthorisationEntity);
      const current = await repository.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw authorisationNotFound();
      if (current.status !== from) throw invalidAuthorisationTransition(current.status, action);
      await repository.update({ id }, { status: to, ...changes, decidedBy: identity.organisationId, decidedAt: new Date() });
      await recordAudit(manager, identity, `brand_authorisation.${to}`, { type: 'brand_authorisation', id }, {
        supplierId: current.supplierId,
        brandId: current.brandId,
        expiresAt: changes.expiresAt?.toISOString() ?? null,
        reason: changes.decisionReason ?? null,
      });
      if (to === 'revoked' && !(await this.holdsValidAuthorisation(manager, current.supplierId, current.brandId))) {
        pausedOfferIds = await this.offerLifecycle.pauseActive(manager, { supplierId: current.supplierId, brandId: current.brandId }, 'brand_authorisation_revoked', identity, traceId);
      }
    });
    if (pausedOfferIds.length > 0) this.messaging.relay.nudge();
    return { ...(await this.get(identity, id)), ...(to === 'revoked' ? { pausedOfferIds } : {}) };
  }

  private rows(manager: EntityManager) {
    return manager
      .getRepository(BrandAuthorisationEntity)
      .createQueryBuilder('a')
      .innerJoin('brand', 'b', 'b.id = a.brand_id')
      .addSelect('b.name', 'brand_name')
      // Exact (microsecond) creation time for cursors; a JS Date keeps milliseconds only.
      .addSelect('a.created_at::text', 'created_at_text');
  }

  private async fetch(builder: ReturnType<BrandAuthorisationsService['rows']>): Promise<Row[]> {
    const { entities, raw } = await builder.getRawAndEntities<{ brand_name: string; created_at_text: string }>();
    return entities.map((entity, i) => Object.assign(entity, { brandName: raw[i]!.brand_name, createdAtText: raw[i]!.created_at_text }));
  }

  /** Suppliers see their own authorisations only; another's is "not found". */
  private async find(manager: EntityManager, identity: Identity, id: string): Promise<Row> {
    const builder = this.rows(manager).where('a.id = :id', { id });
    if (identity.organisationType !== 'operator') builder.andWhere('a.supplier_id = :own', { own: identity.organisationId });
    const [row] = await this.fetch(builder);
    if (!row) throw authorisationNotFound();
    return row;
  }
}
