import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Pool, type QueryResultRow } from 'pg';
import { benchCleanup, createTestDatabase, freePort, generateSigningKeyPair, percentile, roundTo, signIdentityHeader, spawnTs, testInfrastructure, uniqueSuffix, type BenchResult, type SpawnedProcess, type TestDatabase } from '@kami/testing';

/*
 * `npm run bench:catalog`: product search and price comparison of the real catalog service over
 * 10,000 products and 100,000 offers, beside the straightforward SQL a first version would run.
 *
 * 1. a fresh database; the real service (apps/catalog/src/main.ts) migrates it at start;
 * 2. seeding straight into its tables with set-based SQL, then VACUUM (ANALYZE);
 * 3. each case through HTTP with a signed merchant identity, one client after the other (latency),
 *    after a warm-up, parameters drawn from a seeded PRNG; `text-c8` runs 8 clients at once;
 * 4. the baseline `pg-naive` with the same parameters: ILIKE over name and brand, the offer summary
 *    aggregated over every active offer and joined, OFFSET pages — through node-postgres directly.
 *    The kami numbers include HTTP, JSON, identity check and DTO validation; the baseline's are bare
 *    SQL round trips, so the comparison favours the baseline.
 *
 * Human-readable lines per case, then, last, one JSON line as SPEC.md (Performance) describes.
 * Benchmarks assert nothing about speed; this one stops only when a request itself fails.
 */

const PRODUCTS = 10_000;
const OFFERS_PER_PRODUCT = 10;
const SUPPLIERS = 500;
const BRANDS = 200;
const REQUESTS_PER_CASE = 300;
const WARMUP_PER_CASE = 25;
/** The baseline's warm-up is shorter: its queries are slow, and the same plans are warm after a few. */
const BASELINE_WARMUP = 10;
const CONCURRENT_CLIENTS = 8;
const CONCURRENT_REQUESTS = 400;
const DEEP_PAGE_FROM = 50;
const PAGE_SIZE = 20;
const COMPARE_QUANTITY = 500;
const READY_TIMEOUT_MS = 90_000;

const FACE_VALUES = [1000, 2000, 3000, 5000, 10000, 20000, 30000, 50000, 100000];
/** Weighted: half the products redeem in mainland China. */
const REGIONS = ['CN', 'CN', 'CN', 'CN', 'CN', 'HK', 'TW', 'GLOBAL', 'GLOBAL', 'US'];
const TOP_CATEGORIES = ['game-cards', 'gift-cards', 'software-licences', 'memberships', 'courses', 'phone-topup'];

/** Real-looking brands: name, category and the words their product names start with. */
const REAL_BRANDS: [name: string, category: string, productWords: string][] = [
  ['Steam', 'game-cards.pc', 'Steam Wallet Code'],
  ['暴雪 Battle.net', 'game-cards.pc', 'Battle.net 点卡'],
  ['网易', 'game-cards.pc', '网易一卡通'],
  ['完美世界', 'game-cards.pc', '完美世界 一卡通'],
  ['盛大游戏', 'game-cards.pc', '盛大点卡'],
  ['Riot Games', 'game-cards.pc', 'Riot Points Card'],
  ['腾讯 Q币', 'game-cards.mobile', '腾讯 Q币 充值卡'],
  ['米哈游', 'game-cards.mobile', '原神 创世结晶 充值卡'],
  ['Garena', 'game-cards.mobile', 'Garena Shells'],
  ['Xbox', 'game-cards.console', 'Xbox Gift Card'],
  ['PlayStation', 'game-cards.console', 'PlayStation Store Card'],
  ['Nintendo', 'game-cards.console', 'Nintendo eShop Card'],
  ['Apple', 'gift-cards.app-store', 'App Store & iTunes Gift Card'],
  ['Google Play', 'gift-cards.app-store', 'Google Play Gift Card'],
  ['京东', 'gift-cards.ecommerce', '京东E卡'],
  ['天猫', 'gift-cards.ecommerce', '天猫购物卡'],
  ['Amazon', 'gift-cards.ecommerce', 'Amazon Gift Card'],
  ['中石化', 'gift-cards.fuel', '中石化 加油卡'],
  ['中石油', 'gift-cards.fuel', '中石油 加油卡'],
  ['Microsoft', 'software-licences.os', 'Windows 11 Pro Key'],
  ['Adobe', 'software-licences.office', 'Creative Cloud 年卡'],
  ['WPS', 'software-licences.office', 'WPS 超级会员'],
  ['Microsoft 365', 'software-licences.office', 'Microsoft 365 Family'],
  ['Kaspersky', 'software-licences.security', 'Kaspersky Internet Security'],
  ['360', 'software-licences.security', '360 安全卫士 会员'],
  ['腾讯视频', 'memberships.video', '腾讯视频 VIP 月卡'],
  ['爱奇艺', 'memberships.video', '爱奇艺 黄金会员 月卡'],
  ['优酷', 'memberships.video', '优酷 VIP 会员'],
  ['哔哩哔哩', 'memberships.video', '哔哩哔哩 大会员'],
  ['Netflix', 'memberships.video', 'Netflix Gift Card'],
  ['QQ音乐', 'memberships.music', 'QQ音乐 绿钻 豪华版'],
  ['网易云音乐', 'memberships.music', '网易云音乐 黑胶VIP'],
  ['Spotify', 'memberships.music', 'Spotify Premium'],
  ['百度网盘', 'memberships.cloud', '百度网盘 超级会员'],
  ['iCloud', 'memberships.cloud', 'iCloud+ Storage'],
  ['网易有道', 'courses', '有道精品课 学习卡'],
  ['Coursera', 'courses', 'Coursera Plus'],
  ['中国移动', 'phone-topup.china-mobile', '中国移动 话费充值卡'],
  ['中国联通', 'phone-topup.china-unicom', '中国联通 话费充值卡'],
  ['中国电信', 'phone-topup.china-telecom', '中国电信 话费充值卡'],
];
const LATIN_STEMS = ['Nova', 'Orion', 'Pixel', 'Lumen', 'Apex', 'Zenith', 'Vertex', 'Atlas', 'Nimbus', 'Quasar', 'Echo', 'Falcon', 'Cobalt', 'Aurora', 'Titan', 'Vega'];
const LATIN_TAILS = ['Games', 'Play', 'Cloud', 'Media', 'Soft', 'Studio'];
const CJK_STEMS = ['星辰', '飞鱼', '龙腾', '云端', '蓝鲸', '火山', '极光', '青橙', '白鹭', '墨竹', '金桥', '银河', '天马', '紫藤', '海豚', '凤凰'];
const CJK_TAILS = ['游戏', '娱乐', '网络', '科技', '文化', '数码'];
/** What a generated brand's products are called, by top-level category. */
const KIND_WORDS: Record<string, string[]> = {
  'game-cards': ['点卡', 'Game Card', '充值卡'],
  'gift-cards': ['Gift Card', '礼品卡', '购物卡'],
  'software-licences': ['License Key', '激活码', 'Pro Key'],
  memberships: ['VIP 月卡', '会员 年卡', 'Premium'],
  courses: ['课程卡', 'Course Pass'],
  'phone-topup': ['话费卡', 'Top-up PIN'],
};
const QUERY_WORDS = ['wallet', 'gift card', 'Gift', '会员', '月卡', '充值卡', '点卡', 'VIP', 'key', 'premium', '加油卡', '话费', 'store', '激活码', '年卡', 'code'];

type Row = Record<string, unknown>;

interface Sample {
  ms: number;
  units: number;
}

/** The JSON row, and for the human-readable line the slowest request too. */
type Measured = Result & { maxMs: number };

interface Result extends BenchResult {
  system: 'kami' | 'pg-naive';
}

interface SearchParams {
  q?: string;
  category?: string;
  faceValue?: number;
  region?: string;
  inStock?: boolean;
}

const print = (line = ''): void => void process.stdout.write(`${line}\n`);

/** mulberry32: a small seeded PRNG, so every run draws the same parameters. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

function summarise(caseName: string, system: Result['system'], samples: Sample[], elapsedMs: number): Measured {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const units = samples.reduce((sum, s) => sum + s.units, 0);
  return {
    case: caseName,
    system,
    opsPerSec: roundTo((samples.length * 1000) / elapsedMs, 1),
    unitsPerSec: roundTo((units * 1000) / elapsedMs, 0),
    p50Ms: roundTo(percentile(sorted, 50), 2),
    p99Ms: roundTo(percentile(sorted, 99), 2),
    maxMs: roundTo(sorted[sorted.length - 1] ?? 0, 2),
  };
}

/** Runs `run` once per parameter, one after the other; returns the samples and the wall time. */
async function sequential<P>(params: P[], run: (p: P) => Promise<number>): Promise<{ samples: Sample[]; elapsedMs: number }> {
  const samples: Sample[] = [];
  const started = performance.now();
  for (const p of params) {
    const t0 = performance.now();
    const units = await run(p);
    samples.push({ ms: performance.now() - t0, units });
  }
  return { samples, elapsedMs: performance.now() - started };
}

/** `clients` workers take the parameters in turn until none are left. */
async function concurrent<P>(params: P[], clients: number, run: (p: P) => Promise<number>): Promise<{ samples: Sample[]; elapsedMs: number }> {
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < params.length) {
        const p = params[next++]!;
        const t0 = performance.now();
        const units = await run(p);
        samples.push({ ms: performance.now() - t0, units });
      }
    }),
  );
  return { samples, elapsedMs: performance.now() - started };
}

function searchPath(params: SearchParams, cursor?: string): string {
  const query = new URLSearchParams();
  if (params.q !== undefined) query.set('q', params.q);
  if (params.category !== undefined) query.set('category', params.category);
  if (params.faceValue !== undefined) query.set('faceValue', String(params.faceValue));
  if (params.region !== undefined) query.set('region', params.region);
  if (params.inStock) query.set('inStock', 'true');
  query.set('limit', String(PAGE_SIZE));
  if (cursor) query.set('cursor', cursor);
  return `/api/v1/catalog/products?${query.toString()}`;
}

// ---------------------------------------------------------------------------------------------
// Seeding

interface SeedBrand {
  name: string;
  category: string;
  words: string;
}

function seedBrands(random: () => number, leafCategories: string[]): SeedBrand[] {
  const brands: SeedBrand[] = REAL_BRANDS.map(([name, category, words]) => ({ name, category, words }));
  const taken = new Set(brands.map((b) => b.name.toLowerCase()));
  while (brands.length < BRANDS) {
    const latin = random() < 0.5;
    const name = latin ? `${pick(random, LATIN_STEMS)} ${pick(random, LATIN_TAILS)}` : `${pick(random, CJK_STEMS)}${pick(random, CJK_TAILS)}`;
    if (taken.has(name.toLowerCase())) continue;
    taken.add(name.toLowerCase());
    const category = pick(random, leafCategories);
    brands.push({ name, category, words: `${name} ${pick(random, KIND_WORDS[category.split('.')[0]!]!)}` });
  }
  return brands;
}

/**
 * Brands, suppliers, 10,000 products and 100,000 offers, each table with one INSERT … SELECT.
 * search_text is lower(name || ' ' || brand || ' ' || region), as ProductsService computes it
 * (JS toLowerCase and PostgreSQL lower() agree on these names: ASCII, CJK, digits and ¥ $).
 */
async function seed(db: Client, brands: SeedBrand[]): Promise<void> {
  await db.query('BEGIN');
  await db.query('SELECT setseed(0.4242)');
  await db.query(
    `CREATE TEMP TABLE bench_brand ON COMMIT DROP AS
       SELECT n::int, gen_random_uuid() AS id, name, category, words, n <= $4 AS real
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(name, category, words, n)`,
    [brands.map((b) => b.name), brands.map((b) => b.category), brands.map((b) => b.words), REAL_BRANDS.length],
  );
  await db.query(`INSERT INTO brand (id, name, created_at) SELECT id, name, now() - interval '400 days' FROM bench_brand`);

  await db.query(
    `CREATE TEMP TABLE bench_supplier ON COMMIT DROP AS
       SELECT n - 1 AS n, gen_random_uuid() AS id,
              CASE WHEN n % 3 = 0 THEN 'Supplier ' || lpad(n::text, 3, '0') || ' Trading Ltd'
                   WHEN n % 3 = 1 THEN (ARRAY['深圳', '广州', '上海', '杭州', '成都'])[1 + n % 5] || '卡联科技 ' || lpad(n::text, 3, '0')
                   ELSE 'Digital Keys ' || lpad(n::text, 3, '0') || ' 数码' END AS name
         FROM generate_series(1, $1::int) n`,
    [SUPPLIERS],
  );
  await db.query(`INSERT INTO supplier (id, name, registered_at) SELECT id, name, now() - interval '300 days' FROM bench_supplier`);

  // One draw per product, then plain expressions over them (random() in a join would be re-evaluated).
  await db.query(
    `CREATE TEMP TABLE bench_draw ON COMMIT DROP AS
       SELECT g AS n, random() AS r_brand, random() AS r_real, random() AS r_face, random() AS r_region, random() AS r_status, random() AS r_age
         FROM generate_series(1, $1::int) g`,
    [PRODUCTS],
  );
  await db.query(
    `CREATE TEMP TABLE bench_product ON COMMIT DROP AS
       SELECT d.n, gen_random_uuid() AS id, b.id AS brand_id, b.name AS brand_name, b.words, b.category,
              ($1::bigint[])[1 + floor(d.r_face * cardinality($1::bigint[]))::int] AS face_value,
              ($2::text[])[1 + floor(d.r_region * cardinality($2::text[]))::int] AS region,
              CASE WHEN d.r_status < 0.98 THEN 'active' WHEN d.r_status < 0.99 THEN 'proposed' ELSE 'retired' END AS status,
              now() - d.r_age * interval '365 days' AS created_at
         FROM bench_draw d
         JOIN bench_brand b ON b.n = CASE WHEN d.r_real < 0.5 THEN 1 + floor(d.r_brand * $3::int)::int
                                          ELSE $3::int + 1 + floor(d.r_brand * ($4::int - $3::int))::int END`,
    [FACE_VALUES, REGIONS, REAL_BRANDS.length, brands.length],
  );
  await db.query(
    `INSERT INTO product (id, name, brand_id, category_code, face_value, currency, region, redemption_instructions, code_pattern,
                         pin_policy, pin_pattern, serial_required, status, proposed_by, search_text, created_at, updated_at)
     SELECT p.id, x.name, p.brand_id, p.category, p.face_value, x.currency, p.region,
            '在 ' || p.brand_name || ' 客户端 → 账户 → 兑换 中输入卡密。Redeem in ' || p.brand_name || ': Account → Redeem a code.',
            CASE WHEN p.category LIKE 'phone-topup%' THEN '[0-9]{17}' ELSE '[A-Z0-9]{5}(-[A-Z0-9]{5}){2}' END,
            CASE WHEN p.category LIKE 'phone-topup%' THEN 'required' ELSE 'none' END,
            CASE WHEN p.category LIKE 'phone-topup%' THEN '[0-9]{8}' END,
            p.category LIKE 'phone-topup%',
            p.status,
            CASE WHEN p.status <> 'active' THEN (SELECT id FROM bench_supplier WHERE n = p.n % $1::int) END,
            lower(x.name || ' ' || p.brand_name || ' ' || p.region),
            p.created_at, p.created_at
       FROM bench_product p
       CROSS JOIN LATERAL (
         SELECT p.words || ' ' || p.region || ' ' ||
                CASE p.region WHEN 'HK' THEN 'HK$' WHEN 'TW' THEN 'NT$' WHEN 'US' THEN '$' WHEN 'GLOBAL' THEN '$' ELSE '¥' END ||
                (p.face_value / 100) || ' #' || p.n AS name,
                CASE p.region WHEN 'HK' THEN 'HKD' WHEN 'TW' THEN 'TWD' WHEN 'US' THEN 'USD' WHEN 'GLOBAL' THEN 'USD' ELSE 'CNY' END AS currency
       ) x`,
    [SUPPLIERS],
  );

  // Offers: ten per product from ten different suppliers ((7n + 53k) mod 500 differs for k = 0..9).
  await db.query(
    `CREATE TEMP TABLE bench_offer_draw ON COMMIT DROP AS
       SELECT p.n, p.id AS product_id, p.brand_id, p.face_value, k,
              random() AS r_price, random() AS r_tiers, random() AS r_min, random() AS r_max, random() AS r_status,
              random() AS r_soldout, random() AS r_stock, random() AS r_age
         FROM bench_product p CROSS JOIN generate_series(0, $1::int - 1) k`,
    [OFFERS_PER_PRODUCT],
  );
  await db.query(
    `INSERT INTO offer (id, supplier_id, product_id, brand_id, sku, currency, price_tiers, base_unit_price, min_order_quantity,
                       max_order_quantity, low_stock_threshold, status, paused_reason, stock_available, stock_sequence, stock_updated_at,
                       created_at, updated_at)
     SELECT gen_random_uuid(), s.id, d.product_id, d.brand_id, 'SKU-' || lpad(d.n::text, 5, '0') || '-' || d.k,
            pr.currency,
            CASE WHEN d.r_tiers < 0.34 THEN jsonb_build_array(jsonb_build_object('minQuantity', 1, 'unitPrice', pr.base))
                 WHEN d.r_tiers < 0.67 THEN jsonb_build_array(jsonb_build_object('minQuantity', 1, 'unitPrice', pr.base),
                                                               jsonb_build_object('minQuantity', 100, 'unitPrice', pr.base - greatest(1, pr.base / 100)))
                 ELSE jsonb_build_array(jsonb_build_object('minQuantity', 1, 'unitPrice', pr.base),
                                        jsonb_build_object('minQuantity', 100, 'unitPrice', pr.base - greatest(1, pr.base / 100)),
                                        jsonb_build_object('minQuantity', 1000, 'unitPrice', pr.base - greatest(2, pr.base / 50))) END,
            pr.base,
            CASE WHEN d.r_min < 0.8 THEN 1 WHEN d.r_min < 0.95 THEN 10 ELSE 100 END,
            CASE WHEN d.r_max < 0.9 THEN NULL ELSE 1000 END,
            floor(d.r_stock * 100)::int,
            CASE WHEN d.r_status < 0.9 THEN 'active' WHEN d.r_status < 0.95 THEN 'paused' WHEN d.r_status < 0.98 THEN 'draft' ELSE 'delisted' END,
            CASE WHEN d.r_status >= 0.9 AND d.r_status < 0.95 THEN 'by_supplier' END,
            CASE WHEN d.r_soldout < 0.15 THEN 0 ELSE 1 + floor(d.r_stock * 5000)::int END,
            1,
            now(),
            now() - d.r_age * interval '300 days', now() - d.r_age * interval '30 days'
       FROM bench_offer_draw d
       JOIN bench_supplier s ON s.n = (d.n * 7 + d.k * 53) % $1::int
       JOIN product p ON p.id = d.product_id
       CROSS JOIN LATERAL (SELECT greatest(100, round(d.face_value * (0.86 + d.r_price * 0.12)))::bigint AS base, p.currency) pr`,
    [SUPPLIERS],
  );
  await db.query('COMMIT');
  // VACUUM as well as ANALYZE: the tables look like a database in steady state, and autovacuum
  // does not wake up for 100,000 fresh rows in the middle of the measurements.
  await db.query('VACUUM (ANALYZE) brand, supplier, product, offer');
}

// ---------------------------------------------------------------------------------------------
// The baseline: what a first version would write.

const NAIVE_SELECT = `
  SELECT p.*, b.name AS brand_name, coalesce(s.active_offers, 0) AS active_offers, s.lowest_unit_price, coalesce(s.available, 0) AS available
    FROM product p
    JOIN brand b ON b.id = p.brand_id
    LEFT JOIN (SELECT product_id, count(*)::int AS active_offers, min(base_unit_price) AS lowest_unit_price, sum(stock_available) AS available
                 FROM offer WHERE status = 'active' GROUP BY product_id) s ON s.product_id = p.id`;

function naiveSearch(params: SearchParams, page: number): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = [`p.status = 'active'`];
  if (params.q !== undefined) {
    const n = values.push(`%${params.q}%`);
    where.push(`(p.name ILIKE $${n} OR b.name ILIKE $${n} OR p.region ILIKE $${n})`);
  }
  if (params.category !== undefined) where.push(`(p.category_code = $${values.push(params.category)} OR p.category_code LIKE $${values.push(`${params.category}.%`)})`);
  if (params.faceValue !== undefined) where.push(`p.face_value = $${values.push(params.faceValue)}`);
  if (params.region !== undefined) where.push(`p.region = $${values.push(params.region)}`);
  if (params.inStock) where.push(`coalesce(s.available, 0) > 0`);
  return { text: `${NAIVE_SELECT} WHERE ${where.join(' AND ')} ORDER BY p.name LIMIT ${PAGE_SIZE} OFFSET ${page * PAGE_SIZE}`, values };
}

interface NaiveOfferRow extends QueryResultRow {
  id: string;
  supplier_name: string | null;
  price_tiers: { minQuantity: number; unitPrice: number }[];
  min_order_quantity: number;
  max_order_quantity: number | null;
  stock_available: number;
}

/** The product, its active offers, and the ones that can serve the quantity alone, cheapest first (ranked in JS). */
async function naiveCompare(db: Client | Pool, productId: string, quantity: number): Promise<number> {
  const product = await db.query(`SELECT id, name, face_value, currency FROM product WHERE id = $1 AND status = 'active'`, [productId]);
  if (product.rowCount !== 1) throw new Error(`pg-naive: product ${productId} not found`);
  const offers = await db.query<NaiveOfferRow>(
    `SELECT o.*, s.name AS supplier_name FROM offer o LEFT JOIN supplier s ON s.id = o.supplier_id WHERE o.product_id = $1 AND o.status = 'active'`,
    [productId],
  );
  const ranked = offers.rows
    .filter((o) => o.min_order_quantity <= quantity && (o.max_order_quantity === null || o.max_order_quantity >= quantity) && o.stock_available >= quantity)
    .map((o) => {
      const tier = o.price_tiers.filter((t) => t.minQuantity <= quantity).sort((a, b) => b.minQuantity - a.minQuantity)[0];
      return { offer: o, unitPrice: tier ? tier.unitPrice : Infinity, total: tier ? tier.unitPrice * quantity : Infinity };
    })
    .filter((r) => Number.isFinite(r.unitPrice))
    .sort((a, b) => a.unitPrice - b.unitPrice || a.offer.id.localeCompare(b.offer.id));
  JSON.stringify(ranked);
  return ranked.length;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = Number(process.env.KAMI_BENCH_STARTED_AT) || Date.now();
  // Other work on the machine shows up in the tail latencies; the load average tells whether there was any.
  const loadAtStart = os.loadavg()[0]!;
  let loadOneClient = 0;
  const infra = await testInfrastructure();
  // The gateway's identity key pair, made here as the dev tooling makes it: the bench signs as the gateway.
  const gatewayKeys = generateSigningKeyPair();
  const cleanups = benchCleanup('stopping the catalog service and dropping the benchmark database');

  try {
    // 1. A fresh database and the real service on it.
    const database: TestDatabase = await createTestDatabase('bench_catalog');
    cleanups.add(() => database.drop());
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const serviceStarted = performance.now();
    const service: SpawnedProcess = spawnTs('apps/catalog/src/main.ts', {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.url,
      KAFKA_BROKERS: infra.kafkaBrokers,
      GATEWAY_IDENTITY_PUBLIC_KEY: gatewayKeys.publicKey,
      IDEMPOTENCY_FINGERPRINT_KEY: randomBytes(32).toString('base64url'),
      RUN_MIGRATIONS_ON_START: 'true',
      KAFKA_CONSUMER_GROUP_PREFIX: `bench_catalog_${uniqueSuffix()}.`,
    });
    cleanups.add(() => service.stop());
    await waitUntilReady(baseUrl, service);
    const db = new Client({ connectionString: database.url, application_name: 'bench-catalog' });
    db.on('error', () => undefined);
    await db.connect();
    cleanups.add(() => db.end());
    const pgVersion = (await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
    print(`catalog search benchmark — ${os.cpus().length} CPUs, Node ${process.version}, PostgreSQL ${pgVersion}`);
    print(`catalog service ready at ${baseUrl} in ${((performance.now() - serviceStarted) / 1000).toFixed(1)} s (database ${database.name}, migrated at start)`);

    // 2. Seed.
    const leafCategories = (
      await db.query<{ code: string }>(`SELECT code FROM category c WHERE NOT EXISTS (SELECT 1 FROM category k WHERE k.parent_code = c.code) ORDER BY code`)
    ).rows.map((r) => r.code);
    const random = prng(20_251_122);
    const brands = seedBrands(random, leafCategories);
    const seedStarted = performance.now();
    await seed(db, brands);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const counts = (
      await db.query<Row>(
        `SELECT (SELECT count(*) FROM brand) AS brands, (SELECT count(DISTINCT supplier_id) FROM offer) AS suppliers,
                (SELECT count(*) FROM product) AS products, (SELECT count(*) FROM product WHERE status = 'active') AS active_products,
                (SELECT count(*) FROM offer) AS offers, (SELECT count(*) FROM offer WHERE status = 'active') AS active_offers`,
      )
    ).rows[0]!;
    print(
      `seeded ${counts.brands} brands, ${counts.suppliers} suppliers, ${counts.products} products (${counts.active_products} active), ` +
        `${counts.offers} offers (${counts.active_offers} active) in ${seedSeconds.toFixed(1)} s (set-based INSERT … SELECT, then VACUUM (ANALYZE))`,
    );
    const activeProducts = (await db.query<{ id: string }>(`SELECT id FROM product WHERE status = 'active' ORDER BY name`)).rows.map((r) => r.id);

    // 3. The client side: a merchant, as the gateway would forward it.
    const merchant = { organisationId: randomUUID(), organisationType: 'merchant', principalType: 'user' as const, principalId: randomUUID(), roles: ['member'] };
    // One header per request, as the gateway signs it (bound to the request, accepted once).
    const identity = (path: string): string => signIdentityHeader(merchant, 'catalog', { method: 'GET', path }, gatewayKeys.privateKey);
    const get = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${baseUrl}${path}`, { headers: { accept: 'application/json', 'x-kami-identity': identity(path) } });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    };
    const kamiSearch = async (params: SearchParams, cursor?: string): Promise<{ units: number; nextCursor: string | null }> => {
      const body = await get<{ items: unknown[]; nextCursor: string | null }>(searchPath(params, cursor));
      return { units: body.items.length, nextCursor: body.nextCursor };
    };
    const kamiCompare = async (productId: string): Promise<number> => {
      const body = await get<{ offers: unknown[]; split: { lines: unknown[] } | null }>(`/api/v1/catalog/products/${productId}/offers?quantity=${COMPARE_QUANTITY}`);
      return body.offers.length + (body.split?.lines.length ?? 0);
    };

    const naive = new Client({ connectionString: database.url, application_name: 'bench-pg-naive' });
    naive.on('error', () => undefined);
    await naive.connect();
    cleanups.add(() => naive.end());
    const naivePool = new Pool({ connectionString: database.url, max: CONCURRENT_CLIENTS, application_name: 'bench-pg-naive' });
    naivePool.on('error', () => undefined);
    cleanups.add(() => naivePool.end());
    const naiveQuery = async (params: SearchParams, page = 0, on: Client | Pool = naive): Promise<number> => {
      const { text, values } = naiveSearch(params, page);
      const result = await on.query(text, values);
      JSON.stringify(result.rows);
      return result.rowCount ?? 0;
    };

    // Parameters, from seeded PRNGs (one per case, and one for each warm-up).
    const queryPool = [
      ...brands.map((b) => b.name),
      ...brands.flatMap((b) => fragments(b.name)),
      ...QUERY_WORDS,
      ...FACE_VALUES.map((f) => `¥${f / 100}`),
    ];
    const textParams = (r: () => number, n: number): SearchParams[] =>
      Array.from({ length: n }, () => {
        const q = pick(r, queryPool);
        const cased = r() < 0.2 ? q.toUpperCase() : r() < 0.4 ? q.toLowerCase() : q;
        return { q: cased };
      });
    const categoryOf = (r: () => number): string => (r() < 0.5 ? pick(r, TOP_CATEGORIES) : pick(r, leafCategories));
    const filterParams = (r: () => number, n: number): SearchParams[] =>
      Array.from({ length: n }, () => ({ category: categoryOf(r), faceValue: pick(r, FACE_VALUES), region: pick(r, [...new Set(REGIONS)]) }));
    const inStockParams = (r: () => number, n: number): SearchParams[] => Array.from({ length: n }, () => ({ inStock: true, category: categoryOf(r) }));
    const compareParams = (r: () => number, n: number): string[] => Array.from({ length: n }, () => pick(r, activeProducts));

    const results: Result[] = [];
    const caseLines: string[] = [];
    const report = ({ maxMs, ...result }: Measured, note = ''): void => {
      results.push(result);
      const line =
        `${result.case.padEnd(10)} ${result.system.padEnd(9)} ${result.opsPerSec.toFixed(1).padStart(8)} ops/s ${String(result.unitsPerSec).padStart(8)} rows/s` +
        `   p50 ${result.p50Ms.toFixed(2).padStart(7)} ms   p99 ${result.p99Ms.toFixed(2).padStart(7)} ms   max ${maxMs.toFixed(2).padStart(7)} ms${note ? `   ${note}` : ''}`;
      caseLines.push(line);
      print(line);
    };
    const measureCase = async <P>(
      name: string,
      params: P[],
      warmup: P[],
      kami: (p: P) => Promise<number>,
      baseline: (p: P) => Promise<number>,
      note = '',
    ): Promise<void> => {
      for (const p of warmup) await kami(p);
      const k = await sequential(params, kami);
      report(summarise(name, 'kami', k.samples, k.elapsedMs), note);
      for (const p of warmup.slice(0, BASELINE_WARMUP)) await baseline(p);
      const b = await sequential(params, baseline);
      report(summarise(name, 'pg-naive', b.samples, b.elapsedMs), note);
      loadOneClient = Math.max(loadOneClient, os.loadavg()[0]!);
    };

    print('');
    print(`each case: ${WARMUP_PER_CASE} warm-up requests (baseline ${BASELINE_WARMUP}), then ${REQUESTS_PER_CASE} measured, one client; page size ${PAGE_SIZE}; merchant identity`);
    print('kami = GET through HTTP to the real catalog service (HTTP + identity check + validation + SQL + JSON);');
    print('pg-naive = the bare SQL a first version would run, through node-postgres with no HTTP — the comparison favours it.');
    print('');
    const measureStarted = performance.now();

    await measureCase('text', textParams(prng(1), REQUESTS_PER_CASE), textParams(prng(101), WARMUP_PER_CASE), (p) => kamiSearch(p).then((r) => r.units), (p) => naiveQuery(p));
    await measureCase(
      'filters',
      filterParams(prng(2), REQUESTS_PER_CASE),
      filterParams(prng(102), WARMUP_PER_CASE),
      (p) => kamiSearch(p).then((r) => r.units),
      (p) => naiveQuery(p),
    );
    await measureCase(
      'in-stock',
      inStockParams(prng(3), REQUESTS_PER_CASE),
      inStockParams(prng(103), WARMUP_PER_CASE),
      (p) => kamiSearch(p).then((r) => r.units),
      (p) => naiveQuery(p),
    );

    // deep-page: the broadest query (every active product, by name). kami walks its cursor to page
    // 50 untimed, then pages 50, 51, … are timed one after the other; pg-naive reads the same pages with OFFSET.
    {
      const broad: SearchParams = {};
      let cursor: string | undefined;
      for (let page = 0; page < DEEP_PAGE_FROM; page++) cursor = (await kamiSearch(broad, cursor)).nextCursor ?? undefined;
      if (!cursor) throw new Error(`the broad query has fewer than ${DEEP_PAGE_FROM} pages`);
      const pages = Array.from({ length: REQUESTS_PER_CASE }, (_, i) => DEEP_PAGE_FROM + i);
      const k = await sequential(pages, async () => {
        const r = await kamiSearch(broad, cursor);
        cursor = r.nextCursor ?? undefined;
        if (!cursor) throw new Error('the broad query ran out of pages; lower REQUESTS_PER_CASE');
        return r.units;
      });
      report(summarise('deep-page', 'kami', k.samples, k.elapsedMs), `pages ${DEEP_PAGE_FROM}..${DEEP_PAGE_FROM + REQUESTS_PER_CASE - 1} by cursor`);
      for (const page of pages.slice(0, BASELINE_WARMUP)) await naiveQuery(broad, page);
      const b = await sequential(pages, (page) => naiveQuery(broad, page));
      report(summarise('deep-page', 'pg-naive', b.samples, b.elapsedMs), `pages ${DEEP_PAGE_FROM}..${DEEP_PAGE_FROM + REQUESTS_PER_CASE - 1} by OFFSET`);
      loadOneClient = Math.max(loadOneClient, os.loadavg()[0]!);
    }

    await measureCase(
      'compare',
      compareParams(prng(5), REQUESTS_PER_CASE),
      compareParams(prng(105), WARMUP_PER_CASE),
      kamiCompare,
      (id) => naiveCompare(naive, id, COMPARE_QUANTITY),
      `quantity=${COMPARE_QUANTITY}`,
    );

    // text-c8: throughput with 8 clients at once (same kind of parameters as `text`).
    {
      const params = textParams(prng(6), CONCURRENT_REQUESTS);
      const warmup = textParams(prng(106), WARMUP_PER_CASE * 2);
      await concurrent(warmup, CONCURRENT_CLIENTS, (p) => kamiSearch(p).then((r) => r.units));
      const k = await concurrent(params, CONCURRENT_CLIENTS, (p) => kamiSearch(p).then((r) => r.units));
      report(summarise('text-c8', 'kami', k.samples, k.elapsedMs), `${CONCURRENT_CLIENTS} clients, ${CONCURRENT_REQUESTS} requests`);
      await concurrent(warmup.slice(0, CONCURRENT_CLIENTS * 2), CONCURRENT_CLIENTS, (p) => naiveQuery(p, 0, naivePool));
      const b = await concurrent(params, CONCURRENT_CLIENTS, (p) => naiveQuery(p, 0, naivePool));
      report(summarise('text-c8', 'pg-naive', b.samples, b.elapsedMs), `${CONCURRENT_CLIENTS} connections, ${CONCURRENT_REQUESTS} queries`);
    }

    const slowest = results.filter((r) => r.system === 'kami' && r.case !== 'compare' && r.case !== 'text-c8').sort((a, b) => b.p99Ms - a.p99Ms)[0];
    print('');
    print(`measuring took ${((performance.now() - measureStarted) / 1000).toFixed(1)} s; seeding took ${seedSeconds.toFixed(1)} s`);
    // One client keeps about one CPU busy (client, service and PostgreSQL take turns); more means other work.
    const cpus = os.cpus().length;
    const busy = loadAtStart > cpus / 2 || loadOneClient > Math.max(2, cpus);
    print(
      `load average (1 min): ${loadAtStart.toFixed(2)} at start, up to ${loadOneClient.toFixed(2)} during the one-client cases, on ${cpus} CPUs` +
        (busy ? ' — other work was running; the latencies, p99 above all, are inflated' : ''),
    );
    if (slowest) print(`slowest kami search page (one client): p99 ${slowest.p99Ms.toFixed(2)} ms in case ${slowest.case} (target: under 50 ms)`);
    print('note: kami latencies include HTTP, JSON and validation; pg-naive latencies are bare SQL round trips.');
    await cleanups.run();
    print(`total run time ${((Date.now() - startedAt) / 1000).toFixed(1)} s (stack check, service start, seeding, measuring, clean-up)`);
    print(JSON.stringify({ bench: 'catalog-search', results }));
  } catch (error) {
    await cleanups.run();
    throw error;
  }
}

/** Substrings a user might type: 2–3 characters of a Chinese name, 3–5 letters of a Latin word. */
function fragments(name: string): string[] {
  const out: string[] = [];
  for (const word of name.split(/\s+/)) {
    if (/^[\u4e00-\u9fff]+$/.test(word)) {
      if (word.length >= 3) out.push(word.slice(0, 2), word.slice(1, 3));
    } else if (/^[A-Za-z]{5,}$/.test(word)) {
      out.push(word.slice(0, 4).toLowerCase(), word.slice(1, 5));
    }
  }
  return out;
}

async function waitUntilReady(baseUrl: string, service: SpawnedProcess): Promise<void> {
  let ended = false;
  void service.exited.then(() => (ended = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  for (;;) {
    if (ended) throw new Error(`the catalog service exited before it was ready:\n${service.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`the catalog service was not ready within ${READY_TIMEOUT_MS} ms (last: ${last}):\n${service.output().slice(-4000)}`);
    try {
      const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(3000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench catalog search failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
