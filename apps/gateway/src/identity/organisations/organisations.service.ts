import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, type Repository } from 'typeorm';
import { OrganisationRegistered } from '@kami/contracts';
import { decodeCursor, Messaging, SERVICE_CONFIG, toCursorPage, type CursorPage } from '@kami/platform';
import type { GatewayConfig } from '../../config/gateway.config';
import { hashPassword } from '../credentials';
import { emailTaken } from '../identity.errors';
import { UserEntity } from '../users/user.entity';
import type { OrganisationDto, OrganisationsQuery, RegisterOrganisationDto, SupplierProfileDto } from '../dto/identity.dto';
import { OrganisationEntity } from './organisation.entity';

const toDto = (org: OrganisationEntity): OrganisationDto => ({
  id: org.id,
  name: org.name,
  type: org.type,
  supplierProfile: org.supplierProfile,
  createdAt: org.createdAt.toISOString(),
});

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
  return driverError?.code === '23505' && driverError.constraint === constraint;
}

/** Organisations and their first admin; registration is announced on Kafka through the outbox. */
@Injectable()
export class OrganisationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(OrganisationEntity) private readonly organisations: Repository<OrganisationEntity>,
    private readonly messaging: Messaging,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async register(input: RegisterOrganisationDto, traceId?: string): Promise<OrganisationDto & { adminUserId: string }> {
    const passwordHash = await hashPassword(input.admin.password, this.config.PASSWORD_HASH_COST);
    const result = await this.dataSource.transaction(async (manager) => {
      const taken = await manager.getRepository(UserEntity).createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email: input.admin.email }).getExists();
      if (taken) throw emailTaken();
      const organisation = await manager.getRepository(OrganisationEntity).save(
        manager.getRepository(OrganisationEntity).create({ id: randomUUID(), name: input.name, type: input.type, supplierProfile: null }),
      );
      const admin = await manager.getRepository(UserEntity).save(
        manager.getRepository(UserEntity).create({
          id: randomUUID(),
          organisationId: organisation.id,
          email: input.admin.email,
          passwordHash,
          roles: ['admin'],
        }),
      );
      await this.messaging.outbox.append(manager, OrganisationRegistered, {
        aggregateId: organisation.id,
        payload: { organisationId: organisation.id, type: organisation.type, name: organisation.name },
        traceId,
      });
      return { ...toDto(organisation), adminUserId: admin.id };
    }).catch((error: unknown) => {
      // Two registrations of one email at once: both pass the check, the unique index stops the second.
      if (isUniqueViolation(error, 'UQ_APP_USER_EMAIL')) throw emailTaken();
      throw error;
    });
    this.messaging.relay.nudge();
    return result;
  }

  async get(organisationId: string): Promise<OrganisationDto> {
    return toDto(await this.organisations.findOneByOrFail({ id: organisationId }));
  }

  /** Organisations by name (then id), filtered by type, name and ids; keyset-paged. */
  async list(query: OrganisationsQuery): Promise<CursorPage<OrganisationDto>> {
    const builder = this.organisations
      .createQueryBuilder('o')
      .orderBy('o.name', 'ASC')
      .addOrderBy('o.id', 'ASC')
      .limit(query.limit + 1);
    if (query.type) builder.andWhere('o.type = :type', { type: query.type });
    if (query.ids) builder.andWhere('o.id IN (:...ids)', { ids: query.ids.length > 0 ? query.ids : [null] });
    if (query.q) builder.andWhere(`o.name ILIKE :q ESCAPE '\\'`, { q: `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    if (query.cursor) {
      const [name, id] = decodeCursor(query.cursor, 2);
      builder.andWhere('(o.name, o.id) > (:name, CAST(:id AS uuid))', { name, id });
    }
    return toCursorPage(await builder.getMany(), query.limit, (o) => [o.name, o.id], toDto);
  }

  async updateSupplierProfile(organisationId: string, profile: SupplierProfileDto): Promise<OrganisationDto> {
    await this.organisations.update({ id: organisationId, type: 'supplier' }, { supplierProfile: { ...profile } });
    return this.get(organisationId);
  }
}
