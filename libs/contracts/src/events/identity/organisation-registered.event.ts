import { IsIn, IsNotEmpty, IsString, IsUUID, MaxLength } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

export const ORGANISATION_TYPES = ['supplier', 'merchant', 'operator'] as const;
export type OrganisationType = (typeof ORGANISATION_TYPES)[number];

/** A new organisation exists; services that keep per-organisation state (wallets, stock) start from it. */
export class OrganisationRegisteredPayload {
  @IsUUID()
  organisationId!: string;

  @IsIn(ORGANISATION_TYPES)
  type!: OrganisationType;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}

export const OrganisationRegistered = defineEvent(
  'identity.organisation.registered',
  Topics.IdentityOrganisation,
  OrganisationRegisteredPayload,
);
