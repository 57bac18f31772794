import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { created, launchBrowser, marketplace, randomCode, startSystem, type Account, type BrowserSession, type JsonBody, type SystemHarness } from '@kami/testing';
import type { Page } from 'playwright-core';
import { BUSY, ensurePortalBuilt, logIn, refreshUntilDisputeStatus, switchLanguage, type Language } from './support/portal';

/*
 * The merchant side of the portal in a real browser against the real system (acceptance 1, the
 * merchant part): a merchant logs in, tops up through the sandbox on the wallet page, finds the
 * product, gets a quote for 500 codes, confirms, watches the order reach delivered (long-polled
 * live status), and downloads the CSV, whose 500 codes must be exactly the codes the vault sold to
 * this order (the supplier's uploaded plaintext, and the order's codes read through the API).
 * Every merchant page is screenshotted in Chinese and English (test-artifacts/portal/), also at
 * phone width, and no page may log a console error.
 */

const QUANTITY = 500;
const TIERS = [
  { minQuantity: 1, unitPrice: 9500 },
  { minQuantity: 100, unitPrice: 9200 },
];

/** Labels and names in either language (the test switches languages). */
const L = {
  nav: (zh: string, en: string) => new RegExp(`^(${zh}|${en})$`),
  amount: /^(充值金额（元）|Amount \(¥\))/,
  createTopup: /^(创建充值单|Create top-up)$/,
  pay: /^(模拟支付（沙箱）|Pay \(sandbox\))$/,
  keyword: /^(关键词|Keywords?)/,
  search: /^(搜索|Search)$/,
  quantity: /^(数量（张）|Quantity \(codes\))$/,
  getQuote: /^(获取报价|Get quote)$/,
  confirm: /^(确认下单|Confirm order)$/,
  downloadCsv: /^(下载 CSV|Download CSV)$/,
};

let h: SystemHarness;
let browser: BrowserSession;
let merchant: Account;
let product: JsonBody;
let uploaded: string[];
let orderId: string;
let supplier: Account;
let market: ReturnType<typeof marketplace>;
let offerId: string;
let disputedCodeId: string;

beforeAll(async () => {
  ensurePortalBuilt();
  h = await startSystem({
    label: 'portal-merchant',
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    limits: { RATE_LIMIT_PER_IP: 10_000, RATE_LIMIT_LOGIN_PER_IP: 1000 },
    // The webhook form's example address must not need DNS here (there is none to the internet).
    serviceEnv: { delivery: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } },
  });
  const operator = await h.bootstrapOperator();
  market = marketplace(h, operator);
  const brandId = await market.createBrand();
  product = await market.createProduct(brandId);
  supplier = await market.authorisedSupplier(brandId, '华南卡业');
  let offer: JsonBody;
  ({ offer, codes: uploaded } = await market.offerWithCodes(supplier, product.id, TIERS, QUANTITY));
  offerId = offer.id;
  merchant = await h.createAccount(operator.token, 'merchant', '深圳卡盟商行');
  await market.openedWallet(merchant);
  browser = await launchBrowser({ baseUrl: h.gateway.url, busySelector: BUSY });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

afterEach(() => {
  // Every step: no console errors, no uncaught exceptions.
  expect(browser.problems()).toEqual([]);
});

async function nav(page: Page, zh: string, en: string): Promise<void> {
  const link = page.getByRole('navigation', { name: /^(主导航|Main navigation)$/ }).getByRole('link', { name: L.nav(zh, en) });
  const target = (await link.getAttribute('href'))!;
  await link.click();
  await page.waitForURL((url) => url.pathname === target);
  // The page's own heading is the link's name: the new page has replaced the old one.
  await page.getByRole('heading', { level: 1, name: L.nav(zh, en) }).waitFor();
  await browser.settle(page);
}

/** The page must not scroll sideways (tables scroll inside their own box). */
async function expectNoSidewaysScroll(page: Page, name: string): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  // On failure: the outermost elements reaching past the right edge.
  const wide = overflow > 0 ? await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > document.documentElement.clientWidth + 1)).map((e) => e.outerHTML.slice(0, 160))) : [];
  expect({ page: name, overflow: Math.max(0, overflow), wide }).toEqual({ page: name, overflow: 0, wide: [] });
}

/** Every form control of the page has a label (or an aria name). */
async function expectLabelledControls(page: Page): Promise<void> {
  const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (controls) =>
    controls
      .filter((control) => {
        const element = control as HTMLInputElement;
        return !(element.labels && element.labels.length > 0) && !element.getAttribute('aria-label') && !element.getAttribute('aria-labelledby');
      })
      .map((control) => control.outerHTML),
  );
  expect(unlabelled).toEqual([]);
}

let page: Page;

it('logs in, tops up through the sandbox on the wallet page', async () => {
  page = await browser.open('/');
  await logIn(page, merchant.email, merchant.password);
  await nav(page, '钱包', 'Wallet');
  await page.getByLabel(L.amount).fill('50000');
  await page.getByRole('button', { name: L.createTopup }).click();
  await page.getByTestId('pending-topup').filter({ hasText: '¥50,000.00' }).waitFor();
  // The payer leaves before paying and comes back: the intent still waits on the wallet page.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.getByTestId('pending-topup').filter({ hasText: '¥50,000.00' }).waitFor();
  await page.getByRole('button', { name: L.pay }).click();
  await page.getByTestId('wallet-balance').filter({ hasText: '¥50,000.00' }).waitFor({ timeout: 60_000 });
  await expectLabelledControls(page);
  await browser.screenshot(page, 'merchant-wallet-zh');
});

it('finds the product, compares offers, gets a quote for 500 codes and confirms it', async () => {
  await nav(page, '商品目录', 'Catalog');
  await page.getByLabel(L.keyword).fill(product.name);
  await page.getByRole('button', { name: L.search }).click();
  await page.getByRole('link', { name: product.name }).click();
  await page.getByTestId('offers').waitFor();
  await expect(page.getByTestId('offers').textContent()).resolves.toContain('华南卡业');
  await expectLabelledControls(page);
  await browser.screenshot(page, 'merchant-product-zh');

  await page.getByLabel(L.quantity).fill(String(QUANTITY));
  await page.getByRole('button', { name: L.getQuote }).click();
  const quote = page.getByTestId('quote');
  await quote.waitFor();
  // 500 × ¥92.00 from the one supplier, covered by the ¥50,000.00 balance.
  await expect(page.getByTestId('quote-total').textContent()).resolves.toBe('¥46,000.00');
  await expect(quote.textContent()).resolves.toContain('华南卡业');
  await browser.screenshot(page, 'merchant-quote-zh');

  await page.getByRole('button', { name: L.confirm }).click();
  await page.waitForURL(/\/merchant\/orders\/[0-9a-f-]{36}$/);
  orderId = page.url().split('/').pop()!;
});

it('follows the order live until it is delivered, and downloads the CSV of exactly its 500 codes', async () => {
  await page.locator('[data-testid="order-status"][data-status="delivered"]').waitFor({ timeout: 90_000 });
  await page.getByTestId('codes').waitFor();
  const timeline = (await page.getByTestId('timeline').textContent()) ?? '';
  expect(timeline).toContain('已交付');
  await expect(page.getByTestId('codes').locator('tbody tr').count()).resolves.toBe(50);
  await browser.screenshot(page, 'merchant-order-zh');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L.downloadCsv }).click()]);
  expect(download.suggestedFilename()).toBe(`order-${orderId}-codes.csv`);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  const [header, ...rows] = csv.split(/\r?\n/).filter((line) => line !== '');
  const columns = header!.split(',');
  expect(columns).toContain('code');
  const csvCodes = rows.map((row) => row.split(',')[columns.indexOf('code')]!);
  expect(csvCodes).toHaveLength(QUANTITY);
  expect(new Set(csvCodes).size).toBe(QUANTITY);

  // The same codes as the order's codes read through the API, and as the supplier uploaded.
  const api = await h.gateway.request('GET', `/api/v1/orders/${orderId}/codes?limit=1000`, { token: merchant.token });
  expect(api.status).toBe(200);
  const apiCodes = (api.body.items as { code: string }[]).map((c) => c.code);
  expect(api.body.nextCursor).toBeNull();
  expect([...csvCodes].sort()).toEqual([...apiCodes].sort());
  expect([...csvCodes].sort()).toEqual([...uploaded].sort());

  // A dispute opened from the first code's row.
  const first = apiCodes[0]!;
  disputedCodeId = (api.body.items as { codeId: string }[])[0]!.codeId;
  await page.getByRole('button', { name: new RegExp(`^(对卡密 ${first} 申请售后|Report a problem with code ${first})$`) }).click();
  await page.getByLabel(/^(问题类型|What is wrong)$/).selectOption('code_already_redeemed');
  await page.getByLabel(/^(问题说明（可不填）|Details \(optional\))$/).fill('充值时提示已被使用');
  await page.getByRole('button', { name: /^(提交售后申请|Send the report)$/ }).click();
  await page.getByText(/^(售后申请已提交|Your report was sent)/).waitFor();
});

it('updates an order under way on the orders list by itself, without a reload', async () => {
  // The list's first read is made to show the newest order still reserved, as it is for a moment
  // after placing; the page must find out by itself that it was delivered since.
  const ordersList = (url: URL): boolean => url.pathname === '/api/v1/orders';
  let doctored = false;
  await page.route(ordersList, async (route) => {
    if (doctored) return route.fallback();
    doctored = true;
    const response = await route.fetch();
    const body = (await response.json()) as { items: { id: string; status: string; createdAt: string; updatedAt: string }[] };
    expect(body.items[0]).toMatchObject({ id: orderId, status: 'delivered' });
    Object.assign(body.items[0]!, { status: 'reserved', updatedAt: body.items[0]!.createdAt });
    await route.fulfill({ response, json: body });
  });
  await nav(page, '我的订单', 'Orders');
  const status = page.getByTestId('orders').locator('tbody tr').first().locator('[data-status]');
  await expect(status.textContent()).resolves.toBe('已锁定库存');
  await page.getByTestId('orders').locator('tbody tr').first().locator('[data-status="delivered"]').waitFor({ timeout: 15_000 });
  await expect(status.textContent()).resolves.toBe('已交付');
  await page.unroute(ordersList);
});

it('shows the orders, purchased stock, integrations and disputes pages', async () => {
  await nav(page, '我的订单', 'Orders');
  await page.getByTestId('orders').waitFor();
  await expect(page.getByTestId('orders').textContent()).resolves.toContain(orderId.slice(0, 8));
  await expectLabelledControls(page);
  await browser.screenshot(page, 'merchant-orders-zh');
  for (const [zh, en, name] of [
    ['已购库存', 'Purchased stock', 'stock'],
    ['API 密钥与 Webhook', 'API keys & webhooks', 'integrations'],
    ['售后争议', 'Disputes', 'disputes'],
  ] as const) {
    await nav(page, zh, en);
    await expectLabelledControls(page);
    if (name === 'integrations') {
      await page.getByLabel(/^(密钥名称|Key name)$/).fill('淘宝店自动发货');
      await page.getByRole('button', { name: /^(创建密钥|Create key)$/ }).click();
      await expect(page.getByTestId('secret-value').textContent()).resolves.toMatch(/^kami_/);
      await page.getByTestId('api-keys').getByText('淘宝店自动发货').waitFor();

      // A webhook endpoint: its secret shown once, then a new one, then paused.
      const hookUrl = 'https://shop.example.com/kami/hooks';
      await page.getByLabel('回调地址（https）').fill(hookUrl);
      await page.getByLabel('已购库存不足 (stock.low)').check();
      await page.getByRole('button', { name: '添加回调地址' }).click();
      const first = await page.getByRole('region', { name: '签名密钥（whsec_…），用于验证推送来自平台' }).getByTestId('secret-value').textContent();
      expect(first).toMatch(/^whsec_/);
      const row = page.getByTestId('webhook-endpoints').locator('tbody tr', { hasText: hookUrl });
      await row.waitFor();
      await row.getByRole('button', { name: `更换 ${hookUrl} 的签名密钥` }).click();
      const rotated = page.getByRole('region', { name: new RegExp(`^${hookUrl.replace(/[./]/g, '\\$&')} 的新签名密钥`) });
      const second = await rotated.getByTestId('secret-value').textContent();
      expect(second).toMatch(/^whsec_/);
      expect(second).not.toBe(first);
      await row.getByRole('button', { name: `暂停 ${hookUrl}` }).click();
      await row.getByRole('button', { name: `恢复 ${hookUrl}` }).waitFor();
      const [stored] = (await h.gateway.request('GET', '/api/v1/webhooks/endpoints', { token: merchant.token })).body.items;
      expect(stored).toMatchObject({ url: hookUrl, events: ['order.delivered', 'stock.low'], enabled: false });
      expect(JSON.stringify(stored)).not.toContain(second!.slice(6));
    }
    if (name === 'disputes') await expect(page.getByTestId('disputes').textContent()).resolves.toMatch(/卡密已被使用/);
    await browser.screenshot(page, `merchant-${name}-zh`);
  }
});

it('lets the supplier replace the disputed code on its own disputes page; the buyer then holds the new code in its place', async () => {
  // The order took every code of the offer: the supplier uploads one more to replace with.
  const spare = randomCode();
  const upload = await h.gateway.request('POST', '/api/v1/vault/batches', { token: supplier.token, json: { offerId, codes: [{ code: spare }] }, headers: { 'Idempotency-Key': randomUUID() } });
  expect(upload.status).toBe(201);

  const supplierPage = await browser.isolatedPage();
  await supplierPage.goto('/');
  await logIn(supplierPage, supplier.email, supplier.password);
  await supplierPage.goto('/supplier/disputes');
  await browser.settle(supplierPage);
  const row = supplierPage.getByTestId('disputes').locator('tbody tr').filter({ has: supplierPage.getByRole('cell', { name: disputedCodeId, exact: true }) });
  await row.getByRole('button', { name: '补发' }).click();
  // The vault sells the replacement over Kafka: the supplier refreshes until the dispute says so.
  await refreshUntilDisputeStatus(browser, supplierPage, row, '已补发');
  // Named by its product, not only by the vault's code id.
  await expect(row.getByRole('cell', { name: product.name, exact: true }).count()).resolves.toBe(1);
  await browser.screenshot(supplierPage, 'supplier-disputes-replaced-zh');
  await supplierPage.close();

  await page.goto('/merchant/disputes');
  await browser.settle(page);
  await expect(page.getByTestId('disputes').textContent()).resolves.toContain('已换卡');
  // The replacement stands in the disputed code's place; the disputed code is no longer the buyer's to read.
  const codes = await h.gateway.request('GET', `/api/v1/orders/${orderId}/codes?limit=1000`, { token: merchant.token });
  const items = codes.body.items as { codeId: string; code: string; replacesCodeId?: string }[];
  expect(items).toHaveLength(QUANTITY);
  expect(items.map((i) => i.codeId)).not.toContain(disputedCodeId);
  expect(items.find((i) => i.replacesCodeId === disputedCodeId)?.code).toBe(spare);
});

it('sets the low-stock alert and an auto-restock rule for codes bought into purchased stock, on the stock page', async () => {
  // A storefront's bulk buy into stock (fulfilment: stock) through the API, as its system would.
  const { offer } = await market.offerWithCodes(supplier, product.id, TIERS, 3);
  const placed = await created(market.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 3 }], fulfilment: 'stock' }));
  await market.untilDelivered(merchant, placed.id);

  await nav(page, '已购库存', 'Purchased stock');
  const row = page.getByTestId('stock').locator('tbody tr', { hasText: product.name });
  await expect(row.locator('td.num').first().textContent()).resolves.toBe('3');
  await row.getByRole('button', { name: `设置 ${product.name} 的提醒和自动补货` }).click();
  await page.getByLabel('低库存提醒值（张）').fill('5');
  await page.getByRole('button', { name: '保存提醒值' }).click();
  // 3 left is below 5: the row turns into an alert.
  await row.getByText('库存不足').waitFor();
  await page.getByLabel('补货触发值（张）').fill('2');
  await page.getByLabel('每次补货数量（张）').fill('10');
  await page.getByLabel('最高单价（元）').fill('96.00');
  await page.getByRole('button', { name: '保存规则' }).click();
  // Saved: the rule can now be deleted.
  await page.getByRole('button', { name: '删除规则' }).waitFor();

  const stock = (path: string): Promise<JsonBody> => h.gateway.request('GET', `/api/v1/stock/${product.id}${path}`, { token: merchant.token }).then((r) => r.body);
  await expect(stock('')).resolves.toMatchObject({ available: 3, lowStockThreshold: 5, low: true });
  await expect(stock('/restock-rule')).resolves.toMatchObject({ belowQuantity: 2, orderQuantity: 10, maxUnitPrice: 9600, lastRequest: null });
  await browser.screenshot(page, 'merchant-stock-settings-zh');
});

it('shows every merchant page in English too, and at phone width', async () => {
  const pages: [string, string][] = [
    ['wallet', '/merchant/wallet'],
    ['product', `/merchant/catalog/${product.id}`],
    ['order', `/merchant/orders/${orderId}`],
    ['orders', '/merchant/orders'],
    ['stock', '/merchant/stock'],
    ['integrations', '/merchant/integrations'],
    ['disputes', '/merchant/disputes'],
  ];
  const visit = async (language: Language, suffix: string) => {
    for (const [name, path] of pages) {
      await page.goto(path);
      await browser.settle(page);
      await expectNoSidewaysScroll(page, `${name}-${suffix}`);
      await browser.screenshot(page, `merchant-${name}-${suffix}`);
    }
    expect(await page.evaluate(() => document.documentElement.lang)).toBe(language === 'zh' ? 'zh-CN' : 'en');
  };
  await switchLanguage(page, 'en');
  await visit('en', 'en');
  await page.setViewportSize({ width: 375, height: 800 });
  await visit('en', 'en-375');
  await switchLanguage(page, 'zh');
  await visit('zh', 'zh-375');
});
