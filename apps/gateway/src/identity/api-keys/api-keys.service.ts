import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import type { Identity } from '@kami/platform';
import { generateApiKey, hashApiKeySecret, parseApiKey, secretsEqual } from '../credentials';
import { apiKeyNotFound, invalidApiKey } from '../identity.errors';
import { OrganisationEntity } from '../organisations/organisation.entity';
import type { ApiKeyDto, CreatedApiKeyDto } from '../dto/identity.dto';
import { ApiKeyEntity } from './api-key.entity';

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
    @InjectRepository(OrganisationEntity) private readonly organisations: Repository<OrganisationEntity>,
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

  async authenticate(presented: string): Promise<Identity> {
    const parsed = parseApiKey(presented);
    if (!parsed) throw invalidApiKey();
    const key = await this.keys
      .createQueryBuilder('k')
      .addSelect('k.secretHash')
      .where('k.prefix = :prefix', { prefix: parsed.prefix })
      .getOne();
    if (!key || key.revokedAt || !secretsEqual(key.secretHash, hashApiKeySecret(parsed.secret))) throw invalidApiKey();
    const organisation = await this.organisations.findOneByOrFail({ id: key.organisationId });
    // Best effort, not awaited on the request path: a lost update only makes lastUsedAt older.
    void this.keys.update({ id: key.id }, { lastUsedAt: new Date() }).catch(() => undefined);
    return {
      organisationId: organisation.id,
      organisationType: organisation.type,
      principalType: 'api_key',
      principalId: key.id,
      roles: key.roles,
    };
  }
}
