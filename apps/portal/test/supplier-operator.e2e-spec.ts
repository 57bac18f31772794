import { randomUUID } from 'node:crypto';
import { created, eventually, launchBrowser, marketplace, randomCode, startSystem, type Account, type BrowserSession, type JsonBody, type Marketplace, type SystemHarness } from '@kami/testing';
import type { Page } from 'playwright-core';
import { BUSY, ensurePortalBuilt, LABELS, logIn, refreshUntilDisputeStatus, switchLanguage, type Language } from './support/portal';

/*
 * The supplier's and operator's pages in a real browser against the real system (issue 7,
 * acceptance 1, 2 and 4 for these sides): a supplier uploads a 10,000-line CSV on the batches
 * page and watches both progress bars reach the report; an operator approves a brand
 * authorisation a supplier applied for on its page, and the offer the supplier then puts on sale
 * is orderable (a merchant's quote routes to it). Every supplier and operator page is
 * screenshotted in Chinese and English (test-artifacts/portal/), and no page logs a console error.
 */

const CSV_LINES = 10_000;

let h: SystemHarness;
let browser: BrowserSession;
let operator: Account;
let m: Marketplace;
let brandId: string;
let product: JsonBody;
let supplier: Account;
let offer: JsonBody;

beforeAll(async () => {
  ensurePortalBuilt();
  h = await startSystem({
    label: 'portal-supplier',
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    limits: { RATE_LIMIT_PER_IP: 10_000, RATE_LIMIT_LOGIN_PER_IP: 1000 },
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  brandId = await m.createBrand();
  product = await m.createProduct(brandId);
  supplier = await m.authorisedSupplier(brandId, '华南卡密供应');
  // A draft offer the supplier fills through the batches page (the vault must know it first).
  offer = (await m.catalog(supplier, 'POST', '/offers', { productId: product.id, sku: `STEAM-${randomUUID().slice(0, 6)}`, priceTiers: [{ minQuantity: 1, unitPrice: 9600 }, { minQuantity: 100, unitPrice: 9500 }] })).body;
  expect(offer.id).toBeDefined();
  await eventually(
    () => h.service('vault').query<{ offer_id: string }>(`SELECT o.offer_id FROM vault_offer o WHERE o.offer_id = $1`, [offer.id]),
    (rows) => rows.length === 1,
    { what: 'the vault to know the offer' },
  );
  browser = await launchBrowser({ baseUrl: h.gateway.url, busySelector: BUSY });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

afterEach(() => {
  expect(browser.problems()).toEqual([]);
});

async function signIn(account: Account, language: Language = 'zh'): Promise<Page> {
  // One browser context for every step: forget the previous user's session before logging in.
  const page = await browser.open('/');
  await page.evaluate(() => window.localStorage.removeItem('kami.session'));
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await page.getByLabel(LABELS.email).waitFor({ state: 'visible' });
  await switchLanguage(page, language);
  await logIn(page, account.email, account.password);
  return page;
}

async function go(page: Page, path: string): Promise<void> {
  await page.goto(path, { waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 1 }).first().waitFor({ state: 'visible' });
  await browser.settle(page);
}

function csvOf(lines: number): Buffer {
  const rows = ['code'];
  for (let i = 0; i < lines; i += 1) rows.push(randomCode());
  return Buffer.from(`${rows.join('\n')}\n`, 'utf8');
}

it(`uploads a ${CSV_LINES.toLocaleString('en')}-line CSV with progress bars that reach the report`, async () => {
  const page = await signIn(supplier, 'zh');
  await go(page, '/supplier/batches');
  await page.getByLabel('上传到报价').selectOption(offer.id);
  await page.getByLabel('CSV 文件').setInputFiles({ name: 'steam-codes.csv', mimeType: 'text/csv', buffer: csvOf(CSV_LINES) });

  // Watch both bars in the page itself (every animation frame) while the upload runs.
  await page.evaluate(() => {
    const seen: Record<string, [number, number][]> = { upload: [], ingest: [] };
    (window as unknown as { __progress: typeof seen }).__progress = seen;
    const tick = () => {
      for (const name of ['upload', 'ingest'] as const) {
        const bar = document.getElementById(`${name}-progress`) as HTMLProgressElement | null;
        if (!bar) continue;
        const last = seen[name]!.at(-1);
        if (!last || last[0] !== bar.value || last[1] !== bar.max) seen[name]!.push([bar.value, bar.max]);
      }
      requestAnimationFrame(tick);
    };
    tick();
  });
  await page.getByRole('button', { name: '开始上传' }).click();
  await page.getByTestId('upload-status').and(page.locator('[data-phase="done"]')).waitFor({ state: 'visible', timeout: 90_000 });
  await page.getByTestId('report-accepted').filter({ hasText: '10,000' }).waitFor({ state: 'visible', timeout: 30_000 });

  const upload = page.getByTestId('upload-progress');
  const ingest = page.getByTestId('ingest-progress');
  await expect(upload.evaluate((bar: HTMLProgressElement) => [bar.value, bar.max, bar.getAttribute('aria-valuenow')])).resolves.toEqual([100, 100, '100']);
  await expect(ingest.evaluate((bar: HTMLProgressElement) => [bar.value, bar.max, bar.getAttribute('aria-valuenow')])).resolves.toEqual([CSV_LINES, CSV_LINES, String(CSV_LINES)]);
  const seen = await page.evaluate(() => (window as unknown as { __progress: Record<string, [number, number][]> }).__progress);
  console.log(`progress seen: upload ${JSON.stringify(seen['upload'])}, ingest ${seen['ingest']!.length} values ending ${JSON.stringify(seen['ingest']!.slice(-3))}`);
  for (const values of [seen['upload']!, seen['ingest']!]) {
    const ratios = values.map(([value, max]) => value / max);
    expect(ratios[0]).toBeLessThan(1); // started below the end…
    expect(ratios.at(-1)).toBe(1); // …and rose to it
    for (let i = 1; i < ratios.length; i += 1) expect(ratios[i]!).toBeGreaterThanOrEqual(ratios[i - 1]!); // never going back
  }

  await expect(page.getByTestId('report-refused').textContent()).resolves.toBe('0');
  await expect(page.getByTestId('report-lines').textContent()).resolves.toBe('10,000');
  await expect(page.getByText('没有被拒收的行。').isVisible()).resolves.toBe(true);
  await expect(page.locator('[data-testid="batches"] tbody tr').count()).resolves.toBe(1);
  const { uploaded } = await m.stockOf(supplier, offer.id);
  expect(uploaded).toBe(CSV_LINES);
  await browser.screenshot(page, 'supplier-batches-report-zh');

  // The stock page charts the codes available over time: none before the upload, then 10,000…
  const chartValues = async (): Promise<string[]> => {
    await go(page, '/supplier/stock');
    return page.getByTestId('chart-data').locator('tbody tr td:last-child').allTextContents();
  };
  const before = await chartValues();
  expect([before[0], before.at(-1)]).toEqual(['0', '10,000']);
  // …and fewer once the supplier voids 1,000 of them (available, not uploaded: that stays 10,000).
  const voided = await h.service('vault').query<{ id: string }>(`SELECT id::text AS id FROM code WHERE offer_id = $1 ORDER BY id LIMIT 1000`, [offer.id]);
  const voiding = await h.gateway.request('POST', '/api/v1/vault/codes/void', { token: supplier.token, json: { codeIds: voided.map((c) => c.id), reason: 'recalled by the issuer' } });
  expect(voiding.status).toBe(200);
  const after = await chartValues();
  expect([after[0], after.at(-1)]).toEqual(['0', '9,000']);
  await page.close();
}, 180_000);

it('lets an operator approve a brand authorisation, after which the supplier’s offer is orderable', async () => {
  // A second supplier, deposit funded, applies for a new brand with a PDF proof on its page.
  const brand2 = await m.createBrand();
  const product2 = await m.createProduct(brand2);
  const newcomer = await h.createAccount(operator.token, 'supplier', '新晋供应商');
  const { balance, minimum } = (await m.settlement(newcomer, 'GET', '/deposit')).body as { balance: number; minimum: number };
  const topup = (await m.settlement(newcomer, 'POST', '/topups', { json: { amount: minimum - balance, currency: 'CNY', channel: 'standard' }, headers: { 'Idempotency-Key': randomUUID() } })).body;
  expect((await m.settlement(newcomer, 'POST', `/topups/${topup.id}/sandbox-pay`)).status).toBe(202);
  await eventually(
    () => h.service('catalog').query<{ covered: boolean }>(`SELECT covered FROM supplier_deposit WHERE supplier_id = $1`, [newcomer.organisationId]),
    (rows) => rows[0]?.covered === true,
    { what: 'the catalog to hold the deposit as covered' },
  );
  const brandName = ((await m.catalog(operator, 'GET', '/brands')).body as { id: string; name: string }[]).find((b) => b.id === brand2)!.name;

  let page = await signIn(newcomer, 'en');
  await go(page, '/supplier/authorisations');
  await page.getByLabel('Brand', { exact: true }).selectOption(brand2);
  await page.getByLabel('Proof document').setInputFiles({ name: 'agreement.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\n% distribution agreement\n') });
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.getByText('Your application is in; the platform will review it.').waitFor({ state: 'visible' });
  await page.getByTestId('authorisation-status').filter({ hasText: 'Awaiting review' }).waitFor({ state: 'visible' });
  await page.close();

  // The operator approves it on the approvals page.
  page = await signIn(operator, 'en');
  await go(page, '/operator/approvals');
  const item = page.locator('li.approval').filter({ hasText: brandName });
  await item.waitFor({ state: 'visible' });
  // Named, not a bare id.
  await item.getByText('Supplier: 新晋供应商').waitFor({ state: 'visible' });
  await browser.screenshot(page, 'operator-approvals-pending-en');
  await item.getByRole('button', { name: `Approve ${brandName}` }).click();
  await page.getByText(`The authorisation for ${brandName} is approved.`).waitFor({ state: 'visible' });
  await item.waitFor({ state: 'detached' });
  await page.close();

  // The supplier creates its offer on the offers page and puts it on sale.
  page = await signIn(newcomer, 'en');
  await go(page, '/supplier/authorisations');
  await page.getByTestId('authorisation-status').filter({ hasText: 'Approved' }).waitFor({ state: 'visible' });
  await go(page, '/supplier/offers');
  await page.getByRole('button', { name: 'New offer' }).click();
  await page.getByLabel('Product', { exact: true }).selectOption(product2.id);
  const sku = `NEW-${randomUUID().slice(0, 6)}`;
  await page.getByLabel('SKU (your own code)').fill(sku);
  await page.getByLabel('Tier 1: unit price (¥)').fill('95.50');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('The offer is created as a draft').waitFor({ state: 'visible' });
  await page.getByRole('button', { name: `Put ${sku} on sale` }).click();
  const row = page.locator('tr', { hasText: sku });
  await row.getByTestId('offer-status').filter({ hasText: 'On sale' }).waitFor({ state: 'visible' });
  await expect(row.textContent()).resolves.toContain('¥95.50');
  await page.close();

  // Orderable: with codes in it, a merchant's quote for the product routes to this offer.
  const offers = (await m.catalog(newcomer, 'GET', '/offers')).body.items as { id: string; sku: string; status: string }[];
  const created = offers.find((o) => o.sku === sku)!;
  expect(created.status).toBe('active');
  const upload = await eventually(
    () => h.gateway.request('POST', '/api/v1/vault/batches', { token: newcomer.token, json: { offerId: created.id, codes: Array.from({ length: 5 }, () => ({ code: randomCode() })) }, headers: { 'Idempotency-Key': randomUUID() } }),
    (r) => r.status !== 404 && !(r.status === 409 && r.body?.code === 'product_not_known'),
    { what: 'the vault to know the new offer' },
  );
  expect(upload.status).toBe(201);
  const merchant = await m.fundedMerchant(100_000);
  const quote = await eventually(
    () => m.orders(merchant, 'POST', '/quote', { lines: [{ productId: product2.id, quantity: 2 }] }),
    (r) => r.status === 200,
    { what: 'a quote for the newly authorised offer', timeoutMs: 30_000 },
  );
  expect(quote.body.lines.map((l: { offerId: string }) => l.offerId)).toEqual([created.id]);
  expect(quote.body.total).toBe(2 * 9550);
}, 180_000);

it('lets an operator set a supplier’s commission rate, picking the supplier by name', async () => {
  const page = await signIn(operator, 'en');
  await go(page, '/operator/commission');
  await page.getByLabel('Kind', { exact: true }).selectOption('supplier');
  await page.getByLabel('Supplier', { exact: true }).selectOption({ label: '华南卡密供应' });
  await page.getByLabel('Rate (%)').fill('3.5');
  await page.getByRole('button', { name: 'Save rate' }).click();
  await page.getByText('The rate of 华南卡密供应 is now 3.5%.').waitFor({ state: 'visible' });
  await page.locator('tbody tr').filter({ hasText: '华南卡密供应' }).filter({ hasText: '3.5%' }).first().waitFor({ state: 'visible' });
  // Settlement holds it for the supplier's id.
  const rates = await h.gateway.request('GET', '/api/v1/settlement/commission-rates', { token: operator.token });
  expect(rates.body.suppliers).toContainEqual(expect.objectContaining({ subject: supplier.organisationId, rateBps: 350 }));
  await page.close();
}, 120_000);

it('lets an operator refund a dispute its supplier contested; the buyer gets the code’s price back once', async () => {
  const UNIT_PRICE = 9_800;
  const seller = await m.authorisedSupplier(brandId, '争议卡商');
  const { offer: sold } = await m.offerWithCodes(seller, product.id, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], 2);
  const buyer = await m.fundedMerchant(100_000);
  const placed = await created(m.placeOrder(buyer, { lines: [{ offerId: sold.id, quantity: 1 }] }));
  await m.untilDelivered(buyer, placed.id);
  const codeId: string = (await h.gateway.request('GET', `/api/v1/orders/${placed.id}/codes`, { token: buyer.token })).body.items[0].codeId;
  const dispute = await created(
    h.gateway.request('POST', '/api/v1/disputes', { token: buyer.token, json: { codeId, reason: 'code_invalid', evidence: '充值提示卡密无效' }, headers: { 'Idempotency-Key': randomUUID() } }),
  );
  // The supplier contests it: now the platform decides.
  expect((await h.gateway.request('POST', `/api/v1/disputes/${dispute.id}/reject`, { token: seller.token })).body.status).toBe('contested');
  const before = (await m.wallet(buyer))!;

  const page = await signIn(operator, 'zh');
  await go(page, '/operator/disputes');
  const row = page.getByTestId('disputes').locator('tbody tr').filter({ has: page.getByRole('cell', { name: codeId, exact: true }) });
  await expect(row.getByTestId('dispute-status').textContent()).resolves.toBe('供应商有异议');
  // Money moves on it: the page asks once more, naming the code.
  const asked = new Promise<string>((resolve) =>
    page.once('dialog', (dialog) => {
      resolve(dialog.message());
      void dialog.accept();
    }),
  );
  await row.getByRole('button', { name: '退款', exact: true }).click();
  await expect(asked).resolves.toBe(`确定为卡密 ${codeId} 退款？买家将按单价收回这张卡密的货款。`);
  // Refunded over Kafka by settlement; no longer contested, so the operator looks at every status.
  await page.getByLabel('按状态筛选').selectOption('');
  await refreshUntilDisputeStatus(browser, page, row, '已退款');
  await expect(m.wallet(buyer)).resolves.toBe(before + UNIT_PRICE);
  // Ended: nothing left to decide, so it cannot be refunded again from here.
  await expect(row.getByRole('button').count()).resolves.toBe(0);
  await page.close();
}, 120_000);

const SUPPLIER_PAGES = ['offers', 'batches', 'stock', 'sales', 'disputes', 'authorisations'];
const OPERATOR_PAGES = ['approvals', 'disputes', 'commission', 'health'];

it.each([
  ['supplier', SUPPLIER_PAGES],
  ['operator', OPERATOR_PAGES],
] as const)('screenshots every %s page in Chinese and English, with labelled controls and no console errors', async (type, paths) => {
  const account = type === 'supplier' ? supplier : operator;
  for (const language of ['zh', 'en'] as const) {
    const page = await signIn(account, language);
    for (const path of paths) {
      await go(page, `/${type}/${path}`);
      await expect(page.locator('.alert--error').count()).resolves.toBe(0);
      const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (controls) =>
        controls.filter((c) => !((c as HTMLInputElement).labels?.length || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby'))).map((c) => c.outerHTML),
      );
      expect(unlabelled).toEqual([]);
      await browser.screenshot(page, `${type}-${path}-${language}`);
    }
    // Phone width: the main page still fits (no horizontal scroll of the page itself).
    await page.setViewportSize({ width: 375, height: 800 });
    await go(page, `/${type}/${paths[0]}`);
    await browser.screenshot(page, `${type}-${paths[0]}-375-${language}`);
    await expect(page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).resolves.toBe(true);
    await page.close();
  }
}, 180_000);
