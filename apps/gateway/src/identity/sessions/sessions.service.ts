import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ORGANISATION_TYPES } from '@kami/contracts';
import { SERVICE_CONFIG, ROLES, type Identity } from '@kami/platform';
import type { GatewayConfig } from '../../config/gateway.config';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../credentials';
import { invalidCredentials, sessionExpired } from '../identity.errors';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { UserEntity } from '../users/user.entity';
import type { SessionDto } from '../dto/identity.dto';

interface SessionClaims {
  sub: string;
  org: string;
  orgType: Identity['organisationType'];
  roles: Identity['roles'];
}

/** Portal sessions: email + password in, a short-lived JWT out. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(OrganisationEntity) private readonly organisations: Repository<OrganisationEntity>,
    private readonly jwt: JwtService,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async login(email: string, password: string): Promise<SessionDto> {
    const user = await this.users.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
    // Verify against a dummy hash when the user is unknown: same work, same answer, no email oracle.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok) throw invalidCredentials();
    const organisation = await this.organisations.findOneByOrFail({ id: user.organisationId });
    const claims: SessionClaims = { sub: user.id, org: organisation.id, orgType: organisation.type, roles: user.roles };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.JWT_TTL_SECONDS, audience: 'kami-portal', issuer: 'kami-gateway' });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.JWT_TTL_SECONDS };
  }

  async identify(token: string): Promise<Identity> {
    let claims: SessionClaims;
    try {
      claims = await this.jwt.verifyAsync<SessionClaims>(token, { audience: 'kami-portal', issuer: 'kami-gateway', algorithms: ['HS256'] });
    } catch {
      throw sessionExpired();
    }
    if (!ORGANISATION_TYPES.includes(claims.orgType) || !claims.roles.every((r) => ROLES.includes(r))) throw sessionExpired();
    return { organisationId: claims.org, organisationType: claims.orgType, principalType: 'user', principalId: claims.sub, roles: claims.roles };
  }
}
