import { randomUUID } from 'node:crypto';
import { eventually } from '../kafka-probe';
import type { Account, ApiResponse, JsonBody, SystemHarness } from './system-harness';

/*
 * A marketplace driven the way its users drive it, through the gateway: the operator's catalog
 * (brands, products, brand authorisations), suppliers' offers and code uploads, merchants'
 * top-ups, orders and API keys. For end-to-end tests (and benches) of any app: here rather than
 * in one app's test support, since an app's tests may not import another app's files. Every
 * step waits (polling, no sleeps) until the services that must know about it do.
 */

export const PDF_PROOF = { fileName: 'agreement.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.7\n% agreement\n').toString('base64') };
export const CODE_FORMAT = { codePattern: '[A-Z0-9]{5}(-[A-Z0-9]{5}){2}', pin: 'none' };

/** One line of an inline upload (POST /api/v1/vault/batches `codes`), as the product's code format allows. */
export interface UploadLine {
  code: string;
  pin?: string;
  serial?: string;
  redemptionUrl?: string;
  expiresAt?: string;
}

export interface PriceTier {
  minQuantity: number;
  unitPrice: number;
}

export interface OrderTransition {
  from: string | null;
  to: string;
  reason: string | null;
  eventId: string;
  at: string;
}

export async function created(response: Promise<ApiResponse>): Promise<JsonBody> {
  const answer = await response;
  if (answer.status !== 201) throw new Error(`expected 201, got ${answer.status}: ${answer.text}`);
  return answer.body;
}

/** A code in CODE_FORMAT, unique enough never to collide with another test's. */
export function randomCode(): string {
  const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const group = (): string => Array.from({ length: 5 }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
  return `${group()}-${group()}-${group()}`;
}

export function marketplace(h: SystemHarness, operator: Account) {
  const catalog = (account: Account, method: string, path: string, json?: unknown): Promise<ApiResponse> =>
    h.gateway.request(method, `/api/v1/catalog${path}`, { token: account.token, json });

  const orders = (account: Account, method: string, path = '', json?: unknown, headers?: Record<string, string>): Promise<ApiResponse> =>
    h.gateway.request(method, `/api/v1/orders${path}`, { token: account.token, json, headers });

  const settlement = (account: Account, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> =>
    h.gateway.request(method, `/api/v1/settlement${path}`, { token: account.token, ...options });

  /** Pays a sandbox top-up of `amount` CNY fen to the account's wallet or deposit (settlement picks by organisation type). Returns the top-up. */
  const sandboxTopUp = async (account: Account, amount: number): Promise<JsonBody> => {
    const topup = await created(settlement(account, 'POST', '/topups', { json: { amount, currency: 'CNY', channel: 'standard' }, headers: { 'Idempotency-Key': randomUUID() } }));
    const paid = await settlement(account, 'POST', `/topups/${topup.id}/sandbox-pay`);
    if (paid.status !== 202) throw new Error(`sandbox-pay of top-up ${topup.id} answered ${paid.status}: ${paid.text}`);
    return topup;
  };

  const api = {
    catalog,
    orders,
    settlement,

    async createBrand(): Promise<string> {
      return (await created(catalog(operator, 'POST', '/brands', { name: `Steam ${randomUUID().slice(0, 6)}` }))).id;
    },

    /** A supplier organisation with an approved, unexpired authorisation for the brand. */
    async authorisedSupplier(brandId: string, name?: string): Promise<Account> {
      const supplier = await h.createAccount(operator.token, 'supplier', name);
      if (h.services.settlement) {
        // Offers may be active only while the supplier's deposit (保证金) covers settlement's minimum:
        // fund it through the sandbox, then wait until the catalog holds it as covered.
        const { balance, minimum } = (await settlement(supplier, 'GET', '/deposit')).body as { balance: number; minimum: number };
        if (balance < minimum) await sandboxTopUp(supplier, minimum - balance);
        await eventually(
          () => h.service('catalog').query<{ covered: boolean }>(`SELECT covered FROM supplier_deposit WHERE supplier_id = $1`, [supplier.organisationId]),
          (rows) => rows[0]?.covered === true,
          { what: `the catalog to hold the deposit of ${supplier.organisationId} as covered` },
        );
      }
      const application = await created(catalog(supplier, 'POST', '/brand-authorisations', { brandId, proof: PDF_PROOF }));
      const approved = await catalog(operator, 'POST', `/brand-authorisations/${application.id}/approve`, { expiresAt: new Date(Date.now() + 365 * 86400_000).toISOString() });
      if (approved.status !== 200) throw new Error(`approving the authorisation answered ${approved.status}: ${approved.text}`);
      return supplier;
    },

    async createProduct(brandId: string, categoryCode = 'game-cards.pc'): Promise<JsonBody> {
      return created(
        catalog(operator, 'POST', '/products', {
          name: `Steam Wallet CN ¥100 ${randomUUID().slice(0, 6)}`,
          brandId,
          categoryCode,
          faceValue: 10000,
          region: 'CN',
          codeFormat: CODE_FORMAT,
        }),
      );
    },

    /**
     * An active offer of the supplier with `stock` codes (random, in CODE_FORMAT) or the given
     * lines uploaded to the vault, once the vault's projection shows the offer active and
     * ordering's shows it active with that stock (and knows its product's category, which order
     * lines carry). Returns the offer and the uploaded plaintext (the lines' codes).
     */
    async offerWithCodes(supplier: Account, productId: string, priceTiers: PriceTier[], stockOrLines: number | UploadLine[]): Promise<{ offer: JsonBody; codes: string[] }> {
      const offer = await created(catalog(supplier, 'POST', '/offers', { productId, sku: `SKU-${randomUUID().slice(0, 8)}`, priceTiers }));
      const activated = await catalog(supplier, 'POST', `/offers/${offer.id}/activate`);
      if (activated.status !== 200) throw new Error(`activating offer ${offer.id} answered ${activated.status}: ${activated.text}`);
      const lines = typeof stockOrLines === 'number' ? Array.from({ length: stockOrLines }, () => ({ code: randomCode() })) : stockOrLines;
      const stock = lines.length;
      const codes = lines.map((line) => line.code);
      // The vault learns the offer and its product from catalog's events: until the offer is in it
      // answers 404, until the product (its code format) is in 409 product_not_known (retryable).
      const upload = await eventually(
        () =>
          h.gateway.request('POST', '/api/v1/vault/batches', { token: supplier.token, json: { offerId: offer.id, codes: lines }, headers: { 'Idempotency-Key': randomUUID() } }),
        (response) => response.status !== 404 && !(response.status === 409 && response.body?.code === 'product_not_known'),
        { what: `vault to know offer ${offer.id} and its product` },
      );
      if (upload.status !== 201 || upload.body?.accepted !== stock) throw new Error(`uploading ${stock} codes answered ${upload.status}: ${upload.text}`);
      // Both services that judge an order must have seen the activation: ordering (quote) and the
      // vault (it rejects an order for an offer it still holds as inactive).
      await eventually(
        () => h.service('vault').query<{ status: string }>(`SELECT status FROM vault_offer WHERE offer_id = $1`, [offer.id]),
        (rows) => rows[0]?.status === 'active',
        { what: `the vault's projection of offer ${offer.id} to be active` },
      );
      await eventually(
        () =>
          h.service('ordering').query<{ status: string; available: number | null; category_code: string | null }>(
            `SELECT o.status, s.available, p.category_code FROM offer_view o LEFT JOIN offer_stock_view s USING (offer_id) LEFT JOIN product_view p ON p.product_id = o.product_id
              WHERE o.offer_id = $1`,
            [offer.id],
          ),
        (rows) => rows[0]?.status === 'active' && rows[0]?.available === stock && rows[0]?.category_code !== null,
        { what: `ordering's projection of offer ${offer.id}` },
      );
      return { offer: activated.body, codes };
    },

    /** As offerWithCodes, for a test that does not need the codes' plaintext: the offer. */
    async offerWithStock(supplier: Account, productId: string, priceTiers: PriceTier[], stock: number): Promise<JsonBody> {
      return (await api.offerWithCodes(supplier, productId, priceTiers, stock)).offer;
    },

    /** The offer's code counts as its supplier sees them (GET /api/v1/vault/offers/{id}/stock). */
    async stockOf(supplier: Account, offerId: string): Promise<{ uploaded: number; available: number; reserved: number; sold: number; void: number }> {
      const response = await h.gateway.request('GET', `/api/v1/vault/offers/${offerId}/stock`, { token: supplier.token });
      if (response.status !== 200) throw new Error(`stock of ${offerId} answered ${response.status}: ${response.text}`);
      const { uploaded, available, reserved, sold, void: voided } = response.body;
      return { uploaded, available, reserved, sold, void: voided };
    },

    placeOrder(account: Account, body: unknown, key: string = randomUUID()): Promise<ApiResponse> {
      return orders(account, 'POST', '', body, { 'Idempotency-Key': key });
    },

    /** The order; with `waitSeconds`, long-polls (answered as soon as the order has ended, or when the wait is over). */
    async order(account: Account, orderId: string, waitSeconds?: number): Promise<JsonBody> {
      const response = await orders(account, 'GET', `/${orderId}${waitSeconds === undefined ? '' : `?wait=${waitSeconds}`}`);
      if (response.status !== 200) throw new Error(`GET order ${orderId} answered ${response.status}: ${response.text}`);
      return response.body;
    },

    /** Waits until the order is `status` (or has ended otherwise: then the returned order says so). */
    async untilSettled(account: Account, orderId: string, status: string, timeoutMs = 30_000): Promise<JsonBody> {
      const ended = ['delivered', 'cancelled', 'failed'];
      return eventually(
        () => api.order(account, orderId),
        (o) => o.status === status || ended.includes(o.status),
        { what: `order ${orderId} to be ${status}`, timeoutMs },
      );
    },

    /** Long-polls ordering until the order has ended; throws unless it ended `delivered`. */
    async untilDelivered(account: Account, orderId: string): Promise<JsonBody> {
      const order = await eventually(
        () => orders(account, 'GET', `/${orderId}?wait=30`).then((r) => r.body),
        (o) => ['delivered', 'cancelled', 'failed'].includes(o?.status),
        { what: `order ${orderId} to end`, timeoutMs: 60_000 },
      );
      if (order.status !== 'delivered') throw new Error(`order ${orderId} ended ${order.status} (${order.statusReason})`);
      return order;
    },

    /** The merchant's CNY wallet balance, or null while settlement has no wallet for it. */
    async wallet(account: Account): Promise<number | null> {
      const response = await settlement(account, 'GET', '/wallet');
      if (response.status !== 200) throw new Error(`GET wallet answered ${response.status}: ${response.text}`);
      return (response.body.balances as { currency: string; balance: number }[]).find((b) => b.currency === 'CNY')?.balance ?? null;
    },

    /** An organisation's ledger accounts as it (or, for `platform`, an operator) sees them: kind → CNY balance. */
    async accounts(account: Account, organisationId?: string): Promise<Record<string, number>> {
      const response = await settlement(account, 'GET', `/accounts${organisationId ? `?organisationId=${organisationId}` : ''}`);
      if (response.status !== 200) throw new Error(`GET accounts answered ${response.status}: ${response.text}`);
      return Object.fromEntries((response.body.accounts as { kind: string; currency: string; balance: number }[]).filter((a) => a.currency === 'CNY').map((a) => [a.kind, a.balance]));
    },

    /** A merchant's wallet, once settlement has opened it (from the organisation's registration). */
    async openedWallet(merchant: Account): Promise<number> {
      return (await eventually(() => api.wallet(merchant), (balance) => balance !== null, { what: `settlement to open the wallet of ${merchant.organisationId}` }))!;
    },

    /**
     * Tops the merchant's wallet up through the sandbox provider (a payment intent, then the
     * sandbox "pays" and notifies settlement, twice) and waits for the credit. Returns the top-up.
     */
    async topUp(merchant: Account, amount: number): Promise<JsonBody> {
      const before = await api.openedWallet(merchant);
      const topup = await sandboxTopUp(merchant, amount);
      await eventually(() => api.wallet(merchant), (balance) => balance === before + amount, { what: `the top-up ${topup.id} credited` });
      return topup;
    },

    /** A merchant with an open, empty wallet (ordering has not heard of its balance: its orders are placed, then refused by settlement). */
    async emptyMerchant(): Promise<Account> {
      const merchant = await h.createAccount(operator.token, 'merchant');
      await eventually(() => api.wallet(merchant), (balance) => balance === 0, { what: `settlement to open the wallet of ${merchant.organisationId}` });
      return merchant;
    },

    /** A merchant whose wallet holds `balance` CNY fen (topped up through the sandbox, once settlement has opened the wallet). */
    async fundedMerchant(balance: number, name?: string): Promise<Account> {
      const merchant = await h.createAccount(operator.token, 'merchant', name);
      await api.topUp(merchant, balance);
      return merchant;
    },

    /** A new API key of the account's organisation (the secret, shown once), with the scopes named or the type's defaults. */
    async apiKey(account: Account, name = 'storefront', scopes?: string[]): Promise<{ id: string; key: string }> {
      const response = await created(h.gateway.request('POST', '/api/v1/identity/api-keys', { token: account.token, json: { name, scopes } }));
      return { id: response.id, key: response.key };
    },
  };
  return api;
}

export type Marketplace = ReturnType<typeof marketplace>;

/** [from, to, reason] of each recorded transition, in order. */
export function transitionsOf(order: JsonBody): [string | null, string, string | null][] {
  return (order.transitions as OrderTransition[]).map((t) => [t.from, t.to, t.reason]);
}

/** Commission on `gross` fen at `bps` basis points, rounded down to the fen (as the README's settlement rule says). */
export function commissionOf(gross: number, bps: number): number {
  return Math.floor((gross * bps) / 10_000);
}
