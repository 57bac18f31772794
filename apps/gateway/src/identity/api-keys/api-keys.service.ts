import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, type Repository } from 'typeorm';
import { CredentialRevoked, type OrganisationType } from '@kami/contracts';
import { Messaging, type Identity, type Role } from '@kami/platform';
import { generateApiKey, hashApiKeySecret, parseApiKey, secretsEqual } from '../credentials';
import { apiKeyNotFound, invalidApiKey, scopesNotAllowed } from '../identity.errors';
import { DEFAULT_SCOPES, SCOPES_BY_ORGANISATION_TYPE, type ApiKeyScope, type KeyedIdentity } from './api-key-scopes';
import type { ApiKeyDto, CreatedApiKeyDto } from '../dto/identity.dto';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyEntity } from './api-key.entity';

/** How stale `lastUsedAt` may be: it is rewritten at most once a minute per key. */
const LAST_USED_PRECISION_SECONDS = 60;

const toDto = (key: ApiKeyEntity): ApiKeyDto => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

/** API keys for storefronts and supplier integrations: created (shown once), listed, revoked, verified. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly cache: ApiKeyCache,
  ) {}
  /** When this gateway last wrote each key's lastUsedAt (a cached key is not read, so not seen stale). */
  private readonly lastUsedWrites = new Map<string, number>();

  /** A new key with the scopes asked for (refused beyond what the organisation type may hold), or the type's defaults. */
  async create(owner: Identity, name: string, scopes?: readonly ApiKeyScope[]): Promise<CreatedApiKeyDto> {
    const allowed = SCOPES_BY_ORGANISATION_TYPE[owner.organisationType];
    const refused = (scopes ?? []).filter((scope) => !allowed.includes(scope));
    if (refused.length > 0) throw scopesNotAllowed(owner.organisationType, refused);
    const generated = generateApiKey();
    const entity = this.keys.create({
      id: randomUUID(),
      organisationId: owner.organisationId,
      name,
      prefix: generated.prefix,
      secretHash: generated.secretHash,
      roles: ['member'],
      scopes: [...(scopes ?? DEFAULT_SCOPES[owner.organisationType])],
      createdBy: owner.principalType === 'user' ? owner.principalId : null,
      lastUsedAt: null,
      revokedAt: null,
    });
    const saved = await this.keys.save(entity);
    return { ...toDto(saved), key: generated.key };
  }

  async list(organisationId: string): Promise<ApiKeyDto[]> {
    const keys = await this.keys.find({ where: { organisationId }, order: { createdAt: 'DESC' } });
    return keys.map(toDto);
  }

  /**
   * Revoking is immediate and final; revoking twice is a no-op. The revocation is announced
   * (identity.credential.revoked, in the same transaction) so that what the key set up elsewhere
   * stops too: delivery turns off the webhook endpoints the key created.
   */
  async revoke(organisationId: string, id: string): Promise<ApiKeyDto> {
    const key = await this.keys.findOneBy({ id, organisationId });
    if (!key) throw apiKeyNotFound();
    if (!key.revokedAt) {
      await this.dataSource.transaction(async (manager) => {
        const result = await manager.getRepository(ApiKeyEntity).update({ id, organisationId, revokedAt: IsNull() }, { revokedAt: new Date() });
        if (!result.affected) return;
        await this.messaging.outbox.append(manager, CredentialRevoked, { aggregateId: organisationId, payload: { organisationId, principalType: 'api_key', principalId: id } });
      });
    }
    // Also when it was revoked already: a replica that missed the first announcement hears this one.
    await this.cache.revoked(id);
    return toDto(await this.keys.findOneByOrFail({ id }));
  }

  /**
   * The identity behind a presented key. A key verified in the last API_KEY_CACHE_SECONDS is proven
   * against the secret hash this gateway keeps (ApiKeyCache); otherwise one indexed read of the key
   * with its organisation. `lastUsedAt` is kept to the minute: rewriting the row on every request
   * would make each storefront call a write and serialise a busy key's requests on its row lock.
   */
  async authenticate(presented: string): Promise<KeyedIdentity> {
    const cached = this.cached(presented);
    if (cached) return cached;
    const parsed = parseApiKey(presented);
    if (!parsed) throw invalidApiKey();
    const presentedHash = hashApiKeySecret(parsed.secret);
    const readMark = this.cache.readMark;
    const rows: { id: string; secret_hash: string; revoked: boolean; roles: Role[]; scopes: ApiKeyScope[]; stale: boolean; organisation_id: string; organisation_type: OrganisationType }[] =
      await this.keys.query(
        `SELECT k.id, k.secret_hash, k.revoked_at IS NOT NULL AS revoked, k.roles, k.scopes,
                k.last_used_at IS NULL OR k.last_used_at < now() - interval '${LAST_USED_PRECISION_SECONDS} seconds' AS stale,
                o.id AS organisation_id, o.type AS organisation_type
           FROM api_key k JOIN organisation o ON o.id = k.organisation_id
          WHERE k.prefix = $1`,
        [parsed.prefix],
      );
    const key = rows[0];
    if (!key || key.revoked || !secretsEqual(key.secret_hash, presentedHash)) throw invalidApiKey();
    const identity: KeyedIdentity = {
      organisationId: key.organisation_id,
      organisationType: key.organisation_type,
      principalType: 'api_key',
      principalId: key.id,
      roles: key.roles,
      scopes: key.scopes,
    };
    this.cache.put(parsed.prefix, key.secret_hash, identity, readMark);
    this.touch(key.id, key.stale);
    return identity;
  }

  /** A key this gateway verified in the last API_KEY_CACHE_SECONDS, proven against its secret with no I/O; else undefined. */
  cached(presented: string): KeyedIdentity | undefined {
    const parsed = parseApiKey(presented);
    if (!parsed) return undefined;
    const presentedHash = hashApiKeySecret(parsed.secret);
    const identity = this.cache.get(parsed.prefix, (stored) => secretsEqual(stored, presentedHash));
    if (identity) this.touch(identity.principalId, false);
    return identity;
  }

  /** Rewrites lastUsedAt when the row was seen stale, or this gateway has not written it for a minute. */
  private touch(keyId: string, stale: boolean, now = Date.now()): void {
    const written = this.lastUsedWrites.get(keyId);
    if (!stale && written !== undefined && now - written < LAST_USED_PRECISION_SECONDS * 1000) return;
    if (!stale && written === undefined) {
      // First sight of a fresh row: it was written less than a minute ago.
      this.lastUsedWrites.set(keyId, now);
      return;
    }
    this.lastUsedWrites.set(keyId, now);
    if (this.lastUsedWrites.size > 100_000) this.lastUsedWrites.clear();
    // Best effort, not awaited on the request path: a lost update only makes lastUsedAt older.
    void this.keys
      .query(`UPDATE api_key SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_PRECISION_SECONDS} seconds')`, [keyId])
      .catch(() => undefined);
  }
}
