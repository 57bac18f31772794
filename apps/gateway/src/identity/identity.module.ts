import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SERVICE_CONFIG } from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { LoginThrottle } from '../rate-limit/login-throttle';
import { ApiKeyCache } from './api-keys/api-key-cache';
import { ApiKeyEntity } from './api-keys/api-key.entity';
import { ApiKeysService } from './api-keys/api-keys.service';
import { IdentityController } from './identity.controller';
import { OrganisationEntity } from './organisations/organisation.entity';
import { OrganisationsService } from './organisations/organisations.service';
import { SessionsService } from './sessions/sessions.service';
import { UserEntity } from './users/user.entity';

/** Organisations, users, sessions and API keys: who is calling Kami. */
@Module({
  imports: [
    TypeOrmModule.forFeature([OrganisationEntity, UserEntity, ApiKeyEntity]),
    JwtModule.registerAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: GatewayConfig) => ({ secret: config.JWT_SECRET, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  controllers: [IdentityController],
  providers: [SessionsService, ApiKeyCache, ApiKeysService, OrganisationsService, LoginThrottle],
  exports: [SessionsService, ApiKeysService, OrganisationsService],
})
export class IdentityModule {}
