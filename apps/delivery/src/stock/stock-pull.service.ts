import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { GroupCommitter, idempotencyKeyRequired, idempotencyKeyReused, parseIdempotencyKey, type Identity } from '@kami/platform';
import { withdrawnError, type WithdrawnReason } from '../codes/withdrawn-codes';
import { codesNotAvailable, VaultRevealClient, type RevealedCode } from '../vault/vault-reveal.client';
import { Restock } from './restock';
import type { PulledCodeDto } from './stock.dto';
import { stockExhausted } from './stock.errors';
import { AVAILABLE_STOCK, StockLevels } from './stock-levels';

interface PullRequest {
  buyerId: string;
  productId: string;
  key: string;
  actor: string;
}

interface Taken {
  productId: string;
  codeId: string | null;
  retry: boolean;
  /** A retried key's code taken back since (refunded or replaced): not revealed again. */
  withdrawn: WithdrawnReason | null;
}

interface RevealOne {
  buyerId: string;
  codeId: string;
  actor: string;
  purpose: 'stock_pull' | 'stock_pull_retry';
}

/** Pulls (and reveals) taken together at most: one transaction, one vault request. */
const MAX_PULLS_PER_BATCH = 200;
/** Batches in flight at once: the next one is claimed while the vault reveals the last. */
const PULL_BATCHES_IN_FLIGHT = 2;

/**
 * Pull from purchased stock (SPEC flow 4): one code of the merchant's stock of a product per
 * Idempotency-Key. The key's row and the claimed code commit in one transaction, so a retried key
 * (even after a crash, or while the first request still runs: it waits on the key's row) answers
 * the same code, or the same `stock_exhausted` (or 410 `code_refunded` / `code_replaced` once the
 * code was taken back from the buyer). The platform's idempotency interceptor is not used
 * on purpose: it would store the response, and so the plaintext, in this database; here only the
 * code id is kept and every answer, retries included, is an audited reveal by the vault.
 *
 * Pulls that arrive together are grouped (group commit): one transaction claims a code for each,
 * and one vault request reveals them, each still its own audited reveal with its own actor. Under
 * light load a pull goes alone, at once; under a storefront's burst, one round trip serves many.
 */
@Injectable()
export class StockPullService implements OnModuleDestroy {
  private readonly takes = new GroupCommitter<PullRequest, Taken>((batch) => this.takeAll(batch), {
    maxBatch: MAX_PULLS_PER_BATCH,
    maxInFlight: PULL_BATCHES_IN_FLIGHT,
  });
  private readonly reveals = new GroupCommitter<RevealOne, RevealedCode | undefined>((batch) => this.revealAll(batch), {
    maxBatch: MAX_PULLS_PER_BATCH,
    maxInFlight: PULL_BATCHES_IN_FLIGHT,
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly vault: VaultRevealClient,
    private readonly levels: StockLevels,
    private readonly restock: Restock,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.takes.close();
    await this.reveals.close();
  }

  /** One pull, by the request's Idempotency-Key header as received (required: 400 without one). */
  async pull(identity: Identity, productId: string, idempotencyKeyHeader: string | undefined): Promise<PulledCodeDto> {
    const key = parseIdempotencyKey(idempotencyKeyHeader);
    if (key === undefined) throw idempotencyKeyRequired();
    const buyerId = identity.organisationId;
    const taken = await this.takes.submit({ buyerId, productId, key, actor: identity.principalId });
    if (taken.productId !== productId) throw idempotencyKeyReused();
    if (taken.codeId === null) throw stockExhausted(productId);
    if (taken.withdrawn) throw withdrawnError(taken.withdrawn);
    const code = await this.reveals.submit({ buyerId, codeId: taken.codeId, actor: identity.principalId, purpose: taken.retry ? 'stock_pull_retry' : 'stock_pull' });
    if (!code) throw codesNotAvailable();
    return {
      codeId: code.codeId,
      productId,
      code: code.code,
      ...(code.pin !== undefined ? { pin: code.pin } : {}),
      ...(code.serial !== undefined ? { serial: code.serial } : {}),
      ...(code.redemptionUrl !== undefined ? { redemptionUrl: code.redemptionUrl } : {}),
      expiresAt: code.expiresAt,
    };
  }

  /** One vault request for the batch: each pull its own reveal (its actor, its purpose); undefined where the vault refused one. */
  private async revealAll(batch: RevealOne[]): Promise<(RevealedCode | undefined)[]> {
    const outcomes = await this.vault.revealBatch(batch.map((one) => ({ buyerId: one.buyerId, codeIds: [one.codeId], channel: 'stock_pull', actor: one.actor, purpose: one.purpose })));
    return outcomes.map((outcome) => outcome?.[0]);
  }

  /**
   * The batch's keys and codes: per (buyer, product), one statement that claims the codes and
   * writes the keys' rows together (atomic on its own: no transaction, no BEGIN and COMMIT round
   * trips), products in one sorted order; then, in one statement, what retried keys hold. Where a
   * product has a low-stock threshold or a restock rule (the claim says so), the stock watch runs
   * right after, in a transaction of its own, before the pull is answered.
   */
  private async takeAll(batch: PullRequest[]): Promise<Taken[]> {
    const manager = this.dataSource.manager;
    const taken = new Array<Taken>(batch.length);
    // Per (buyer, product), in arrival order; a key's second request in the batch is a retry (below).
    const groups = new Map<string, number[]>();
    const seen = new Set<string>();
    batch.forEach((p, i) => {
      const id = `${p.buyerId} ${p.key}`;
      if (seen.has(id)) return;
      seen.add(id);
      const group = `${p.buyerId} ${p.productId}`;
      const indices = groups.get(group) ?? [];
      indices.push(i);
      groups.set(group, indices);
    });
    for (const [, indices] of [...groups.entries()].sort(([a], [b]) => compare(a, b))) {
      const { buyerId, productId } = batch[indices[0]!]!;
      const claim = await this.claim(manager, buyerId, productId, indices.map((i) => batch[i]!));
      for (const i of indices) {
        const key = batch[i]!.key;
        if (claim.kept.has(key)) taken[i] = { productId, codeId: claim.kept.get(key) ?? null, retry: false, withdrawn: null };
      }
      if (claim.threshold !== null || claim.hasRule) {
        await this.dataSource.transaction((watching) => this.watch(watching, buyerId, productId, claim.threshold));
      }
    }
    // Retried keys (or a key twice in this batch): what their row holds.
    const retried = batch.map((_, i) => i).filter((i) => taken[i] === undefined);
    if (retried.length > 0) {
      const rows: { buyer_id: string; idempotency_key: string; product_id: string; code_id: string | null; withdrawn: WithdrawnReason | null }[] = await manager.query(
        `SELECT p.buyer_id::text, p.idempotency_key, p.product_id::text, p.code_id::text, c.withdrawn_reason AS withdrawn
           FROM stock_pull p LEFT JOIN delivered_code c ON c.code_id = p.code_id
          WHERE (p.buyer_id, p.idempotency_key) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))`,
        [retried.map((i) => batch[i]!.buyerId), retried.map((i) => batch[i]!.key)],
      );
      const byKey = new Map(rows.map((row) => [`${row.buyer_id} ${row.idempotency_key}`, row]));
      for (const i of retried) {
        const row = byKey.get(`${batch[i]!.buyerId} ${batch[i]!.key}`)!;
        taken[i] = { productId: row.product_id, codeId: row.code_id, retry: true, withdrawn: row.withdrawn };
      }
    }
    return taken;
  }

  /**
   * For the pulls of one buyer's product: each key without a row yet gets the next code, oldest
   * first, in arrival order (none when the stock is out), and its row, in one statement. A key whose
   * row appeared meanwhile (a concurrent request with it) inserts nothing and its code is not taken
   * (locked, then left): it is answered from that row. Returns the keys written with their codes
   * (null: stock exhausted), and what the stock watch needs to know.
   */
  private async claim(
    manager: EntityManager,
    buyerId: string,
    productId: string,
    pulls: PullRequest[],
  ): Promise<{ kept: Map<string, string | null>; threshold: number | null; hasRule: boolean }> {
    const rows: { kept: { key: string; codeId: string | null }[] | null; threshold: number | null; has_rule: boolean }[] = await manager.query(
      `WITH asked AS (
         SELECT k.idempotency_key, k.actor, k.n FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS k(idempotency_key, actor, n)
          WHERE NOT EXISTS (SELECT 1 FROM stock_pull p WHERE p.buyer_id = $1 AND p.idempotency_key = k.idempotency_key)),
       next AS (
         -- Codes other pulls hold right now are skipped, not waited for (each is theirs).
         SELECT code_id, row_number() OVER (ORDER BY delivered_at, code_id) AS n FROM (
           SELECT code_id, delivered_at FROM delivered_code WHERE buyer_id = $1 AND product_id = $2 AND ${AVAILABLE_STOCK}
            ORDER BY delivered_at, code_id LIMIT (SELECT count(*) FROM asked) FOR UPDATE SKIP LOCKED) oldest),
       paired AS (
         SELECT a.idempotency_key, a.actor, next.code_id
           FROM (SELECT idempotency_key, actor, row_number() OVER (ORDER BY n) AS n FROM asked) a LEFT JOIN next ON next.n = a.n),
       kept AS (
         -- In key order: two statements with the same new keys wait on each other's rows the same way round.
         INSERT INTO stock_pull (buyer_id, idempotency_key, product_id, actor, code_id)
         SELECT $1, idempotency_key, $2, actor, code_id FROM paired ORDER BY idempotency_key
         ON CONFLICT DO NOTHING RETURNING idempotency_key, code_id),
       claimed AS (
         UPDATE delivered_code d SET first_revealed_at = now(), first_reveal_channel = 'stock_pull' FROM kept WHERE d.code_id = kept.code_id)
       SELECT (SELECT json_agg(json_build_object('key', idempotency_key, 'codeId', code_id::text)) FROM kept) AS kept,
              (SELECT low_stock_threshold FROM stock_setting WHERE buyer_id = $1 AND product_id = $2) AS threshold,
              EXISTS (SELECT 1 FROM restock_rule WHERE buyer_id = $1 AND product_id = $2) AS has_rule`,
      [buyerId, productId, pulls.map((p) => p.key), pulls.map((p) => p.actor)],
    );
    const row = rows[0]!;
    return { kept: new Map((row.kept ?? []).map((k) => [k.key, k.codeId])), threshold: row.threshold, hasRule: row.has_rule };
  }

  /** After a pull of a product with a low-stock threshold or a restock rule (one that found the stock empty too): the alarm and the rule. */
  private async watch(manager: EntityManager, buyerId: string, productId: string, threshold: number | null): Promise<void> {
    const rule = await this.restock.ruleOf(manager, buyerId, productId);
    const available = await this.levels.availableUpTo(manager, buyerId, productId, Math.max(threshold ?? 0, rule?.belowQuantity ?? 0));
    if (threshold !== null) await this.levels.raiseIfLow(manager, buyerId, productId, available, threshold);
    if (rule !== undefined && available < rule.belowQuantity) await this.restock.request(manager, buyerId, productId, rule);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
