import { ApiKeyEntity } from '../identity/api-keys/api-key.entity';
import { OrganisationEntity } from '../identity/organisations/organisation.entity';
import { UserEntity } from '../identity/users/user.entity';
import { CreateIdentity1763700100000 } from './migrations/1763700100000-CreateIdentity';
import { ApiKeyScopes1766000000000 } from './migrations/1766000000000-ApiKeyScopes';

/** The gateway's own migrations, after the platform's (outbox and inbox). */
export const GATEWAY_MIGRATIONS = [CreateIdentity1763700100000, ApiKeyScopes1766000000000];

export const GATEWAY_ENTITIES = [OrganisationEntity, UserEntity, ApiKeyEntity];
