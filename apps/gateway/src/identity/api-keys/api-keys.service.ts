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
  ) {}

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
    return toDto(await this.keys.findOneByOrFail({ id }));
  }

  /**
   * The identity behind a presented key: one indexed read of the key with its organisation (every
   * API request runs this). `lastUsedAt` is kept to the minute — rewriting the row on every request
   * would make each storefront call a write and serialise a busy key's requests on its row lock.
   */
  async authenticate(presented: string): Promise<KeyedIdentity> {
    const parsed = parseApiKey(presented);
    if (!parsed) throw invalidApiKey();
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
    if (!key || key.revoked || !secretsEqual(key.secret_hash, hashApiKeySecret(parsed.secret))) throw invalidApiKey();
    if (key.stale) {
      // Best effort, not awaited on the request path: a lost update only makes lastUsedAt older.
      void this.keys
        .query(`UPDATE api_key SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_PRECISION_SECONDS} seconds')`, [key.id])
        .catch(() => undefined);
    }
    return {
      organisationId: key.organisation_id,
      organisationType: key.organisation_type,
      principalType: 'api_key',
      principalId: key.id,
      roles: key.roles,
      scopes: key.scopes,
    };
  }
}
