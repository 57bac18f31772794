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
  private readonly takes = new GroupCommitter<PullRequest, Taken>((batch) => this.dataSource.transaction((manager) => this.takeAll(manager, batch)), {
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
   * The batch's keys and codes, in one transaction: the keys' rows, then one statement per product
   * (plus the stock watch's where a product has a threshold or a rule), whatever the batch's size. Keys are inserted in one sorted order, so two batches that
   * retry the same keys wait on each other's rows in the same order and never deadlock.
   */
  private async takeAll(manager: EntityManager, batch: PullRequest[]): Promise<Taken[]> {
    const order = batch.map((_, i) => i).sort((a, b) => compare(batch[a]!.buyerId, batch[b]!.buyerId) || compare(batch[a]!.key, batch[b]!.key));
    const sorted = order.map((i) => batch[i]!);
    // The first request with a key inserts its row; a concurrent one waits here for it to commit, then finds it.
    const inserted: { buyer_id: string; idempotency_key: string }[] = await manager.query(
      `INSERT INTO stock_pull (buyer_id, idempotency_key, product_id, actor)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[])
       ON CONFLICT DO NOTHING RETURNING buyer_id::text, idempotency_key`,
      [sorted.map((p) => p.buyerId), sorted.map((p) => p.key), sorted.map((p) => p.productId), sorted.map((p) => p.actor)],
    );
    const fresh = new Set(inserted.map((row) => `${row.buyer_id} ${row.idempotency_key}`));
    const taken = new Array<Taken>(batch.length);
    // Fresh keys: per (buyer, product), as many codes as keys, oldest first, handed out in arrival order.
    const groups = new Map<string, number[]>();
    batch.forEach((p, i) => {
      const id = `${p.buyerId} ${p.key}`;
      if (!fresh.delete(id)) return;
      const group = `${p.buyerId} ${p.productId}`;
      const indices = groups.get(group) ?? [];
      indices.push(i);
      groups.set(group, indices);
    });
    // Products in one order in every batch: two batches lock their stock rules the same way round.
    for (const [, indices] of [...groups.entries()].sort(([a], [b]) => compare(a, b))) {
      const { buyerId, productId } = batch[indices[0]!]!;
      const keys = indices.map((i) => batch[i]!.key);
      const claim = await this.claim(manager, buyerId, productId, keys);
      indices.forEach((i, n) => (taken[i] = { productId, codeId: claim.codes.get(keys[n]!) ?? null, retry: false, withdrawn: null }));
      if (claim.threshold !== null || claim.hasRule) await this.watch(manager, buyerId, productId, claim.threshold);
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
   * Claims up to `keys.length` codes for these fresh keys and keeps each on its key's row, oldest
   * code to the first key; with what the stock watch needs to know (the product's low-stock
   * threshold, whether it has a restock rule), in one statement.
   */
  private async claim(manager: EntityManager, buyerId: string, productId: string, keys: string[]): Promise<{ codes: Map<string, string>; threshold: number | null; hasRule: boolean }> {
    // Codes other pulls hold right now are skipped, not waited for (each is theirs).
    const rows: { handed: { key: string; codeId: string }[]; threshold: number | null; has_rule: boolean }[] = await manager.query(
      `WITH next AS (
         SELECT code_id, delivered_at FROM delivered_code WHERE buyer_id = $1 AND product_id = $2 AND ${AVAILABLE_STOCK}
          ORDER BY delivered_at, code_id LIMIT $3 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE delivered_code d SET first_revealed_at = now(), first_reveal_channel = 'stock_pull'
           FROM next WHERE d.code_id = next.code_id AND d.first_revealed_at IS NULL
         RETURNING d.code_id, next.delivered_at),
       handed AS (
         SELECT k.idempotency_key, c.code_id
           FROM (SELECT code_id, row_number() OVER (ORDER BY delivered_at, code_id) AS n FROM claimed) c
           JOIN unnest($4::text[]) WITH ORDINALITY AS k(idempotency_key, n) ON k.n = c.n),
       kept AS (
         UPDATE stock_pull p SET code_id = handed.code_id FROM handed
          WHERE p.buyer_id = $1 AND p.idempotency_key = handed.idempotency_key
         RETURNING p.idempotency_key, p.code_id)
       SELECT (SELECT coalesce(json_agg(json_build_object('key', idempotency_key, 'codeId', code_id::text)), '[]'::json) FROM kept) AS handed,
              (SELECT low_stock_threshold FROM stock_setting WHERE buyer_id = $1 AND product_id = $2) AS threshold,
              EXISTS (SELECT 1 FROM restock_rule WHERE buyer_id = $1 AND product_id = $2) AS has_rule`,
      [buyerId, productId, keys.length, keys],
    );
    const row = rows[0]!;
    return { codes: new Map(row.handed.map((h) => [h.key, h.codeId])), threshold: row.threshold, hasRule: row.has_rule };
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
