import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import type { OrganisationType } from '@kami/contracts';
import type { Identity, Role } from '@kami/platform';
import { generateApiKey, hashApiKeySecret, parseApiKey, secretsEqual } from '../credentials';
import { apiKeyNotFound, invalidApiKey } from '../identity.errors';
import type { ApiKeyDto, CreatedApiKeyDto } from '../dto/identity.dto';
import { ApiKeyEntity } from './api-key.entity';

/** How stale `lastUsedAt` may be: it is rewritten at most once a minute per key. */
const LAST_USED_PRECISION_SECONDS = 60;

const toDto = (key: ApiKeyEntity): ApiKeyDto => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

/** API keys for storefronts and supplier integrations: created (shown once), listed, revoked, verified. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
  ) {}

  async create(owner: Identity, name: string): Promise<CreatedApiKeyDto> {
    const generated = generateApiKey();
    const entity = this.keys.create({
      id: randomUUID(),
      organisationId: owner.organisationId,
      name,
      prefix: generated.prefix,
      secretHash: generated.secretHash,
      roles: ['member'],
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

  /** Revoking is immediate and final; revoking twice is a no-op. */
  async revoke(organisationId: string, id: string): Promise<ApiKeyDto> {
    const key = await this.keys.findOneBy({ id, organisationId });
    if (!key) throw apiKeyNotFound();
    if (!key.revokedAt) {
      await this.keys.update({ id, organisationId, revokedAt: IsNull() }, { revokedAt: new Date() });
    }
    return toDto(await this.keys.findOneByOrFail({ id }));
  }

  /**
   * The identity behind a presented key: one indexed read of the key with its organisation (every
   * API request runs this). `lastUsedAt` is kept to the minute — rewriting the row on every request
   * would make each storefront call a write and serialise a busy key's requests on its row lock.
   */
  async authenticate(presented: string): Promise<Identity> {
    const parsed = parseApiKey(presented);
    if (!parsed) throw invalidApiKey();
    const rows: { id: string; secret_hash: string; revoked: boolean; roles: Role[]; stale: boolean; organisation_id: string; organisation_type: OrganisationType }[] =
      await this.keys.query(
        `SELECT k.id, k.secret_hash, k.revoked_at IS NOT NULL AS revoked, k.roles,
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
    };
  }
}
