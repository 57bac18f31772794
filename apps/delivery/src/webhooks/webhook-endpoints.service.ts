import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { canonicalJson, DomainError, idempotencyKeyReused, SERVICE_CONFIG, type Identity } from '@kami/platform';
import type { DeliveryConfig } from '../config/delivery.config';
import type { CreateWebhookEndpointDto, RotatedSecretDto, UpdateWebhookEndpointDto, WebhookEndpointDto, WebhookEndpointWithSecretDto, WebhookEventType } from './webhook.dto';
import { newWebhookSecret, WebhookSecrets } from './webhook-secrets';
import { assertWebhookUrlAllowed } from './url-guard';

/** Endpoints one organisation may have. */
export const MAX_WEBHOOK_ENDPOINTS = 20;
/** How long a create retried with the same Idempotency-Key answers the first response (with its secret). */
const CREATION_REPLAY_SECONDS = 86_400;
/** How long the previous secret keeps signing after a rotation, so receivers can switch without losing webhooks. */
const ROTATION_GRACE_SECONDS = 86_400;

interface EndpointRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  include_codes: boolean;
  description: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id::text, url, events, include_codes, description, enabled, created_at, updated_at`;

const codesNeedAnAdmin = (): DomainError =>
  new DomainError('webhook_codes_need_an_admin', 403, 'Only an admin user in the portal may set up or change an endpoint that receives plaintext codes; API keys may not.');

/** An endpoint that receives plaintext is set up by an admin user, never by an API key (a leaked key must not open a tap on codes). */
function assertMayReceiveCodes(identity: Identity): void {
  if (identity.principalType !== 'user' || !identity.roles.includes('admin')) throw codesNeedAnAdmin();
}

export const endpointNotFound = (): DomainError => new DomainError('webhook_endpoint_not_found', 404, 'There is no such webhook endpoint.');

function toDto(row: EndpointRow): WebhookEndpointDto {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    includeCodes: row.include_codes,
    description: row.description,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * An organisation's webhook endpoints; every statement is scoped to the caller's organisation.
 * (UPDATE/DELETE ... RETURNING sit in a CTE: TypeORM answers a bare UPDATE with [rows, count].)
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: WebhookSecrets,
    @Inject(SERVICE_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  /**
   * Creates an endpoint and answers its secret, the one time it is shown. With an Idempotency-Key,
   * a retry of the same request (within 24 h) answers the same endpoint and secret, decrypted from
   * the endpoint itself: the platform's idempotency store would keep a copy of the answer, secret
   * included, in plaintext.
   */
  async create(identity: Identity, body: CreateWebhookEndpointDto, key: string | undefined): Promise<{ replayed: boolean; endpoint: WebhookEndpointWithSecretDto }> {
    if (body.includeCodes) assertMayReceiveCodes(identity);
    const url = (await assertWebhookUrlAllowed(body.url, this.config.WEBHOOK_ALLOW_PRIVATE_URLS)).toString();
    const fingerprint = key === undefined ? null : createHash('sha256').update(canonicalJson({ ...body, url })).digest('base64url');
    return this.dataSource.transaction(async (manager) => {
      // One creation at a time per organisation: the limit and the key check see every other creation.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoint:' || $1, 0))`, [identity.organisationId]);
      if (key !== undefined) {
        const earlier: (EndpointRow & { creation_fingerprint: string; secret_ciphertext: string; age: number })[] = await manager.query(
          `SELECT ${COLUMNS}, creation_fingerprint, secret_ciphertext, extract(epoch FROM now() - created_at)::float8 AS age
             FROM webhook_endpoint WHERE organisation_id = $1 AND creation_key = $2`,
          [identity.organisationId, key],
        );
        const first = earlier[0];
        if (first) {
          if (first.creation_fingerprint !== fingerprint || first.age > CREATION_REPLAY_SECONDS) throw idempotencyKeyReused();
          return { replayed: true, endpoint: { ...toDto(first), secret: this.secrets.decrypt(first.id, first.secret_ciphertext) } };
        }
      }
      const [{ n }]: { n: number }[] = await manager.query(`SELECT count(*)::int AS n FROM webhook_endpoint WHERE organisation_id = $1`, [identity.organisationId]);
      if (n >= MAX_WEBHOOK_ENDPOINTS) {
        throw new DomainError('webhook_endpoint_limit', 422, `An organisation may have at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first.`);
      }
      const id = randomUUID();
      const secret = newWebhookSecret();
      const rows: EndpointRow[] = await manager.query(
        `INSERT INTO webhook_endpoint (id, organisation_id, url, events, include_codes, description, secret_ciphertext, creation_key, creation_fingerprint, created_by_type, created_by_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
        [id, identity.organisationId, url, body.events, body.includeCodes ?? false, body.description ?? null, this.secrets.encrypt(id, secret), key ?? null, fingerprint, identity.principalType, identity.principalId],
      );
      return { replayed: false, endpoint: { ...toDto(rows[0]!), secret } };
    });
  }

  async list(identity: Identity): Promise<WebhookEndpointDto[]> {
    const rows: EndpointRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM webhook_endpoint WHERE organisation_id = $1 ORDER BY created_at, id`,
      [identity.organisationId],
    );
    return rows.map(toDto);
  }

  async get(identity: Identity, id: string): Promise<WebhookEndpointDto> {
    const rows: EndpointRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM webhook_endpoint WHERE id = $1 AND organisation_id = $2`, [id, identity.organisationId]);
    if (!rows[0]) throw endpointNotFound();
    return toDto(rows[0]);
  }

  async update(identity: Identity, id: string, body: UpdateWebhookEndpointDto): Promise<WebhookEndpointDto> {
    if (body.includeCodes) assertMayReceiveCodes(identity);
    await this.assertKeyMayChange(identity, id);
    const url = body.url === undefined ? null : (await assertWebhookUrlAllowed(body.url, this.config.WEBHOOK_ALLOW_PRIVATE_URLS)).toString();
    const rows: EndpointRow[] = await this.dataSource.query(
      `WITH changed AS (UPDATE webhook_endpoint SET url = COALESCE($3, url), events = COALESCE($4, events), enabled = COALESCE($5, enabled),
              include_codes = COALESCE($6, include_codes), description = COALESCE($7, description), updated_at = now()
        WHERE id = $1 AND organisation_id = $2 RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [id, identity.organisationId, url, body.events ?? null, body.enabled ?? null, body.includeCodes ?? null, body.description ?? null],
    );
    if (!rows[0]) throw endpointNotFound();
    return toDto(rows[0]);
  }

  /** API keys may not change, re-key or delete an endpoint that receives plaintext (they could point it elsewhere). */
  private async assertKeyMayChange(identity: Identity, id: string): Promise<void> {
    if (identity.principalType === 'user') return;
    const rows: { include_codes: boolean }[] = await this.dataSource.query(`SELECT include_codes FROM webhook_endpoint WHERE id = $1 AND organisation_id = $2`, [id, identity.organisationId]);
    if (rows[0]?.include_codes) throw codesNeedAnAdmin();
  }

  /** Deletes the endpoint with its deliveries and their attempt log; an attempt in flight is not recorded. */
  async remove(identity: Identity, id: string): Promise<void> {
    await this.assertKeyMayChange(identity, id);
    const rows: unknown[] = await this.dataSource.query(`WITH gone AS (DELETE FROM webhook_endpoint WHERE id = $1 AND organisation_id = $2 RETURNING 1) SELECT * FROM gone`, [id, identity.organisationId]);
    if (rows.length === 0) throw endpointNotFound();
  }

  /** A new secret (shown once); the previous one keeps signing alongside for 24 h. */
  async rotateSecret(identity: Identity, id: string): Promise<RotatedSecretDto> {
    await this.assertKeyMayChange(identity, id);
    const secret = newWebhookSecret();
    const rows: { previous_secret_until: Date }[] = await this.dataSource.query(
      `WITH changed AS (UPDATE webhook_endpoint SET previous_secret_ciphertext = secret_ciphertext, previous_secret_until = now() + make_interval(secs => $4),
              secret_ciphertext = $3, updated_at = now()
        WHERE id = $1 AND organisation_id = $2 RETURNING previous_secret_until) SELECT * FROM changed`,
      [id, identity.organisationId, this.secrets.encrypt(id, secret), ROTATION_GRACE_SECONDS],
    );
    if (!rows[0]) throw endpointNotFound();
    return { id, secret, previousSecretValidUntil: rows[0].previous_secret_until.toISOString() };
  }
}

/** The secrets an endpoint signs with now: the current one, and the previous one during a rotation's grace period. */
export async function signingSecrets(manager: EntityManager, secrets: WebhookSecrets, endpointId: string): Promise<string[] | null> {
  const rows: { secret_ciphertext: string; previous: string | null }[] = await manager.query(
    `SELECT secret_ciphertext, CASE WHEN previous_secret_until > now() THEN previous_secret_ciphertext END AS previous FROM webhook_endpoint WHERE id = $1`,
    [endpointId],
  );
  const row = rows[0];
  if (!row) return null;
  return [row.secret_ciphertext, ...(row.previous ? [row.previous] : [])].map((c) => secrets.decrypt(endpointId, c));
}
