import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { ORGANISATION_TYPES, type OrganisationType } from '@kami/contracts';
import { CursorPageQuery, type Identity, type Role } from '@kami/platform';
import { API_KEY_SCOPE_NAMES, type ApiKeyScope } from '../api-keys/api-key-scopes';

export class LoginDto {
  @ApiProperty({ example: 'merchant@demo.kami' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  password!: string;
}

export class SessionDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'seconds until the token expires' }) expiresIn!: number;
}

export class NewUserDto {
  @ApiProperty()
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 10 })
  @IsString()
  @MinLength(10)
  @MaxLength(200)
  password!: string;
}

export class RegisterOrganisationDto {
  @ApiProperty({ example: 'Shenzhen Card Supply Co.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: ORGANISATION_TYPES })
  @IsIn(ORGANISATION_TYPES)
  type!: OrganisationType;

  @ApiProperty({ type: NewUserDto, description: 'the organisation’s first user, with the admin role' })
  @ValidateNested()
  @Type(() => NewUserDto)
  admin!: NewUserDto;
}

export class OrganisationDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ORGANISATION_TYPES }) type!: OrganisationType;
  @ApiPropertyOptional() supplierProfile?: SupplierProfileDto | null;
  @ApiProperty() createdAt!: string;
}

export class SupplierProfileDto {
  @ApiProperty({ example: '深圳市卡源科技有限公司' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  legalName!: string;

  @ApiProperty({ description: 'unified social credit code (18 characters)', example: '91440300MA5FXXXX1X' })
  @Matches(/^[0-9A-HJ-NPQRTUWXY]{18}$/, { message: 'businessLicenceNumber must be an 18-character unified social credit code' })
  businessLicenceNumber!: string;

  @ApiProperty({ example: '+86 755 1234 5678' })
  @Matches(/^\+?[0-9 ()-]{6,24}$/, { message: 'contactPhone must be a phone number' })
  contactPhone!: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Taobao storefront' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({
    enum: API_KEY_SCOPE_NAMES,
    isArray: true,
    description: 'What the key may do, among those of your organisation type. Omitted: the least an integration needs (merchants: catalog:read, orders:read, orders:write, codes:read, stock:read, stock:pull; suppliers: catalog:read, batches:read, batches:write).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPE_NAMES.length)
  @ArrayUnique()
  @IsIn(API_KEY_SCOPE_NAMES, { each: true })
  scopes?: ApiKeyScope[];
}

export class ApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'the visible start of the key' }) prefix!: string;
  @ApiProperty({ enum: API_KEY_SCOPE_NAMES, isArray: true, description: 'what the key may do' }) scopes!: ApiKeyScope[];
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional() lastUsedAt!: string | null;
  @ApiPropertyOptional() revokedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'the whole key; shown this once and never again' }) key!: string;
}

export class IdentityDto implements Identity {
  @ApiProperty() organisationId!: string;
  @ApiProperty({ enum: ORGANISATION_TYPES }) organisationType!: OrganisationType;
  @ApiProperty({ enum: ['user', 'api_key'] }) principalType!: 'user' | 'api_key';
  @ApiProperty() principalId!: string;
  @ApiProperty({ isArray: true, enum: ['admin', 'member'] }) roles!: Role[];
}

/** Operators look organisations up: by type, by name, or by ids (to show names for ids). */
export class OrganisationsQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: ORGANISATION_TYPES })
  @IsOptional()
  @IsIn(ORGANISATION_TYPES)
  type?: OrganisationType;

  @ApiPropertyOptional({ description: 'part of the name, any case' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ description: 'comma-separated organisation ids (at most 100): only those', type: String })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((id) => id.trim()).filter(Boolean) : value))
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  ids?: string[];
}

export class OrganisationPageDto {
  @ApiProperty({ type: [OrganisationDto] }) items!: OrganisationDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}
