import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The starting category tree: code (a dotted path), parent, English and Chinese names. */
const CATEGORIES: [code: string, parent: string | null, en: string, zh: string][] = [
  ['game-cards', null, 'Game cards', '游戏点卡'],
  ['game-cards.pc', 'game-cards', 'PC game cards', '端游点卡'],
  ['game-cards.mobile', 'game-cards', 'Mobile game top-up', '手游充值'],
  ['game-cards.console', 'game-cards', 'Console and platform wallets', '主机与平台钱包'],
  ['gift-cards', null, 'Gift and recharge cards', '礼品卡与充值卡'],
  ['gift-cards.ecommerce', 'gift-cards', 'E-commerce gift cards', '电商礼品卡'],
  ['gift-cards.app-store', 'gift-cards', 'App store cards', '应用商店充值卡'],
  ['gift-cards.fuel', 'gift-cards', 'Fuel cards', '加油卡'],
  ['software-licences', null, 'Software licences', '软件激活码'],
  ['software-licences.os', 'software-licences', 'Operating systems', '操作系统'],
  ['software-licences.office', 'software-licences', 'Office software', '办公软件'],
  ['software-licences.security', 'software-licences', 'Security software', '安全软件'],
  ['memberships', null, 'Memberships', '会员卡'],
  ['memberships.video', 'memberships', 'Video memberships', '视频会员'],
  ['memberships.music', 'memberships', 'Music memberships', '音乐会员'],
  ['memberships.cloud', 'memberships', 'Cloud storage', '网盘会员'],
  ['courses', null, 'Courses', '课程卡'],
  ['phone-topup', null, 'Phone top-up', '话费充值'],
  ['phone-topup.china-mobile', 'phone-topup', 'China Mobile', '中国移动'],
  ['phone-topup.china-unicom', 'phone-topup', 'China Unicom', '中国联通'],
  ['phone-topup.china-telecom', 'phone-topup', 'China Telecom', '中国电信'],
];

/** Categories, brands, products, brand authorisations, offers, the supplier directory and the audit log. */
export class CreateCatalog1763800000000 implements MigrationInterface {
  name = 'CreateCatalog1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Trigram indexes serve substring search in Chinese as well as Latin text.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(`
      CREATE TABLE category (
        code        text         PRIMARY KEY CHECK (code ~ '^[a-z0-9-]+(\\.[a-z0-9-]+)*$'),
        parent_code text         NULL REFERENCES category (code),
        name_en     text         NOT NULL,
        name_zh     text         NOT NULL,
        position    integer      NOT NULL DEFAULT 0,
        created_at  timestamptz  NOT NULL DEFAULT now()
      )`);
    for (const [index, [code, parent, en, zh]] of CATEGORIES.entries()) {
      await queryRunner.query(`INSERT INTO category (code, parent_code, name_en, name_zh, position) VALUES ($1, $2, $3, $4, $5)`, [code, parent, en, zh, index]);
    }
    await queryRunner.query(`
      CREATE TABLE brand (
        id         uuid         PRIMARY KEY,
        name       text         NOT NULL,
        created_at timestamptz  NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_BRAND_NAME" ON brand (lower(name))`);

    // Supplier names, kept from the gateway's organisation events (catalog never reads gateway tables).
    await queryRunner.query(`
      CREATE TABLE supplier (
        id            uuid         PRIMARY KEY,
        name          text         NOT NULL,
        registered_at timestamptz  NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE product (
        id                      uuid         PRIMARY KEY,
        name                    text         NOT NULL,
        brand_id                uuid         NOT NULL REFERENCES brand (id),
        category_code           text         NOT NULL REFERENCES category (code),
        face_value              bigint       NOT NULL CHECK (face_value > 0),
        currency                char(3)      NOT NULL,
        region                  text         NOT NULL,
        redemption_instructions text         NOT NULL DEFAULT '',
        code_pattern            text         NOT NULL,
        pin_policy              text         NOT NULL CHECK (pin_policy IN ('none', 'optional', 'required')),
        pin_pattern             text         NULL,
        serial_required         boolean      NOT NULL DEFAULT false,
        status                  text         NOT NULL CHECK (status IN ('proposed', 'active', 'rejected', 'retired')),
        proposed_by             uuid         NULL,
        review_note             text         NULL,
        search_text             text         NOT NULL,
        version                 integer      NOT NULL DEFAULT 1,
        created_at              timestamptz  NOT NULL DEFAULT now(),
        updated_at              timestamptz  NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_PRODUCT_SEARCH_TEXT" ON product USING gin (search_text gin_trgm_ops)`);
    await queryRunner.query(`CREATE INDEX "IDX_PRODUCT_NAME_ID" ON product (name, id)`);
    await queryRunner.query(`CREATE INDEX "IDX_PRODUCT_CATEGORY" ON product (category_code text_pattern_ops)`);
    await queryRunner.query(`CREATE INDEX "IDX_PRODUCT_BRAND" ON product (brand_id)`);
    await queryRunner.query(`CREATE INDEX "IDX_PRODUCT_FACE_VALUE" ON product (face_value)`);
    await queryRunner.query(`CREATE INDEX "IDX_PRODUCT_PROPOSED_BY" ON product (proposed_by) WHERE proposed_by IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE brand_authorisation (
        id                  uuid         PRIMARY KEY,
        supplier_id         uuid         NOT NULL,
        brand_id            uuid         NOT NULL REFERENCES brand (id),
        status              text         NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked', 'expired')),
        note                text         NOT NULL DEFAULT '',
        proof_file_name     text         NOT NULL,
        proof_content_type  text         NOT NULL,
        proof_size          integer      NOT NULL,
        proof_sha256        text         NOT NULL,
        proof_content       bytea        NOT NULL,
        expires_at          timestamptz  NULL,
        decision_reason     text         NULL,
        decided_by          uuid         NULL,
        decided_at          timestamptz  NULL,
        created_at          timestamptz  NOT NULL DEFAULT now(),
        updated_at          timestamptz  NOT NULL DEFAULT now(),
        CHECK (status <> 'approved' OR expires_at IS NOT NULL)
      )`);
    // One application under review per supplier and brand.
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_BRAND_AUTHORISATION_PENDING" ON brand_authorisation (supplier_id, brand_id) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX "IDX_BRAND_AUTHORISATION_SUPPLIER_BRAND" ON brand_authorisation (supplier_id, brand_id, status)`);
    await queryRunner.query(`CREATE INDEX "IDX_BRAND_AUTHORISATION_EXPIRY" ON brand_authorisation (expires_at) WHERE status = 'approved'`);
    await queryRunner.query(`CREATE INDEX "IDX_BRAND_AUTHORISATION_STATUS_CREATED" ON brand_authorisation (status, created_at, id)`);

    await queryRunner.query(`
      CREATE TABLE offer (
        id                     uuid         PRIMARY KEY,
        supplier_id            uuid         NOT NULL,
        product_id             uuid         NOT NULL REFERENCES product (id),
        brand_id               uuid         NOT NULL REFERENCES brand (id),
        sku                    text         NOT NULL,
        currency               char(3)      NOT NULL,
        price_tiers            jsonb        NOT NULL,
        base_unit_price        bigint       NOT NULL CHECK (base_unit_price > 0),
        min_order_quantity     integer      NOT NULL CHECK (min_order_quantity >= 1),
        max_order_quantity     integer      NULL CHECK (max_order_quantity IS NULL OR max_order_quantity >= min_order_quantity),
        low_stock_threshold    integer      NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
        allow_above_face_value boolean      NOT NULL DEFAULT false,
        status                 text         NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'delisted')),
        paused_reason          text         NULL,
        stock_available        integer      NOT NULL DEFAULT 0,
        stock_sequence         bigint       NOT NULL DEFAULT 0,
        stock_updated_at       timestamptz  NULL,
        version                integer      NOT NULL DEFAULT 1,
        created_at             timestamptz  NOT NULL DEFAULT now(),
        updated_at             timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT "UQ_OFFER_SUPPLIER_SKU" UNIQUE (supplier_id, sku)
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_OFFER_PRODUCT_ACTIVE" ON offer (product_id, base_unit_price) WHERE status = 'active'`);
    await queryRunner.query(`CREATE INDEX "IDX_OFFER_SUPPLIER_CREATED" ON offer (supplier_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX "IDX_OFFER_CREATED" ON offer (created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX "IDX_OFFER_SUPPLIER_BRAND" ON offer (supplier_id, brand_id) WHERE status IN ('draft', 'active', 'paused')`);

    await queryRunner.query(`
      CREATE TABLE audit_log (
        id                    bigserial    PRIMARY KEY,
        at                    timestamptz  NOT NULL DEFAULT now(),
        actor_organisation_id uuid         NULL,
        actor_principal       text         NOT NULL,
        action                text         NOT NULL,
        subject_type          text         NOT NULL,
        subject_id            uuid         NOT NULL,
        detail                jsonb        NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_AUDIT_LOG_SUBJECT" ON audit_log (subject_type, subject_id, at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['audit_log', 'offer', 'brand_authorisation', 'product', 'supplier', 'brand', 'category']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
