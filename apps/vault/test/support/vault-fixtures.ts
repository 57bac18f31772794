import { randomUUID } from 'node:crypto';
import type { ServiceInstance } from '@kami/testing';

export interface SeedOfferInput {
  supplierId: string;
  offerId?: string;
  productId?: string;
  status?: 'draft' | 'active' | 'paused' | 'delisted';
  lowStockThreshold?: number;
  codePattern?: string;
  pinPolicy?: 'none' | 'optional' | 'required';
  pinPattern?: string | null;
  serialRequired?: boolean;
}

/**
 * Puts a product and an offer into the vault's catalog projection, as if catalog had published
 * them: tests of the vault alone need an offer to upload to without running the catalog.
 */
export async function seedOffer(vault: Pick<ServiceInstance, 'query'>, input: SeedOfferInput): Promise<{ offerId: string; productId: string }> {
  const offerId = input.offerId ?? randomUUID();
  const productId = input.productId ?? randomUUID();
  await vault.query(
    `INSERT INTO vault_product (product_id, version, status, code_pattern, pin_policy, pin_pattern, serial_required)
     VALUES ($1, 1, 'active', $2, $3, $4, $5) ON CONFLICT (product_id) DO NOTHING`,
    [productId, input.codePattern ?? '^[A-Z0-9]{16}$', input.pinPolicy ?? 'none', input.pinPattern ?? null, input.serialRequired ?? false],
  );
  await vault.query(
    `INSERT INTO vault_offer (offer_id, version, product_id, supplier_id, status, low_stock_threshold)
     VALUES ($1, 1, $2, $3, $4, $5)`,
    [offerId, productId, input.supplierId, input.status ?? 'active', input.lowStockThreshold ?? 0],
  );
  return { offerId, productId };
}
