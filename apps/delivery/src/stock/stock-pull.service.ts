import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { idempotencyKeyReused, type Identity } from '@kami/platform';
import { withdrawnError, type WithdrawnReason } from '../codes/withdrawn-codes';
import { VaultRevealClient } from '../vault/vault-reveal.client';
import { Restock } from './restock';
import type { PulledCodeDto } from './stock.dto';
import { stockExhausted } from './stock.errors';
import { AVAILABLE_STOCK, StockLevels } from './stock-levels';

interface Taken {
  productId: string;
  codeId: string | null;
  retry: boolean;
  /** A retried key's code taken back since (refunded or replaced): not revealed again. */
  withdrawn: WithdrawnReason | null;
}

/**
 * Pull from purchased stock (SPEC flow 4): one code of the merchant's stock of a product per
 * Idempotency-Key. The key's row and the claimed code commit in one transaction, so a retried key
 * (even after a crash, or while the first request still runs: it waits on the key's row) answers
 * the same code, or the same `stock_exhausted` (or 410 `code_refunded` / `code_replaced` once the
 * code was taken back from the buyer). The platform's idempotency interceptor is not used
 * on purpose: it would store the response, and so the plaintext, in this database; here only the
 * code id is kept and every answer, retries included, is an audited reveal by the vault.
 */
@Injectable()
export class StockPullService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly vault: VaultRevealClient,
    private readonly levels: StockLevels,
    private readonly restock: Restock,
  ) {}

  async pull(identity: Identity, productId: string, key: string): Promise<PulledCodeDto> {
    const buyerId = identity.organisationId;
    const taken = await this.dataSource.transaction((manager) => this.take(manager, buyerId, productId, key, identity.principalId));
    if (taken.productId !== productId) throw idempotencyKeyReused();
    if (taken.codeId === null) throw stockExhausted(productId);
    if (taken.withdrawn) throw withdrawnError(taken.withdrawn);
    const [code] = await this.vault.reveal({
      buyerId,
      codeIds: [taken.codeId],
      channel: 'stock_pull',
      actor: identity.principalId,
      purpose: taken.retry ? 'stock_pull_retry' : 'stock_pull',
    });
    if (!code) throw new Error(`the vault revealed nothing for code ${taken.codeId}`);
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

  private async take(manager: EntityManager, buyerId: string, productId: string, key: string, actor: string): Promise<Taken> {
    // The first request with the key inserts its row; a concurrent one waits here for it to commit, then finds it.
    const fresh: unknown[] = await manager.query(
      `INSERT INTO stock_pull (buyer_id, idempotency_key, product_id, actor) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1`,
      [buyerId, key, productId, actor],
    );
    if (fresh.length === 0) {
      const rows: { product_id: string; code_id: string | null; withdrawn: WithdrawnReason | null }[] = await manager.query(
        `SELECT p.product_id::text, p.code_id::text, c.withdrawn_reason AS withdrawn
           FROM stock_pull p LEFT JOIN delivered_code c ON c.code_id = p.code_id WHERE p.buyer_id = $1 AND p.idempotency_key = $2`,
        [buyerId, key],
      );
      return { productId: rows[0]!.product_id, codeId: rows[0]!.code_id, retry: true, withdrawn: rows[0]!.withdrawn };
    }
    // Oldest first; codes other pulls hold right now are skipped, not waited for (each is theirs).
    const claimed: { code_id: string }[] = await manager.query(
      `WITH next AS (
         SELECT code_id FROM delivered_code WHERE buyer_id = $1 AND product_id = $2 AND ${AVAILABLE_STOCK}
          ORDER BY delivered_at, code_id LIMIT 1 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE delivered_code d SET first_revealed_at = now(), first_reveal_channel = 'stock_pull'
           FROM next WHERE d.code_id = next.code_id AND d.first_revealed_at IS NULL RETURNING d.code_id),
       kept AS (
         UPDATE stock_pull p SET code_id = claimed.code_id FROM claimed
          WHERE p.buyer_id = $1 AND p.idempotency_key = $3 RETURNING claimed.code_id)
       SELECT code_id::text FROM kept`,
      [buyerId, productId, key],
    );
    await this.watch(manager, buyerId, productId);
    return { productId, codeId: claimed[0]?.code_id ?? null, retry: false, withdrawn: null };
  }

  /** After a pull (one that found the stock empty too): the low-stock alarm and the auto-restock rule. */
  private async watch(manager: EntityManager, buyerId: string, productId: string): Promise<void> {
    const settings: { threshold: number | null }[] = await manager.query(
      `SELECT low_stock_threshold AS threshold FROM stock_setting WHERE buyer_id = $1 AND product_id = $2`,
      [buyerId, productId],
    );
    const threshold = settings[0]?.threshold ?? null;
    const rule = await this.restock.ruleOf(manager, buyerId, productId);
    if (threshold === null && rule === undefined) return;
    const available = await this.levels.availableUpTo(manager, buyerId, productId, Math.max(threshold ?? 0, rule?.belowQuantity ?? 0));
    if (threshold !== null) await this.levels.raiseIfLow(manager, buyerId, productId, available, threshold);
    if (rule !== undefined && available < rule.belowQuantity) await this.restock.request(manager, buyerId, productId, rule);
  }
}
