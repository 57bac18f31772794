import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, invalidCursor, SERVICE_CONFIG, toCursorPage, type CursorPage, type Identity } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { categoryLineage, type CommissionRates } from './commission-rules';
import type { CommissionRateChangeDto, CommissionRateChangesQueryDto, CommissionRateDto, CommissionRatesDto } from './commission-rates.dto';

type Scope = 'supplier' | 'category';

const TABLES: Record<Scope, { table: string; key: string }> = {
  supplier: { table: 'commission_rate', key: 'supplier_id' },
  category: { table: 'commission_category_rate', key: 'category_code' },
};

interface RateRow {
  subject: string;
  rate_bps: number;
  updated_by: string | null;
  updated_at: Date;
}

const toRate = (scope: Scope, r: RateRow): CommissionRateDto => ({
  scope,
  subject: r.subject,
  rateBps: r.rate_bps,
  ...(r.updated_by ? { updatedBy: r.updated_by } : {}),
  updatedAt: r.updated_at.toISOString(),
});

/**
 * Commission rates an operator sets per supplier and per category, beside the default
 * (COMMISSION_RATE_BPS). Every change is audited in commission_rate_change (who, when, old → new)
 * in the same transaction; releases read the rates in force when they run and store the rate they
 * used on each line, so a change applies to releases from then on and never rewrites one.
 */
@Injectable()
export class CommissionRatesService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: SettlementConfig,
  ) {}

  /** The rates that can apply to these lines (their suppliers', their categories' and ancestors'). */
  async ratesFor(manager: EntityManager, lines: readonly { supplierId: string; categoryCode?: string | null }[]): Promise<CommissionRates> {
    const supplierIds = [...new Set(lines.map((l) => l.supplierId))];
    const codes = [...new Set(lines.flatMap((l) => (l.categoryCode ? categoryLineage(l.categoryCode) : [])))];
    const suppliers: { supplier_id: string; rate_bps: number }[] = await manager.query(
      `SELECT supplier_id::text, rate_bps FROM commission_rate WHERE supplier_id = ANY($1::uuid[])`,
      [supplierIds],
    );
    const categories: { category_code: string; rate_bps: number }[] =
      codes.length === 0 ? [] : await manager.query(`SELECT category_code, rate_bps FROM commission_category_rate WHERE category_code = ANY($1::text[])`, [codes]);
    return {
      defaultBps: this.config.COMMISSION_RATE_BPS,
      suppliers: new Map(suppliers.map((r) => [r.supplier_id, r.rate_bps])),
      categories: new Map(categories.map((r) => [r.category_code, r.rate_bps])),
    };
  }

  async list(): Promise<CommissionRatesDto> {
    const [suppliers, categories] = await Promise.all(
      (['supplier', 'category'] as const).map(async (scope) => {
        const { table, key } = TABLES[scope];
        const rows: RateRow[] = await this.dataSource.query(`SELECT ${key}::text AS subject, rate_bps, updated_by::text, updated_at FROM ${table} ORDER BY ${key}`);
        return rows.map((r) => toRate(scope, r));
      }),
    );
    return { defaultRateBps: this.config.COMMISSION_RATE_BPS, suppliers: suppliers!, categories: categories! };
  }

  /** Sets (or with `rateBps` undefined, removes) a rate, and audits the change when there is one. */
  async set(identity: Identity, scope: Scope, subject: string, rateBps: number | undefined): Promise<CommissionRateDto | undefined> {
    const { table, key } = TABLES[scope];
    return this.dataSource.transaction(async (manager) => {
      // One change of a rate at a time, so each audit row's old value is the one it replaced
      // (FOR UPDATE alone would not serialise two first-time inserts).
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`commission:${scope}:${subject}`]);
      const before: { rate_bps: number }[] = await manager.query(`SELECT rate_bps FROM ${table} WHERE ${key} = $1`, [subject]);
      const old = before[0]?.rate_bps ?? null;
      let current: RateRow | undefined;
      if (rateBps === undefined) {
        await manager.query(`DELETE FROM ${table} WHERE ${key} = $1`, [subject]);
      } else {
        const rows: RateRow[] = await manager.query(
          `INSERT INTO ${table} (${key}, rate_bps, updated_by, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (${key}) DO UPDATE SET rate_bps = EXCLUDED.rate_bps, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
            WHERE ${table}.rate_bps <> EXCLUDED.rate_bps
           RETURNING ${key}::text AS subject, rate_bps, updated_by::text, updated_at`,
          [subject, rateBps, identity.organisationId],
        );
        current = rows[0] ?? (await manager.query(`SELECT ${key}::text AS subject, rate_bps, updated_by::text, updated_at FROM ${table} WHERE ${key} = $1`, [subject]))[0];
      }
      const next = rateBps ?? null;
      if (old !== next) {
        await manager.query(
          `INSERT INTO commission_rate_change (scope, subject, old_rate_bps, new_rate_bps, changed_by_organisation, changed_by_principal) VALUES ($1, $2, $3, $4, $5, $6)`,
          [scope, subject, old, next, identity.organisationId, `${identity.principalType}:${identity.principalId}`],
        );
      }
      return current && toRate(scope, current);
    });
  }

  /** The audit of rate changes, newest first. */
  async changes(query: CommissionRateChangesQueryDto): Promise<CursorPage<CommissionRateChangeDto>> {
    const after = query.cursor ? decodeCursor(query.cursor, 1)[0] : null;
    if (after !== null && !Number.isSafeInteger(after)) throw invalidCursor();
    const rows: {
      id: string;
      scope: Scope;
      subject: string;
      old_rate_bps: number | null;
      new_rate_bps: number | null;
      changed_by_organisation: string;
      changed_by_principal: string;
      changed_at: Date;
    }[] = await this.dataSource.query(
      `SELECT id::text, scope, subject, old_rate_bps, new_rate_bps, changed_by_organisation::text, changed_by_principal, changed_at
         FROM commission_rate_change WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
      [after, query.limit + 1],
    );
    return toCursorPage(
      rows,
      query.limit,
      (r) => [Number(r.id)],
      (r) => ({
        id: r.id,
        scope: r.scope,
        subject: r.subject,
        oldRateBps: r.old_rate_bps,
        newRateBps: r.new_rate_bps,
        changedByOrganisation: r.changed_by_organisation,
        changedByPrincipal: r.changed_by_principal,
        changedAt: r.changed_at.toISOString(),
      }),
    );
  }
}
