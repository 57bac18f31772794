import { IsIn, IsUUID } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

/**
 * A principal lost its access: an API key was revoked (later also a user removed). Services that
 * act on a principal's earlier say-so stop doing so (delivery turns off the webhook endpoints it
 * created). Keyed by organisation, on the organisation topic, so it follows the organisation's
 * other identity events in order.
 */
export class CredentialRevokedPayload {
  @IsUUID()
  organisationId!: string;

  @IsIn(['api_key', 'user'])
  principalType!: 'api_key' | 'user';

  @IsUUID()
  principalId!: string;
}

export const CredentialRevoked = defineEvent('identity.credential.revoked', Topics.IdentityOrganisation, CredentialRevokedPayload);
